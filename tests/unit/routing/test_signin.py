"""Officials' sign-in rules: one-time links, sessions with idle and absolute expiry, limits."""
from datetime import datetime, timedelta, timezone

from contract.auth import token_hash
from routing.domain import signin

NOW = datetime(2026, 11, 30, 8, 0, tzinfo=timezone.utc)
OFFICIAL = {"_id": "lo-bll-pupr", "name": "PP", "role": "liaison", "hub": "ID", "agency_code": "A", "unit_code": "U"}


def test_a_link_stores_only_its_hash_and_works_once_until_it_expires():
    token, link = signin.new_password_link(OFFICIAL, NOW, 48, "adm")
    assert link["_id"] == token_hash(token) and token not in str(link)
    assert signin.link_usable(link, NOW + timedelta(hours=47))
    assert not signin.link_usable(link, NOW + timedelta(hours=48))
    assert not signin.link_usable({**link, "used_at": NOW}, NOW)
    assert not signin.link_usable(None, NOW)


def test_password_rules_name_each_problem():
    assert signin.password_problems("a-long-passphrase", "a-long-passphrase", "lo-bll-pupr") == []
    assert [p[0] for p in signin.password_problems("short", "short", "x")] == ["length"]
    assert [p[0] for p in signin.password_problems("aaaaaaaaaaaa", "aaaaaaaaaaaa", "x")] == ["weak"]
    assert [p[0] for p in signin.password_problems("LO-BLL-PUPR", "LO-BLL-PUPR", "lo-bll-pupr")] == ["weak"]
    assert [p[0] for p in signin.password_problems("a-long-passphrase", "a-long-passphrasE", "x")] == ["mismatch"]


def test_a_session_ends_when_idle_too_long_or_past_its_absolute_expiry():
    session_id, session = signin.new_session(OFFICIAL, NOW, 12)
    assert session["_id"] == token_hash(session_id)
    principal = signin.session_principal(session, OFFICIAL, NOW + timedelta(minutes=29), 30)
    assert principal["official_id"] == "lo-bll-pupr" and principal["via"] == "session"
    assert signin.session_principal(session, OFFICIAL, NOW + timedelta(minutes=30), 30) is None
    busy = {**session, "last_seen": NOW + timedelta(hours=11, minutes=59)}
    assert signin.session_principal(busy, OFFICIAL, NOW + timedelta(hours=11, minutes=59, seconds=30), 30)
    assert signin.session_principal(busy, OFFICIAL, NOW + timedelta(hours=12), 30) is None
    assert signin.session_principal(session, None, NOW, 30) is None  # the official left the registry


def test_last_seen_is_written_at_most_once_a_minute():
    _, session = signin.new_session(OFFICIAL, NOW, 12)
    assert not signin.needs_touch(session, NOW + timedelta(seconds=59))
    assert signin.needs_touch(session, NOW + timedelta(seconds=60))


def test_wrong_passwords_lock_a_counter_until_its_window_ends():
    account, client = signin.throttle_keys("LO-BLL-PUPR", "10.0.0.7")
    assert account == "account:lo-bll-pupr" and client == "client:10.0.0.7"
    counter = None
    for _ in range(4):
        counter = signin.after_failure(counter, account, NOW, 15)
    assert counter["failures"] == 4 and signin.locked_until(counter, NOW, 5) is None
    counter = signin.after_failure(counter, account, NOW + timedelta(minutes=1), 15)
    assert signin.locked_until(counter, NOW + timedelta(minutes=2), 5) == NOW + timedelta(minutes=15)
    assert signin.locked_until(counter, NOW + timedelta(minutes=15), 5) is None
    fresh = signin.after_failure(counter, account, NOW + timedelta(minutes=16), 15)
    assert fresh["failures"] == 1

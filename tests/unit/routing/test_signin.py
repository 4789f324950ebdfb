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


def test_wrong_passwords_slow_a_pair_by_doubling_delays_and_lock_only_the_account_at_its_limit():
    settings = signin.SignInSettings(pair_free=3, client_free=20, max_delay_seconds=900, account_limit=5)
    keys = signin.throttle_keys("LO-BLL-PUPR", "10.0.0.7")
    assert keys == {"pair": "pair:lo-bll-pupr|10.0.0.7", "client": "client:10.0.0.7", "account": "account:lo-bll-pupr"}
    assert [signin.delay_seconds(n, 3, 900) for n in (0, 2, 3, 4, 5, 12, 50)] == [0, 0, 2, 4, 8, 900, 900]
    assert [signin.delay_seconds(n, 3, 900, first=30) for n in (2, 3, 4, 9)] == [0, 30, 60, 900]  # SIGNIN_FIRST_DELAY_SECONDS
    assert signin.SignInSettings.from_config({"SIGNIN_FIRST_DELAY_SECONDS": "30"}).first_delay_seconds == 30
    counters = {}
    for _ in range(3):
        counters = {k: signin.after_failure(counters.get(k), k, "lo-bll-pupr", NOW, settings) for k in keys.values()}
    assert signin.throttled(counters, keys, NOW + timedelta(seconds=1), settings) == signin.Throttle(
        "pair", NOW + timedelta(seconds=2))
    assert signin.throttled(counters, keys, NOW + timedelta(seconds=2), settings) is None
    counters = {k: signin.after_failure(c, k, "lo-bll-pupr", NOW, settings) for k, c in counters.items()}
    counters = {k: signin.after_failure(c, k, "lo-bll-pupr", NOW, settings) for k, c in counters.items()}
    assert signin.throttled(counters, keys, NOW + timedelta(hours=1), settings) == signin.Throttle(
        "account", NOW + timedelta(hours=24))
    assert signin.throttled(counters, keys, NOW + timedelta(hours=24), settings) is None  # forgotten
    fresh = signin.after_failure(counters[keys["pair"]], keys["pair"], "lo-bll-pupr", NOW + timedelta(hours=24),
                                 settings)
    assert fresh["failures"] == 1

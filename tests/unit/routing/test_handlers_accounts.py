"""Officials' browser accounts on the fake unit of work: password links, setting a password,
signing in under the wrong-password limits and lifting them, signing out (argon2 made cheap for the tests)."""
from datetime import timedelta

import pytest
from argon2 import PasswordHasher

from contract.auth import token_hash
from contract.errors import ApiError
from routing import handlers, passwords
from routing.domain.signin import BadPassword, LinkUnusable, SignInSettings
from tests.unit.routing.fixtures import BULELENG, NATIONAL, demo_units

PASSWORD = "kata-sandi-yang-panjang"
LUWU = {"official_id": "adm-luwu", "role": "agency_admin", "hub": "ID", "agency_code": "PEMKAB-LUWU", "unit_code": None}


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch):
    hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    monkeypatch.setattr(passwords, "_hasher", hasher)
    monkeypatch.setattr(passwords, "_DUMMY", hasher.hash("no password"))


@pytest.fixture
def units():
    return demo_units()


def token_of(link: dict) -> str:
    return link["path"].rsplit("/", 1)[1]


def with_password(units, official_id="lo-bll-pupr") -> None:
    token = token_of(units.run(handlers.issue_password_link, official_id, 48, "operator"))
    units.run(handlers.set_password, token, PASSWORD, PASSWORD)


def test_a_password_link_sets_a_password_once(units):
    link = units.run(handlers.issue_password_link, "lo-bll-pupr", 48, "operator")
    token = token_of(link)
    assert units.read(handlers.usable_link, token)["_id"] == "lo-bll-pupr"
    assert units.run(handlers.set_password, token, PASSWORD, PASSWORD)["_id"] == "lo-bll-pupr"
    with pytest.raises(LinkUnusable):
        units.read(handlers.usable_link, token)
    with pytest.raises(LinkUnusable):
        units.run(handlers.set_password, token, PASSWORD, PASSWORD)


def test_an_expired_or_unknown_link_is_unusable(units):
    token = token_of(units.run(handlers.issue_password_link, "lo-bll-pupr", 1, "operator"))
    units.clock.now += timedelta(hours=2)
    for candidate in (token, "x" * 40, "short"):
        with pytest.raises(LinkUnusable):
            units.read(handlers.usable_link, candidate)


def test_a_weak_or_mismatched_password_is_refused_and_the_link_stays_usable(units):
    token = token_of(units.run(handlers.issue_password_link, "lo-bll-pupr", 48, "operator"))
    with pytest.raises(BadPassword) as weak:
        units.run(handlers.set_password, token, "pendek", "lain")
    assert {code for code, _, _ in weak.value.problems} >= {"mismatch"}
    assert units.read(handlers.usable_link, token)


def test_an_unknown_official_gets_no_link(units):
    with pytest.raises(ApiError) as unknown:
        units.run(handlers.issue_password_link, "nobody")
    assert unknown.value.status == 404


def test_an_admin_issues_links_and_ends_sessions_only_for_their_own_officials(units):
    link = units.run(handlers.issue_password_link_by, BULELENG, "lo-bll-pupr", 24)
    stored = units.read(lambda uow: uow.accounts.link(token_hash(token_of(link))))
    assert stored["issued_by"] == "adm-buleleng"
    with_password(units)
    units.run(handlers.sign_in, "lo-bll-pupr", PASSWORD, "10.0.0.1")
    assert units.run(handlers.end_sessions_by, BULELENG, "lo-bll-pupr") == {"ended": 1}
    for handler, args in ((handlers.issue_password_link_by, ("lo-lwu-pupr", 24)),
                          (handlers.end_sessions_by, ("lo-lwu-pupr",))):
        with pytest.raises(ApiError) as hidden:
            units.run(handler, BULELENG, *args)
        assert hidden.value.status == 404


def test_signing_in_opens_a_session_and_signing_out_ends_it(units):
    with_password(units)
    signed = units.run(handlers.sign_in, "lo-bll-pupr", PASSWORD, "10.0.0.1")
    assert signed["outcome"] == "success"
    session = units.read(lambda uow: uow.accounts.find("sessions"))[0]
    assert session["_id"] == token_hash(signed["session"]) and session["official_id"] == "lo-bll-pupr"
    assert units.run(handlers.sign_out, signed["session"]) is True
    assert units.run(handlers.sign_out, signed["session"]) is False


def test_setting_a_password_ends_every_session(units):
    with_password(units)
    units.run(handlers.sign_in, "lo-bll-pupr", PASSWORD, "10.0.0.1")
    with_password(units)
    assert units.read(lambda uow: uow.accounts.find("sessions")) == []


def wrong(units, client="10.0.0.1", official_id="lo-bll-pupr") -> dict:
    return units.run(handlers.sign_in, official_id, "salah-sekali-lagi", client)


def test_after_three_wrong_passwords_from_one_client_each_attempt_there_waits_twice_as_long(units):
    with_password(units)
    assert [wrong(units)["outcome"] for _ in range(3)] == ["wrong_credentials"] * 3
    waits = []
    for _ in range(4):
        slowed = units.run(handlers.sign_in, "lo-bll-pupr", PASSWORD, "10.0.0.1")  # even the right one waits
        assert slowed["outcome"] == "throttled" and slowed["reason"] == "pair"
        waits.append(slowed["retry_after"])
        units.clock.now += timedelta(seconds=slowed["retry_after"])
        assert wrong(units)["outcome"] == "wrong_credentials"  # counted once the wait is over
    assert waits == [2, 4, 8, 16]
    units.clock.now += timedelta(seconds=32)
    assert units.run(handlers.sign_in, "lo-bll-pupr", PASSWORD, "10.0.0.1")["outcome"] == "success"


def test_the_delay_is_capped_and_forgotten_after_a_quiet_day():
    units = demo_units(signin=SignInSettings(max_delay_seconds=60, account_limit=1000))
    with_password(units)
    for _ in range(12):  # waiting the full minute each time: every one counted
        assert wrong(units)["outcome"] == "wrong_credentials"
        units.clock.now += timedelta(seconds=60)
    wrong(units)
    slowed = wrong(units)
    assert slowed["outcome"] == "throttled" and slowed["retry_after"] == 60
    units.clock.now += timedelta(hours=24)
    assert [wrong(units)["outcome"] for _ in range(3)] == ["wrong_credentials"] * 3  # counters forgotten


def test_an_attacker_slowed_on_one_client_does_not_lock_the_official_out_of_another(units):
    """Issue 20: five wrong passwords locked the official out for 15 minutes, right password or not."""
    with_password(units)
    for _ in range(10):
        wrong(units, client="203.0.113.9")
        units.clock.now += timedelta(seconds=1)
    assert units.run(handlers.sign_in, "lo-bll-pupr", PASSWORD, "203.0.113.9")["outcome"] == "throttled"
    assert units.run(handlers.sign_in, "lo-bll-pupr", PASSWORD, "10.0.0.2")["outcome"] == "success"


def test_one_client_guessing_many_accounts_is_slowed_on_every_account():
    units = demo_units(signin=SignInSettings(client_free=4))
    with_password(units, "adm-buleleng")
    for official in ("lo-bll-pupr", "adm-luwu", "spv-buleleng", "nas-admin-1"):
        assert wrong(units, "203.0.113.9", official)["outcome"] == "wrong_credentials"
    slowed = units.run(handlers.sign_in, "adm-buleleng", PASSWORD, "203.0.113.9")
    assert slowed["outcome"] == "throttled" and slowed["reason"] == "client"
    assert units.run(handlers.sign_in, "adm-buleleng", PASSWORD, "10.0.0.2")["outcome"] == "success"


def test_the_account_limit_across_clients_locks_until_an_admin_of_the_official_lifts_it():
    units = demo_units(signin=SignInSettings(account_limit=6))
    with_password(units)
    for i in range(6):  # a different address each time: no pair or client delay
        assert wrong(units, f"198.51.100.{i}")["outcome"] == "wrong_credentials"
    locked = units.run(handlers.sign_in, "lo-bll-pupr", PASSWORD, "10.0.0.2")
    assert locked["outcome"] == "throttled" and locked["reason"] == "account"
    assert locked["retry_after"] == 24 * 3600
    with pytest.raises(ApiError) as hidden:
        units.run(handlers.lift_signin_limit_by, LUWU, "lo-bll-pupr")  # another agency's admin
    assert hidden.value.status == 404
    assert units.run(handlers.lift_signin_limit_by, BULELENG, "lo-bll-pupr") == {"cleared": 7}
    assert units.run(handlers.sign_in, "lo-bll-pupr", PASSWORD, "10.0.0.2")["outcome"] == "success"
    entry = units.read(handlers.account_audit_by, NATIONAL, "lo-bll-pupr")[-1]
    assert (entry["action"], entry["actor"], entry["detail"]) == ("signin_limit_lifted", "adm-buleleng", {"cleared": 7})


def test_the_operator_lifts_a_limit_too_and_a_right_password_clears_only_its_own_pair():
    units = demo_units(signin=SignInSettings(account_limit=4))
    with_password(units)
    for client in ("198.51.100.1", "198.51.100.2", "198.51.100.2"):
        wrong(units, client)
    units.clock.now += timedelta(seconds=5)
    assert units.run(handlers.sign_in, "lo-bll-pupr", PASSWORD, "198.51.100.2")["outcome"] == "success"
    wrong(units, "198.51.100.3")
    assert units.run(handlers.sign_in, "lo-bll-pupr", PASSWORD, "10.0.0.2")["reason"] == "account"
    assert units.run(handlers.lift_signin_limit, "lo-bll-pupr")["cleared"] == 3  # account, two pairs
    assert units.read(handlers.account_audit_by, NATIONAL, "lo-bll-pupr")[-1]["actor"] == "operator"


def test_an_official_of_another_hub_or_without_a_password_cannot_sign_in(units):
    assert units.run(handlers.sign_in, "lo-bll-pupr", PASSWORD, "10.0.0.1")["outcome"] == "wrong_credentials"
    with_password(units)
    other_hub = demo_units(hub_code="35")
    other_hub.state = units.state
    assert other_hub.run(handlers.sign_in, "lo-bll-pupr", PASSWORD, "10.0.0.1")["outcome"] == "wrong_credentials"

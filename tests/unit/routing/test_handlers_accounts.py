"""Officials' browser accounts on the fake unit of work: password links, setting a password,
signing in with the wrong-password limit, signing out (argon2 made cheap for the tests)."""
from datetime import timedelta

import pytest
from argon2 import PasswordHasher

from contract.auth import token_hash
from contract.errors import ApiError
from routing import handlers, passwords
from routing.domain.signin import BadPassword, LinkUnusable
from tests.unit.routing.fixtures import BULELENG, demo_units

PASSWORD = "kata-sandi-yang-panjang"


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


def test_wrong_passwords_are_counted_and_lock_the_account_even_for_the_right_one(units):
    with_password(units)
    outcomes = [units.run(handlers.sign_in, "lo-bll-pupr", "salah-sekali-lagi", "10.0.0.1")["outcome"]
                for _ in range(5)]
    assert outcomes == ["wrong_credentials"] * 5
    locked = units.run(handlers.sign_in, "lo-bll-pupr", PASSWORD, "10.0.0.2")
    assert locked["outcome"] == "throttled" and locked["minutes"] >= 1
    units.clock.now += timedelta(minutes=16)
    assert units.run(handlers.sign_in, "lo-bll-pupr", PASSWORD, "10.0.0.2")["outcome"] == "success"


def test_an_official_of_another_hub_or_without_a_password_cannot_sign_in(units):
    assert units.run(handlers.sign_in, "lo-bll-pupr", PASSWORD, "10.0.0.1")["outcome"] == "wrong_credentials"
    with_password(units)
    other_hub = demo_units(hub_code="35")
    other_hub.state = units.state
    assert other_hub.run(handlers.sign_in, "lo-bll-pupr", PASSWORD, "10.0.0.1")["outcome"] == "wrong_credentials"

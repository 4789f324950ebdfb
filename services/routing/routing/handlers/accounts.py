"""Officials' browser accounts: one-time password links, setting a password through one, signing
in under the wrong-password limits (and an admin lifting an account's), signing out, ending an
official's sessions; the audit of who did any of it to whose credentials."""
from __future__ import annotations

import math

from contract.auth import token_hash
from contract.routes import url_for
from routing import exceptions, passwords
from routing.domain import signin
from routing.domain.signin import BadPassword, LinkUnusable
from routing.handlers.registry import managed_official

SUCCESS, THROTTLED, WRONG = "success", "throttled", "wrong_credentials"


def issue_password_link(uow, official_id: str, hours: int = 48, issued_by: str = "operator") -> dict:
    """A one-time link (path ``/petugas/sandi/<token>``) for an official to set a password: the
    operator's (``routing.cli password-link``), never a service's."""
    official = uow.registry.official(official_id)
    if official is None:
        raise exceptions.official_not_found()
    return _issue_link(uow, official, int(hours), issued_by)


def issue_password_link_by(uow, principal: dict, official_id: str, hours: int) -> dict:
    """An admin issues a password link for an official they manage."""
    return _issue_link(uow, managed_official(uow, principal, official_id), hours, principal["official_id"])


def _issue_link(uow, official: dict, hours: int, issued_by: str) -> dict:
    token, doc = signin.new_password_link(official, uow.now(), hours, issued_by)
    uow.accounts.add_link(doc)
    uow.accounts.record(signin.account_entry("password_link_issued", issued_by, official["_id"], uow.now(),
                                             hours=hours, expires_at=doc["expires_at"]))
    return {"official_id": official["_id"], "path": url_for("password", token=token), "expires_at": doc["expires_at"]}


def end_sessions_by(uow, principal: dict, official_id: str) -> dict:
    """An admin signs an official they manage out everywhere: how many sessions ended."""
    managed_official(uow, principal, official_id)
    ended = uow.accounts.end_sessions(official_id)
    uow.accounts.record(signin.account_entry("sessions_ended", principal["official_id"], official_id, uow.now(),
                                             ended=ended))
    return {"ended": ended}


def lift_signin_limit(uow, official_id: str, lifted_by: str = "operator") -> dict:
    """Forget an account's wrong passwords (its own limit and every client's delay on it), so the
    official can sign in at once: how many counters were cleared. The operator's (CLI)."""
    if uow.registry.official(official_id) is None:
        raise exceptions.official_not_found()
    cleared = uow.accounts.clear_counters_of(signin.account_of(official_id))
    uow.accounts.record(signin.account_entry("signin_limit_lifted", lifted_by, official_id, uow.now(),
                                             cleared=cleared))
    return {"cleared": cleared}


def lift_signin_limit_by(uow, principal: dict, official_id: str) -> dict:
    """An admin lifts the sign-in limit of an official they manage."""
    managed_official(uow, principal, official_id)
    return lift_signin_limit(uow, official_id, principal["official_id"])


def account_audit_by(uow, principal: dict, official_id: str) -> list[dict]:
    """Who issued, revoked, ended or lifted what for an official an admin manages (oldest first)."""
    managed_official(uow, principal, official_id)
    return uow.accounts.audit_of(official_id)


def usable_link(uow, token: str) -> dict:
    """The link's official (for the set-password page), or LinkUnusable."""
    accounts = uow.accounts
    link = accounts.link(token_hash(token)) if 20 <= len(token) <= 100 else None
    official = accounts.official(link["official_id"]) if signin.link_usable(link, uow.now()) else None
    if official is None:
        raise LinkUnusable()
    return official


def set_password(uow, token: str, password: str, confirm: str) -> dict:
    """Check the link and the password, store the argon2 hash and use the link (once); every
    session of the official ends."""
    official = usable_link(uow, token)
    problems = signin.password_problems(password, confirm, official["_id"])
    if problems:
        raise BadPassword(problems)
    if not uow.accounts.set_password(token_hash(token), official["_id"], passwords.hash_password(password), uow.now()):
        raise LinkUnusable()
    return official


def sign_in(uow, official_id: str, password: str, client: str) -> dict:
    """``{"outcome": "success", "session": id}`` for the right password; ``throttled`` (with
    ``reason``, ``until`` and ``retry_after`` seconds) while the (account, client) pair or the client
    must wait, or the account is locked (checked before the password, so a guess made meanwhile
    tells nothing); ``wrong_credentials`` otherwise, counted against the pair, the client and the
    account (an outcome, not an exception: the counters must be committed)."""
    accounts, now, settings = uow.accounts, uow.now(), uow.settings.signin
    keys = signin.throttle_keys(official_id, client)
    counters = accounts.counters(tuple(keys.values()))
    throttle = signin.throttled(counters, keys, now, settings)
    if throttle:
        wait = max(1, math.ceil((throttle.until - now).total_seconds()))
        return {"outcome": THROTTLED, "reason": throttle.reason, "until": throttle.until, "retry_after": wait}
    official = accounts.official(official_id)
    if official is not None and (official.get("hub") != uow.settings.hub_code or official.get("disabled")):
        official = None  # another hub's, or disabled by an admin: as if unknown
    stored = accounts.password_hash(official_id) if official else None
    if not passwords.verify_password(stored, password) or official is None:
        account = signin.account_of(official_id)
        for kind, key in keys.items():  # a client's counter spans accounts: no account to lift it by
            accounts.save_counter(signin.after_failure(counters.get(key), key, None if kind == "client" else account,
                                                       now, settings))
        return {"outcome": WRONG}
    accounts.clear_counter(keys["pair"])  # the account's count stays: an attack elsewhere goes on
    if passwords.needs_rehash(stored):
        accounts.replace_password_hash(official_id, passwords.hash_password(password))
    session_id, session = signin.new_session(official, now, settings.session_hours)
    accounts.add_session(session)
    return {"outcome": SUCCESS, "session": session_id}


def sign_out(uow, session_id: str) -> bool:
    return uow.accounts.end_session(token_hash(session_id))

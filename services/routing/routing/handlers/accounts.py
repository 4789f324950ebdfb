"""Officials' browser accounts: one-time password links, setting a password through one, signing
in with the wrong-password limit, signing out, ending an official's sessions."""
from __future__ import annotations

from contract.auth import token_hash
from routing import exceptions, passwords
from routing.domain import signin
from routing.domain.signin import BadPassword, LinkUnusable
from routing.handlers.registry import managed_official

SUCCESS, THROTTLED, WRONG = "success", "throttled", "wrong_credentials"


def issue_password_link(uow, official_id: str, hours: int = 48, issued_by: str = "operator") -> dict:
    """A one-time link (path ``/petugas/sandi/<token>``) for an official to set a password."""
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
    return {"official_id": official["_id"], "path": f"/petugas/sandi/{token}", "expires_at": doc["expires_at"]}


def end_sessions_by(uow, principal: dict, official_id: str) -> dict:
    """An admin signs an official they manage out everywhere: how many sessions ended."""
    managed_official(uow, principal, official_id)
    return {"ended": uow.accounts.end_sessions(official_id)}


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
    ``until``) while the account or the client has too many recent wrong passwords (checked before
    the password, so a guess made while locked tells nothing); ``wrong_credentials`` otherwise,
    counted against both (an outcome, not an exception: the counters must be committed)."""
    accounts, now, settings = uow.accounts, uow.now(), uow.settings.signin
    account_key, client_key = signin.throttle_keys(official_id, client)
    counters = accounts.counters((account_key, client_key))
    locks = [u for u in (signin.locked_until(counters.get(account_key), now, settings.account_limit),
                         signin.locked_until(counters.get(client_key), now, settings.client_limit)) if u]
    if locks:
        until = max(locks)  # told in whole minutes, rounded up
        return {"outcome": THROTTLED, "until": until, "minutes": max(1, int((until - now).total_seconds() // 60) + 1)}
    official = accounts.official(official_id)
    if official is not None and official.get("hub") != uow.settings.hub_code:
        official = None
    stored = accounts.password_hash(official_id) if official else None
    if not passwords.verify_password(stored, password) or official is None:
        for key in (account_key, client_key):
            accounts.save_counter(signin.after_failure(counters.get(key), key, now, settings.window_minutes))
        return {"outcome": WRONG}
    accounts.clear_counter(account_key)
    if passwords.needs_rehash(stored):
        accounts.replace_password_hash(official_id, passwords.hash_password(password))
    session_id, session = signin.new_session(official, now, settings.session_hours)
    accounts.add_session(session)
    return {"outcome": SUCCESS, "session": session_id}


def sign_out(uow, session_id: str) -> bool:
    return uow.accounts.end_session(token_hash(session_id))

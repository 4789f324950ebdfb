"""The sign-in use cases (between the entrypoints and the store): issue a one-time password link,
set a password through it, sign in with the wrong-password limit, sign out."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from contract.auth import token_hash
from routing import passwords
from routing.accounts import Accounts
from routing.domain import signin


@dataclass(frozen=True)
class Settings:
    link_hours: int = 48
    session_hours: float = 12
    idle_minutes: float = 30
    account_limit: int = 5        # wrong passwords per account per window
    client_limit: int = 20        # wrong passwords per client address per window
    window_minutes: float = 15

    @classmethod
    def from_config(cls, config: dict) -> "Settings":
        return cls(link_hours=int(config.get("OFFICIAL_PASSWORD_LINK_HOURS", 48)),
                   session_hours=float(config.get("OFFICIAL_SESSION_MAX_HOURS", 12)),
                   idle_minutes=float(config.get("OFFICIAL_SESSION_IDLE_MINUTES", 30)),
                   account_limit=int(config.get("SIGNIN_FAILURES_PER_ACCOUNT", 5)),
                   client_limit=int(config.get("SIGNIN_FAILURES_PER_CLIENT", 20)),
                   window_minutes=float(config.get("SIGNIN_FAILURE_WINDOW_MINUTES", 15)))


class Throttled(Exception):
    def __init__(self, until: datetime):
        super().__init__(until)
        self.until = until


class WrongCredentials(Exception):
    """Unknown official, no password set, or a wrong password: the same answer for all three."""


class LinkUnusable(Exception):
    """The link is unknown, expired or used."""


class BadPassword(Exception):
    def __init__(self, problems: list[tuple[str, str, str]]):
        super().__init__(problems)
        self.problems = problems


def issue_link(accounts: Accounts, official: dict, now: datetime, hours: int, issued_by: str) -> dict:
    token, doc = signin.new_password_link(official, now, hours, issued_by)
    accounts.add_link(doc)
    return {"official_id": official["_id"], "path": f"/petugas/sandi/{token}", "expires_at": doc["expires_at"]}


def usable_link(accounts: Accounts, token: str, now: datetime) -> dict:
    """The link's official (for the set-password page), or LinkUnusable."""
    link = accounts.link(token_hash(token)) if 20 <= len(token) <= 100 else None
    official = accounts.official(link["official_id"]) if signin.link_usable(link, now) else None
    if official is None:
        raise LinkUnusable()
    return official


def set_password(accounts: Accounts, token: str, password: str, confirm: str, now: datetime) -> dict:
    """Check the link and the password, store the argon2 hash and use the link (once)."""
    official = usable_link(accounts, token, now)
    problems = signin.password_problems(password, confirm, official["_id"])
    if problems:
        raise BadPassword(problems)
    if not accounts.set_password(token_hash(token), official["_id"], passwords.hash_password(password), now):
        raise LinkUnusable()
    return official


def sign_in(accounts: Accounts, official_id: str, password: str, client: str, hub: str, now: datetime,
            settings: Settings) -> tuple[str, dict]:
    """(session id, session document) for the right password; Throttled while the account or the
    client has too many recent wrong passwords (checked before the password, so a guess made
    while locked tells nothing); WrongCredentials otherwise, counted against both."""
    account_key, client_key = signin.throttle_keys(official_id, client)
    counters = accounts.counters((account_key, client_key))
    locks = [u for u in (signin.locked_until(counters.get(account_key), now, settings.account_limit),
                         signin.locked_until(counters.get(client_key), now, settings.client_limit)) if u]
    if locks:
        raise Throttled(max(locks))
    official = accounts.official(official_id)
    if official is not None and official.get("hub") != hub:
        official = None
    stored = accounts.password_hash(official_id) if official else None
    if not passwords.verify_password(stored, password) or official is None:
        for key in (account_key, client_key):
            accounts.save_counter(signin.after_failure(counters.get(key), key, now, settings.window_minutes))
        raise WrongCredentials()
    accounts.clear_counter(account_key)
    if passwords.needs_rehash(stored):
        accounts.replace_password_hash(official_id, passwords.hash_password(password))
    session_id, doc = signin.new_session(official, now, settings.session_hours)
    accounts.add_session(doc)
    return session_id, doc


def sign_out(accounts: Accounts, session_id: str) -> bool:
    return accounts.end_session(token_hash(session_id))

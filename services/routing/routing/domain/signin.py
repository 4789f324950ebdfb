"""Officials' sign-in in the browser, as plain rules: one-time password links, sessions with idle
and absolute expiry, the wrong-password limits, and the audit entries of officials' credentials.

Wrong passwords slow an attacker without locking the real official out (issue 20): they are
counted per (account, client address) pair, per client address and per account. A pair or a client
past its free failures waits 2, 4, 8 ... seconds (capped) after its last wrong password, so the
right password from another client still works at once; only the account's own limit, high and
across every client, locks the account, until an admin lifts it.

Only hashes of the link tokens and session ids are stored (``contract.auth.token_hash``); the
password itself is hashed with argon2 (``routing.passwords``), never here.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from contract import i18n
from contract.auth import token_hash
from routing.domain.registry import principal_for

PASSWORD_MIN = 10
PASSWORD_MAX = 200
TEXTS = i18n.of_service("routing")


@dataclass(frozen=True)
class SignInSettings:
    link_hours: int = 48
    session_hours: float = 12
    idle_minutes: float = 30
    pair_free: int = 3            # wrong passwords from one (account, client) before the delays start
    client_free: int = 20         # wrong passwords from one client (any accounts) before the delays start
    max_delay_seconds: float = 900
    first_delay_seconds: float = 2  # the first wait past the free failures; each later one doubles it
    account_limit: int = 100      # wrong passwords per account from every client: locked until lifted
    memory_hours: float = 24      # a counter is forgotten this long after its last wrong password

    @classmethod
    def from_config(cls, config: dict) -> "SignInSettings":
        return cls(link_hours=int(config.get("OFFICIAL_PASSWORD_LINK_HOURS", 48)),
                   session_hours=float(config.get("OFFICIAL_SESSION_MAX_HOURS", 12)),
                   idle_minutes=float(config.get("OFFICIAL_SESSION_IDLE_MINUTES", 30)),
                   pair_free=int(config.get("SIGNIN_FREE_FAILURES_PER_PAIR", 3)),
                   client_free=int(config.get("SIGNIN_FREE_FAILURES_PER_CLIENT", 20)),
                   max_delay_seconds=float(config.get("SIGNIN_MAX_DELAY_SECONDS", 900)),
                   first_delay_seconds=float(config.get("SIGNIN_FIRST_DELAY_SECONDS", 2)),
                   account_limit=int(config.get("SIGNIN_FAILURES_PER_ACCOUNT", 100)),
                   memory_hours=float(config.get("SIGNIN_FAILURE_MEMORY_HOURS", 24)))


class LinkUnusable(Exception):
    """The link is unknown, expired or used."""


class BadPassword(Exception):
    def __init__(self, problems: list[tuple[str, str, str]]):
        super().__init__(problems)
        self.problems = problems


def new_password_link(official: dict, now: datetime, hours: int, issued_by: str) -> tuple[str, dict]:
    """A one-time token to set (or reset) an official's password, and its stored document."""
    token = secrets.token_urlsafe(32)
    return token, {"_id": token_hash(token), "official_id": official["_id"], "issued_at": now,
                   "issued_by": issued_by, "expires_at": now + timedelta(hours=hours), "used_at": None}


def link_usable(link: dict | None, now: datetime) -> bool:
    return bool(link) and link.get("used_at") is None and link["expires_at"] > now


def password_text(code: str, lang: str) -> str:
    """Why a password is refused, in ``lang`` (routing's catalogue, ``password.problem.<code>``)."""
    return TEXTS.text(f"password.problem.{code}", lang, min=PASSWORD_MIN, max=PASSWORD_MAX)


def password_problems(password: str, confirm: str, official_id: str) -> list[tuple[str, str, str]]:
    """What is wrong with a new password, as (code, English, Indonesian); empty when it is fine."""
    codes = []
    if len(password) < PASSWORD_MIN or len(password) > PASSWORD_MAX:
        codes.append("length")
    elif password.strip().lower() == official_id.lower() or len(set(password)) < 4:
        codes.append("weak")
    if password != confirm:
        codes.append("mismatch")
    return [(code, password_text(code, "en"), password_text(code, "id")) for code in codes]


def new_session(official: dict, now: datetime, max_hours: float) -> tuple[str, dict]:
    """A fresh session id (the cookie's value) and the document that stores only its hash."""
    session_id = secrets.token_urlsafe(32)
    return session_id, {"_id": token_hash(session_id), "official_id": official["_id"], "created_at": now,
                        "last_seen": now, "expires_at": now + timedelta(hours=max_hours)}


def session_principal(session: dict | None, official: dict | None, now: datetime, idle_minutes: float) -> dict | None:
    """The principal of a session, or None when unknown, past its absolute expiry, idle too long,
    or its official no longer exists."""
    if not session or session["expires_at"] <= now or session["last_seen"] + timedelta(minutes=idle_minutes) <= now:
        return None
    principal = principal_for({"expires_at": session["expires_at"], "revoked_at": None}, official, now)
    if principal is not None:
        principal["via"] = "session"
    return principal


def needs_touch(session: dict, now: datetime, every_seconds: float = 60) -> bool:
    """Whether to write a new ``last_seen`` (at most once a minute, not on every request)."""
    return session["last_seen"] + timedelta(seconds=every_seconds) <= now


# --- wrong passwords --------------------------------------------------------------------------

@dataclass(frozen=True)
class Throttle:
    """Why an attempt is refused before its password is looked at, and for how long."""
    reason: str              # "pair" or "client" (slowed down), "account" (locked until lifted)
    until: datetime


def throttle_keys(official_id: str, client: str) -> dict[str, str]:
    """The counters a sign-in attempt is held against, by kind: the (account, client) pair, the
    client address, the account."""
    account, client = official_id.strip().lower()[:100], client[:100]
    return {"pair": f"pair:{account}|{client}", "client": f"client:{client}", "account": f"account:{account}"}


def account_of(official_id: str) -> str:
    """The account part of the counters (what lifting an account's limit clears)."""
    return official_id.strip().lower()[:100]


def delay_seconds(failures: int, free: int, cap: float, first: float = 2) -> float:
    """How long after the last wrong password the next attempt must wait: nothing for the first
    ``free`` failures, then ``first`` seconds, doubling (2, 4, 8 ... by default), at most ``cap``."""
    if failures < free:
        return 0.0
    return float(min(cap, first * 2 ** min(failures - free, 40)))


def _live(counter: dict | None, now: datetime, settings: SignInSettings) -> dict | None:
    if counter and counter["last_at"] + timedelta(hours=settings.memory_hours) > now:
        return counter
    return None


def throttled(counters: dict[str, dict], keys: dict[str, str], now: datetime,
              settings: SignInSettings) -> Throttle | None:
    """Whether an attempt must wait (checked before the password, so a guess made while throttled
    tells nothing): the account's lock first, else the longest wait of the pair and the client."""
    account = _live(counters.get(keys["account"]), now, settings)
    if account and account.get("failures", 0) >= settings.account_limit:
        return Throttle("account", account["last_at"] + timedelta(hours=settings.memory_hours))
    waits = []
    for kind, free in (("pair", settings.pair_free), ("client", settings.client_free)):
        counter = _live(counters.get(keys[kind]), now, settings)
        if counter:
            until = counter["last_at"] + timedelta(seconds=delay_seconds(
                counter["failures"], free, settings.max_delay_seconds, settings.first_delay_seconds))
            if until > now:
                waits.append(Throttle(kind, until))
    return max(waits, key=lambda t: t.until) if waits else None


def after_failure(counter: dict | None, key: str, account: str | None, now: datetime, settings: SignInSettings) -> dict:
    """The counter after one more wrong password (afresh when the old one was forgotten)."""
    if _live(counter, now, settings):
        return {**counter, "failures": counter["failures"] + 1, "last_at": now}
    return {"_id": key, "account": account, "failures": 1, "first_at": now, "last_at": now}


# --- the audit of officials' credentials -------------------------------------------------------

ACCOUNT_ACTIONS = ("token_issued", "tokens_revoked", "password_link_issued", "sessions_ended",
                   "signin_limit_lifted")


def account_entry(action: str, actor: str, official_id: str, now: datetime, **detail) -> dict:
    """Who (an admin's official ID, or ``operator`` for the CLI) did what to whose credentials,
    when; never the credential itself."""
    assert action in ACCOUNT_ACTIONS, action
    # the id sorts by time to the microsecond: the store keeps ``at`` to the millisecond
    return {"_id": f"{now:%Y%m%dT%H%M%S%f}-{secrets.token_hex(6)}", "at": now, "action": action, "actor": actor,
            "official_id": official_id, "detail": detail}

"""Officials' sign-in in the browser, as plain rules: one-time password links, sessions with idle
and absolute expiry, and the wrong-password limit (per account and per client).

Only hashes of the link tokens and session ids are stored (``contract.auth.token_hash``); the
password itself is hashed with argon2 (``routing.passwords``), never here.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from contract.auth import token_hash
from routing.domain.registry import principal_for

PASSWORD_MIN = 10
PASSWORD_MAX = 200


@dataclass(frozen=True)
class SignInSettings:
    link_hours: int = 48
    session_hours: float = 12
    idle_minutes: float = 30
    account_limit: int = 5        # wrong passwords per account per window
    client_limit: int = 20        # wrong passwords per client address per window
    window_minutes: float = 15

    @classmethod
    def from_config(cls, config: dict) -> "SignInSettings":
        return cls(link_hours=int(config.get("OFFICIAL_PASSWORD_LINK_HOURS", 48)),
                   session_hours=float(config.get("OFFICIAL_SESSION_MAX_HOURS", 12)),
                   idle_minutes=float(config.get("OFFICIAL_SESSION_IDLE_MINUTES", 30)),
                   account_limit=int(config.get("SIGNIN_FAILURES_PER_ACCOUNT", 5)),
                   client_limit=int(config.get("SIGNIN_FAILURES_PER_CLIENT", 20)),
                   window_minutes=float(config.get("SIGNIN_FAILURE_WINDOW_MINUTES", 15)))


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


def password_problems(password: str, confirm: str, official_id: str) -> list[tuple[str, str, str]]:
    """What is wrong with a new password, as (code, English, Indonesian); empty when it is fine."""
    problems = []
    if len(password) < PASSWORD_MIN or len(password) > PASSWORD_MAX:
        problems.append(("length", f"Use {PASSWORD_MIN} to {PASSWORD_MAX} characters.",
                         f"Gunakan {PASSWORD_MIN} sampai {PASSWORD_MAX} karakter."))
    elif password.strip().lower() == official_id.lower() or len(set(password)) < 4:
        problems.append(("weak", "Choose a password that is not your ID and not one repeated character.",
                         "Pilih kata sandi yang bukan ID Anda dan bukan satu karakter berulang."))
    if password != confirm:
        problems.append(("mismatch", "The two passwords differ.", "Kedua kata sandi berbeda."))
    return problems


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

def throttle_keys(official_id: str, client: str) -> tuple[str, str]:
    """The two counters a sign-in attempt is held against: the account and the client address."""
    return f"account:{official_id.lower()[:100]}", f"client:{client[:100]}"


def locked_until(counter: dict | None, now: datetime, limit: int) -> datetime | None:
    """When a counter that reached its limit lets attempts through again (None: not locked)."""
    if counter and counter["window_end"] > now and counter["failures"] >= limit:
        return counter["window_end"]
    return None


def after_failure(counter: dict | None, key: str, now: datetime, window_minutes: float) -> dict:
    """The counter after one more wrong password (a fresh window when the old one has passed)."""
    if counter and counter["window_end"] > now:
        return {**counter, "failures": counter["failures"] + 1, "last_at": now}
    return {"_id": key, "failures": 1, "window_end": now + timedelta(minutes=window_minutes), "last_at": now}

"""Delivery rules: retries with exponential backoff, the dead letter, routes and redaction.

Pure functions; the courier applies them with the store and the channel clients.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from notification.exceptions import PermanentError

SMS_LIMIT = 160
SOCIAL_LIMIT = 280
ERROR_LIMIT = 500


@dataclass(frozen=True)
class RetryPolicy:
    """``max_attempts`` tries; the wait before try n+1 is ``base * 2**(n-1)``, capped."""
    max_attempts: int = 6
    base_seconds: float = 30.0
    max_seconds: float = 3600.0

    def delay(self, attempts: int) -> float:
        return min(self.max_seconds, self.base_seconds * 2 ** max(0, attempts - 1))


@dataclass(frozen=True)
class Outcome:
    """What to record after an attempt: status sent / queued (retry) / dead."""
    status: str
    attempts: int
    next_attempt_at: datetime | None
    error: str | None


def after_attempt(attempts_before: int, error: str | None, permanent: bool, policy: RetryPolicy,
                  now: datetime) -> Outcome:
    """The outcome of one attempt: sent, retried later, or dead-lettered after the last one."""
    attempts = attempts_before + 1
    if error is None:
        return Outcome("sent", attempts, None, None)
    if permanent or attempts >= policy.max_attempts:
        return Outcome("dead", attempts, None, error)
    return Outcome("queued", attempts, now + timedelta(seconds=policy.delay(attempts)), error)


def withheld(contact: dict) -> bool:
    """Whether a reporter's messages are withheld: they asked intake to erase their contact details, or
    the retention after closure erased them (intake.privacy); nothing is sent to them any more."""
    return bool(contact.get("erased"))


def reporter_route(contact: dict, planned: str) -> tuple[str, str]:
    """(channel, address) for a reporter: the reporter's chosen channel, else the planned one,
    else whatever address intake holds.  Raises PermanentError when none is usable."""
    addresses = {"email": contact.get("email"), "sms": contact.get("phone"),
                 "social": contact.get("handle") or contact.get("reporter_ref")}
    if contact.get("channel") != "social" and planned != "social":
        addresses["social"] = None  # only reporters who came in through a social channel get replies there
    for channel in (contact.get("channel"), planned, "email", "sms"):
        if channel in addresses and addresses[channel]:
            return channel, addresses[channel]
    raise PermanentError("the reporter has no contact for any channel")


# A gateway's own error text can echo the recipient's number or name in any spelling
# ("+62 821-4977-712"): it is never stored, logged or shown; the status code is classified instead.
_HTTP_CLASSES = {400: "request refused as invalid", 401: "credentials refused", 403: "credentials refused",
                 404: "address not found", 405: "method refused", 408: "timed out", 410: "address gone",
                 413: "message too large", 415: "format refused", 422: "request refused as invalid",
                 429: "rate limited", 504: "timed out"}
_SMTP_CLASSES = {421: "service closing", 450: "mailbox busy", 451: "local error", 452: "storage full",
                 530: "authentication required", 535: "authentication refused", 550: "mailbox unavailable",
                 551: "recipient not local", 552: "storage exceeded", 553: "mailbox name refused",
                 554: "transaction failed"}


def http_failure(what: str, status: int) -> str:
    """The stored error of an HTTP channel's refusal: status and its class, never the body."""
    label = _HTTP_CLASSES.get(status) or ("server error" if status >= 500 else "refused")
    return f"{what} answered HTTP {status} ({label})"


def smtp_failure(code: int) -> str:
    """The stored error of an SMTP refusal: the reply code and its class, never the reply text."""
    label = _SMTP_CLASSES.get(code) or ("temporary refusal" if 400 <= code < 500 else "refusal")
    return f"SMTP error {code} ({label})"


def redact(text: str, secrets: list[str | None]) -> str:
    """An error text safe to store and log: contact values replaced, length bounded."""
    for value in sorted((s for s in secrets if s and len(s) >= 3), key=len, reverse=True):
        text = text.replace(value, "[redacted]")
    return text[:ERROR_LIMIT]


def contact_values(contact: dict | None) -> list[str | None]:
    """Every identifying value of a reporter's contact (to keep out of errors and logs)."""
    if not contact:
        return []
    values = [contact.get(k) for k in ("name", "email", "phone", "handle")]
    phone = contact.get("phone")
    if phone:  # gateways echo numbers in other spellings
        digits = "".join(ch for ch in phone if ch.isdigit())
        values += [digits, digits[2:] if digits.startswith("62") else None, "0" + digits[2:] if digits.startswith("62") else None]
    return values


def fit(text: str, limit: int, what: str) -> str:
    """A short message within its limit; a longer one is a template defect, not a truncation."""
    text = " ".join(text.split())
    if len(text) > limit:
        raise PermanentError(f"{what} text is {len(text)} characters, over the {limit}-character limit")
    return text

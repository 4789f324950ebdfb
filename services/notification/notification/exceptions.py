"""Delivery failures, by whether trying again can help, and the admin API's errors."""
from __future__ import annotations

from pathlib import Path

from contract import http, i18n
from contract.auth import forbidden
from contract.errors import ApiError, translated

# error texts: the contract's shared ones, then notification's own (officials.yml: its API is officials')
TEXTS = i18n.catalogue(i18n.COMMON_MESSAGES, Path(__file__).parent / "officials.yml")


class DeliveryError(Exception):
    """A delivery attempt failed; the message says why (never a contact)."""

    permanent = False


class ClaimLocked(Exception):
    """A claim to take back is locked by a transaction its killed courier left open (recording that
    message's outcome); the store ends it after its transaction lifetime (60 s).  Not transient for
    the unit of work: the unit gives up at once, the claim is tried again at the next take-back."""


class TransientError(DeliveryError):
    """Worth retrying: a gateway down or slow, a 5xx, a temporary SMTP refusal."""


class PermanentError(DeliveryError):
    """Retrying cannot help until someone fixes something: dead-letter at once."""

    permanent = True


def not_dead(notification_id: str) -> ApiError:
    return ApiError([translated("notification_id", "conflict", TEXTS, "api.not_dead", notification_id=notification_id)],
                    status=409)


def invalid_recipient_ref() -> ApiError:
    return ApiError([translated("recipient_ref", "invalid", TEXTS, "api.invalid_recipient_ref")])


def invalid_tracking_id() -> ApiError:
    return ApiError([translated("tracking_id", "invalid", TEXTS, "api.invalid_tracking_id")])


def may_not_manage() -> ApiError:
    return forbidden("managing this recipient's notifications")


def unavailable() -> ApiError:
    """Where a report stands cannot be asked now (routing did not answer): the API's 503."""
    return http.unavailable()

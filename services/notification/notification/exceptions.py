"""Delivery failures, by whether trying again can help, and the admin API's errors."""
from __future__ import annotations

from contract.auth import forbidden
from contract.errors import ApiError, error


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
    return ApiError([error("notification_id", "conflict", f"Notification {notification_id} is not dead-lettered.",
                           f"Notifikasi {notification_id} tidak berada di antrean gagal.")], status=409)


def unknown(field: str, what: str, what_id: str) -> ApiError:
    return ApiError([error(field, "not_found", f"{what} not found.", f"{what_id} tidak ditemukan.")], status=404)


def invalid_recipient_ref() -> ApiError:
    return ApiError([error("recipient_ref", "invalid", "Not a valid recipient reference (e.g. unit:BLL-PUPR).",
                           "Referensi penerima tidak valid (mis. unit:BLL-PUPR).")])


def invalid_tracking_id() -> ApiError:
    return ApiError([error("tracking_id", "invalid", "This is not a valid tracking ID (example: ID-K7M4X-9XQ2B).",
                           "Ini bukan nomor pelacakan yang valid (contoh: ID-K7M4X-9XQ2B).")])


def may_not_manage() -> ApiError:
    return forbidden("managing this recipient's notifications")


def unavailable() -> ApiError:
    """Where a report stands cannot be asked now (routing did not answer)."""
    return ApiError([error(None, "unavailable")], status=503, headers={"Retry-After": "5"})

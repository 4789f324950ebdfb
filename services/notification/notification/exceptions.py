"""Delivery failures, by whether trying again can help, and the admin API's errors."""
from __future__ import annotations

from contract.errors import ApiError, error


class DeliveryError(Exception):
    """A delivery attempt failed; the message says why (never a contact)."""

    permanent = False


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

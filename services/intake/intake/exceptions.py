"""Intake's errors, in the contract's format (texts: intake's catalogue, ``api.*``)."""
from contract import errors, i18n

TEXTS = i18n.of_service("intake")


def report_not_found() -> errors.ApiError:
    return errors.not_found("tracking_id", "Report")


def invalid_tracking_id() -> errors.ApiError:
    return errors.ApiError([errors.translated("tracking_id", "invalid", TEXTS, "api.invalid_tracking_id")])


def wrong_secret(field: str = "secret") -> errors.ApiError:
    return errors.ApiError([errors.translated(field, "invalid_secret", TEXTS, "api.wrong_secret")], status=403)


def not_a_draft() -> errors.ApiError:
    return errors.ApiError([errors.translated("tracking_id", "conflict", TEXTS, "api.not_a_draft")], status=409)


def nothing_to_keep() -> errors.ApiError:
    return errors.ApiError([errors.translated("description", "required", TEXTS, "api.nothing_to_keep")])


def invalid_idempotency_key() -> errors.ApiError:
    return errors.ApiError([errors.translated("Idempotency-Key", "invalid", TEXTS, "api.invalid_idempotency_key")])


class RateLimited(errors.ApiError):
    status = 429

    def __init__(self, retry_after: int, who: str = "sender"):
        super().__init__([errors.translated(None, "rate_limited", TEXTS, f"rate_limited.{who}", seconds=retry_after)])
        self.headers = {"Retry-After": str(retry_after)}


def unknown_gateway() -> errors.ApiError:
    return errors.ApiError([errors.translated("Authorization", "unauthenticated", TEXTS, "api.unknown_gateway")],
                           status=401)


class Open311Error(Exception):
    """An Open311 error: answered as the standard's error list (``{code, description}``) with ``status``."""

    def __init__(self, status: int, *descriptions: str):
        super().__init__(descriptions)
        self.status, self.descriptions = status, descriptions


def relay_refused(code: str, hub: str, field: str, names=None) -> errors.ApiError:
    """409: the reporter's action on a report held at another hub cannot be sent there now (issue 19;
    ``contract.hubaction.relay_refused``, as followup's API answers it)."""
    from contract import hubaction
    return hubaction.relay_refused(code, hub, field, names)

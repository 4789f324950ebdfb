"""Routing's errors, in the contract's format (texts: routing's catalogue, ``api.*``)."""
from __future__ import annotations

from contract import errors, i18n
from routing.domain.workflow import ActionRefused

TEXTS = i18n.of_service("routing")
STATUS_OF_REFUSAL = {"conflict": 409, "forbidden": 403, "invalid": 400, "not_found": 404}


class StaleState(Exception):
    """The report changed between reading it and writing the action (a concurrent action)."""


class ConflictError(errors.ApiError):
    """409 with the actions the report's state allows, so a client can offer them."""

    def __init__(self, items: list[dict], allowed: list[str] | tuple = ()):
        super().__init__(items, status=409)
        self.allowed = list(allowed)

    def to_dict(self) -> dict:
        return {"errors": self.errors, "allowed_actions": self.allowed}


def refused(exc: ActionRefused, allowed: list[str] | None = None) -> errors.ApiError:
    """The contract error of a refused workflow action; a conflict carries ``allowed`` (the
    report's real allowed actions) when given, else the state machine's own list."""
    code = exc.reason or {"invalid": "invalid", "forbidden": "forbidden", "not_found": "not_found"}.get(exc.kind,
                                                                                                       "conflict")
    item = {**exc.item, "code": code}
    if exc.kind == "conflict":
        return ConflictError([item], exc.allowed if allowed is None else allowed)
    return errors.ApiError([item], status=STATUS_OF_REFUSAL[exc.kind])


def stale(allowed: list[str] | tuple) -> ConflictError:
    return ConflictError([errors.translated("version", "stale", TEXTS, "api.stale")], allowed)


def report_not_found() -> errors.ApiError:
    """Also the answer for a report outside the caller's scope: its existence is not revealed."""
    return errors.not_found("tracking_id", "Report")


def official_not_found() -> errors.ApiError:
    return errors.ApiError([errors.translated("official_id", "not_found", TEXTS, "api.official_not_found")], status=404)


class RegistryError(Exception):
    """A registry file that cannot be applied; carries contract error items."""

    def __init__(self, items: list[dict]):
        super().__init__(items)
        self.items = items

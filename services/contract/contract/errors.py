"""One error format for every API: ``{"errors": [{"field", "code", "message", "message_id"}]}``.

``message`` is English, ``message_id`` Bahasa Indonesia, from the contract's catalogue
(``api.error.<code>`` in ``messages.yml``, through ``contract.i18n``).  Marshmallow's messages are mapped to
stable codes from the message templates of the pinned marshmallow version.
"""
from __future__ import annotations

from typing import Any, Iterable

from marshmallow import ValidationError

from contract import i18n

# Prefixes of marshmallow 4.4 default messages -> code (checked by tests/unit/contract).
_MARSHMALLOW_PREFIXES = (
    ("Missing data for required field", "required"),
    ("Field may not be null", "null"),
    ("Unknown field", "unknown_field"),
    ("Not a valid", "invalid"),
    ("Invalid input type", "invalid"),
    ("Invalid value", "invalid"),
    ("Shorter than", "length"),
    ("Longer than", "length"),
    ("Length must be", "length"),
    ("Must be one of", "not_allowed"),
    ("Must be greater", "range"),
    ("Must be less", "range"),
    ("Must be at least", "range"),
    ("Must be at most", "range"),
    ("String does not match", "invalid"),
    ("Cannot be in the future", "range"),
)


class ApiError(Exception):
    """An error that reaches a caller in the contract's format, with an HTTP status."""

    status = 400

    def __init__(self, errors: list[dict], status: int | None = None, headers: dict | None = None):
        super().__init__(errors)
        self.errors = errors
        if status is not None:
            self.status = status
        if headers:
            self.headers = headers

    def to_dict(self) -> dict:
        return {"errors": self.errors}


def error(field: str | None, code: str, message: str | None = None, message_id: str | None = None) -> dict:
    """One error item; messages default to the code's standard texts."""
    en, id_ = standard_messages(code, default=code)
    return {"field": field, "code": code, "message": message or en, "message_id": message_id or id_}


def translated(field: str | None, code: str, catalogue, key: str, /, **values) -> dict:
    """One error item whose texts are a catalogue's ``key`` (contract.i18n): ``message`` in English,
    ``message_id`` in Bahasa Indonesia."""
    return error(field, code, catalogue.text(key, "en", **values), catalogue.text(key, "id", **values))


def standard_messages(code: str, default: str) -> tuple[str, str]:
    """(English, Indonesian) standard texts of an error code (``default`` for a code without any)."""
    key = f"api.error.{code}"
    if key not in i18n.common():
        return default, default
    return i18n.text(key, "en"), i18n.text(key, "id")


def not_found(field: str, what: str, what_id: str | None = None) -> ApiError:
    """404 naming ``what`` (English) and its Indonesian name (``what_id``, else the catalogue's
    ``api.thing.<what>``; a thing without one is "Data tidak ditemukan.", never mixed languages)."""
    key = f"api.thing.{what}"
    name_id = what_id or (i18n.text(key, "id") if key in i18n.common() else None)
    message_id = i18n.text("api.not_found", "id", thing=name_id) if name_id else i18n.text("api.not_found_any", "id")
    return ApiError([error(field, "not_found", i18n.text("api.not_found", "en", thing=what), message_id)], status=404)


def code_for(message: Any) -> str:
    if isinstance(message, dict) and "code" in message:
        return message["code"]
    text = str(message)
    for prefix, code in _MARSHMALLOW_PREFIXES:
        if text.startswith(prefix):
            return code
    return "invalid"


def _flatten(messages: Any, prefix: str = "") -> Iterable[tuple[str, Any]]:
    if isinstance(messages, dict) and not ("code" in messages and "message" in messages):
        for key, value in messages.items():
            name = str(key) if key != "_schema" else ""
            yield from _flatten(value, f"{prefix}.{name}" if prefix and name else (name or prefix))
    elif isinstance(messages, list):
        for item in messages:
            yield from _flatten(item, prefix)
    else:
        yield prefix, messages


def from_validation_error(exc: ValidationError) -> ApiError:
    """The contract error for a marshmallow ValidationError, one item per problem."""
    items = []
    for field, message in _flatten(exc.messages):
        code = code_for(message)
        if isinstance(message, dict):
            items.append(error(field or None, code, message.get("message"), message.get("message_id")))
        else:
            en_default, id_default = standard_messages(code, default=str(message))
            items.append(error(field or None, code, str(message), id_default))
    return ApiError(items, status=400)

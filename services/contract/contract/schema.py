"""The base of every marshmallow schema at a boundary: text no store can encode is refused.

A lone UTF-16 surrogate (``"\\ud800"``) is valid JSON, so it reaches a service through an HTTP
body, an RPC argument (kombu's JSON) or an event payload alike; BSON cannot encode it, so before
this check it surfaced as a 500 from the store.  ``contract.inputs`` already refuses it in decoded
HTTP bodies; this base class refuses it in *whatever* a schema loads, whichever way it arrived, as
a ``ValidationError`` naming the field (``reporter.name``, ``items.0.text``), which
``contract.errors.from_validation_error`` turns into the API's error format.

Every service schema derives from ``contract.schema.Schema`` instead of ``marshmallow.Schema``
(``tests/unit/contract/test_schema.py`` checks that none is missed).
"""
from __future__ import annotations

from typing import Any

import marshmallow
from marshmallow import ValidationError, post_load, pre_load

from contract import inputs


def unencodable_field(document: Any) -> str | None:
    """The dotted name of the first text in ``document`` that holds a lone surrogate ("" for the
    document itself), or None when every text (values and keys) is encodable."""
    stack: list[tuple[Any, str]] = [(document, "")]
    while stack:
        value, path = stack.pop()
        if isinstance(value, str):
            if inputs.has_surrogate(value):
                return path
        elif isinstance(value, (dict, list, tuple)):
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if isinstance(key, str) and inputs.has_surrogate(key):
                    return path
                stack.append((item, f"{path}.{key}" if path else str(key)))
    return None


def unstorable_number_field(document: Any) -> str | None:
    """The dotted name of the first integer in ``document`` the store cannot hold (beyond int64, "" for
    the document itself), or None."""
    stack: list[tuple[Any, str]] = [(document, "")]
    while stack:
        value, path = stack.pop()
        if isinstance(value, int) and not isinstance(value, bool):
            if not inputs.INT64[0] <= value <= inputs.INT64[1]:
                return path
        elif isinstance(value, (dict, list, tuple)):
            items = value.items() if isinstance(value, dict) else enumerate(value)
            stack.extend((item, f"{path}.{key}" if path else str(key)) for key, item in items)
    return None


def _refusal(field: str, error) -> ValidationError:
    item = error.errors[0]
    return ValidationError({field or "_schema": [{k: item[k] for k in ("code", "message", "message_id")}]})


class Schema(marshmallow.Schema):
    """``marshmallow.Schema`` that refuses unencodable text and integers beyond the store's (int64) with
    a 400 naming the field: either would otherwise surface as a 500 from the store."""

    @pre_load(pass_collection=True)
    def _refuse_unencodable_text(self, data: Any, **kwargs) -> Any:
        field = unencodable_field(data)
        if field is not None:
            raise _refusal(field, inputs.unencodable(field or None))
        return data

    @post_load(pass_collection=True)
    def _refuse_unstorable_numbers(self, data: Any, **kwargs) -> Any:
        # after loading: "99999999999999999999" in a query string is an int only once a field loaded it
        field = unstorable_number_field(data)
        if field is not None:
            raise _refusal(field, inputs.unstorable_number(field or None))
        return data

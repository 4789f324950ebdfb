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
from marshmallow import ValidationError, pre_load

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


class Schema(marshmallow.Schema):
    """``marshmallow.Schema`` that refuses unencodable text with a 400 naming the field."""

    @pre_load(pass_collection=True)
    def _refuse_unencodable_text(self, data: Any, **kwargs) -> Any:
        field = unencodable_field(data)
        if field is not None:
            item = inputs.unencodable(field or None).errors[0]
            raise ValidationError({field or "_schema": [{k: item[k] for k in ("code", "message", "message_id")}]})
        return data

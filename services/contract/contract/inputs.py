"""Checks every decoded outside document passes before a schema sees it.

A JSON or YAML body is a tree; two kinds of tree break things past the schema:
- one nested far deeper than any form of ours (the decoders recurse: ~1,000 levels raise
  ``RecursionError``, a 500 before this check),
- text holding a lone UTF-16 surrogate (``"\\ud800"`` is valid JSON), which no store can encode.
Both are refused here with a 400 in the contract's error format naming the field.
"""
from __future__ import annotations

import json
import re
from typing import Any

from contract import errors, i18n

# What marshmallow's fields.Url(schemes={"http", "https"}, require_tld=False) accepts, said for the
# OpenAPI document (host names, with or without dots, an optional port and path; IP addresses)
_LABEL = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
HTTP_URL_PATTERN = (rf"^https?://(?:(?:{_LABEL}\.)+[A-Za-z0-9-]{{2,}}|{_LABEL}|[0-9]{{1,3}}(?:\.[0-9]{{1,3}}){{3}})"
                    rf"(?::[0-9]{{1,5}})?(?:/[!-~]*)?$")

MAX_DEPTH = 32  # our deepest form (a registry import) nests 4 levels
_SURROGATE = re.compile("[\ud800-\udfff]")


def too_deep(field: str | None = None) -> errors.ApiError:
    return errors.ApiError([errors.translated(field, "too_deep", i18n.common(), "api.nested_too_deep",
                                              depth=MAX_DEPTH)])


def unencodable(field: str | None) -> errors.ApiError:
    return errors.ApiError([errors.translated(field, "invalid", i18n.common(), "api.lone_surrogate")])


INT64 = (-2**63, 2**63 - 1)  # the store's integers (BSON int64): a larger one is an OverflowError there


def unstorable_number(field: str | None) -> errors.ApiError:
    return errors.ApiError([errors.translated(field, "range", i18n.common(), "api.number_too_large")])


def has_surrogate(text: str) -> bool:
    return _SURROGATE.search(text) is not None


def check_tree(document: Any) -> Any:
    """``document`` unchanged, or an ApiError for too deep a nesting or a lone surrogate (field named)."""
    stack: list[tuple[Any, str, int]] = [(document, "", 0)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, str):
            if has_surrogate(value):
                raise unencodable(path or None)
            continue
        if not isinstance(value, (dict, list)):
            continue
        if depth >= MAX_DEPTH:
            raise too_deep(path or None)
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            name = str(key)
            if isinstance(key, str) and has_surrogate(key):
                raise unencodable(path or None)
            stack.append((item, f"{path}.{name}" if path else name, depth + 1))
    return document


def loads_json(raw: bytes | str) -> Any:
    """JSON text decoded and checked (see ``check_tree``); ApiError ``invalid_json`` when it is not JSON."""
    try:
        document = json.loads(raw or b"null")
    except RecursionError:
        raise too_deep()
    except (ValueError, UnicodeDecodeError):
        raise errors.ApiError([errors.error(None, "invalid_json")])
    return check_tree(document)

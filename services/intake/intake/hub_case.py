"""The owner hub's case as the origin hub keeps it (issue 19, "the citizen keeps one place").

A forwarded report's case lives at the owner hub; its statuses carry the case's state back
(``contract.hubaction.CASE_FIELDS``: status, stage, deadline, indicator, reopening window,
rating, and an official's message). The origin keeps the latest in ``report["hub_case"]`` and the
conversation in ``hub_case["messages"]`` (the owner's messages and the reporter's own relayed
actions), so its tracking page shows them and offers the reporter's actions. Plain functions.
"""
from __future__ import annotations

from datetime import datetime

from contract.hubaction import CASE_FIELDS

MESSAGE_FIELDS = ("message_id", "message_kind", "message_body", "message_at")
# the status step -> the indicator it implies when the status does not say (the owner's clock)
INDICATOR_OF_STEP = {"case_opened": "green", "reopened": "green", "due_soon": "yellow", "overdue": "red"}
MAX_MESSAGES = 200


def _time(value):
    if isinstance(value, datetime) or not value:
        return value
    try:
        return datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None


def public_detail(detail: dict) -> dict:
    """A status detail as the history keeps it: never an official's message (the history is public)."""
    return {k: v for k, v in detail.items() if k not in MESSAGE_FIELDS}


def merged(current: dict | None, step: str, detail: dict, at: datetime) -> dict:
    """The case after the owner's ``step`` (a status not older than the last one applied)."""
    case = dict(current or {})
    messages = list(case.get("messages") or [])
    for key in CASE_FIELDS:
        if key in MESSAGE_FIELDS or detail.get(key) is None:
            continue
        value = detail[key]
        case[key] = _time(value) if key in ("due_at", "overall_due_at", "reopen_until") else value
    if "indicator" not in detail and step in INDICATOR_OF_STEP:
        case["indicator"] = INDICATOR_OF_STEP[step]
    if step == "closed":
        case["case_status"] = "closed"
    case["updated_at"] = at
    with_message = add_message(messages, detail.get("message_id"), detail.get("message_kind") or "update",
                               "official", detail.get("message_body"), _time(detail.get("message_at")) or at)
    case["messages"] = with_message
    return case


def add_message(messages: list[dict], message_id: str | None, kind: str, author_role: str, body: str | None,
                at: datetime) -> list[dict]:
    """``messages`` with one more (once per ``message_id``; nothing without a body)."""
    if not body or not message_id or any(m.get("message_id") == message_id for m in messages):
        return messages
    return [*messages, {"message_id": message_id, "kind": kind, "author_role": author_role, "body": body,
                        "at": at}][-MAX_MESSAGES:]

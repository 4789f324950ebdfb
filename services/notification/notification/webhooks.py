"""Webhooks to subscribed systems: which events they get, what the body holds, how it is signed.

Signature (``contract.signing``: channel gateways sign into intake the same way):
``X-Lapor-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`` with ``X-Lapor-Timestamp: <unix seconds>``; receivers recompute it and reject a timestamp older than
their tolerance (:func:`verify`, 300 s by default), so a captured request cannot be replayed.
The body holds workflow facts only: no reporter reference, no report text.
"""
from __future__ import annotations

import json
import secrets
import time
from datetime import datetime

from contract.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, TOLERANCE_SECONDS, sign, verify  # noqa: F401

EVENT_HEADER = "X-Lapor-Event"
DELIVERY_HEADER = "X-Lapor-Delivery"
BODY_FIELDS = ("tracking_id", "origin_hub", "hub", "agency_code", "unit_code", "queue", "stage", "due_at",
               "indicator", "level", "escalated_to_role", "category_code", "region_code", "until",
               "on_time", "rating", "sla_working_days")


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def matches(subscription: dict, event_type: str, event: dict) -> bool:
    """Whether an active subscription wants this event (by type, and agency when it names one)."""
    if not subscription.get("active", True):
        return False
    wanted = subscription.get("events") or []
    if wanted and event_type not in wanted:
        return False
    agency = subscription.get("agency_code")
    return not agency or event.get("agency_code") == agency


def body(notification: dict) -> bytes:
    """The JSON body delivered for a webhook notification (stable key order)."""
    context = notification.get("context", {})
    occurred = notification.get("occurred_at")
    document = {"event": notification["source_event"], "event_id": notification["source_event_id"],
                "delivery_id": notification["_id"],
                "occurred_at": occurred.isoformat() if isinstance(occurred, datetime) else occurred,
                **{k: context[k] for k in BODY_FIELDS if context.get(k) is not None},
                "tracking_id": notification["tracking_id"], "hub": notification["hub"]}
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def headers(secret: str, payload: bytes, event: str, delivery_id: str, now: float | None = None) -> dict:
    timestamp = int(now if now is not None else time.time())
    return {"Content-Type": "application/json", TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: sign(secret, timestamp, payload), EVENT_HEADER: event, DELIVERY_HEADER: delivery_id}

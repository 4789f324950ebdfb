"""Consuming events: validate against the contract, apply once, count the outcome.

Handlers are declared with ``requeue_on_error=True`` so a crash (store briefly unreachable)
redelivers the event; idempotency (``Repository.once``) makes the redelivery harmless.  A
payload that breaks the contract is rejected, logged and counted instead of looping forever.
"""
from __future__ import annotations

import logging
from typing import Callable

from marshmallow import ValidationError

from contract import events

log = logging.getLogger(__name__)


class RejectEvent(Exception):
    """Raised by an ``apply`` function for an event that can never be applied."""


def consume(metrics, event_type: str, payload: dict, apply: Callable[[dict], bool]) -> None:
    try:
        event = events.load(event_type, payload)
    except ValidationError as exc:
        log.error("rejected %s %s: %s", event_type, payload.get("event_id") if isinstance(payload, dict) else None,
                  exc.messages)
        metrics.event_handled(event_type, "rejected")
        return
    try:
        applied = apply(event)
    except RejectEvent as exc:
        log.error("rejected %s %s: %s", event_type, event["event_id"], exc)
        metrics.event_handled(event_type, "rejected")
        return
    metrics.event_handled(event_type, "applied" if applied else "duplicate")

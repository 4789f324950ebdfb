"""Intake's I/O for the registry parts hubs publish (``contract.hubregistry``): a ``registry`` hub
message from ``lapor.hubs.in`` loaded through its schema (dead-lettered when it breaks it), handled
in a unit of work retried through a short outage, counted by outcome like every hub message."""
from __future__ import annotations

import logging

from marshmallow import ValidationError

from contract import hubnet, hubregistry
from intake import hub_metrics
from intake.hub_link import DeadLetter, with_backoff

log = logging.getLogger(__name__)


def is_publication(body) -> bool:
    return isinstance(body, dict) and body.get("kind") == hubregistry.KIND


def receive(store, handler, body, user_id=None) -> str:
    """Load a publication and run ``handler(uow, message)`` on it; DeadLetter (the queue dead-letters
    the message) when it is malformed or not believed."""
    if isinstance(user_id, bytes):
        user_id = user_id.decode("utf-8", "replace")
    link = hubnet.link_of(user_id)
    try:
        message = hubregistry.load(body)
    except ValidationError as exc:
        log.error("registry publication dead-lettered: %s", exc.messages)
        hub_metrics.received(link or "unknown", hubregistry.KIND, "dead_lettered")
        hubregistry.count_refused(str(body.get("owner_hub")), str(body.get("part")), "invalid")
        raise DeadLetter(str(exc.messages))
    message["wire"] = {"version": body["schema_version"], "user_id": user_id, "link": link, "body": body}
    try:
        outcome = with_backoff(lambda: store.run(handler, message))
    except DeadLetter:
        hub_metrics.received(message["hops"][-1], hubregistry.KIND, "dead_lettered")
        raise
    hub_metrics.received(message["hops"][-1], hubregistry.KIND, outcome)
    return outcome

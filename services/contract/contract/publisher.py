"""Who published an event: a consumer applies an event only from the service that owns its type.

Every service publishes as a broker user of its own (``contract.brokeracl``: ``lapor-<service>``),
and the outbox relay sets the AMQP ``user_id`` property of each message to that user. RabbitMQ
refuses a publish whose ``user_id`` is not the publishing connection's user, so ``user_id`` says who
published. A consumer that itself runs as its own user (production, ``make run``) applies an event
only when ``user_id`` is the user of the event type's source (``case_closed``: ``lapor-followup``); an
event published by anyone else, the operator's account included, is dead-lettered with the reason
and changes nothing (issue 20: a ``case_closed`` forged with the operator's account left intake
saying ``closed`` while follow-up said ``open``). A service run with the operator's account for
everything (the integration tests' containers) cannot tell publishers apart, and does not check.

Replays: a dead letter is replayed by the operator (``contract.deadletters``), not by its publisher.
When a consumer dead-letters an event it records the publisher it saw (``x-lapor-publisher``) and
seals that record with an HMAC keyed by its own broker credentials (``x-lapor-seal``), which the
operator's replay carries back unchanged; the consumer trusts a replayed event's publisher only when
the seal is its own. Whoever could make a valid seal holds the consumer's credentials, and could act
as that service anyway. A message the broker dead-lettered itself (the delivery limit) has no seal,
so its replay is refused in a service that checks; its source must publish it again.
"""
from __future__ import annotations

import hashlib
import hmac
from urllib.parse import unquote, urlparse

from contract import brokeracl, events as catalogue

PUBLISHER_HEADER = "x-lapor-publisher"
SEAL_HEADER = "x-lapor-seal"


def credentials(amqp_uri: str) -> tuple[str, str]:
    """(user, password) of an AMQP URI (the first of a failover list)."""
    first = urlparse(str(amqp_uri).split(";")[0])
    return unquote(first.username or "guest"), unquote(first.password or "")


def _text(value) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value if isinstance(value, str) else ""


class Publishers:
    """The check a consumer makes, built once from its service name and AMQP URI."""

    def __init__(self, service: str, amqp_uri: str):
        self.service = service
        self.user, password = credentials(amqp_uri)
        self.checked = self.user == brokeracl.user(service)  # running as its own user
        self._key = hashlib.sha256(f"lapor-seal:{self.user}:{password}".encode()).digest()

    def seal(self, event_type: str, publisher: str, body: bytes) -> str:
        digest = hashlib.sha256(body if isinstance(body, bytes) else str(body).encode()).hexdigest()
        return hmac.new(self._key, f"{event_type}\n{publisher}\n{digest}".encode(), hashlib.sha256).hexdigest()

    def publisher(self, message, event_type: str) -> str:
        """Who published the message: its validated ``user_id``, or for a replayed dead letter the
        publisher this consumer recorded and sealed when it dead-lettered it."""
        headers = message.headers or {}
        recorded, seal = _text(headers.get(PUBLISHER_HEADER)), _text(headers.get(SEAL_HEADER))
        if seal and hmac.compare_digest(seal, self.seal(event_type, recorded, message.body)):
            return recorded
        return _text((message.properties or {}).get("user_id"))

    def refused(self, message, event_type: str | None) -> str | None:
        """Why the message must not be applied (dead-lettered at once), or None."""
        if not self.checked or not event_type or event_type not in catalogue.CATALOGUE:
            return None  # an unknown event type is refused by handle_batch with its own reason
        expected = brokeracl.user(catalogue.source_of(event_type))
        publisher = self.publisher(message, event_type)
        if publisher == expected:
            return None
        return f"publisher: {event_type} is published by {expected} only, not by {publisher or 'an unnamed user'}"

    def record(self, message, event_type: str | None) -> dict:
        """The headers a dead letter keeps: who published it, sealed by this consumer."""
        publisher = self.publisher(message, event_type or "")
        return {PUBLISHER_HEADER: publisher, SEAL_HEADER: self.seal(event_type or "", publisher, message.body)}

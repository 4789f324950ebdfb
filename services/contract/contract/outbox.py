"""The outbox relay: publishes staged events once the write that caused them is durable.

Entrypoints stage events in the outbox collection in the same transaction as their write,
then call ``outbox.wake()``.  A managed thread per container publishes pending events to the
service's nameko event exchange (persistent, with publisher confirms, ``mandatory`` so an event
nobody is bound to yet stays pending) and marks them dispatched.  While RabbitMQ is down,
events wait in the store and are retried with backoff: nothing accepted is lost.
"""
from __future__ import annotations

import logging
import time
from datetime import timedelta

from kombu import Exchange
from nameko.amqp.publish import Publisher, UndeliverableMessage
from nameko.constants import AMQP_URI_CONFIG_KEY, PERSISTENT
from nameko.extensions import DependencyProvider
from nameko.standalone.events import get_event_exchange

from contract import metrics
from contract.loop import WakeableLoop
from contract.store import DEFAULT_URI, OUTBOX, acquire_client, database_name, release_client, utcnow

log = logging.getLogger(__name__)

BATCH = 200
POLL_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 30.0
# An event no queue is bound to is retried this many times (about 17 minutes with the backoff),
# then kept in the outbox marked ``unrouted`` (not lost: it can be replayed) and no longer retried.
UNROUTED_GIVE_UP_ATTEMPTS = 40


def backoff(attempts: int) -> float:
    """Seconds to wait before attempt ``attempts + 1`` (0.25 s doubling, capped)."""
    return min(MAX_BACKOFF_SECONDS, 0.25 * 2 ** max(0, attempts - 1))


class OutboxHandle:
    def __init__(self, relay: "OutboxRelay"):
        self._relay = relay

    def wake(self) -> None:
        """Ask the relay to publish now rather than at its next poll."""
        self._relay.wake()

    def pending(self) -> int:
        return self._relay.collection.count_documents({"dispatched_at": None})


class OutboxRelay(DependencyProvider):
    def setup(self):
        config = self.container.config
        self.service_name = self.container.service_name
        self.uri = config.get("MONGODB_URI") or DEFAULT_URI
        database = database_name(config, self.service_name)
        self.client = acquire_client(self.uri)
        self.collection = self.client[database][OUTBOX]
        self.exchange = get_event_exchange(self.service_name, config)
        self.publisher = Publisher(
            config[AMQP_URI_CONFIG_KEY], use_confirms=True, delivery_mode=PERSISTENT,
            mandatory=True, retry=False, serializer=config.get("serializer", "json"))
        self._next_backlog_count = 0.0
        self.loop = WakeableLoop(f"{self.service_name}.outbox_relay", self.relay_once, POLL_SECONDS)

    def start(self):
        self.loop.start(self.container)

    def stop(self):
        self.loop.stop()
        release_client(self.uri)

    def kill(self):
        self.loop.stop()
        release_client(self.uri)

    def get_dependency(self, worker_ctx):
        return OutboxHandle(self)

    def wake(self):
        self.loop.wake()

    def relay_once(self) -> bool:
        """Publish one batch of due events; True when more may be waiting."""
        now = utcnow()
        due = list(self.collection.find(
            {"dispatched_at": None, "next_attempt_at": {"$lte": now}},
        ).sort([("next_attempt_at", 1)]).limit(BATCH))
        published = []
        for entry in due:
            outcome = self._publish(entry)
            if outcome == "published":
                published.append(entry)
            elif outcome == "broker_down":
                break
        if published:
            # one write for the whole pass; a crash before it re-publishes (consumers are idempotent)
            self.collection.update_many({"_id": {"$in": [e["_id"] for e in published]}},
                                        {"$set": {"dispatched_at": utcnow()}, "$inc": {"attempts": 1}})
            for entry in published:
                metrics.EVENTS_PUBLISHED.labels(self.service_name, entry["event_type"]).inc()
                metrics.EVENT_RELAY_DELAY.labels(self.service_name).observe(
                    (now - entry["created_at"]).total_seconds())
        self._update_backlog_gauge()
        return len(due) == BATCH

    def _update_backlog_gauge(self) -> None:
        if time.monotonic() < self._next_backlog_count:
            return
        self._next_backlog_count = time.monotonic() + 1.0
        try:
            backlog = self.collection.count_documents({"dispatched_at": None})
            metrics.OUTBOX_BACKLOG.labels(self.service_name).set(backlog)
        except Exception:
            log.warning("could not count the outbox backlog", exc_info=True)

    def _publish(self, entry: dict) -> str:
        """Publish one entry: 'published', 'unrouted' (retry later) or 'broker_down' (stop this pass)."""
        event_type = entry["event_type"]
        exchange, routing_key, properties = self.exchange, event_type, {}
        if entry.get("exchange"):  # a message for another exchange (a hub link, contract.hubnet)
            exchange = Exchange(entry["exchange"], type="direct", durable=True)
            routing_key, properties = entry["routing_key"], entry.get("properties") or {}
        try:
            self.publisher.publish(
                entry["payload"], exchange=exchange, routing_key=routing_key,
                declare=[exchange], **properties)
        except UndeliverableMessage:
            metrics.EVENTS_UNROUTED.labels(self.service_name, event_type).inc()
            if entry.get("attempts", 0) + 1 >= UNROUTED_GIVE_UP_ATTEMPTS:
                log.warning("outbox: %s %s has no consumer after %d attempts; kept as unrouted",
                            event_type, entry["_id"], UNROUTED_GIVE_UP_ATTEMPTS)
                self.collection.update_one({"_id": entry["_id"]}, {"$set": {
                    "dispatched_at": utcnow(), "unrouted": True,
                    "last_error": "no queue was bound for this event"}, "$inc": {"attempts": 1}})
            else:
                self._retry_later(entry, "no queue is bound for this event yet")
            return "unrouted"
        except Exception as exc:  # broker unreachable or channel error
            self._retry_later(entry, f"{type(exc).__name__}: {exc}")
            metrics.EVENT_PUBLISH_FAILURES.labels(self.service_name, event_type).inc()
            log.warning("outbox: publishing %s failed, will retry: %s", event_type, exc)
            return "broker_down"
        self.published(entry)
        return "published"

    def published(self, entry: dict) -> None:
        """Called once an entry is confirmed by the broker (subclasses count their own metrics)."""

    def _retry_later(self, entry: dict, reason: str) -> None:
        attempts = entry.get("attempts", 0) + 1
        self.collection.update_one({"_id": entry["_id"]}, {"$set": {
            "attempts": attempts, "last_error": reason,
            "next_attempt_at": utcnow() + timedelta(seconds=backoff(attempts))}})

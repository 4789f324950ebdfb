"""The outbox relay: publishes staged events once the write that caused them is durable.

Entrypoints stage events in the outbox collection in the same transaction as their write; the
commit wakes the relay (``contract.uow.wake_relay``) and hands it the entries it committed.
A managed thread per container publishes pending events to the service's nameko event exchange
(persistent, with publisher confirms, ``mandatory`` so an event nobody is bound to yet stays
pending) and marks them dispatched.  While RabbitMQ is down, events wait in the store and are
retried with backoff: nothing accepted is lost.

Store work per pass: the entries handed over by this process's commits are published without being
read back; the store is read for due entries only on the first pass, every ``IDLE_POLL_SECONDS``
(entries staged by another process, a crash's leftovers) and when a retry is due.  Published entries
are marked dispatched with one ``update_many`` for up to ``MARK_DELAY_SECONDS`` of passes (always
before the store is read again).  A crash before that write publishes them again on restart: every
consumer is idempotent (``processed_events``).
"""
from __future__ import annotations

import logging
import time
from datetime import timedelta

from nameko.constants import AMQP_URI_CONFIG_KEY
from nameko.extensions import DependencyProvider
from nameko.standalone.events import get_event_exchange

from contract import metrics, uow
from contract import publisher as publisher_identity
from contract.confirms import BatchPublisher
from contract.loop import WakeableLoop
from contract.store import DEFAULT_URI, acquire_client, database_name, release_client, utcnow
from contract.uow import OUTBOX

log = logging.getLogger(__name__)

BATCH = 200
BACKLOG_COUNT_SECONDS = 5.0  # the pending-events gauge is counted in the store at most this often
MARK_DELAY_SECONDS = 0.5  # published entries are marked dispatched together, at most this much later
# commits in this process wake the relay; the poll is the safety net (events staged by another
# process, e.g. a CLI, and retries, which set their own earlier wake-up)
IDLE_POLL_SECONDS = 15.0
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
        self.database = database = database_name(config, self.service_name)
        self.client = acquire_client(self.uri, self.service_name)
        self.collection = self.client[database][OUTBOX]
        self.exchange = get_event_exchange(self.service_name, config)
        self.publisher = BatchPublisher(config[AMQP_URI_CONFIG_KEY])
        # each event says who published it (validated by the broker; contract.publisher)
        self.user_id = publisher_identity.credentials(config[AMQP_URI_CONFIG_KEY])[0]
        self._next_backlog_count = 0.0
        self._retry_at = float("inf")
        self._fresh: list[dict] = []  # entries committed in this process, handed over by the commit
        self._poll_at = 0.0  # the next read of the store for due entries (at once on start)
        self._unmarked: list = []  # ids published but not yet marked dispatched
        self._mark_at = float("inf")
        self.loop = WakeableLoop(f"{self.service_name}.outbox_relay", self.relay_once, self._next_pass_in)

    def start(self):
        uow.register_relay(self.database, self.wake)
        self.loop.start(self.container)

    def stop(self):
        uow.unregister_relay(self.database, self.wake)
        self.loop.stop()
        self._mark_published()
        self.publisher.close()
        release_client(self.uri, self.service_name)

    def kill(self):
        uow.unregister_relay(self.database, self.wake)
        self.loop.stop()
        self.publisher.close()
        release_client(self.uri, self.service_name)

    def get_dependency(self, worker_ctx):
        return OutboxHandle(self)

    def wake(self, entries: list[dict] | None = None):
        """Publish soon; ``entries``: outbox documents just committed (published without a read)."""
        if entries:
            self._fresh.extend(entries)
        else:
            self._poll_at = 0.0
        self.loop.wake()

    def _due(self, now) -> list[dict]:
        """The entries to publish in this pass: those handed over, else (when a read is due) the store's."""
        if self._retry_at <= time.monotonic():
            self._retry_at, self._poll_at = float("inf"), 0.0
        if time.monotonic() < self._poll_at:
            due, self._fresh = self._fresh[:BATCH], self._fresh[BATCH:]
            return due
        self._mark_published()  # what the store says is pending must not include what was published
        self._poll_at = time.monotonic() + IDLE_POLL_SECONDS
        due = list(self.collection.find(
            {"dispatched_at": None, "next_attempt_at": {"$lte": now}},
        ).sort([("next_attempt_at", 1)]).limit(BATCH))
        found = {e["_id"] for e in due}
        self._fresh = [e for e in self._fresh if e["_id"] not in found]
        if len(due) == BATCH:
            self._poll_at = 0.0  # more may be waiting in the store
        return due

    def _mark_published(self) -> None:
        """One write for every entry published since the last: dispatched."""
        if not self._unmarked:
            return
        ids, self._unmarked, self._mark_at = self._unmarked, [], float("inf")
        self.collection.update_many({"_id": {"$in": ids}}, {"$set": {"dispatched_at": utcnow()},
                                                            "$inc": {"attempts": 1}})

    def relay_once(self) -> bool:
        """Publish one batch of due events (one wait for all their confirms; marked dispatched together
        with the next passes'); True when more may be waiting."""
        now = utcnow()
        due = self._due(now)
        if not due:
            if time.monotonic() >= self._mark_at:
                self._mark_published()
            self._update_backlog_gauge()
            return bool(self._fresh)
        outcomes = self.publisher.publish([self._message(e) for e in due])
        published = [e for e in due if outcomes[e["_id"]] == "published"]
        if published:
            # marked in one write with the next passes'; a crash before it re-publishes (consumers are idempotent)
            self._unmarked.extend(e["_id"] for e in published)
            self._mark_at = min(self._mark_at, time.monotonic() + MARK_DELAY_SECONDS)
            if len(self._unmarked) >= BATCH or time.monotonic() >= self._mark_at:
                self._mark_published()
            for entry in published:
                self.published(entry)
                metrics.EVENTS_PUBLISHED.labels(self.service_name, entry["event_type"]).inc()
                metrics.EVENT_RELAY_DELAY.labels(self.service_name).observe(
                    (now - entry["created_at"]).total_seconds())
        for entry in due:
            if outcomes[entry["_id"]] == "unrouted":
                self._unrouted(entry)
        failed = [e for e in due if outcomes[e["_id"]] == "failed"]
        if failed:  # broker unreachable: one write puts the pass's failures back with a backoff
            log.warning("outbox: %d event(s) not confirmed by the broker; retrying later", len(failed))
            retry_in = backoff(min(e.get("attempts", 0) for e in failed) + 1)
            self.collection.update_many({"_id": {"$in": [e["_id"] for e in failed]}}, {
                "$set": {"last_error": "the broker did not confirm the event",
                         "next_attempt_at": utcnow() + timedelta(seconds=retry_in)}, "$inc": {"attempts": 1}})
            for entry in failed:
                metrics.EVENT_PUBLISH_FAILURES.labels(self.service_name, entry["event_type"]).inc()
            self._retry_at = min(self._retry_at, time.monotonic() + retry_in)
        self._update_backlog_gauge()
        return not failed and (bool(self._fresh) or self._poll_at == 0.0)

    def _message(self, entry: dict) -> dict:
        """What to publish for an outbox entry: an event on the service's exchange, or a message for
        another exchange (a hub link, contract.hubnet) with its routing key and properties."""
        if entry.get("exchange"):
            return {"key": entry["_id"], "exchange": entry["exchange"], "exchange_type": "direct",
                    "routing_key": entry["routing_key"], "body": entry["payload"],
                    "properties": entry.get("properties") or {}}
        return {"key": entry["_id"], "exchange": self.exchange.name, "exchange_type": "topic",
                "routing_key": entry["event_type"], "body": entry["payload"],
                "properties": {"user_id": self.user_id}}

    def _next_pass_in(self) -> float:
        """Idle: a long poll (commits wake the relay); sooner when a retry or a marking is due."""
        if self._retry_at <= time.monotonic():
            self._retry_at = float("inf")
            self._poll_at = 0.0
        return max(0.05, min(IDLE_POLL_SECONDS, self._retry_at - time.monotonic(),
                             self._mark_at - time.monotonic()))

    def _update_backlog_gauge(self) -> None:
        if time.monotonic() < self._next_backlog_count:
            return
        self._next_backlog_count = time.monotonic() + BACKLOG_COUNT_SECONDS
        try:
            backlog = self.collection.count_documents({"dispatched_at": None})
            metrics.OUTBOX_BACKLOG.labels(self.service_name).set(backlog)
        except Exception:
            log.warning("could not count the outbox backlog", exc_info=True)

    def _unrouted(self, entry: dict) -> None:
        event_type = entry["event_type"]
        metrics.EVENTS_UNROUTED.labels(self.service_name, event_type).inc()
        if entry.get("attempts", 0) + 1 >= UNROUTED_GIVE_UP_ATTEMPTS:
            log.warning("outbox: %s %s has no consumer after %d attempts; kept as unrouted",
                        event_type, entry["_id"], UNROUTED_GIVE_UP_ATTEMPTS)
            self.collection.update_one({"_id": entry["_id"]}, {"$set": {
                "dispatched_at": utcnow(), "unrouted": True,
                "last_error": "no queue was bound for this event"}, "$inc": {"attempts": 1}})
        else:
            self._retry_later(entry, "no queue is bound for this event yet")

    def published(self, entry: dict) -> None:
        """Called once an entry is confirmed by the broker (subclasses count their own metrics)."""

    def _retry_later(self, entry: dict, reason: str) -> None:
        attempts = entry.get("attempts", 0) + 1
        self.collection.update_one({"_id": entry["_id"]}, {"$set": {
            "attempts": attempts, "last_error": reason,
            "next_attempt_at": utcnow() + timedelta(seconds=backoff(attempts))}})
        self._retry_at = min(self._retry_at, time.monotonic() + backoff(attempts))

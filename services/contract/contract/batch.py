"""Consuming events in batches: one quorum queue per service, one unit of work per batch.

A service declares a table, event type -> handler function ``(uow, event_type, event)`` (its
``handlers.py``), and one entrypoint fed by it::

    EVENTS = {
        events.REPORT_RECEIVED: handlers.route_report,
    }

    @event_batches(EVENTS)
    def consume_events(self, batch):
        return handle_batch(self.store, batch, EVENTS)

The entrypoint's own thread consumes the service's queue ``<service>.inbox`` (bound to every event
type of the table on its source's exchange) with a bounded prefetch (``EVENT_PREFETCH``, by default
two batches per lane), so event work never fills the worker pool that HTTP and RPC share.  Each
event goes to the lane of its report (``contract.lanes``); each of the ``EVENT_BATCH_CONCURRENCY``
lanes takes what it already holds, up to ``EVENT_BATCH_SIZE`` (a lone event is handled at once;
``EVENT_BATCH_MAX_WAIT_SECONDS`` may let a batch fill) and runs one worker per batch, so batches of
one service are in flight side by side (the store overlaps their commits) but never two holding
events of one report, and a report's events are applied in the order they came:

- ``handle_batch`` validates each payload against the contract, leaves out the events already
  applied and applies the rest in one unit of work (``contract.uow``: one transaction) with their
  ``processed_events`` markers; the messages are acked only after the commit.  The markers are not
  read first unless a message of the batch is flagged redelivered: a marker that already exists (an
  event applied before) rolls the batch back, and it runs again after one ``$in`` query on the markers.
- a handler that raises takes its event out of the batch, the rest run again without it and it runs
  alone (``contract.batching.commit_together``, the algorithm group commit uses too), so a
  poison event cannot hold up the others.  ``RejectEvent`` (and a payload that breaks the contract,
  a message that cannot be decoded, an event type without handler) is dead-lettered at once with its
  reason; any other error requeues the message, and the broker dead-letters it once it has been
  delivered ``EVENT_DELIVERY_LIMIT`` times (quorum queue ``x-delivery-limit``).
- while the store is unreachable the same batch is retried with backoff, unacked (not counted as a
  delivery): nothing is lost and nothing is dead-lettered for an outage.
Dead letters wait in ``<service>.deadletters`` (see ``python -m contract.deadletters``).
"""
from __future__ import annotations

import logging
import socket
from typing import Callable

import eventlet
import eventlet.semaphore
from eventlet.event import Event
import amqp.exceptions
import kombu.exceptions
from kombu import Connection, Consumer, Exchange, Producer, Queue, binding
from marshmallow import ValidationError
from nameko.constants import AMQP_URI_CONFIG_KEY
from nameko.extensions import Entrypoint
from nameko.standalone.events import get_event_exchange
from pymongo.errors import ConnectionFailure

from contract import events as catalogue
from contract import metrics, progress
from contract.lanes import Lanes
from contract.publisher import Publishers
from contract.consumer import RejectEvent

log = logging.getLogger(__name__)

DEAD_LETTER_EXCHANGE = "lapor.deadletter"
REASON_HEADER = "x-lapor-reason"
EVENT_TYPE_HEADER = "x-lapor-event-type"
DEFAULT_BATCH_SIZE = 50
DEFAULT_DELIVERY_LIMIT = 5
# batches in flight per container (lanes, each one worker of the pool HTTP/RPC share at a time).  Lanes
# keep each report's events in one batch at a time, in order (issue 23); 1 by default all the same: on
# the local store, transactions run one statement at a time (bench/store_convoy.py) and concurrent ones
# still conflicted, so two lanes made smaller batches for the same store work (bench/RESULTS.md)
DEFAULT_CONCURRENCY = 1
MAX_BACKOFF_SECONDS = 10.0
STUCK_AFTER_SECONDS = 120.0  # the consumer's loop not turning for this long: stuck (contract.progress)
CONNECTION_ERRORS = (OSError, amqp.exceptions.ConnectionError, kombu.exceptions.OperationalError)
OUTCOME_LABELS = {"applied": "applied", "duplicate": "duplicate", "dead": "dead_lettered", "retry": "requeued"}


def queue_name(service: str) -> str:
    # not "<service>.events", the name of the service's own exchange: a consumer needs read on a
    # source's exchange to bind to it, and that right would also let it read a queue of that name
    return f"{service}.inbox"


def dead_letter_queue_name(service: str) -> str:
    return f"{service}.deadletters"


def dead_letter_exchange() -> Exchange:
    return Exchange(DEAD_LETTER_EXCHANGE, type="direct", durable=True)


def dead_letter_queue(service: str) -> Queue:
    return Queue(dead_letter_queue_name(service), exchange=dead_letter_exchange(), routing_key=service,
                 durable=True, queue_arguments={"x-queue-type": "quorum"})


def service_queue(service: str, table: dict, config: dict, delivery_limit: int) -> Queue:
    """The service's quorum queue, bound to each event type of its table on the source's exchange."""
    bindings = [binding(get_event_exchange(catalogue.source_of(event_type), config), routing_key=event_type)
                for event_type in sorted(table)]
    return Queue(queue_name(service), bindings=bindings, durable=True, queue_arguments={
        "x-queue-type": "quorum", "x-delivery-limit": delivery_limit,
        "x-dead-letter-exchange": DEAD_LETTER_EXCHANGE, "x-dead-letter-routing-key": service})


def then(*steps):
    """One table entry doing each handler's effect in turn (one unit of work, one processed marker)."""
    def handle(uow, event_type: str, event: dict) -> None:
        for step in steps:
            step(uow, event_type, event)
    handle.__doc__ = " then ".join(s.__name__ for s in steps)
    return handle


# --- the worker's side: one unit of work for the batch ----------------------------------------------

def handle_batch(units, batch: list[tuple], table: dict) -> list[tuple[str, str | None]]:
    """Apply a batch of (event type, payload[, redelivered]) with a service's units of work
    (``contract.unitstore.Units``): the table maps an event type to a handler ``(uow, event_type, event)``.
    One (outcome, reason) per event: applied, duplicate, dead (dead-letter it now) or retry (requeue
    it).  One unit of work for the batch, a failing event isolated (``contract.batching``); raises
    ConnectionFailure when the store is away (the batch is retried, unacked)."""
    from contract.batching import commit_together
    from contract.uow import AlreadyApplied, PROCESSED as MARKERS

    outcomes: list[tuple[str, str | None]] = [("retry", None)] * len(batch)
    loaded = []
    check_first = any(len(item) > 2 and item[2] for item in batch)
    for index, (event_type, payload, *_) in enumerate(batch):
        if event_type not in table:
            outcomes[index] = ("dead", f"no handler for {event_type}")
            continue
        try:
            loaded.append((index, event_type, catalogue.load(event_type, payload)))
        except ValidationError as exc:
            outcomes[index] = ("dead", f"payload breaks the contract: {exc.messages}")
    if not loaded:
        return outcomes
    checked = {"first": check_first}

    def apply(uow, member):
        _, event_type, event = member
        if event["event_id"] in uow.memo("applied before", lambda: _applied_before(uow, MARKERS, checked["first"])) \
                or event["event_id"] in uow.markers:
            return "duplicate"
        table[event_type](uow, event_type, event)
        uow.mark(event["event_id"])
        return "applied"

    def run_unit(work, members=loaded):
        # optimistic: markers are inserted without reading them first; one that exists (an event
        # applied before) rolls the unit back and it runs again, reading the markers first
        batch_events = [(event_type, event) for _, event_type, event in members]
        try:
            return units.run(work, batch=batch_events)
        except AlreadyApplied:
            log.info("a batch held an event applied before; applying it again, leaving those out")
            checked["first"] = True
            return units.run(work, batch=batch_events)

    def _applied_before(uow, collection, first):
        if not first:
            return set()
        ids = [event["event_id"] for _, _, event in loaded]
        return {d["_id"] for d in uow.db[collection].find({"_id": {"$in": ids}}, {"_id": 1}, session=uow.session)}

    units.make_way()  # the front door's commits first (intake: submissions waiting); nothing elsewhere
    results = commit_together(run_unit, loaded, apply, fatal=lambda exc: isinstance(exc, ConnectionFailure))
    for (index, event_type, _), (ok, value) in zip(loaded, results):
        outcomes[index] = (value, None) if ok else _failure(value, event_type)
    return outcomes


def _failure(exc: Exception, event_type: str) -> tuple[str, str]:
    if isinstance(exc, RejectEvent):
        return "dead", f"rejected: {exc}"
    log.error("applying %s failed; requeued (dead-lettered after the delivery limit)", event_type, exc_info=exc)
    return "retry", f"{type(exc).__name__}: {exc}"


def event_type_of(message) -> str | None:
    """The routing key an event was published with (or, for one moved here from a queue of the
    per-handler era by ``contract.deadletters migrate``, the event type it carries in a header)."""
    return (message.headers or {}).get(EVENT_TYPE_HEADER) or message.delivery_info.get("routing_key")


# --- the consuming side ---------------------------------------------------------------------------

class EventBatches(Entrypoint):
    """The entrypoint: consumes the service's queue and hands each lane's batches to one worker at a time."""

    def __init__(self, table: dict[str, Callable], **kwargs):
        self.table = table
        super().__init__(**kwargs)

    def setup(self):
        config = self.container.config
        self.service = self.container.service_name
        self.size = int(config.get("EVENT_BATCH_SIZE", DEFAULT_BATCH_SIZE))
        self.max_wait = float(config.get("EVENT_BATCH_MAX_WAIT_SECONDS", 0))
        self.concurrency = int(config.get("EVENT_BATCH_CONCURRENCY", DEFAULT_CONCURRENCY))
        # two batches per lane: a lane's next batch is here when its batch in flight ends
        self.prefetch = int(config.get("EVENT_PREFETCH", 2 * self.concurrency * self.size))
        self._dead_letter_lock = eventlet.semaphore.Semaphore(1)
        limit = int(config.get("EVENT_DELIVERY_LIMIT", DEFAULT_DELIVERY_LIMIT))
        self.queue = service_queue(self.service, self.table, config, limit)
        self.dead_letters = dead_letter_queue(self.service)
        self.amqp_uri = config[AMQP_URI_CONFIG_KEY]
        self.publishers = Publishers(self.service, self.amqp_uri)  # who may publish what (contract.publisher)
        self._running = False
        self._ready = Event()
        self._lanes: Lanes | None = None

    def start(self):
        self._running = True
        self.watch = progress.watch(self.service, "event_consumer", STUCK_AFTER_SECONDS)
        self._gt = self.container.spawn_managed_thread(self._run, identifier=f"{self.service}.event_batches")
        with eventlet.Timeout(30, False):
            self._ready.wait()

    def stop(self):
        self._running = False
        progress.unwatch(self.watch)
        self._gt.wait()

    def kill(self):
        self._running = False
        progress.unwatch(self.watch)

    def _run(self):
        delay = 0.5
        while self._running:
            try:
                with Connection(self.amqp_uri, heartbeat=0, transport_options={"confirm_publish": True}) as conn:
                    conn.ensure_connection(max_retries=1)
                    self._consume(conn)
                delay = 0.5
            except Exception as exc:  # connection lost, consumer cancelled: reconnect while running
                if not self._running:
                    return
                if not isinstance(exc, CONNECTION_ERRORS):
                    log.exception("%s: event consumer failed", self.service)
                if not self._ready.ready():
                    self._ready.send(None)
                log.warning("%s: broker connection lost (%s); reconnecting in %.1fs", self.service, exc, delay)
                self.watch.advanced()  # alive, reconnecting: the broker's outage has alerts of its own
                eventlet.sleep(delay)
                delay = min(MAX_BACKOFF_SECONDS, delay * 2)

    def _consume(self, conn):
        channel = conn.channel()
        self.dead_letters(channel).declare()
        self.queue(channel).declare()
        consumer = Consumer(channel, queues=[self.queue], callbacks=[self._on_message], accept=["json"],
                            on_decode_error=self._on_decode_error, prefetch_count=self.prefetch)
        self._lanes = Lanes(self.concurrency, self.size, self.max_wait, self._handle,
                            self.container.spawn_managed_thread, f"{self.service}.event_batches")
        try:
            with consumer:
                if not self._ready.ready():
                    self._ready.send(None)
                while self._running:
                    self._advanced()
                    try:
                        _drain(conn, channel, timeout=1.0)
                    except socket.timeout:
                        continue
        finally:  # the batches in flight end before the channel closes; what waits returns to the queue
            self._lanes.close()

    def _advanced(self) -> None:
        """The consumer loops (it waits at most a second for messages); it is stuck when a batch in
        flight has run longer than the patience (a hung batch, a store away for that long)."""
        oldest = self._lanes.oldest_start() if self._lanes is not None else None
        if oldest is None:
            self.watch.advanced()
        else:
            self.watch.last = max(self.watch.last, oldest)

    def _on_message(self, body, message):
        event_type = event_type_of(message)
        refused = self.publishers.refused(message, event_type)
        if refused:  # not from the event type's source: dead-lettered, never applied
            self._lanes.put((event_type, body, message, refused), body)
            return
        self._lanes.put((event_type, body, message), body)

    def _on_decode_error(self, message, exc):
        self._lanes.put((event_type_of(message), None, message, f"undecodable: {exc}"), None)

    def _handle(self, taken: list) -> None:
        ready = [t for t in taken if len(t) == 3]
        for item in taken:
            if len(item) == 4:  # counted once done: whoever reads the metric finds the dead letter
                self._dead_letter(item[2], item[0], item[3])
                metrics.EVENTS_HANDLED.labels(self.service, item[0] or "unknown", "dead_lettered").inc()
        if not ready:
            return
        batch = [(event_type, body, bool(message.delivery_info.get("redelivered")))
                 for event_type, body, message in ready]
        delay = 0.5
        while True:
            done = Event()

            def finished(worker_ctx, result=None, exc_info=None):
                done.send((result, exc_info))
                return result, exc_info
            self.container.spawn_worker(self, (batch,), {}, handle_result=finished)
            result, exc_info = done.wait()
            if exc_info is None:
                break
            if not self._running:
                return  # stopping: the unacked messages go back to the queue
            log.warning("%s: batch of %d not applied (%s); retrying in %.1fs", self.service, len(batch),
                        exc_info[1], delay)
            eventlet.sleep(delay)
            delay = min(MAX_BACKOFF_SECONDS, delay * 2)
        for (event_type, _, message), (outcome, reason) in zip(ready, result):
            if outcome in ("applied", "duplicate"):
                message.ack()
            elif outcome == "dead":
                self._dead_letter(message, event_type, reason)
            else:
                message.requeue()
            # counted once done (acked, or its dead letter published): the metric never runs ahead
            metrics.EVENTS_HANDLED.labels(self.service, event_type, OUTCOME_LABELS[outcome]).inc()

    def _dead_letter(self, message, event_type: str | None, reason: str) -> None:
        """Keep the message, with its reason, in the service's dead-letter queue, then ack it.

        Published on a connection of its own (the consuming connection's socket is read by the
        consumer thread; a confirm must not be read there)."""
        log.error("%s: dead-lettered %s: %s", self.service, event_type, reason)
        metrics.EVENTS_DEAD_LETTERED.labels(self.service, event_type or "unknown").inc()
        headers = {**(message.headers or {}), REASON_HEADER: reason[:1000], EVENT_TYPE_HEADER: event_type or "",
                   "x-lapor-exchange": message.delivery_info.get("exchange", ""),
                   **self.publishers.record(message, event_type)}
        with self._dead_letter_lock:
            with Connection(self.amqp_uri, transport_options={"confirm_publish": True}) as conn:
                Producer(conn.channel()).publish(
                    message.body, exchange=dead_letter_exchange(), routing_key=self.service, headers=headers,
                    content_type=message.content_type, content_encoding=message.content_encoding, delivery_mode=2)
        message.ack()


def _drain(conn, channel, timeout: float) -> None:
    """Wait for messages on the consuming connection. kombu, once an ack failed on a connection that
    died, silently opens a new one (the next node of a failover URI) without the channel or the
    consumer and would drain it for ever: that is a lost connection, and ``_run`` reconnects."""
    if channel.connection is None or not conn.connected:
        raise ConnectionError("the consuming connection was lost")
    conn.drain_events(timeout=timeout)


event_batches = EventBatches.decorator

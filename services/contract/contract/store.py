"""The document-store DependencyProvider: one pymongo client per process, indexes at start-up.

A service subclasses :class:`Store`, lists its indexes, and names the repository class whose
verbs its entrypoints use (``reports.add(...)``).  Repositories get :meth:`Repository.transaction`
and :meth:`Repository.once` (idempotent event handling) and stage outbox events in the same
transaction as the write that caused them.
"""
from __future__ import annotations

import logging
import os
import threading
from datetime import datetime, timezone
from typing import Any, Callable

from nameko.extensions import DependencyProvider
from pymongo import ASCENDING, IndexModel, MongoClient, ReturnDocument, WriteConcern, monitoring
from pymongo.errors import ConnectionFailure, DuplicateKeyError, PyMongoError

from contract import metrics, unit_of_work
from contract.errors import ApiError, error

log = logging.getLogger(__name__)

DEFAULT_URI = "mongodb://127.0.0.1:27027/?retryWrites=false&directConnection=true"
OUTBOX = "outbox"
PROCESSED = "processed_events"

_lock = threading.Lock()
_clients: dict[tuple[str, str], list] = {}  # (uri, service) -> [client, users]


class SlowCommandLog(monitoring.CommandListener):
    """Logs store commands slower than ``LAPOR_STORE_SLOW_MS`` (default 500 ms; 0 turns it off)
    with the command, collection and the shape of its filter (field names, never values)."""

    def __init__(self, threshold_ms: float):
        self.threshold_ms = threshold_ms
        self._started: dict[int, tuple[str, str]] = {}

    def started(self, event):
        command = event.command
        target = command.get(event.command_name)
        shape = command.get("filter") or command.get("q") or (command.get("updates") or [{}])[0].get("q") \
            or (command.get("deletes") or [{}])[0].get("q") or {}
        fields_ = ",".join(sorted(shape)) if isinstance(shape, dict) else ""
        self._started[event.request_id] = (str(target) if isinstance(target, str) else "", fields_)

    def succeeded(self, event):
        self._report(event, "ok")

    def failed(self, event):
        self._report(event, "failed")

    def _report(self, event, outcome):
        target, fields_ = self._started.pop(event.request_id, ("", ""))
        took_ms = event.duration_micros / 1000
        if took_ms >= self.threshold_ms:
            log.warning("slow store command: %s %s.%s filter(%s) %.0f ms %s", event.command_name,
                        event.database_name, target, fields_, took_ms, outcome)


class StoreWorkCounter(monitoring.CommandListener):
    """Counts every store command (``lapor_store_commands_total{service,command}``) and every
    transaction's end (``lapor_store_transactions_total{service,outcome}``: committed, failed,
    aborted) from pymongo's command monitoring, so the cost per report can be read off /metrics."""

    def __init__(self, service: str):
        self.service = service

    def started(self, event):
        metrics.STORE_COMMANDS.labels(self.service, event.command_name).inc()
        if event.command_name == "abortTransaction":
            metrics.STORE_TRANSACTIONS.labels(self.service, "aborted").inc()

    def succeeded(self, event):
        if event.command_name == "commitTransaction":
            metrics.STORE_TRANSACTIONS.labels(self.service, "committed").inc()

    def failed(self, event):
        if event.command_name == "commitTransaction":
            metrics.STORE_TRANSACTIONS.labels(self.service, "failed").inc()


def _listeners(service: str) -> list:
    threshold = float(os.environ.get("LAPOR_STORE_SLOW_MS", "500") or 0)
    return [StoreWorkCounter(service)] + ([SlowCommandLog(threshold)] if threshold > 0 else [])


def acquire_client(uri: str, service: str = "cli") -> MongoClient:
    """The process-wide client for ``uri`` used by ``service`` (created on first use; its store
    work is counted under that service's label)."""
    with _lock:
        entry = _clients.get((uri, service))
        if entry is None:
            client = MongoClient(uri, tz_aware=True, serverSelectionTimeoutMS=5000,
                                 w="majority", appname=f"lapor-{service}", event_listeners=_listeners(service))
            entry = _clients[(uri, service)] = [client, 0]
        entry[1] += 1
        return entry[0]


def release_client(uri: str, service: str = "cli") -> None:
    with _lock:
        entry = _clients.get((uri, service))
        if entry is None:
            return
        entry[1] -= 1
        if entry[1] <= 0:
            del _clients[(uri, service)]
            entry[0].close()


def database_name(config: dict, service_name: str) -> str:
    """The service's database: MONGODB_DATABASE, else MONGODB_DATABASE_PREFIX + service name."""
    return config.get("MONGODB_DATABASE") or f"{config.get('MONGODB_DATABASE_PREFIX', 'lapor_')}{service_name}"


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


StaleWrite = unit_of_work.StaleWrite


def upsert_and_get(collection, query: dict, update: dict, session=None) -> dict:
    """``find_one_and_update(upsert=True)`` returning the document after the update, also when
    concurrent upserts of one new document race: the local store (SecantusDB 0.7) then answers
    ``None`` to all but the first although every update was applied (README, Known issues), so the
    document is read back (it may include a racing caller's update too: callers count, not claim)."""
    doc = collection.find_one_and_update(query, update, upsert=True, return_document=ReturnDocument.AFTER,
                                         session=session)
    return doc if doc is not None else collection.find_one(query, session=session)


STORE_RETRY_AFTER_SECONDS = 5


def store_fault(exc: BaseException) -> ApiError | None:
    """The truthful answer to a caller when the store failed under a request: 503 with
    ``Retry-After`` (not a 500 saying "nothing was changed": a write may have been committed
    when the connection broke). None when ``exc`` is not a store outage."""
    outage = isinstance(exc, ConnectionFailure) or (
        isinstance(exc, PyMongoError) and exc.has_error_label("UnknownTransactionCommitResult"))
    if not outage:
        return None
    return ApiError([error(None, "store_unavailable")], status=503,
                    headers={"Retry-After": str(STORE_RETRY_AFTER_SECONDS)})


class Repository:
    """Base of a service's repository: transactions, idempotent handling, outbox staging.

    Inside a batch worker's unit of work (``contract.unit_of_work``) the verbs write through the
    worker's one session and transaction; elsewhere (an HTTP or RPC worker) each verb is its own
    transaction.  Either way, the outbox relay is woken once the events are committed.
    """

    def __init__(self, client: MongoClient, db):
        self.client = client
        self.db = db

    def transaction(self, work: Callable[[Any], Any]) -> Any:
        """Run ``work(session)`` in one multi-document transaction (retried when transient), or in
        the current unit of work's transaction."""
        uow = unit_of_work.current()
        if uow is not None:
            return work(uow.session)
        staged: list[dict] = []  # the outbox entries written (handed to the relay after the commit)

        def txn(session):
            staged.clear()
            self._staging[id(session)] = staged
            try:
                return work(session)
            finally:
                self._staging.pop(id(session), None)

        with self.client.start_session() as session:
            result = session.with_transaction(txn, write_concern=WriteConcern("majority"))
        if staged:
            unit_of_work.wake_relay(self.db.name, staged)
        return result

    _staging: dict[int, list] = {}

    def after_commit(self, call: Callable[[], None]) -> None:
        """Run ``call`` once the current unit of work commits (at once outside one)."""
        uow = unit_of_work.current()
        if uow is not None:
            uow.after_commit.append(call)
        else:
            call()

    def read_for_batch(self, collection: str, key: str | Callable[[str, dict], Any], value, projection: dict | None,
                       session, field: str = "_id") -> dict | None:
        """The document of ``collection`` whose ``field`` (default ``_id``) is ``value``; in a unit of
        work, read with one ``$in`` query for every event of the batch (by the events' ``key`` field, or
        ``key(event_type, event)`` -> values) the first time, then from that read and from what the
        batch saved.  The caller keeps the returned document up to date with what it writes
        (``save_later`` or ``remember``)."""
        uow = unit_of_work.current()
        if uow is None:
            return self.db[collection].find_one({field: value}, projection, session=session)
        return uow.read(collection, key, value, projection, field)

    def remember(self, collection: str, doc: dict) -> None:
        """After writing ``doc``: what ``read_for_batch`` returns for it in the rest of the batch."""
        uow = unit_of_work.current()
        if uow is not None:
            uow.remember(collection, doc)

    def save_later(self, collection: str, doc: dict, session, expect: dict | None = None, upsert: bool = False,
                   stale: Callable[[], Exception] | None = None) -> None:
        """Insert ``doc``, or replace the stored one if it still has the ``expect``-ed fields, or upsert
        it.  In a unit of work: once, at its commit, with the batch's other documents of that collection
        in one ``bulk_write`` (a stale replace then makes the whole batch run again); elsewhere at once
        (a stale replace raises ``stale()``, default StaleWrite)."""
        uow = unit_of_work.current()
        if uow is not None:
            uow.save(collection, doc, expect, upsert)
        elif expect is None and not upsert:
            self.db[collection].insert_one(doc, session=session)
        elif not self.db[collection].replace_one({"_id": doc["_id"], **(expect or {})}, doc, upsert=upsert,
                                                 session=session).matched_count and not upsert:
            raise (stale or (lambda: StaleWrite(f"a document of {collection}")))()

    def insert_later(self, collection: str, doc: dict, session) -> None:
        """Insert ``doc``; in a unit of work, with the batch's other documents of that collection in one
        ``bulk_write`` at its commit (read back within the batch only through ``read_for_batch``)."""
        self.save_later(collection, doc, session)

    def update_later(self, collection: str, requests: list, session) -> None:
        """Apply commutative updates (``UpdateOne``s: counters' ``$inc``); in a unit of work, with the
        batch's others of that collection in one ``bulk_write`` at its commit, else in one at once."""
        uow = unit_of_work.current()
        if uow is not None:
            for request in requests:
                uow.update(collection, request)
        elif requests:
            self.db[collection].bulk_write(requests, ordered=True, session=session)

    def update_checked_later(self, collection: str, requests: list, session) -> None:
        """Apply conditional updates (``UpdateOne``s whose filter holds what was read; applied in order,
        each must match one document); in a unit of work with the batch's others of that collection in one
        ``bulk_write`` at its commit, else in one at once.  One not matching raises StaleWrite (in a unit
        of work at its commit: the whole batch runs again)."""
        uow = unit_of_work.current()
        if uow is not None:
            for request in requests:
                uow.update_checked(collection, request)
        elif requests and self.db[collection].bulk_write(requests, ordered=True,
                                                         session=session).matched_count < len(requests):
            raise StaleWrite(f"a document of {collection}")

    def batch_memo(self, key, read: Callable[[], Any]) -> Any:
        """``read()`` once per unit of work (what no event of a batch changes: policies, subscriptions)."""
        uow = unit_of_work.current()
        if uow is None:
            return read()
        if key not in uow.memo:
            uow.memo[key] = read()
        return uow.memo[key]

    def stage_events(self, session, events: list[dict]) -> None:
        """Write events to the outbox inside the caller's transaction (in a unit of work: collected,
        and written with the others in one insert at its commit)."""
        if not events:
            return
        uow = unit_of_work.current()
        if uow is not None:
            uow.events.extend(events)
            return
        entries = self.write_outbox(session, events)
        staged = self._staging.get(id(session))
        if staged is not None:
            staged.extend(entries)

    def write_outbox(self, session, events: list[dict]) -> list[dict]:
        """Insert outbox entries for ``events``; the entries written."""
        if not events:
            return []
        now = utcnow()
        entries = [
            {"_id": e.get("id") or e["payload"]["event_id"], "event_type": e["event_type"],
             "source": e["source"], "payload": e["payload"], "created_at": now,
             "next_attempt_at": now, "attempts": 0, "dispatched_at": None, "last_error": None,
             # a message for another exchange than the service's events (hub links, issue 14)
             **{k: e[k] for k in ("exchange", "routing_key", "properties") if k in e}}
            for e in events]
        self.db[OUTBOX].insert_many(entries, session=session)
        return entries

    def unit_of_work(self, work: Callable[[unit_of_work.UnitOfWork], Any]) -> Any:
        """Run ``work(uow)`` as one unit of work: one transaction, markers and outbox in bulk."""
        return unit_of_work.run(self.client, self.db, work, self.write_outbox, PROCESSED, utcnow,
                                WriteConcern("majority"))

    def once(self, event_id: str, work: Callable[[Any], list[dict] | None]) -> bool:
        """Apply ``work(session)`` for an event exactly once; returns False for a redelivery.

        ``work`` may return events to stage; they are written in the same transaction as the
        processed-event marker, so a crash between the two cannot happen.  In a unit of work the
        batch has already left out the events applied before; the marker joins the batch's.
        """
        uow = unit_of_work.current()
        if uow is not None:
            if event_id in uow.markers:
                return False
            staged = work(uow.session) or []
            uow.mark(event_id)
            self.stage_events(uow.session, staged)
            return True
        if self.db[PROCESSED].find_one({"_id": event_id}, {"_id": 1}):
            return False

        def txn(session):
            self.db[PROCESSED].insert_one({"_id": event_id, "at": utcnow()}, session=session)
            self.stage_events(session, work(session) or [])

        try:
            self.transaction(txn)
        except DuplicateKeyError:
            # a concurrent worker claimed the same event first
            if self.db[PROCESSED].find_one({"_id": event_id}, {"_id": 1}):
                return False
            raise
        return True


class Store(DependencyProvider):
    """Connects in setup(), creates the service's indexes, closes in stop()."""

    repository_class: type[Repository] = Repository
    indexes: dict[str, list[IndexModel]] = {}

    def setup(self):
        config = self.container.config
        self.uri = config.get("MONGODB_URI") or DEFAULT_URI
        self.database = database_name(config, self.container.service_name)
        self.client = acquire_client(self.uri, self.container.service_name)
        db = self.client[self.database]
        all_indexes = {OUTBOX: [IndexModel([("dispatched_at", ASCENDING), ("next_attempt_at", ASCENDING)])],
                       **self.indexes}
        for collection, models in all_indexes.items():
            if models:
                db[collection].create_indexes(models)
        self.repository = self.repository_class(self.client, db)

    def stop(self):
        release_client(self.uri, self.container.service_name)

    def kill(self):
        release_client(self.uri, self.container.service_name)

    def get_dependency(self, worker_ctx):
        return self.repository

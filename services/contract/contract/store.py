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
from pymongo import ASCENDING, IndexModel, MongoClient, WriteConcern, monitoring
from pymongo.errors import DuplicateKeyError

log = logging.getLogger(__name__)

DEFAULT_URI = "mongodb://127.0.0.1:27027/?retryWrites=false&directConnection=true"
OUTBOX = "outbox"
PROCESSED = "processed_events"

_lock = threading.Lock()
_clients: dict[str, list] = {}  # uri -> [client, users]


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


def _listeners() -> list:
    threshold = float(os.environ.get("LAPOR_STORE_SLOW_MS", "500") or 0)
    return [SlowCommandLog(threshold)] if threshold > 0 else []


def acquire_client(uri: str) -> MongoClient:
    """The process-wide client for ``uri`` (created on first use)."""
    with _lock:
        entry = _clients.get(uri)
        if entry is None:
            client = MongoClient(uri, tz_aware=True, serverSelectionTimeoutMS=5000,
                                 w="majority", appname="lapor-hub", event_listeners=_listeners())
            entry = _clients[uri] = [client, 0]
        entry[1] += 1
        return entry[0]


def release_client(uri: str) -> None:
    with _lock:
        entry = _clients.get(uri)
        if entry is None:
            return
        entry[1] -= 1
        if entry[1] <= 0:
            del _clients[uri]
            entry[0].close()


def database_name(config: dict, service_name: str) -> str:
    """The service's database: MONGODB_DATABASE, else MONGODB_DATABASE_PREFIX + service name."""
    return config.get("MONGODB_DATABASE") or f"{config.get('MONGODB_DATABASE_PREFIX', 'lapor_')}{service_name}"


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Repository:
    """Base of a service's repository: transactions, idempotent handling, outbox staging."""

    def __init__(self, client: MongoClient, db):
        self.client = client
        self.db = db

    def transaction(self, work: Callable[[Any], Any]) -> Any:
        """Run ``work(session)`` in one multi-document transaction (retried when transient)."""
        with self.client.start_session() as session:
            return session.with_transaction(
                work, write_concern=WriteConcern("majority"))

    def stage_events(self, session, events: list[dict]) -> None:
        """Write events to the outbox inside the caller's transaction."""
        if not events:
            return
        now = utcnow()
        self.db[OUTBOX].insert_many([
            {"_id": e.get("id") or e["payload"]["event_id"], "event_type": e["event_type"],
             "source": e["source"], "payload": e["payload"], "created_at": now,
             "next_attempt_at": now, "attempts": 0, "dispatched_at": None, "last_error": None,
             # a message for another exchange than the service's events (hub links, issue 14)
             **{k: e[k] for k in ("exchange", "routing_key", "properties") if k in e}}
            for e in events], session=session)

    def once(self, event_id: str, work: Callable[[Any], list[dict] | None]) -> bool:
        """Apply ``work(session)`` for an event exactly once; returns False for a redelivery.

        ``work`` may return events to stage; they are written in the same transaction as the
        processed-event marker, so a crash between the two cannot happen.
        """
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
        self.client = acquire_client(self.uri)
        db = self.client[self.database]
        all_indexes = {OUTBOX: [IndexModel([("dispatched_at", ASCENDING), ("next_attempt_at", ASCENDING)])],
                       **self.indexes}
        for collection, models in all_indexes.items():
            if models:
                db[collection].create_indexes(models)
        self.repository = self.repository_class(self.client, db)

    def stop(self):
        release_client(self.uri)

    def kill(self):
        release_client(self.uri)

    def get_dependency(self, worker_ctx):
        return self.repository

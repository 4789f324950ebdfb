"""The document store's client: one pymongo client per process and service (``acquire_client``),
store work counted for Prometheus, slow commands logged, and the answer a caller gets when the store
is away (``store_fault``: 503 with Retry-After). A service's store provider, its repositories and
its units of work are in ``contract.uow``.
"""
from __future__ import annotations

import logging
import os
import threading
from datetime import datetime, timezone

from pymongo import MongoClient, ReturnDocument, monitoring
from pymongo.errors import ConnectionFailure, PyMongoError

from contract import metrics
from contract.uow import OUTBOX, PROCESSED, StaleWrite  # noqa: F401  (their names here too)
from contract.errors import ApiError, error

log = logging.getLogger(__name__)

DEFAULT_URI = "mongodb://127.0.0.1:27027/?retryWrites=false&directConnection=true"

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

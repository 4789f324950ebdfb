"""One unit of work per worker (nameko-sqlalchemy's worker session, cosmicpython's unit of work).

A batch worker opens one session and one transaction; every repository verb called while it runs
(``Repository.once``, ``Repository.transaction``, ``Repository.stage_events``) writes through that
session instead of opening a transaction of its own.  The unit of work also holds the batch's state,
so that a batch costs a few store commands whatever its size (docs/events.md, "Store round trips"):

- **read-ahead**: the first read of a collection reads the documents of *every* event of the batch
  with one ``$in`` query (``read``); later reads are answered from that, and from what the batch
  itself wrote (``written``), so a handler sees its own batch's earlier writes;
- **write-behind**: documents saved by the handlers (``save``: insert, conditional replace or
  upsert; one write per document whatever number of events changed it) and commutative updates
  (``update``: counters) and conditional updates (``update_checked``: each must still match what was
  read) are written at the end with one ``bulk_write`` per collection and kind;
- **memo**: what does not change within a batch (policies, subscriptions) is read once;
- at the end it writes the processed-event markers and the outbox entries with one bulk insert each,
  commits once, then runs what waits for the commit (handing the committed outbox entries to the
  relay, waking the KPI compactor).

The current unit of work is greenthread-local: nameko runs each worker in its own greenthread.
"""
from __future__ import annotations

import logging
from typing import Any, Callable, Hashable, Iterable

from bson import ObjectId
from eventlet.corolocal import local
from pymongo import InsertOne, ReplaceOne
from pymongo.errors import BulkWriteError

log = logging.getLogger(__name__)

_current = local()

# the relay registry, StaleWrite and AlreadyApplied are contract.uow's (one of each while both exist)
from contract.uow import (AlreadyApplied, StaleWrite, _relay_wakers, register_relay,  # noqa: E402,F401
                          unregister_relay, wake_relay)

INSERT, REPLACE, UPSERT = "insert", "replace", "upsert"
DUPLICATE_KEY = 11000


def current() -> "UnitOfWork | None":
    return getattr(_current, "uow", None)


class UnitOfWork:
    """The worker's session and what it collected: markers, outbox entries, after-commit calls."""

    def __init__(self, client, db, session):
        self.client, self.db, self.session = client, db, session
        self.markers: list[str] = []
        self.events: list[dict] = []
        self.after_commit: list[Callable[[], None]] = []
        self.batch: list[dict] = []  # the events of the batch (so a repository can read ahead for them)
        self.batch_types: list[str] = []  # their event types, in the same order
        # collection (by _id) or (collection, field) -> {value: document or None}, read once for the batch
        self.read_ahead: dict = {}
        # collection -> {_id: [kind, document, expected fields]}: one write per document at the end
        self.pending: dict[str, dict] = {}
        self.updates: dict[str, list] = {}  # collection -> commutative UpdateOne requests
        self.checked: dict[str, list] = {}  # collection -> conditional UpdateOne requests (each must match)
        self.memo: dict[Hashable, Any] = {}
        self.outbox_entries: list[dict] = []  # what was written to the outbox (handed to the relay)

    def mark(self, event_id: str) -> bool:
        """Record that ``event_id`` is applied in this unit; False when it already was."""
        if event_id in self.markers:
            return False
        self.markers.append(event_id)
        return True

    # --- read-ahead -------------------------------------------------------------------------
    def read(self, collection: str, key: str | Callable[[str, dict], Iterable], value, projection: dict | None,
             field: str = "_id") -> dict | None:
        """The document of ``collection`` whose ``field`` is ``value``: the first time, one ``$in``
        query for the values of every event of the batch (``key``: the events' field holding it, or a
        function (event type, event) -> values); a document the batch saved wins over what was read."""
        written = self.written(collection, field, value)
        if written is not None:
            return written
        docs = self.read_ahead.setdefault(collection if field == "_id" else (collection, field), {})
        if value not in docs:
            wanted = {value}
            for event_type, event in zip(self.batch_types, self.batch):
                if callable(key):
                    wanted.update(v for v in key(event_type, event) if v is not None)
                elif event.get(key) is not None:
                    wanted.add(event[key])
            wanted -= set(docs)
            found = {d[field]: d for d in self.db[collection].find({field: {"$in": list(wanted)}}, projection,
                                                                 session=self.session)}
            docs.update({v: found.get(v) for v in wanted})
        return docs[value]

    def written(self, collection: str, field: str, value) -> dict | None:
        """The document the batch saved (not yet written) whose ``field`` is ``value``, if any."""
        pending = self.pending.get(collection)
        if not pending:
            return None
        if field == "_id":
            op = pending.get(value)
            return op[1] if op else None
        return next((op[1] for op in pending.values() if op[1].get(field) == value), None)

    def remember(self, collection: str, doc: dict) -> None:
        for key, docs in self.read_ahead.items():
            name, field = (key, "_id") if isinstance(key, str) else key
            if name == collection and field in doc:
                docs[doc[field]] = doc

    # --- write-behind ------------------------------------------------------------------------
    def save(self, collection: str, doc: dict, expect: dict | None = None, upsert: bool = False) -> None:
        """Write ``doc`` at the end: inserted (neither ``expect`` nor ``upsert``), replacing the stored
        one if it still has the ``expect``-ed fields (else StaleWrite: the batch runs again), or upserted.
        Saved again in the same batch: one write of the latest document, with the first expectation."""
        pending = self.pending.setdefault(collection, {})
        if expect is None and not upsert:
            doc.setdefault("_id", ObjectId())  # as insert_one would
        op = pending.get(doc["_id"])
        if op is not None:
            op[1] = doc
        else:
            pending[doc["_id"]] = [UPSERT if upsert else REPLACE if expect is not None else INSERT, doc, expect]
        self.remember(collection, doc)

    def update(self, collection: str, request) -> None:
        """A commutative update (an ``UpdateOne``, e.g. an ``$inc`` of a counter), written at the end."""
        self.updates.setdefault(collection, []).append(request)

    def update_checked(self, collection: str, request) -> None:
        """A conditional update (an ``UpdateOne`` whose filter holds what was read), written at the end
        in order with the batch's others of that collection; one not matching makes the batch run again."""
        self.checked.setdefault(collection, []).append(request)

    def _write_behind(self) -> None:
        for collection, pending in self.pending.items():
            ops = list(pending.values())
            requests = [InsertOne(doc) for kind, doc, _ in ops if kind == INSERT] + [
                ReplaceOne({"_id": doc["_id"], **(expect or {})}, doc, upsert=kind == UPSERT)
                for kind, doc, expect in ops if kind != INSERT]
            result = self.db[collection].bulk_write(requests, ordered=True, session=self.session)
            replaced = len(requests) - len([op for op in ops if op[0] == INSERT])
            if result.matched_count + result.upserted_count < replaced:
                raise StaleWrite(f"a document of {collection}")
        for collection, requests in self.checked.items():
            result = self.db[collection].bulk_write(requests, ordered=True, session=self.session)
            if result.matched_count < len(requests):
                raise StaleWrite(f"a document of {collection}")
        for collection, requests in self.updates.items():
            self.db[collection].bulk_write(requests, ordered=True, session=self.session)

    def flush(self, stage: Callable[[Any, list[dict]], None], processed_collection: str, now) -> None:
        """Write the saved documents, updates, markers and outbox entries in bulk, inside the transaction."""
        self._write_behind()
        if self.markers:
            try:
                self.db[processed_collection].insert_many([{"_id": m, "at": now} for m in self.markers],
                                                          ordered=False, session=self.session)
            except BulkWriteError as exc:
                if any(e.get("code") == DUPLICATE_KEY for e in exc.details.get("writeErrors", [])):
                    raise AlreadyApplied() from exc
                raise
        self.outbox_entries = stage(self.session, self.events) or []


def run(client, db, work: Callable[[UnitOfWork], Any], stage: Callable[[Any, list[dict]], None],
        processed_collection: str, now: Callable[[], Any], write_concern) -> Any:
    """Run ``work(uow)`` in one transaction (retried whole when transient); then after-commit calls."""
    holder: dict = {}

    def txn(session):
        uow = UnitOfWork(client, db, session)
        holder["uow"] = uow
        _current.uow = uow
        try:
            result = work(uow)
            uow.flush(stage, processed_collection, now())
            return result
        finally:
            _current.uow = None

    with client.start_session() as session:
        result = session.with_transaction(txn, write_concern=write_concern)
    uow = holder["uow"]
    if uow.events:
        wake_relay(db.name, uow.outbox_entries)
    for call in uow.after_commit:
        try:
            call()
        except Exception:
            log.warning("after-commit call failed", exc_info=True)
    return result

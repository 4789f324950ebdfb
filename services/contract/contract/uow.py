"""The explicit unit of work (cosmicpython's ``unit_of_work.py``, nameko-sqlalchemy's worker session).

A service's store is a DependencyProvider (``contract.unitstore.UnitOfWorkProvider``).  An entrypoint asks it to run a use
case, a plain function of ``(uow, message)`` from the service's ``handlers.py``::

    @http("POST", "/reports")
    def submit_report(self, request):
        command = schemas.ReportIn().load(read_json(request))
        receipt = self.store.run(handlers.accept_report, command)
        return json_response(201, schemas.ReceiptOut().dump(receipt))

``run`` opens one session and one transaction, builds a :class:`UnitOfWork` on it (the service's
repositories are its attributes: ``uow.reports``), calls the handler, writes what the handler
collected (``flush``: saved documents, updates, processed-event markers, outbox entries) and
commits; only then does it wake the outbox relay with the committed entries, run the after-commit
calls and return, so a caller is answered only once its write is durable.  A transient error
runs the whole function again (``contract.transaction``, for a bounded time); any other exception aborts the
transaction and propagates to the entrypoint, to nameko's ``worker_result`` and the error metrics.

Why ``run`` commits rather than ``worker_result``: nameko 2.14 calls an entrypoint's
``handle_result`` (which sends the HTTP response or the RPC reply) *before* the dependencies'
``worker_result``; a commit there would answer the caller before the write is durable.  The
provider's worker hooks keep the per-worker state (``worker_setup``) and count what a worker
left (``worker_result``), as nameko-sqlalchemy's ``DatabaseSession`` does.

One unit of work, one behaviour: every repository verb reads through the unit's session and
writes through the unit (at its commit).  Nothing is ambient: no verb looks up a "current" unit.

The batch state (docs/events.md, "Store round trips") lives here too, so that a batch of events
costs a few store commands whatever its size:

- **read-ahead** (``read``): the first read of a collection reads the documents of *every* event of
  the batch with one ``$in`` query; later reads are answered from that and from what the unit
  itself saved (``written``), so a handler sees its own unit's earlier writes;
- **write-behind** (``save``/``insert``: one write per document whatever number of events changed
  it; ``update``: commutative updates; ``update_checked``: conditional updates, each must still
  match what was read, else :class:`StaleWrite` and the unit runs again), one ``bulk_write`` per
  collection and kind at the commit;
- **memo**: what does not change within a unit (policies, subscriptions) is read once.
"""
from __future__ import annotations

import logging
from typing import Any, Callable, Hashable, Iterable

from bson import ObjectId
from pymongo import InsertOne, ReplaceOne
from pymongo.errors import BulkWriteError, PyMongoError

log = logging.getLogger(__name__)

OUTBOX = "outbox"
PROCESSED = "processed_events"
INSERT, REPLACE, UPSERT = "insert", "replace", "upsert"
DUPLICATE_KEY = 11000

# database name -> function that wakes that database's outbox relay with the outbox entries just
# committed (None: look in the store), registered by OutboxRelay (one relay per service process)
_relay_wakers: dict[str, Callable[[list[dict] | None], None]] = {}


def register_relay(database: str, wake: Callable[[list[dict] | None], None]) -> None:
    _relay_wakers[database] = wake


def unregister_relay(database: str, wake: Callable[[list[dict] | None], None]) -> None:
    if _relay_wakers.get(database) == wake:
        del _relay_wakers[database]


def wake_relay(database: str, entries: list[dict] | None = None) -> None:
    """Wake the database's relay; ``entries`` are outbox documents just committed (the relay may
    publish them without reading them back)."""
    wake = _relay_wakers.get(database)
    if wake is not None:
        wake(entries)


class StaleWrite(PyMongoError):
    """A conditional write found the document changed since it was read (another worker committed
    first).  Labelled transient: the driver runs the whole unit of work again."""

    def __init__(self, what: str):
        super().__init__(f"{what} changed since it was read", error_labels=["TransientTransactionError"])


class AlreadyApplied(Exception):
    """A processed-event marker of the unit already exists: an event of it was applied before."""


class ReadOnly(RuntimeError):
    """A write was asked of a read-only unit of work (``Units.read``, contract.unitstore)."""


def outbox_entries(events: list[dict], now) -> list[dict]:
    """The outbox documents for staged ``events`` (an event, or a message for another exchange)."""
    return [
        {"_id": e.get("id") or e["payload"]["event_id"], "event_type": e["event_type"],
         "source": e["source"], "payload": e["payload"], "created_at": now,
         "next_attempt_at": now, "attempts": 0, "dispatched_at": None, "last_error": None,
         # a message for another exchange than the service's events (hub links)
         **{k: e[k] for k in ("exchange", "routing_key", "properties") if k in e}}
        for e in events]


class Repository:
    """Base of a service's repositories: the unit of work's session and database, and its verbs.

    A repository is built for one unit of work (``uow.reports``); its verbs read through the unit's
    session and write through the unit, so they have one behaviour wherever they are called."""

    def __init__(self, uow: "UnitOfWork"):
        self.uow = uow
        self.db = uow.db
        self.session = uow.session


class UnitOfWork:
    """One worker's unit of work: its session (and transaction), what it read and what it collected."""

    def __init__(self, client, db, session, *, now: Callable[[], Any], settings: Any = None,
                 repositories: dict[str, type] | None = None, writable: bool = True,
                 batch: Iterable[tuple[str, dict]] = (), shared: dict | None = None):
        self.client, self.db, self.session = client, db, session
        self.now = now
        self.settings = settings
        self.shared = shared if shared is not None else {}  # the store's process-wide caches
        self.writable = writable
        self.markers: list[str] = []
        self.events: list[dict] = []
        self.after_commit_calls: list[Callable[[], None]] = []
        self.before_flush_calls: list[Callable[[], None]] = []
        batch = list(batch)
        # the messages of the batch (events, or a group commit's commands: their handler's name and
        # argument), so that a read can read ahead for them
        self.batch_types = [event_type for event_type, _ in batch]
        self.batch = [event for _, event in batch]
        self.read_ahead: dict = {}  # collection or (collection, field) -> {value: document or None}
        self.pending: dict[str, dict] = {}  # collection -> {_id: [kind, document, expected fields]}
        self.updates: dict[str, list] = {}  # collection -> commutative UpdateOne requests
        self.checked: dict[str, list] = {}  # collection -> conditional UpdateOne requests (each must match)
        self.memos: dict[Hashable, Any] = {}
        self.outbox_entries: list[dict] = []  # what the commit wrote to the outbox (handed to the relay)
        for name, repository in (repositories or {}).items():
            setattr(self, name, repository(self))

    # --- what the handler collects ----------------------------------------------------------
    def stage(self, events: list[dict] | None) -> None:
        """Events to publish once the unit commits (written to the outbox in its transaction)."""
        if events:
            self._writing()
            self.events.extend(events)

    def mark(self, event_id: str) -> bool:
        """Record that ``event_id`` is applied in this unit; False when it already was."""
        if event_id in self.markers:
            return False
        self._writing()
        self.markers.append(event_id)
        return True

    def after_commit(self, call: Callable[[], None]) -> None:
        """Run ``call`` once the unit has committed (never if it rolls back)."""
        self.after_commit_calls.append(call)

    def before_flush(self, call: Callable[[], None]) -> None:
        """Run ``call`` when the unit starts writing, before its collected writes go out: a repository
        writes there what it gathered over the whole unit (one update per document, not per event)."""
        self.before_flush_calls.append(call)

    def memo(self, key: Hashable, read: Callable[[], Any]) -> Any:
        """``read()`` once per unit of work (what no event of a batch changes)."""
        if key not in self.memos:
            self.memos[key] = read()
        return self.memos[key]

    # --- read-ahead -------------------------------------------------------------------------
    def read(self, collection: str, value, *, key: str | Callable[[str, dict], Iterable] | None = None,
             projection: dict | None = None, field: str = "_id") -> dict | None:
        """The document of ``collection`` whose ``field`` is ``value``: the first time, one ``$in``
        query for the values of every event of the batch (``key``: the events' field holding it, or a
        function (event type, event) -> values); a document the unit saved wins over what was read."""
        written = self.written(collection, field, value)
        if written is not None:
            return written
        docs = self.read_ahead.setdefault(collection if field == "_id" else (collection, field), {})
        if value not in docs:
            wanted = {value}
            if key is not None:
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
        """The document the unit saved (not yet written) whose ``field`` is ``value``, if any."""
        pending = self.pending.get(collection)
        if not pending:
            return None
        if field == "_id":
            op = pending.get(value)
            return op[1] if op else None
        return next((op[1] for op in pending.values() if op[1].get(field) == value), None)

    def remember(self, collection: str, doc: dict) -> None:
        """After a write of ``doc`` made at once: what ``read`` answers for it in the rest of the unit."""
        for key, docs in self.read_ahead.items():
            name, field = (key, "_id") if isinstance(key, str) else key
            if name == collection and field in doc:
                docs[doc[field]] = doc

    # --- write-behind ------------------------------------------------------------------------
    def save(self, collection: str, doc: dict, expect: dict | None = None, upsert: bool = False) -> None:
        """Write ``doc`` at the commit: inserted (neither ``expect`` nor ``upsert``), replacing the stored
        one if it still has the ``expect``-ed fields (else StaleWrite: the unit runs again), or upserted.
        Saved again in the same unit: one write of the latest document, with the first expectation."""
        self._writing()
        pending = self.pending.setdefault(collection, {})
        if expect is None and not upsert:
            doc.setdefault("_id", ObjectId())  # as insert_one would
        op = pending.get(doc["_id"])
        if op is not None:
            op[1] = doc
        else:
            pending[doc["_id"]] = [UPSERT if upsert else REPLACE if expect is not None else INSERT, doc, expect]
        self.remember(collection, doc)

    def insert(self, collection: str, doc: dict) -> None:
        """Insert ``doc`` at the commit (with the unit's other documents of that collection in one write)."""
        self.save(collection, doc)

    def update(self, collection: str, requests) -> None:
        """Commutative updates (``UpdateOne``s, e.g. an ``$inc`` of a counter), written at the commit."""
        self._writing()
        self.updates.setdefault(collection, []).extend(requests if isinstance(requests, list) else [requests])

    def update_checked(self, collection: str, requests) -> None:
        """Conditional updates (``UpdateOne``s whose filter holds what was read), written at the commit in
        order with the unit's others of that collection; one not matching makes the unit run again."""
        self._writing()
        self.checked.setdefault(collection, []).extend(requests if isinstance(requests, list) else [requests])

    def _writing(self) -> None:
        if not self.writable:
            raise ReadOnly("a write in a read-only unit of work")

    def flush(self) -> None:
        """Write what the unit collected, inside its transaction: saved documents, updates, the
        processed-event markers and the outbox entries, one bulk write per collection and kind.
        The markers go first: an event applied before (a redelivery) is then told apart from a
        conflict of the unit's own documents."""
        for call in self.before_flush_calls:
            call()
        if self.markers:
            now = self.now()
            try:
                self.db[PROCESSED].insert_many([{"_id": m, "at": now} for m in self.markers], ordered=False,
                                               session=self.session)
            except BulkWriteError as exc:
                if any(e.get("code") == DUPLICATE_KEY for e in exc.details.get("writeErrors", [])):
                    raise AlreadyApplied() from exc
                raise
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
        if self.events:
            self.outbox_entries = outbox_entries(self.events, self.now())
            self.db[OUTBOX].insert_many(self.outbox_entries, session=self.session)

    def committed(self) -> None:
        """After the commit: hand the outbox entries to the relay, then the after-commit calls."""
        if self.outbox_entries:
            wake_relay(self.db.name, self.outbox_entries)
        for call in self.after_commit_calls:
            try:
                call()
            except Exception:
                log.warning("after-commit call failed", exc_info=True)

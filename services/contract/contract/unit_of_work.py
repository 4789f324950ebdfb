"""One unit of work per worker (nameko-sqlalchemy's worker session, cosmicpython's unit of work).

A batch worker opens one session and one transaction; every repository verb called while it runs
(``Repository.once``, ``Repository.transaction``, ``Repository.stage_events``) writes through that
session instead of opening a transaction of its own.  At the end the unit of work writes the
processed-event markers and the outbox entries with one bulk insert each, commits once, then runs
what waits for the commit (waking the outbox relay, the KPI compactor).

The current unit of work is greenthread-local: nameko runs each worker in its own greenthread.
"""
from __future__ import annotations

import logging
from typing import Any, Callable

from eventlet.corolocal import local

log = logging.getLogger(__name__)

_current = local()

# database name -> function that wakes that database's outbox relay (registered by OutboxRelay)
_relay_wakers: dict[str, Callable[[], None]] = {}


def register_relay(database: str, wake: Callable[[], None]) -> None:
    _relay_wakers[database] = wake


def unregister_relay(database: str, wake: Callable[[], None]) -> None:
    if _relay_wakers.get(database) == wake:
        del _relay_wakers[database]


def wake_relay(database: str) -> None:
    wake = _relay_wakers.get(database)
    if wake is not None:
        wake()


def current() -> "UnitOfWork | None":
    return getattr(_current, "uow", None)


class UnitOfWork:
    """The worker's session and what it collected: markers, outbox entries, after-commit calls."""

    def __init__(self, client, db, session):
        self.client, self.db, self.session = client, db, session
        self.markers: list[str] = []
        self.events: list[dict] = []
        self.after_commit: list[Callable[[], None]] = []
        self.inserts: dict[str, list[dict]] = {}

    def mark(self, event_id: str) -> bool:
        """Record that ``event_id`` is applied in this unit; False when it already was."""
        if event_id in self.markers:
            return False
        self.markers.append(event_id)
        return True

    def flush(self, stage: Callable[[Any, list[dict]], None], processed_collection: str, now) -> None:
        """Write the collected inserts, markers and outbox entries in bulk, inside the transaction."""
        for collection, docs in self.inserts.items():
            self.db[collection].insert_many(docs, ordered=True, session=self.session)
        if self.markers:
            self.db[processed_collection].insert_many([{"_id": m, "at": now} for m in self.markers],
                                                      ordered=False, session=self.session)
        stage(self.session, self.events)


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
        wake_relay(db.name)
    for call in uow.after_commit:
        try:
            call()
        except Exception:
            log.warning("after-commit call failed", exc_info=True)
    return result

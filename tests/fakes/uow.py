"""A fake unit of work (cosmicpython's ``FakeUnitOfWork``): handlers' behaviour tested in memory.

A service's fake repositories keep their documents in plain dicts and implement the same domain
verbs as the real ones (``FakeRepository`` gives them ``docs``, a dict per collection).  ``FakeUnits``
stands where a worker's ``contract.unitstore.Units`` stands: ``run(handler, *args)`` calls the handler with
a :class:`FakeUnitOfWork`; what it staged counts as published only if it returns, and everything
its repositories changed is put back if it raises (a rolled back transaction)::

    units = FakeUnits({"reports": FakeReports}, settings=Settings(hub_code="5108"))
    receipt = units.run(handlers.accept_report, command)
    assert units.published == ["report_received"]
"""
from __future__ import annotations

import copy
import pickle
from datetime import datetime, timezone
from typing import Any, Callable, Iterable

from contract.uow import ReadOnly


class FakeRepository:
    """Base of a fake repository: ``self.docs[collection][_id]`` shared by every unit of a FakeUnits."""

    def __init__(self, uow: "FakeUnitOfWork"):
        self.uow = uow
        self.docs: dict[str, dict] = uow.state.setdefault(type(self).__name__, {})

    def collection(self, name: str) -> dict:
        return self.docs.setdefault(name, {})


class FakeUnitOfWork:
    """The verbs a handler uses besides its repositories: stage, mark, after_commit, memo, now, settings."""

    def __init__(self, units: "FakeUnits", writable: bool = True, batch: Iterable[tuple[str, dict]] = ()):
        self.units, self.state, self.settings, self.shared = units, units.state, units.settings, units.shared
        self.writable = writable
        self.events: list[dict] = []
        self.markers: list[str] = []
        self.after_commit_calls: list[Callable[[], None]] = []
        self.memos: dict = {}
        self.batch = list(batch)
        for name, repository in units.repositories.items():
            setattr(self, name, repository(self))

    def now(self) -> datetime:
        return self.units.clock()

    def stage(self, events: list[dict] | None) -> None:
        if events:
            self._writing()
            self.events.extend(events)

    def mark(self, event_id: str) -> bool:
        if event_id in self.markers or event_id in self.units.applied:
            return False
        self.markers.append(event_id)
        return True

    def after_commit(self, call: Callable[[], None]) -> None:
        self.after_commit_calls.append(call)

    def memo(self, key, read: Callable[[], Any]) -> Any:
        if key not in self.memos:
            self.memos[key] = read()
        return self.memos[key]

    def _writing(self) -> None:
        if not self.writable:
            raise ReadOnly("a write in a read-only unit of work")


def snapshot(state: dict) -> dict:
    """A deep copy of the units' documents (what a rolled back unit puts back): a pickle round trip,
    several times faster than ``copy.deepcopy`` on the plain data the fakes keep (every ``run`` takes
    one), with ``deepcopy`` for anything pickle cannot carry."""
    try:
        return pickle.loads(pickle.dumps(state, pickle.HIGHEST_PROTOCOL))
    except Exception:
        return copy.deepcopy(state)


class FakeUnits:
    """In-memory stand-in for ``contract.unitstore.Units`` (``run``, ``read``, ``together``)."""

    def __init__(self, repositories: dict[str, type], settings: Any = None,
                 clock: Callable[[], datetime] | None = None):
        self.repositories, self.settings = repositories, settings
        self.state: dict = {}
        self.shared: dict = {}
        self.outbox: list[dict] = []  # every event staged by a committed unit, in order
        self.applied: set[str] = set()
        self.commits = 0
        self.made_way = 0  # batches of events that let a front door's commits go first (Units.make_way)
        self.clock = clock or (lambda: datetime.now(timezone.utc))

    @property
    def published(self) -> list[str]:
        return [e["event_type"] for e in self.outbox]

    def payloads(self, event_type: str) -> list[dict]:
        return [e["payload"] for e in self.outbox if e["event_type"] == event_type]

    def run(self, handler: Callable[..., Any], *args, batch: Iterable[tuple[str, dict]] = (), **kwargs) -> Any:
        before = snapshot(self.state)
        uow = FakeUnitOfWork(self, batch=batch)
        try:
            result = handler(uow, *args, **kwargs)
        except BaseException:
            self.state.clear()
            self.state.update(before)
            raise
        self.outbox.extend(uow.events)
        self.applied.update(uow.markers)
        self.commits += 1
        for call in uow.after_commit_calls:
            call()
        return result

    def read(self, handler: Callable[..., Any], *args, **kwargs) -> Any:
        return handler(FakeUnitOfWork(self, writable=False), *args, **kwargs)

    def together(self, handler: Callable[..., Any], *args) -> Any:
        return self.run(handler, *args)

    def make_way(self) -> None:
        self.made_way += 1

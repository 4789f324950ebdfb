"""A service's store: the DependencyProvider that runs its use cases in units of work
(``contract.uow``), one transaction each, committed before the caller is answered.

    class ReportStore(UnitOfWorkProvider):
        repositories = {"reports": Reports}      # built for each unit: uow.reports
        indexes = {"reports": [IndexModel(...)]}
        group_commit = True                      # Units.together shares transactions

An entrypoint calls ``self.store.run(handler, message)`` (``Units``); a CLI or a test builds a
``UnitOfWorkStore`` from a client. Why ``run`` commits rather than ``worker_result``: see
``contract.uow``.
"""
from __future__ import annotations

import logging
import time
import weakref
from typing import Any, Callable, Iterable

from nameko.extensions import DependencyProvider
from pymongo import ASCENDING, IndexModel, WriteConcern

from contract.admission import arrived_of
from contract.transaction import DEFAULT_LIMIT_SECONDS, run_transaction
from contract.uow import OUTBOX, Repository, UnitOfWork

log = logging.getLogger(__name__)


class Units:
    """What a worker gets from its service's :class:`Store`: ``run`` a handler in a unit of work."""

    def __init__(self, store, worker_ctx=None):
        self._store = store
        self.worker_ctx = worker_ctx
        # group commit's deadline and admission count from the request's arrival (contract.admission)
        self.started = arrived_of(worker_ctx) or time.monotonic()
        self.ran = 0  # units this worker committed (read by the store's worker_result)

    @property
    def settings(self) -> Any:
        return self._store.settings

    def run(self, handler: Callable[..., Any], *args, batch: Iterable[tuple[str, dict]] = (), **kwargs) -> Any:
        """``handler(uow, *args)`` in one transaction: committed (then the relay woken and the
        after-commit calls run) before this returns; rolled back if it raises."""
        store = self._store
        holder: dict = {}

        def txn(session):
            uow = holder["uow"] = store.unit(session, batch=batch)
            result = handler(uow, *args, **kwargs)
            uow.flush()
            return result

        with store.client.start_session() as session:
            result = run_transaction(session, txn, write_concern=WriteConcern("majority"),
                                     limit=store.retry_seconds, service=store.service_label)
        holder["uow"].committed()
        self.ran += 1
        return result

    def read(self, handler: Callable[..., Any], *args, **kwargs) -> Any:
        """``handler(uow, *args)`` with a read-only unit of work (no transaction; a write raises ReadOnly)."""
        return handler(self._store.unit(None, writable=False), *args, **kwargs)

    def _committer(self):
        """The store's running group committer (``contract.batching.GroupCommitter``), or None."""
        committer = getattr(self._store, "committer", None)
        return committer if committer is not None and committer.running else None

    def make_way(self) -> None:
        """Before a batch of events: let the store's group committer's submissions commit first
        (``GroupCommitter.make_way``); nothing without one."""
        committer = self._committer()
        if committer is not None:
            committer.make_way()

    def together(self, handler: Callable[..., Any], *args) -> Any:
        """``handler(uow, *args)`` committed with concurrent submissions in one transaction when the
        store has a group committer (``contract.batching.GroupCommitter``); else as ``run``."""
        committer = self._committer()
        if committer is None:
            return self.run(handler, *args)
        return committer.submit(handler, args, since=self.started)


def settings_from(config: dict) -> dict:
    """The default settings a store parses once: the service's config as it is."""
    return dict(config)


class UnitOfWorkStore:
    """The parts of :class:`Store` that need no container (a CLI or a test builds one from a client)."""

    repositories: dict[str, type[Repository]] = {}
    committer = None
    retry_seconds = DEFAULT_LIMIT_SECONDS  # how long a unit of work is run again on conflicts
    service_label = "cli"  # the service label of its metrics

    def __init__(self, client=None, db=None, settings: Any = None, now: Callable[[], Any] | None = None):
        if client is not None:
            self.client, self.db = client, db
        self.settings = settings
        self.shared: dict = {}
        if now is not None:
            self.now = now

    def now(self):
        from contract.store import utcnow
        return utcnow()

    def unit(self, session, *, writable: bool = True, batch: Iterable[tuple[str, dict]] = ()) -> UnitOfWork:
        return UnitOfWork(self.client, self.db, session, now=self.now, settings=self.settings,
                          repositories=self.repositories, writable=writable, batch=batch, shared=self.shared)

    def units(self, worker_ctx=None) -> Units:
        return Units(self, worker_ctx)


class UnitOfWorkProvider(UnitOfWorkStore, DependencyProvider):
    """A service's store: connects in ``setup`` (one client per process), creates its indexes, parses
    its settings once, and gives each worker a :class:`Units` (``self.store.run(handler, message)``).

    A service subclasses it, naming its ``repositories`` (attribute name -> Repository class, built
    for each unit of work), its ``indexes`` (collection -> IndexModels) and, if it has settings,
    ``parse_settings(config)`` (the object handlers read as ``uow.settings``)."""

    indexes: dict[str, list[IndexModel]] = {}
    group_commit = False  # True: ``Units.together`` shares transactions (GROUP_COMMIT_* settings)

    def __init__(self, **kwargs):
        DependencyProvider.__init__(self, **kwargs)
        self.workers: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self.shared = {}

    @staticmethod
    def parse_settings(config: dict) -> Any:
        return settings_from(config)

    def setup(self):
        from contract.store import DEFAULT_URI, acquire_client, database_name
        config = self.container.config
        self.uri = config.get("MONGODB_URI") or DEFAULT_URI
        self.database = database_name(config, self.container.service_name)
        self.client = acquire_client(self.uri, self.container.service_name)
        self.db = self.client[self.database]
        self.settings = self.parse_settings(config)
        self.retry_seconds = float(config.get("TRANSACTION_RETRY_SECONDS", DEFAULT_LIMIT_SECONDS))
        self.service_label = self.container.service_name
        all_indexes = {OUTBOX: [IndexModel([("dispatched_at", ASCENDING), ("next_attempt_at", ASCENDING)])],
                       **self.indexes}
        for collection, models in all_indexes.items():
            if models:
                self.db[collection].create_indexes(models)
        self.committer = None
        size = int(config.get("GROUP_COMMIT_MAX_SIZE", 64)) if self.group_commit else 0
        if size > 0:
            from contract.batching import GroupCommitter
            budget = config.get("GROUP_COMMIT_ADMISSION_SECONDS")  # None: a third of the deadline
            self.committer = GroupCommitter(self.units, self.container.service_name, size,
                                            float(config.get("GROUP_COMMIT_MAX_WAIT_SECONDS", 0)),
                                            int(config.get("GROUP_COMMIT_CONCURRENCY", 2)),
                                            float(config.get("GROUP_COMMIT_DEADLINE_SECONDS", 0)),
                                            admission_budget=None if budget in (None, "") else float(budget))

    def start(self):
        if self.committer is not None:
            self.committer.start(self.container)

    def stop(self):
        from contract.store import release_client
        if self.committer is not None:
            self.committer.stop()
        release_client(self.uri, self.container.service_name)

    def kill(self):
        from contract.store import release_client
        if self.committer is not None:
            self.committer.kill()
        release_client(self.uri, self.container.service_name)

    def worker_setup(self, worker_ctx):
        self.workers[worker_ctx] = Units(self, worker_ctx)

    def get_dependency(self, worker_ctx):
        units = self.workers.get(worker_ctx)
        if units is None:
            units = self.workers[worker_ctx] = Units(self, worker_ctx)
        return units

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        units = self.workers.get(worker_ctx)
        if exc_info is not None and units is not None and units.ran:
            # the worker failed after a unit of work committed: what it committed stays (and its
            # events are published); the caller sees the error
            log.warning("%s: %s failed after committing %d unit(s) of work", self.container.service_name,
                        worker_ctx.entrypoint.method_name, units.ran)

    def worker_teardown(self, worker_ctx):
        self.workers.pop(worker_ctx, None)

"""Group commit: concurrent submissions share one store transaction (issue 12).

A web, Open311 or channel submission used to run its own transaction, so every accepted report
paid a commit (an fsync on the local store, a ``w:majority`` round trip on a replica set).  With
group commit each HTTP worker hands its write (``work``, a function that writes through the
repository's verbs) to the service's one committer greenthread and waits.  The committer takes
what is queued, up to ``GROUP_COMMIT_MAX_SIZE`` (a lone submission is committed at once; with
``GROUP_COMMIT_MAX_WAIT_SECONDS`` above 0 it waits that long for a group to fill), runs the works
one after the other in one unit of work (``contract.unit_of_work``: one transaction, the outbox
entries and the inserts collected by ``insert_later`` written in bulk), commits, and only then
wakes each waiter with its own outcome.  While a group commits, the next one queues.

``GROUP_COMMIT_CONCURRENCY`` committers (default 2) take groups from the one queue, so a group
gathers while another commits and the service keeps more than one transaction in flight: with a
single committer, a store busy with other clients' commands served intake's one connection its
one turn at a time, and acceptance got slower than without group commit (docs/intake.md).

- A member whose own part fails (a duplicate idempotency key, a rule checked at the store) does
  not fail the others: the group is rolled back and run again without it, and the member is then
  run alone, in a transaction of its own, after the rest committed: its outcome is what it would
  have been without group commit (a duplicate key is then a duplicate of a committed report).
- A group failing as a whole (not attributable to one member, e.g. a bulk insert at the commit)
  is run again member by member.
- A store outage (``contract.store.store_fault``) fails every waiter with that error: each caller
  answers 503 with Retry-After, as without group commit.
- No waiter is woken before the commit that holds its write returned.
"""
from __future__ import annotations

import logging
import time
from typing import Any, Callable

import eventlet
from eventlet.event import Event
from eventlet.queue import Empty, LightQueue
from pymongo.errors import ConnectionFailure, PyMongoError

from contract import unit_of_work
from contract.store import Repository, Store, store_fault

log = logging.getLogger(__name__)

DEFAULT_MAX_SIZE = 64
DEFAULT_CONCURRENCY = 2
from contract.batching import GROUP_SIZE, ISOLATED  # noqa: E402  (one set of metrics for both)


class _Submission:
    def __init__(self, work: Callable[[], Any]):
        self.work = work
        self._done = Event()

    def succeed(self, result: Any) -> None:
        self._done.send((True, result))

    def fail(self, exc: BaseException) -> None:
        self._done.send((False, exc))

    def outcome(self) -> Any:
        ok, value = self._done.wait()
        if not ok:
            raise value
        return value


class _MemberFailed(Exception):
    def __init__(self, member: _Submission, cause: BaseException):
        super().__init__(repr(cause))
        self.member, self.cause = member, cause


def _for_the_whole_group(exc: BaseException) -> bool:
    """An error the transaction as a whole must see: retried by the driver, or an outage."""
    return isinstance(exc, ConnectionFailure) or (
        isinstance(exc, PyMongoError) and (exc.has_error_label("TransientTransactionError")
                                           or exc.has_error_label("UnknownTransactionCommitResult")))


class GroupCommitter:
    """``concurrency`` committer greenthreads per container; ``submit(work)`` from any worker greenthread."""

    def __init__(self, repository: Repository, service: str, max_size: int = DEFAULT_MAX_SIZE,
                 max_wait: float = 0.0, concurrency: int = DEFAULT_CONCURRENCY):
        self.repository, self.service = repository, service
        self.max_size, self.max_wait = max(1, max_size), max(0.0, max_wait)
        self.concurrency = max(1, concurrency)
        self._queue: LightQueue = LightQueue()
        self._running = False
        self._threads: list = []

    def start(self, container) -> None:
        self._running = True
        self._threads = [container.spawn_managed_thread(self._run, identifier=f"{self.service}.group_commit")
                         for _ in range(self.concurrency)]

    def stop(self) -> None:
        """Commit what is queued, then end the committers."""
        self._running = False
        for _ in self._threads:
            self._queue.put(None)
        with eventlet.Timeout(30, False):
            for thread in self._threads:
                if thread is not eventlet.getcurrent():
                    thread.wait()

    def submit(self, work: Callable[[], Any]) -> Any:
        """Run ``work()`` in the next group's transaction; return its result (or raise its error)
        once that transaction is committed.  Without a running committer, or from inside a unit
        of work already, ``work()`` runs at once in the caller."""
        if not self._running or unit_of_work.current() is not None or eventlet.getcurrent() in self._threads:
            return work()
        item = _Submission(work)
        self._queue.put(item)
        return item.outcome()

    # --- the committer greenthread ------------------------------------------------------------

    def _run(self) -> None:
        while True:
            group = self._take()
            if group is None:
                return
            if group:
                try:
                    self._commit(group)
                except Exception as exc:  # never leave a waiter hanging (a kill, GreenletExit, ends it)
                    log.exception("%s: group commit failed", self.service)
                    for item in group:
                        if not item._done.ready():
                            item.fail(exc)

    def _take(self) -> list[_Submission] | None:
        """The next group (at most ``max_size``); None once stopped with nothing queued."""
        try:
            first = self._queue.get(timeout=1.0)
        except Empty:
            return None if not self._running else []
        group = [first] if first is not None else []
        deadline = time.monotonic() + self.max_wait
        while len(group) < self.max_size:
            try:
                if self._queue.qsize():
                    item = self._queue.get_nowait()
                elif self.max_wait and self._running and group and time.monotonic() < deadline:
                    item = self._queue.get(timeout=deadline - time.monotonic())
                else:
                    break
            except Empty:
                break
            if item is not None:
                group.append(item)
        if not group and not self._running:
            return None
        return group

    def _commit(self, group: list[_Submission]) -> None:
        pending, alone = list(group), []
        while pending:
            try:
                results = self.repository.unit_of_work(lambda uow: self._apply(pending))
            except _MemberFailed as failed:
                pending.remove(failed.member)
                alone.append(failed.member)
                ISOLATED.labels(self.service).inc()
                log.info("%s: a submission failed in a group of %d (%s); the rest again without it",
                         self.service, len(pending) + 1, failed.cause)
                continue
            except Exception as exc:
                if store_fault(exc) is not None or len(pending) == 1:
                    for item in pending:
                        item.fail(exc)
                else:
                    log.warning("%s: a group of %d failed (%s); committing them one by one", self.service,
                                len(pending), exc)
                    alone.extend(pending)
                pending = []
                break
            GROUP_SIZE.labels(self.service).observe(len(pending))
            for item, result in zip(pending, results):
                item.succeed(result)
            pending = []
        for item in alone:
            try:
                item.succeed(self.repository.unit_of_work(lambda uow, item=item: item.work()))
            except Exception as exc:
                item.fail(exc)

    @staticmethod
    def _apply(pending: list[_Submission]) -> list[Any]:
        results = []
        for item in pending:
            try:
                results.append(item.work())
            except Exception as exc:
                if _for_the_whole_group(exc):
                    raise
                raise _MemberFailed(item, exc) from exc
        return results


class GroupCommitted:
    """Mixed into a Repository: ``together(work)`` commits ``work`` with concurrent submissions."""

    group_commit: GroupCommitter | None = None

    def together(self, work: Callable[[], Any]) -> Any:
        committer = self.group_commit
        return committer.submit(work) if committer is not None else work()


class GroupCommitStore(Store):
    """A Store whose repository (a ``GroupCommitted``) gets a committer while the container runs.

    ``GROUP_COMMIT_MAX_SIZE`` (default 64; 0 turns group commit off: each submission its own
    transaction), ``GROUP_COMMIT_MAX_WAIT_SECONDS`` (default 0: no wait, groups form from what
    queued while the previous commit ran) and ``GROUP_COMMIT_CONCURRENCY`` (committers, default 2)."""

    def setup(self):
        super().setup()
        config = self.container.config
        size = int(config.get("GROUP_COMMIT_MAX_SIZE", DEFAULT_MAX_SIZE))
        self.committer = None
        if size > 0:
            self.committer = GroupCommitter(self.repository, self.container.service_name, size,
                                            float(config.get("GROUP_COMMIT_MAX_WAIT_SECONDS", 0)),
                                            int(config.get("GROUP_COMMIT_CONCURRENCY", DEFAULT_CONCURRENCY)))
            self.repository.group_commit = self.committer

    def start(self):
        if self.committer is not None:
            self.committer.start(self.container)

    def stop(self):
        if self.committer is not None:
            self.committer.stop()
            self.repository.group_commit = None
        super().stop()

    def kill(self):
        if self.committer is not None:
            self.committer._running = False
            self.repository.group_commit = None
        super().kill()

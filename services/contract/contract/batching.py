"""One batching algorithm: run members together in one unit of work, isolate a failing one, commit once.

Two things commit several pieces of work in one transaction: the event consumer (a batch of
events, ``contract.batch``) and group commit (concurrent submissions at the front door,
:class:`GroupCommitter`).  Both use :func:`commit_together`:

1. every member is applied in one unit of work, committed once;
2. a member whose own part fails (its handler raised something the whole transaction need not
   see) is taken out, the rest run again without it, and the failed member is then run alone: its
   outcome is what it would have been on its own;
3. a failure of the unit as a whole (not attributable to one member, e.g. a bulk write at the
   commit) runs every member alone;
4. an error the caller must handle for everyone (``fatal``: a store outage for the event consumer)
   propagates at once.  Transient errors are retried by the transaction itself.
"""
from __future__ import annotations

import logging
import time
from typing import Any, Callable, Sequence

import eventlet
from eventlet.event import Event
from eventlet.queue import Empty, LightQueue
from prometheus_client import Counter, Histogram
from pymongo.errors import ConnectionFailure, InvalidOperation, PyMongoError

from contract import admission, progress

log = logging.getLogger(__name__)

Outcome = tuple[bool, Any]  # (True, result) or (False, the exception)


class MemberFailed(Exception):
    """Raised out of a unit of work: member ``index``'s own part failed with ``cause``."""

    def __init__(self, index: int, cause: BaseException):
        super().__init__(repr(cause))
        self.index, self.cause = index, cause


def for_the_whole_unit(exc: BaseException) -> bool:
    """An error the transaction as a whole must see: retried by the driver, or an outage."""
    return isinstance(exc, (ConnectionFailure, InvalidOperation)) or (
        isinstance(exc, PyMongoError) and (exc.has_error_label("TransientTransactionError")
                                           or exc.has_error_label("UnknownTransactionCommitResult")))


def commit_together(run_unit: Callable[[Callable[[Any], Any]], Any], members: Sequence[Any],
                    apply: Callable[[Any, Any], Any],
                    fatal: Callable[[BaseException], bool] = lambda exc: False,
                    on_isolated: Callable[[BaseException], None] = lambda exc: None) -> list[Outcome]:
    """Apply every member in one unit of work (``run_unit(work)`` runs ``work(uow)`` in one transaction
    and commits it); one outcome per member, in order.  See the module's docstring for the rules."""
    outcomes: list[Outcome | None] = [None] * len(members)
    pending, alone = list(range(len(members))), []

    def apply_each(uow, indexes):
        results = []
        for index in indexes:
            try:
                results.append(apply(uow, members[index]))
            except Exception as exc:
                if for_the_whole_unit(exc) or fatal(exc):
                    raise
                raise MemberFailed(index, exc) from exc
        return results

    while pending:
        try:
            results = run_unit(lambda uow, indexes=tuple(pending): apply_each(uow, indexes))
        except MemberFailed as failed:
            if len(pending) == 1:
                outcomes[failed.index] = (False, failed.cause)
                pending = []
                break
            pending.remove(failed.index)
            alone.append(failed.index)
            on_isolated(failed.cause)
            log.info("a member failed in a unit of %d (%s); the rest again without it", len(pending) + 1,
                     failed.cause)
            continue
        except Exception as exc:
            if fatal(exc):
                raise
            if len(pending) == 1 or isinstance(exc, (ConnectionFailure, InvalidOperation)):
                for index in pending:
                    outcomes[index] = (False, exc)
            else:
                log.warning("a unit of %d failed (%s); committing them one by one", len(pending), exc)
                alone.extend(pending)
            pending = []
            break
        for index, result in zip(pending, results):
            outcomes[index] = (True, result)
        pending = []
    for index in alone:
        try:
            outcomes[index] = (True, run_unit(lambda uow, index=index: apply(uow, members[index])))
        except Exception as exc:
            if fatal(exc):
                raise
            outcomes[index] = (False, exc)
    return outcomes  # type: ignore[return-value]


# --- group commit: concurrent submissions share one transaction --------------------------------------

DEFAULT_MAX_SIZE = 64
DEFAULT_CONCURRENCY = 2
MIN_WAIT_SECONDS = 0.1  # a submission that arrives with its deadline spent still gets this long
MAKE_WAY_SECONDS = 0.25  # the longest a batch of events waits for the front door's commits
MAKE_WAY_POLL_SECONDS = 0.005
STUCK_AFTER_SECONDS = 30.0  # submissions waiting and no group settled for this long: stuck (contract.progress)
GROUP_SIZE = Histogram(
    "lapor_store_group_commit_size", "Submissions committed together in one group commit.", ["service"],
    buckets=(1, 2, 4, 8, 16, 32, 64, 128))
ISOLATED = Counter(
    "lapor_store_group_commit_isolated_total",
    "Submissions taken out of a group commit because their own part failed, then run alone.", ["service"])


class SubmissionTimedOut(ConnectionFailure):
    """A submission's commit did not end within the group committer's deadline (the store is down
    or saturated): answered as a store outage, 503 with Retry-After (``contract.store.store_fault``).
    Not yet taken by a committer, it is dropped (never committed); taken, it may still commit, as
    the 503's message says (resend with the same Idempotency-Key)."""


class _Submission:
    def __init__(self, handler: Callable[..., Any], args: tuple):
        self.handler, self.args = handler, args
        self._done = Event()
        self.taken = self.abandoned = False

    def settle(self, outcome: Outcome) -> None:
        if not self._done.ready():
            self._done.send(outcome)

    def outcome(self, deadline: float = 0.0) -> Any:
        """The result (or the error) once committed; :class:`SubmissionTimedOut` after ``deadline``
        seconds (0: wait as long as it takes)."""
        with eventlet.Timeout(deadline or None, False):
            ok, value = self._done.wait()
            if not ok:
                raise value
            return value
        self.abandoned = True  # a committer that has not taken it yet drops it
        raise SubmissionTimedOut(f"not committed within {deadline:g} s"
                                 + ("" if self.taken else "; dropped, never committed"))


class GroupCommitter:
    """Group commit (issue 12): each HTTP worker hands its handler to one of ``concurrency`` committer
    greenthreads and waits; a committer takes what is queued (up to ``max_size``; with ``max_wait``
    above 0 it waits that long for a group to fill), commits it with :func:`commit_together`, and
    only then wakes each waiter with its own outcome.  A store outage fails every waiter (503), and
    so does a commit that has not ended ``deadline`` seconds after the submission (0: no deadline),
    so that a dead or saturated store gives the front door a quick 503 rather than a timeout.

    Admission control (issue 23, ``contract.admission``): ``check`` is the decision an entrypoint takes
    before any work: a request that has already waited longer than ``admission_budget`` seconds, or
    that the queue ahead of it would keep waiting past it at the measured commit rate, is refused at
    once (503 + Retry-After). A submission is refused at ``submit`` (never queued) only when it could
    no longer be committed within the deadline.  ``admission_budget`` None: a third of the
    deadline; 0: no admission control."""

    def __init__(self, units_of: Callable[[], Any], service: str, max_size: int = DEFAULT_MAX_SIZE,
                 max_wait: float = 0.0, concurrency: int = DEFAULT_CONCURRENCY, deadline: float = 0.0,
                 admission_budget: float | None = None, clock: Callable[[], float] = time.monotonic):
        self.units_of, self.service = units_of, service
        self.max_size, self.max_wait = max(1, max_size), max(0.0, max_wait)
        self.deadline = max(0.0, deadline)
        self.concurrency = max(1, concurrency)
        self.clock = clock
        budget = admission.default_budget(self.deadline) if admission_budget is None else admission_budget
        self.admission = admission.Admission(service, budget, self.concurrency, clock, self.max_size, self.deadline)
        self.in_commit = 0  # submissions taken by a committer and not yet settled
        self._queue: LightQueue = LightQueue()
        self.running = False
        self._threads: list = []
        self.last_progress = time.monotonic()  # when a committer last settled a group (health)

    def start(self, container) -> None:
        self.running = True
        self.watch = progress.watch(self.service, "group_commit", STUCK_AFTER_SECONDS, self.queued)
        admission.register(self.service, self.check)
        self._threads = [container.spawn_managed_thread(self._run, identifier=f"{self.service}.group_commit")
                         for _ in range(self.concurrency)]

    def stop(self) -> None:
        """Commit what is queued, then end the committers."""
        self.running = False
        self._unwatch()
        for _ in self._threads:
            self._queue.put(None)
        with eventlet.Timeout(30, False):
            for thread in self._threads:
                if thread is not eventlet.getcurrent():
                    thread.wait()

    def kill(self) -> None:
        self.running = False
        self._unwatch()

    def _unwatch(self) -> None:
        admission.unregister(self.service, self.check)
        if getattr(self, "watch", None) is not None:
            progress.unwatch(self.watch)

    def _advanced(self) -> None:
        if getattr(self, "watch", None) is not None:
            self.watch.advanced()

    def queued(self) -> int:
        return self._queue.qsize()

    def ahead(self) -> int:
        """Submissions a new one would wait for: queued, and taken by a committer but not settled."""
        return self.queued() + self.in_commit

    def make_way(self, limit: float = MAKE_WAY_SECONDS) -> None:
        """Wait, at most ``limit`` seconds, while submissions are queued or being committed: called by
        the service's event consumer before each batch, so that on a store that runs one transactional
        statement at a time a front door's commits (a committer with a deadline) go before the batch's.
        No wait for a committer without a deadline (notification's outcomes)."""
        if not self.deadline:
            return
        end = time.monotonic() + limit
        while self.running and self.ahead() and time.monotonic() < end:
            eventlet.sleep(MAKE_WAY_POLL_SECONDS)

    def check(self, arrived: float | None = None, known_ahead: int = 0) -> None:
        """Raise ``admission.Overloaded`` (503, nothing recorded) when a submission that arrived at
        ``arrived`` (``clock()`` time; None: now) would not be committed within the admission budget,
        behind the queue or ``known_ahead`` submissions (the caller's count), whichever is more."""
        ahead = max(self.ahead(), known_ahead)
        self._refuse_when(self.admission.refusal(ahead, arrived), ahead)

    def _refuse_when(self, reason: str | None, ahead: int) -> None:
        if reason is not None:
            raise self.admission.refuse(reason, ahead)

    def submit(self, handler: Callable[..., Any], args: tuple, since: float | None = None) -> Any:
        """Run ``handler(uow, *args)`` in the next group's transaction; its result (or its error) once
        that transaction is committed. The deadline counts from ``since`` (``clock()`` time the request
        arrived: its time before it got here counts too), else from now. Refused at once, never queued,
        when it could not be committed within the deadline (``Admission.late``)."""
        ahead = self.ahead()
        self._refuse_when(self.admission.late(ahead, since), ahead)
        item = _Submission(handler, args)
        self._queue.put(item)
        self.admission.observe(self.ahead())
        wait = self.deadline
        if wait and since is not None:
            wait = max(MIN_WAIT_SECONDS, wait - (self.clock() - since))
        try:
            return item.outcome(wait)
        except SubmissionTimedOut:
            if not item.taken:
                admission.expired(self.service)  # dropped: its caller has had its 503
            raise

    def _run(self) -> None:
        while True:
            group = self._take()
            if group is None:
                return
            if not group:
                self._advanced()  # idle: nothing waits
                continue
            self.in_commit += len(group)
            try:
                self.commit(group)
            except Exception as exc:  # never leave a waiter hanging
                log.exception("%s: group commit failed", self.service)
                for item in group:
                    item.settle((False, exc))
            except BaseException:  # killed (the container is going): answer the waiters, then end.
                # Swallowing GreenletExit here once kept a killed committer looping on a closed client
                # and starving the front door (issue 22)
                for item in group + self._drain():
                    item.settle((False, ConnectionFailure("the service is stopping")))
                raise
            finally:
                self.in_commit -= len(group)
                self.admission.observe(self.ahead())
            self.last_progress = time.monotonic()
            self._advanced()
            eventlet.sleep(0)  # never spin: let the other greenthreads run between groups

    def _drain(self) -> list[_Submission]:
        items = []
        while self._queue.qsize():
            item = self._queue.get_nowait()
            if item is not None:
                items.append(item)
        return items

    def _take(self) -> list[_Submission] | None:
        """The next group (at most ``max_size``); None once stopped with nothing queued."""
        try:
            first = self._queue.get(timeout=1.0)
        except Empty:
            return None if not self.running else []
        group = [first] if first is not None else []
        deadline = time.monotonic() + self.max_wait
        while len(group) < self.max_size:
            try:
                if self._queue.qsize():
                    item = self._queue.get_nowait()
                elif self.max_wait and self.running and group and time.monotonic() < deadline:
                    item = self._queue.get(timeout=deadline - time.monotonic())
                else:
                    break
            except Empty:
                break
            if item is not None:
                group.append(item)
        if not group and not self.running:
            return None
        group = [item for item in group if not item.abandoned]  # its waiter has had its 503
        for item in group:
            item.taken = True
        return group

    def commit(self, group: list[_Submission]) -> None:
        units, started = self.units_of(), self.clock()
        # the unit's batch holds the group's commands (handler name, first argument), so that a
        # repository reads ahead for all of them at once (``UnitOfWork.read``)
        batch = [(getattr(item.handler, "__name__", ""), item.args[0]) for item in group
                 if item.args and isinstance(item.args[0], dict)]
        # a submission whose waiter has already had its 503 is left out (the 503 then stays true)
        outcomes = commit_together(lambda work: units.run(work, batch=batch), group,
                                   lambda uow, item: None if item.abandoned else item.handler(uow, *item.args),
                                   on_isolated=lambda exc: ISOLATED.labels(self.service).inc())
        GROUP_SIZE.labels(self.service).observe(len(group))
        if any(ok for ok, _ in outcomes):  # a group that failed whole measured an outage, not the rate
            self.admission.committed(len(group), self.clock() - started)
        for item, outcome in zip(group, outcomes):
            item.settle(outcome)

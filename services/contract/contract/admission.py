"""Admission control at the front door (issue 23): under sustained overload, refuse the excess at
once instead of letting every request queue and run out of time.

Above its capacity a hub used to queue submissions (the HTTP workers, the group committer's queue)
until they ran out of the front door's deadline after taking their share of the work, so almost
none completed (95 of 3,600 at 30/s offered, bench/RESULTS.md). A submission is now refused, 503
with ``Retry-After`` and nothing recorded, when

- ``waited``: it has already waited longer than the admission budget before it got here (since the
  front door's ``X-Request-Start``, or since this process first saw it), or
- ``queue``: the submissions ahead of it cannot be committed within what is left of the budget, at
  the commit rate measured on the last groups (:class:`Admission`).

Both are decided at arrival, before any work. Once admitted and done with its own work (reads,
checks), a submission reaching the group committer is refused only when it could no longer be
committed within the deadline (:meth:`Admission.late`): the time it spent on its own work is not
queueing, and refusing it then would throw that work away and turn a slow machine's every request
into a refusal.

A submission admitted but not committed within the committer's deadline (counted from the same
arrival, so it matches the front door's) is dropped before its commit when no committer took it yet
(``expired``): its caller has had its 503.

The budget is ``GROUP_COMMIT_ADMISSION_SECONDS`` (default a third of the deadline, 0.5 s of 1.5 s;
0 without a deadline: no admission control).
"""
from __future__ import annotations

import math
import time
from typing import Callable

from prometheus_client import Counter, Gauge

from contract import errors

ADMISSION_SHARE_OF_DEADLINE = 1 / 3  # the default budget: this share of the committer's deadline
SMOOTHING = 0.3  # weight of the newest group in the measured commit rate
RETRY_AFTER_SECONDS = (2, 30)  # a refusal's Retry-After: the estimated wait, within these bounds
MAX_BELIEVED_QUEUEING = 60.0  # an X-Request-Start further back than this is a clock skew: ignored
ARRIVED = "lapor.arrived"  # WSGI environ key: when the request arrived (time.monotonic())

REFUSED = Counter(
    "lapor_http_admission_refused_total",
    "Submissions refused at arrival (503, nothing recorded) by admission control, or dropped from the "
    "group commit queue after their caller's deadline, by reason (waited, queue, expired).",
    ["service", "reason"])
QUEUED = Gauge(
    "lapor_store_group_commit_queued", "Submissions waiting for, or in, a group commit.", ["service"])
ESTIMATED_WAIT = Gauge(
    "lapor_store_group_commit_estimated_wait_seconds",
    "How long a submission arriving now would wait for its commit, at the measured commit rate.", ["service"])


class Overloaded(errors.ApiError):
    """503 + Retry-After: refused at arrival, nothing recorded (resend with the same Idempotency-Key)."""

    status = 503

    def __init__(self, reason: str, retry_after: int):
        super().__init__([errors.error(None, "overloaded")], status=503, headers={"Retry-After": str(retry_after)})
        self.reason = reason


def default_budget(deadline: float) -> float:
    return deadline * ADMISSION_SHARE_OF_DEADLINE if deadline > 0 else 0.0


class Admission:
    """The admission decision of one group committer: the measured cost of a group commit, the number
    of submissions ahead, and the budget.

    A group of ``n`` submissions takes about ``a + b * n`` seconds (``a`` the transaction's own cost,
    ``b`` each submission's): both fitted by least squares on the last groups (exponentially
    smoothed). Submissions ahead are committed in groups of at most ``max_size`` by ``concurrency``
    committers side by side. While every measured group had the same size there is nothing to fit:
    the group's time is taken as all ``a`` (groups that grow then show what each submission costs)."""

    def __init__(self, service: str, budget: float, concurrency: int = 1,
                 clock: Callable[[], float] = time.monotonic, max_size: int = 64, deadline: float = 0.0):
        self.service, self.budget, self.concurrency, self.clock = service, max(0.0, budget), max(1, concurrency), clock
        self.max_size, self.deadline = max(1, max_size), max(0.0, deadline)
        self.means: list[float] | None = None  # smoothed n, d, n*n, n*d of the last groups

    def committed(self, size: int, seconds: float) -> None:
        """A group of ``size`` submissions took ``seconds`` to commit."""
        if size <= 0:
            return
        sample = [float(size), seconds, float(size * size), size * seconds]
        if self.means is None:
            self.means = sample
        else:
            self.means = [mean + SMOOTHING * (value - mean) for mean, value in zip(self.means, sample)]

    def cost(self) -> tuple[float, float] | None:
        """(a, b): a group's fixed cost and each submission's, in seconds; None before any group."""
        if self.means is None:
            return None
        n, d, nn, nd = self.means
        spread = nn - n * n
        per_item = (nd - n * d) / spread if spread > 0.25 else 0.0
        per_item = min(max(per_item, 0.0), d / n)
        return d - per_item * n, per_item

    def estimated_wait(self, ahead: int) -> float:
        """Seconds until ``ahead`` submissions (queued and being committed) are committed: 0 before
        the first group was measured."""
        cost = self.cost()
        if not ahead or cost is None:
            return 0.0
        fixed, per_item = cost
        return (fixed * math.ceil(ahead / self.max_size) + per_item * ahead) / self.concurrency

    def queueing(self, ahead: int) -> float:
        """The part of :meth:`estimated_wait` that is waiting rather than committing: the submission
        joins the group that commits those last ahead of it, whose fixed cost it would pay anyway."""
        cost = self.cost()
        if not ahead or cost is None:
            return 0.0
        return max(0.0, self.estimated_wait(ahead) - cost[0] / self.concurrency)

    def waited(self, arrived: float | None) -> float:
        """Seconds since ``arrived`` (``clock()`` time; None: it has not waited)."""
        return max(0.0, self.clock() - arrived) if arrived is not None else 0.0

    def refusal(self, ahead: int, arrived: float | None) -> str | None:
        """Why a submission arriving at ``arrived`` (``clock()`` time) with ``ahead`` submissions before
        it is refused (``waited``, ``queue``), or None: admitted. Always admitted without a budget, and
        on the estimate with nothing ahead (:meth:`late`).

        A submission is refused when it has waited, or would queue, longer than the budget, or when it
        would not be committed within the deadline (its work would be lost: its caller has had a 503).
        The fixed cost of its own group is not queueing: when the store is so slow that one group
        takes longer than the budget, groups still fill (fewer, larger transactions) instead of
        admitting one submission per group."""
        if not self.budget:
            return None
        waited = self.waited(arrived)
        if waited > self.budget:
            return "waited"
        if not ahead:  # nothing ahead: commit it, the only way to learn today's rate (see ``late``)
            return None
        if waited + self.queueing(ahead) > self.budget:
            return "queue"
        if self.deadline and waited + self.estimated_wait(ahead + 1) > self.deadline:
            return "queue"
        return None

    def late(self, ahead: int, arrived: float | None) -> str | None:
        """Why a submission that arrived at ``arrived`` and has done its own work is refused at the
        committer with ``ahead`` submissions before it (``queue``: it would not be committed within
        the deadline), or None. The budget was spent at arrival (:meth:`refusal`).

        With nothing ahead it is never refused on the estimate: the estimate moves only when groups
        commit, so one slow commit (the first after the store came back) refusing everything would
        refuse for ever; the deadline still bounds its caller's wait."""
        if not self.budget or not self.deadline:
            return None
        waited = self.waited(arrived)
        if waited > self.deadline:  # measured: its caller has had its 503
            return "queue"
        if not ahead:
            return None
        return "queue" if waited + self.estimated_wait(ahead + 1) > self.deadline else None

    def refuse(self, reason: str, ahead: int) -> Overloaded:
        """The refusal to raise, counted; its Retry-After is the estimated wait of the queue."""
        REFUSED.labels(self.service, reason).inc()
        low, high = RETRY_AFTER_SECONDS
        return Overloaded(reason, min(high, max(low, math.ceil(self.estimated_wait(ahead)))))

    def observe(self, ahead: int) -> None:
        """Refresh the queue gauges (never fails a caller)."""
        try:
            QUEUED.labels(self.service).set(ahead)
            ESTIMATED_WAIT.labels(self.service).set(self.estimated_wait(ahead))
        except Exception:  # noqa: BLE001 - metrics never fail a request
            pass


def expired(service: str) -> None:
    """A submission dropped from the queue: its caller's deadline passed before a committer took it."""
    REFUSED.labels(service, "expired").inc()


def arrival(environ: dict, header: str | None, trusted: bool, now: Callable[[], float] = time.time,
            clock: Callable[[], float] = time.monotonic) -> float:
    """When a request arrived, as ``clock()`` time: the front door's ``X-Request-Start: t=<epoch s>``
    when it came from a trusted proxy (nginx sets it, replacing a client's own), else when this
    process first saw it (``environ[ARRIVED]``), else now."""
    seen = environ.get(ARRIVED, clock())
    if not trusted or not header:
        return seen
    try:
        started = float(header.strip().removeprefix("t="))
    except ValueError:
        return seen
    queued = now() - started
    if not 0.0 <= queued <= MAX_BELIEVED_QUEUEING:  # a clock skew between the hosts, or not a time
        return seen
    return min(seen, clock() - queued)


def arrived_of(worker_ctx) -> float | None:
    """When the request a worker serves arrived (``ARRIVED`` of an HTTP request's environ), else None."""
    args = getattr(worker_ctx, "args", None) or ()
    environ = getattr(args[0], "environ", None) if args else None
    return environ.get(ARRIVED) if isinstance(environ, dict) else None


Check = Callable[[float | None, int], None]
_GATES: dict[str, Check] = {}


def register(service: str, check: Check) -> None:
    """``check(arrived, ahead)`` raises :class:`Overloaded` when ``service`` is over its capacity
    (its group committer registers it while it runs; ``ahead``: requests the caller knows are ahead
    that the committer may not see yet); an entrypoint with admission calls it before any work."""
    _GATES[service] = check


def unregister(service: str, check: Check) -> None:
    if _GATES.get(service) == check:  # a bound method: equal, not the same object
        del _GATES[service]


def admit(service: str, arrived: float | None, ahead: int = 0) -> None:
    """Raise :class:`Overloaded` when ``service`` refuses a request that arrived at ``arrived`` with
    at least ``ahead`` requests before it."""
    check = _GATES.get(service)
    if check is not None:
        check(arrived, ahead)

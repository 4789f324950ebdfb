"""Admission control at the front door (issue 23, contract.admission and the group committer), with a
fake clock and no servers: above capacity a submission is refused at once (503 + Retry-After, never
queued, its handler never run) while those admitted are committed; one that already waited past the
budget is refused before any work; the front door's arrival time is believed only from a trusted proxy."""
import time

import eventlet
import pytest

from contract import admission
from contract.admission import Admission, Overloaded
from contract.batching import GroupCommitter, SubmissionTimedOut
from contract.http import error_response


class FakeClock:
    def __init__(self, now=1000.0):
        self.now = now

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds


class Container:
    def spawn_managed_thread(self, run, identifier=None):
        return eventlet.spawn(run)


class HeldUnits:
    """Units of work whose commits wait until ``release`` is sent (once sent, they run at once)."""

    def __init__(self):
        self.release, self.taken = eventlet.event.Event(), eventlet.event.Event()

    def run(self, work, **kwargs):
        if not self.taken.ready():
            self.taken.send(True)
        self.release.wait()
        return work(None)


def measured(gate, fixed, per_item):
    """Groups of 2 and 6 submissions that took ``fixed + per_item * n`` seconds each."""
    for size in (2, 6) * 10:
        gate.committed(size=size, seconds=fixed + per_item * size)


def refused_count(service, reason):
    return admission.REFUSED.labels(service, reason)._value.get()


def test_no_measurement_no_refusal_then_the_measured_rate_bounds_the_queue():
    clock = FakeClock()
    gate = Admission("probe", budget=0.5, concurrency=1, clock=clock)
    assert gate.refusal(ahead=100, arrived=clock()) is None  # nothing measured yet: admitted
    measured(gate, fixed=0.05, per_item=0.1)
    assert gate.cost() == pytest.approx((0.05, 0.1))
    assert gate.estimated_wait(4) == pytest.approx(0.45)
    assert gate.queueing(4) == pytest.approx(0.4)  # its own group's fixed cost is not queueing
    assert gate.refusal(ahead=5, arrived=clock()) is None
    assert gate.refusal(ahead=6, arrived=clock()) == "queue"
    assert gate.refusal(ahead=3, arrived=clock() - 0.15) is None
    assert gate.refusal(ahead=4, arrived=clock() - 0.15) == "queue"  # 0.15 s already spent + 0.4 s queueing
    assert gate.refusal(ahead=0, arrived=clock() - 0.6) == "waited"
    two = Admission("probe", budget=0.5, concurrency=2, clock=clock)
    measured(two, fixed=0.05, per_item=0.1)
    assert two.refusal(ahead=10, arrived=clock()) is None  # two committers side by side: 0.5 s
    assert two.refusal(ahead=11, arrived=clock()) == "queue"


def test_a_slow_store_still_fills_groups_but_never_admits_what_cannot_commit_within_the_deadline():
    clock = FakeClock()
    gate = Admission("probe", budget=0.5, clock=clock, max_size=64, deadline=1.5)
    measured(gate, fixed=0.8, per_item=0.01)  # one group takes longer than the budget
    assert gate.refusal(ahead=1, arrived=clock()) is None  # it joins the next group
    assert gate.refusal(ahead=40, arrived=clock()) is None  # 0.8 + 0.41: within the deadline
    assert gate.refusal(ahead=60, arrived=clock()) == "queue"  # 0.6 s of others' submissions first
    assert gate.refusal(ahead=20, arrived=clock() - 0.45) == "queue"  # 0.45 + 0.8 + 0.21 > 1.5: lost work


def test_groups_of_one_size_are_taken_as_the_transactions_cost_and_a_full_group_waits_for_the_next():
    clock = FakeClock()
    gate = Admission("probe", budget=0.5, clock=clock, max_size=64)
    for _ in range(5):
        gate.committed(size=1, seconds=0.2)
    assert gate.cost() == pytest.approx((0.2, 0.0))
    assert gate.estimated_wait(64) == pytest.approx(0.2)  # one group
    assert gate.estimated_wait(129) == pytest.approx(0.6)  # three
    assert gate.refusal(ahead=129, arrived=clock()) is None  # two groups to wait for: 0.4 s
    assert gate.refusal(ahead=193, arrived=clock()) == "queue"


def test_the_rate_follows_the_last_groups_and_no_budget_never_refuses():
    clock = FakeClock()
    gate = Admission("probe", budget=0.5, clock=clock)
    measured(gate, fixed=0.01, per_item=0.01)
    measured(gate, fixed=0.0, per_item=0.2)  # the store slowed down: 0.2 s per submission
    assert gate.estimated_wait(5) == pytest.approx(1.0, rel=0.05)
    assert gate.refusal(ahead=5, arrived=clock()) == "queue"
    off = Admission("probe", budget=0.0, clock=clock)
    off.committed(size=1, seconds=10.0)
    assert off.refusal(ahead=1000, arrived=clock() - 60) is None


def test_a_refusal_is_a_503_in_the_api_format_with_retry_after_and_counted():
    clock = FakeClock()
    gate = Admission("refusalprobe", budget=0.5, clock=clock)
    measured(gate, fixed=0.0, per_item=1.0)
    before = refused_count("refusalprobe", "queue")
    refused = gate.refuse("queue", ahead=10)
    response = error_response(refused, "submit_report")
    assert response.status_code == 503 and int(response.headers["Retry-After"]) == 10  # the queue's estimated wait
    item, = response.get_json()["errors"]
    assert item["code"] == "overloaded" and "nothing was recorded" in item["message"]
    assert "tidak ada yang tercatat" in item["message_id"]
    assert refused_count("refusalprobe", "queue") == before + 1
    assert int(error_response(gate.refuse("waited", ahead=0), "x").headers["Retry-After"]) == 2  # at least 2 s


def test_above_capacity_the_excess_is_refused_at_once_and_the_admitted_are_committed():
    clock, units, applied = FakeClock(), HeldUnits(), []

    def handler(uow, name):
        clock.advance(0.1)  # each submission takes 0.1 s of commit
        applied.append(name)
        return name

    committer = GroupCommitter(lambda: units, "overloadprobe", max_size=64, concurrency=1, deadline=1.5,
                               admission_budget=0.55, clock=clock)
    committer.start(Container())
    measured(committer.admission, fixed=0.0, per_item=0.1)  # earlier groups: 0.1 s per submission
    units.release.send(True)
    assert committer.submit(handler, ("first",), since=clock()) == "first"
    units.release = eventlet.event.Event()  # the store holds the next commits
    units.taken = eventlet.event.Event()
    outcomes = {}

    def send(name):
        try:
            admission.admit("overloadprobe", clock())  # what an entrypoint with admission calls first
            outcomes[name] = committer.submit(handler, (name,), since=clock())
        except Overloaded as refused:
            outcomes[name] = refused

    waiters = [eventlet.spawn(send, f"r{i}") for i in range(12)]
    with eventlet.Timeout(5):
        units.taken.wait()
    eventlet.sleep(0.05)  # every submitter has been admitted or refused
    refused = [name for name, outcome in outcomes.items() if isinstance(outcome, Overloaded)]
    assert len(refused) == 6, outcomes  # 5 ahead x 0.1 s fits the 0.55 s budget: the 7th and later refused
    assert all(outcomes[name].status == 503 and outcomes[name].headers["Retry-After"] for name in refused)
    units.release.send(True)
    with eventlet.Timeout(5):
        for waiter in waiters:
            waiter.wait()
    admitted = sorted(name for name, outcome in outcomes.items() if outcome == name)
    assert len(admitted) == 6 and sorted(applied) == sorted(["first", *admitted])  # a refused one never ran
    assert admission.QUEUED.labels("overloadprobe")._value.get() == 0
    committer.stop()


def test_a_request_that_waited_past_the_budget_is_refused_before_any_work():
    clock, units = FakeClock(), HeldUnits()
    units.release.send(True)
    committer = GroupCommitter(lambda: units, "waitedprobe", max_size=8, concurrency=1, deadline=1.5,
                               admission_budget=0.25, clock=clock)
    committer.start(Container())
    ran = []
    with pytest.raises(Overloaded) as raised:
        admission.admit("waitedprobe", clock() - 0.3)  # what an entrypoint with admission calls first
    assert raised.value.reason == "waited"
    # admitted, its own work done: the time that took is not queueing, it is committed while the
    # deadline allows (refusing it would throw the work away: on a slow machine, every request)
    assert committer.submit(lambda uow: ran.append(2) or "ok", (), since=clock() - 0.3) == "ok"
    with pytest.raises(Overloaded) as late:  # ... and refused, never run, once it no longer can be
        committer.submit(lambda uow: ran.append(1), (), since=clock() - 1.6)
    assert late.value.reason == "queue"
    assert ran == [2]
    committer.stop()
    admission.admit("waitedprobe", clock() - 10)  # stopped: it no longer answers for the service


def test_a_queued_submission_whose_caller_has_gone_is_dropped_and_counted():
    units = HeldUnits()
    committer = GroupCommitter(lambda: units, "expiredprobe", max_size=1, concurrency=1, deadline=0.3,
                               admission_budget=0)
    committer.start(Container())
    ran = []
    eventlet.spawn(committer.submit, lambda uow: ran.append("in flight"), ())
    with eventlet.Timeout(5):
        units.taken.wait()
    before = refused_count("expiredprobe", "expired")
    with pytest.raises(SubmissionTimedOut):
        committer.submit(lambda uow: ran.append("queued"), (), since=time.monotonic())
    assert refused_count("expiredprobe", "expired") == before + 1
    units.release.send(True)
    committer.stop()
    assert "queued" not in ran


def test_the_front_doors_arrival_time_is_believed_only_from_a_trusted_proxy():
    clock, wall = FakeClock(500.0), FakeClock(1_700_000_000.0)
    environ = {admission.ARRIVED: 499.9}  # when this process first saw it
    header = f"t={wall() - 0.7:.3f}"  # the front door had it 0.7 s ago
    assert admission.arrival(environ, header, True, now=wall, clock=clock) == pytest.approx(499.3, abs=0.01)
    assert admission.arrival(environ, header, False, now=wall, clock=clock) == 499.9  # a client's own header
    assert admission.arrival(environ, "t=yesterday", True, now=wall, clock=clock) == 499.9
    assert admission.arrival(environ, f"t={wall() + 5}", True, now=wall, clock=clock) == 499.9  # clocks apart
    assert admission.arrival(environ, f"t={wall() - 3600}", True, now=wall, clock=clock) == 499.9
    assert admission.arrival({}, None, True, now=wall, clock=clock) == 500.0


def test_a_workers_group_commit_counts_from_the_requests_arrival():
    from contract.unitstore import Units

    class Request:
        environ = {admission.ARRIVED: 123.0}

    class WorkerCtx:
        args = (Request(),)

    assert Units(store=None, worker_ctx=WorkerCtx()).started == 123.0
    assert Units(store=None, worker_ctx=None).started == pytest.approx(time.monotonic(), abs=1.0)


def test_one_slow_commit_does_not_refuse_for_ever():
    """After the store came back, the first group took 10 s: the estimate said every submission would
    miss the deadline, and since only commits move the estimate, everything was refused for ever
    (the kill -9 of the store test: nothing accepted after the restart). With nothing ahead a
    submission is committed, and the estimate recovers from what it measures."""
    clock = FakeClock()
    gate = Admission("slowprobe", budget=0.5, concurrency=1, clock=clock, deadline=1.5)
    gate.committed(size=1, seconds=10.0)
    assert gate.refusal(ahead=0, arrived=clock()) is None
    assert gate.late(ahead=0, arrived=clock() - 0.2) is None
    assert gate.late(ahead=0, arrived=clock() - 1.6) == "queue"  # measured past the deadline: refused
    assert gate.refusal(ahead=3, arrived=clock()) == "queue"  # with work ahead the estimate still counts
    for _ in range(12):
        gate.committed(size=1, seconds=0.01)
    assert gate.refusal(ahead=3, arrived=clock()) is None


def test_a_group_that_failed_whole_does_not_move_the_estimate():
    """A store outage's failed group took the driver's timeout: that is no commit rate."""
    clock, calls = FakeClock(), []

    class FailingUnits:
        def run(self, work, **kwargs):
            clock.advance(5.0)
            raise ConnectionError("the store is away")
    committer = GroupCommitter(lambda: FailingUnits(), "failprobe", max_size=8, concurrency=1, deadline=1.5,
                               admission_budget=0.5, clock=clock)
    committer.admission.committed = lambda size, seconds: calls.append((size, seconds))
    item = type("Item", (), {"abandoned": False, "handler": None, "args": (), "settle": lambda self, o: None})()
    committer.commit([item])
    assert calls == []

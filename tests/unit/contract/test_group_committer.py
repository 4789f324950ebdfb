"""contract.batching.GroupCommitter without servers: a killed committer ends (and answers its
waiters with a store-unavailable error, 503) instead of swallowing the kill and looping on a closed
client, which once starved intake's front door after a broker crash (issue 22)."""
import eventlet
import pytest

from contract.batching import GroupCommitter
from contract.store import store_fault


class SlowUnits:
    """Stands for a service's units of work whose store no longer answers."""

    def __init__(self):
        self.started = eventlet.event.Event()

    def run(self, work, **kwargs):
        self.started.send(True) if not self.started.ready() else None
        eventlet.sleep(30)


class Container:
    def __init__(self):
        self.threads = []

    def spawn_managed_thread(self, run, identifier=None):
        thread = eventlet.spawn(run)
        self.threads.append(thread)
        return thread


def test_a_killed_committer_ends_and_answers_every_waiter_with_503():
    units = SlowUnits()
    committer = GroupCommitter(lambda: units, "probe", max_size=4, concurrency=1)
    container = Container()
    committer.start(container)
    waiters = [eventlet.spawn(committer.submit, lambda uow: "done", ()) for _ in range(3)]
    with eventlet.Timeout(5):
        units.started.wait()
    thread, = container.threads
    thread.kill()
    assert thread.dead
    for waiter in waiters:
        with eventlet.Timeout(5):
            with pytest.raises(Exception) as raised:
                waiter.wait()
        answer = store_fault(raised.value)
        assert answer is not None and answer.status == 503


def test_a_closed_client_fails_the_group_at_once_without_looping():
    from pymongo.errors import InvalidOperation

    calls = []

    class ClosedUnits:
        def run(self, work, **kwargs):
            calls.append(1)
            raise InvalidOperation("Cannot use MongoClient after close")

    committer = GroupCommitter(lambda: ClosedUnits(), "probe", max_size=8, concurrency=1)
    container = Container()
    committer.start(container)
    waiters = [eventlet.spawn(committer.submit, lambda uow: "done", ()) for _ in range(5)]
    for waiter in waiters:
        with eventlet.Timeout(5):
            with pytest.raises(InvalidOperation):
                waiter.wait()
    assert len(calls) <= 2  # the group fails once, not member by member
    committer.stop()


def test_a_committer_that_makes_no_progress_with_work_waiting_is_reported_stuck(monkeypatch):
    """Issue 22: a wedged committer starved intake's front door while /health said ok."""
    from contract import batching, progress
    monkeypatch.setattr(batching, "STUCK_AFTER_SECONDS", 0.2)
    units = SlowUnits()
    committer = GroupCommitter(lambda: units, "committerprobe", max_size=1, concurrency=1)
    committer.start(Container())
    assert progress.stuck("committerprobe") == []
    eventlet.spawn(committer.submit, lambda uow: "first", ())  # its commit never ends
    with eventlet.Timeout(5):
        units.started.wait()
    eventlet.spawn(committer.submit, lambda uow: "second", ())  # waits behind it
    eventlet.sleep(0.5)
    assert progress.stuck("committerprobe") == ["group_commit"]
    assert progress.STUCK.labels("committerprobe", "group_commit")._value.get() == 1
    committer.kill()
    assert progress.stuck("committerprobe") == []


def test_an_idle_committer_is_not_stuck(monkeypatch):
    from contract import batching, progress
    monkeypatch.setattr(batching, "STUCK_AFTER_SECONDS", 0.2)
    committer = GroupCommitter(lambda: SlowUnits(), "idleprobe", max_size=1, concurrency=1)
    committer.start(Container())
    eventlet.sleep(0.5)
    assert progress.stuck("idleprobe") == []  # nothing waits
    committer.stop()


class HeldUnits:
    """Units of work whose commits wait until released (a store that stopped answering, then came
    back); records each handler run."""

    def __init__(self):
        self.started, self.release, self.applied = eventlet.event.Event(), eventlet.event.Event(), []

    def run(self, work, **kwargs):
        if not self.started.ready():
            self.started.send(True)
        self.release.wait()
        return work(None)


def test_a_submission_not_committed_within_the_deadline_is_a_quick_503_and_if_still_queued_never_committed():
    """Issue 22: with the store killed, POST /reports waited for the store (server selection, the
    transaction's retries) and the front door's answers took longer than 2 s."""
    import time
    units = HeldUnits()
    committer = GroupCommitter(lambda: units, "deadlineprobe", max_size=1, concurrency=1, deadline=0.3)
    committer.start(Container())
    in_flight = eventlet.spawn(committer.submit, lambda uow: units.applied.append("in flight"), ())
    with eventlet.Timeout(5):
        units.started.wait()
    t0 = time.monotonic()
    with pytest.raises(Exception) as raised:
        committer.submit(lambda uow: units.applied.append("queued"), ())
    assert time.monotonic() - t0 < 1.0
    answer = store_fault(raised.value)
    assert answer is not None and answer.status == 503 and int(answer.headers["Retry-After"]) > 0
    with pytest.raises(Exception):
        in_flight.wait()  # taken by the committer, but its waiter gave up before its handler ran
    units.release.send(True)
    assert committer.submit(lambda uow: units.applied.append("later") or "ok", ()) == "ok"
    assert units.applied == ["later"]  # neither abandoned submission was committed: both 503s were true
    committer.stop()


def test_the_deadline_counts_from_when_the_worker_started():
    """The time a request spent before it reached the committer counts: the front door's answer
    is bounded, not the commit's wait alone."""
    import time
    units = HeldUnits()
    committer = GroupCommitter(lambda: units, "sinceprobe", max_size=1, concurrency=1, deadline=1.0,
                               admission_budget=0)  # admission would refuse it at once (test_admission.py)
    committer.start(Container())
    t0 = time.monotonic()
    with pytest.raises(Exception) as raised:
        committer.submit(lambda uow: None, (), since=t0 - 0.8)  # the worker started 0.8 s ago
    assert 0.1 <= time.monotonic() - t0 < 0.5
    assert store_fault(raised.value).status == 503
    units.release.send(True)
    committer.stop()


class GateUnits:
    """Units of work whose commits wait for ``gate`` (a store busy with the front door's groups)."""

    def __init__(self):
        self.gate = eventlet.event.Event()

    def run(self, work, **kwargs):
        self.gate.wait()
        return work(None)


def test_a_batch_of_events_waits_for_the_front_doors_commits_but_not_for_long(monkeypatch):
    units = GateUnits()
    front_door = GroupCommitter(lambda: units, "waywithdeadline", max_size=4, concurrency=1, deadline=5.0,
                                admission_budget=0)
    front_door.start(Container())
    eventlet.spawn(front_door.submit, lambda uow: "accepted", ())
    eventlet.sleep(0.01)
    assert front_door.ahead() == 1
    waited = eventlet.spawn(front_door.make_way, 5.0)
    eventlet.sleep(0.05)
    assert not waited.dead  # the batch waits while the submission commits
    units.gate.send(True)
    with eventlet.Timeout(2):
        waited.wait()  # and goes once it has
    units.gate = eventlet.event.Event()
    eventlet.spawn(front_door.submit, lambda uow: "accepted", ())
    eventlet.sleep(0.01)
    with eventlet.Timeout(2):
        front_door.make_way(0.1)  # never longer than its limit (a front door busy without end)
    units.gate.send(True)
    front_door.stop()


def test_a_committer_without_a_deadline_makes_no_batch_wait():
    units = GateUnits()
    outcomes = GroupCommitter(lambda: units, "waywithoutdeadline", max_size=4, concurrency=1)
    outcomes.start(Container())
    eventlet.spawn(outcomes.submit, lambda uow: "recorded", ())
    eventlet.sleep(0.01)
    assert outcomes.ahead() == 1
    with eventlet.Timeout(0.05):
        outcomes.make_way(5.0)  # notification's outcomes: the batch of events goes at once
    units.gate.send(True)
    outcomes.stop()

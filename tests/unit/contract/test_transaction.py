"""contract.transaction: a unit of work's transaction is run again on a transient error, with a
pause, and given up after its limit (pymongo's own loop retries for 120 s without a pause)."""
import pytest
from pymongo.errors import OperationFailure, PyMongoError

from contract.transaction import RETRIES, run_transaction


class Clock:
    def __init__(self):
        self.now = 0.0
        self.pauses = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.pauses.append(seconds)
        self.now += seconds + 1.0  # each attempt and pause costs a second of the limit


class Session:
    """The part of pymongo's ClientSession that run_transaction uses; ``commits`` are the
    outcomes of commit_transaction in turn (None: committed)."""

    def __init__(self, commits=()):
        self.in_transaction = False
        self.started = self.aborted = self.committed = 0
        self.commits = list(commits)

    def start_transaction(self, write_concern=None):
        self.in_transaction, self.started = True, self.started + 1

    def abort_transaction(self):
        self.in_transaction, self.aborted = False, self.aborted + 1

    def commit_transaction(self):
        outcome = self.commits.pop(0) if self.commits else None
        if outcome is not None:
            raise outcome
        self.in_transaction, self.committed = False, self.committed + 1


def conflict():
    return OperationFailure("WriteConflict", code=112, details={"errorLabels": ["TransientTransactionError"]})


def test_a_conflict_runs_the_callback_again_after_a_pause_and_commits_once():
    clock, session, calls = Clock(), Session(), []

    def callback(s):
        calls.append(1)
        if len(calls) < 3:
            raise conflict()
        return "done"
    before = RETRIES.labels("t1", "conflict")._value.get()
    assert run_transaction(session, callback, service="t1", clock=clock, sleep=clock.sleep) == "done"
    assert (len(calls), session.aborted, session.committed) == (3, 2, 1)
    assert len(clock.pauses) == 2 and all(p > 0 for p in clock.pauses)
    assert RETRIES.labels("t1", "conflict")._value.get() - before == 2


def test_a_conflict_that_does_not_clear_is_given_up_at_the_limit_with_the_last_error():
    clock, session = Clock(), Session()

    def callback(s):
        raise conflict()
    with pytest.raises(OperationFailure) as raised:
        run_transaction(session, callback, limit=10, service="t2", clock=clock, sleep=clock.sleep)
    assert raised.value.code == 112
    assert clock.now <= 12 and 3 <= session.started <= 11  # given up near 10 s, not after 120 s


def test_an_unknown_commit_result_commits_again_and_a_transient_commit_error_runs_it_all_again():
    unknown = PyMongoError("network", error_labels=["UnknownTransactionCommitResult"])
    clock, session, calls = Clock(), Session(commits=[unknown, conflict()]), []
    assert run_transaction(session, lambda s: calls.append(1) or len(calls), clock=clock, sleep=clock.sleep) == 2
    assert (len(calls), session.committed) == (2, 1)


def test_any_other_error_aborts_at_once_and_propagates():
    clock, session = Clock(), Session()

    def callback(s):
        raise ValueError("bad")
    with pytest.raises(ValueError):
        run_transaction(session, callback, clock=clock, sleep=clock.sleep)
    assert (session.started, session.aborted, clock.pauses) == (1, 1, [])

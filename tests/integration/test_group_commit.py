"""contract.group_commit on the real store: concurrent submissions share one transaction, each
caller answered only once that transaction is committed; a member whose own part fails is taken out
and fails alone; a store outage fails every waiter with an error answered 503 (issue 12)."""
import re

import eventlet
from nameko.rpc import rpc
from eventlet.event import Event
from nameko.extensions import Entrypoint
from nameko.testing.utils import get_extension
from pymongo.errors import DuplicateKeyError
from pymongo.synchronous import client_session

from contract import metrics
from contract.group_commit import GROUP_SIZE, ISOLATED, GroupCommitStore, GroupCommitted
from contract.store import Repository, store_fault

SERVICE = "groupprobe"


class Notes(GroupCommitted, Repository):
    def add(self, note_id: str) -> dict:
        """Insert a note (a duplicate id fails this submission) and stage its event, together."""
        def txn(session):
            self.db.notes.insert_one({"_id": note_id}, session=session)
            self.stage_events(session, [{"id": f"evt-{note_id}", "event_type": "note_added", "source": SERVICE,
                                         "payload": {"note_id": note_id}}])
            return note_id
        stored = self.together(lambda: self.transaction(txn))
        # read without the session, as another client would: only committed writes are seen
        return {"stored": stored, "visible": self.db.notes.find_one({"_id": note_id}) is not None,
                "outbox": self.db.outbox.find_one({"_id": f"evt-{note_id}"}) is not None}


class NotesStore(GroupCommitStore):
    repository_class = Notes


class Probe:
    name = SERVICE
    notes = NotesStore()

    @rpc
    def add(self, note_id):
        return self.notes.add(note_id)


def committed():
    return metrics.STORE_TRANSACTIONS.labels(SERVICE, "committed")._value.get()


def start(container_factory, config, **settings):
    container = container_factory(Probe, {**config, **settings})
    container.start()
    return container


def add_concurrently(container, note_ids):
    """Each id added by a worker of its own, all at once; their outcomes (result or exception)."""
    entrypoint = get_extension(container, Entrypoint, method_name="add")

    def one(note_id):
        done = Event()

        def finished(worker_ctx, result=None, exc_info=None):
            done.send(result if exc_info is None else exc_info[1])
            return result, exc_info
        container.spawn_worker(entrypoint, (note_id,), {}, handle_result=finished)
        return done.wait()
    pool = eventlet.GreenPool()
    return list(pool.imap(one, note_ids))


def test_concurrent_submissions_share_one_transaction_and_are_durable_before_their_answer(
        container_factory, service_config):
    container = start(container_factory, service_config, GROUP_COMMIT_MAX_SIZE=5, GROUP_COMMIT_MAX_WAIT_SECONDS=5,
                      GROUP_COMMIT_CONCURRENCY=1)
    before, groups_before = committed(), GROUP_SIZE.labels(SERVICE)._sum.get()
    outcomes = add_concurrently(container, [f"n{i}" for i in range(5)])
    assert outcomes == [{"stored": f"n{i}", "visible": True, "outbox": True} for i in range(5)]
    assert committed() - before == 1  # five reports, one commit
    assert GROUP_SIZE.labels(SERVICE)._sum.get() - groups_before == 5


def test_a_lone_submission_is_committed_at_once_without_waiting_for_a_group(container_factory, service_config):
    container = start(container_factory, service_config, GROUP_COMMIT_MAX_SIZE=64)
    before = committed()
    started = eventlet.hubs.get_hub().clock()
    assert add_concurrently(container, ["alone"]) == [{"stored": "alone", "visible": True, "outbox": True}]
    assert committed() - before == 1 and eventlet.hubs.get_hub().clock() - started < 5


def test_a_failing_member_fails_alone_and_the_rest_of_its_group_commits(container_factory, service_config,
                                                                         mongo_client):
    container = start(container_factory, service_config, GROUP_COMMIT_MAX_SIZE=5, GROUP_COMMIT_MAX_WAIT_SECONDS=5,
                      GROUP_COMMIT_CONCURRENCY=1)
    assert add_concurrently(container, ["taken"])[0]["stored"] == "taken"
    before, isolated_before = committed(), ISOLATED.labels(SERVICE)._value.get()
    # one id already stored, and one id twice within the same group (the second is a duplicate of the first)
    outcomes = add_concurrently(container, ["a", "taken", "b", "b", "c"])
    assert [type(o).__name__ if isinstance(o, Exception) else o["stored"] for o in outcomes] == \
        ["a", "DuplicateKeyError", "b", "DuplicateKeyError", "c"]
    assert all(o["visible"] and o["outbox"] for o in outcomes if isinstance(o, dict))
    assert isinstance(outcomes[1], DuplicateKeyError)
    assert ISOLATED.labels(SERVICE)._value.get() - isolated_before == 2
    assert committed() - before == 1  # the three good ones in one commit; the two failures alone, rolled back
    db = mongo_client[f"{service_config['MONGODB_DATABASE_PREFIX']}{SERVICE}"]
    assert sorted(d["_id"] for d in db.notes.find()) == ["a", "b", "c", "taken"]
    assert db.outbox.count_documents({}) == 4


def test_a_store_outage_fails_every_waiter_with_an_answer_of_503(container_factory, service_config, store_proxy,
                                                                 monkeypatch):
    # the driver retries a transaction for up to 120 s while the store is away; 1 s keeps the test short
    monkeypatch.setattr(client_session, "_WITH_TRANSACTION_RETRY_TIME_LIMIT", 1)
    uri = re.sub(r"//[^/]+/", f"//127.0.0.1:{store_proxy.port}/", service_config["MONGODB_URI"], count=1)
    container = start(container_factory, {**service_config, "MONGODB_URI": uri}, GROUP_COMMIT_MAX_SIZE=3,
                      GROUP_COMMIT_MAX_WAIT_SECONDS=5,
                      GROUP_COMMIT_CONCURRENCY=1)
    assert add_concurrently(container, ["before"])[0]["visible"]
    store_proxy.cut()
    outcomes = add_concurrently(container, ["x", "y", "z"])
    assert all(isinstance(o, Exception) for o in outcomes), outcomes
    answers = [store_fault(o) for o in outcomes]
    assert all(a is not None and a.status == 503 and a.headers["Retry-After"] for a in answers), outcomes

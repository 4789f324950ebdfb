"""contract.uow and contract.batching on the real store: a handler runs in one explicit unit of
work, committed before the caller is answered (outbox included), rolled back when it raises;
group commit shares one transaction among concurrent submissions and isolates a failing one;
a batch of events is one unit of work with a poison event isolated and a redelivery applied once."""

import eventlet
import pytest
from eventlet.event import Event
from nameko.extensions import Entrypoint
from nameko.rpc import rpc
from nameko.testing.utils import get_extension
from pymongo import UpdateOne
from pymongo.errors import DuplicateKeyError
from pymongo.synchronous import client_session

from contract import metrics
from contract.batch import handle_batch
from contract.batching import GROUP_SIZE, ISOLATED
from contract.consumer import RejectEvent
from contract.store import store_fault
from contract.uow import ReadOnly, Repository
from contract.unitstore import UnitOfWorkProvider
from tests.integration.conftest import through

SERVICE = "uowprobe"


class Notes(Repository):
    def add(self, note_id: str) -> None:
        self.uow.insert("notes", {"_id": note_id})

    def add_now(self, note_id: str) -> None:
        """Inserted at once inside the transaction (a duplicate id fails here, not at the commit)."""
        self.db.notes.insert_one({"_id": note_id}, session=self.session)

    def get(self, note_id: str) -> dict | None:
        return self.db.notes.find_one({"_id": note_id}, session=self.session)


def add_note(uow, note_id: str) -> str:
    uow.notes.add_now(note_id)
    uow.stage([{"id": f"evt-{note_id}", "event_type": "note_added", "source": SERVICE,
                "payload": {"note_id": note_id}}])
    return note_id


def add_then_fail(uow, note_id: str) -> None:
    uow.notes.add(note_id)
    raise ValueError("refused")


def read_only_write(uow, note_id: str) -> None:
    uow.notes.add(note_id)


class NotesStore(UnitOfWorkProvider):
    repositories = {"notes": Notes}
    group_commit = True


class Probe:
    name = SERVICE
    store = NotesStore()

    @rpc
    def add(self, note_id):
        stored = self.store.together(add_note, note_id)
        db = self.store._store.db
        # read without the session, as another client would: only committed writes are seen
        return {"stored": stored, "visible": db.notes.find_one({"_id": note_id}) is not None,
                "outbox": db.outbox.find_one({"_id": f"evt-{note_id}"}) is not None}

    @rpc
    def add_alone(self, note_id):
        return self.store.run(add_note, note_id)

    @rpc
    def fail(self, note_id):
        return self.store.run(add_then_fail, note_id)

    @rpc
    def read_only(self, note_id):
        return self.store.read(read_only_write, note_id)

    @rpc
    def get(self, note_id):
        return self.store.read(lambda uow: uow.notes.get(note_id))

    @rpc
    def batch(self, batch):
        return handle_batch(self.store, batch, TABLE)


def note_seen(uow, event_type, event):
    if event["reporter_ref"] == "poison":
        raise RejectEvent("poison")
    uow.update("seen", [UpdateOne({"_id": event["reporter_ref"]}, {"$inc": {"n": 1}}, upsert=True)])


TABLE = {"report_draft_saved": note_seen}


def committed():
    return metrics.STORE_TRANSACTIONS.labels(SERVICE, "committed")._value.get()


def start(container_factory, config, **settings):
    container = container_factory(Probe, {**config, **settings})
    container.start()
    return container


def call(container, method, *args):
    entrypoint = get_extension(container, Entrypoint, method_name=method)
    done = Event()

    def finished(worker_ctx, result=None, exc_info=None):
        done.send(result if exc_info is None else exc_info[1])
        return result, exc_info
    container.spawn_worker(entrypoint, args, {}, handle_result=finished)
    return done.wait()


def add_concurrently(container, note_ids):
    pool = eventlet.GreenPool()
    return list(pool.imap(lambda note_id: call(container, "add", note_id), note_ids))


def db_of(mongo_client, service_config):
    return mongo_client[f"{service_config['MONGODB_DATABASE_PREFIX']}{SERVICE}"]


def test_a_unit_commits_its_writes_and_outbox_before_returning_and_rolls_back_on_an_error(
        container_factory, service_config, mongo_client):
    container = start(container_factory, service_config, GROUP_COMMIT_MAX_SIZE=0)
    assert call(container, "add_alone", "one") == "one"
    db = db_of(mongo_client, service_config)
    assert db.notes.find_one({"_id": "one"}) and db.outbox.find_one({"_id": "evt-one"})
    outcome = call(container, "fail", "two")
    assert isinstance(outcome, ValueError)
    assert db.notes.find_one({"_id": "two"}) is None  # nothing of a failed unit is written
    assert isinstance(call(container, "read_only", "three"), ReadOnly)
    assert call(container, "get", "one") == {"_id": "one"}


def test_concurrent_submissions_share_one_transaction_and_are_durable_before_their_answer(
        container_factory, service_config):
    container = start(container_factory, service_config, GROUP_COMMIT_MAX_SIZE=5, GROUP_COMMIT_MAX_WAIT_SECONDS=5,
                      GROUP_COMMIT_CONCURRENCY=1)
    before, groups_before = committed(), GROUP_SIZE.labels(SERVICE)._sum.get()
    outcomes = add_concurrently(container, [f"n{i}" for i in range(5)])
    assert outcomes == [{"stored": f"n{i}", "visible": True, "outbox": True} for i in range(5)]
    assert committed() - before == 1  # five submissions, one commit
    assert GROUP_SIZE.labels(SERVICE)._sum.get() - groups_before == 5


def test_a_failing_member_fails_alone_and_the_rest_of_its_group_commits(container_factory, service_config,
                                                                         mongo_client):
    container = start(container_factory, service_config, GROUP_COMMIT_MAX_SIZE=5, GROUP_COMMIT_MAX_WAIT_SECONDS=5,
                      GROUP_COMMIT_CONCURRENCY=1)
    assert add_concurrently(container, ["taken"])[0]["stored"] == "taken"
    before, isolated_before = committed(), ISOLATED.labels(SERVICE)._value.get()
    outcomes = add_concurrently(container, ["a", "taken", "b", "b", "c"])
    assert [type(o).__name__ if isinstance(o, Exception) else o["stored"] for o in outcomes] == \
        ["a", "DuplicateKeyError", "b", "DuplicateKeyError", "c"]
    assert all(o["visible"] and o["outbox"] for o in outcomes if isinstance(o, dict))
    assert isinstance(outcomes[1], DuplicateKeyError)
    assert ISOLATED.labels(SERVICE)._value.get() - isolated_before == 2
    assert committed() - before == 1  # the three good ones in one commit; the two failures alone, rolled back
    db = db_of(mongo_client, service_config)
    assert sorted(d["_id"] for d in db.notes.find()) == ["a", "b", "c", "taken"]
    assert db.outbox.count_documents({}) == 4


def test_a_store_outage_fails_every_waiter_with_an_answer_of_503(container_factory, service_config, store_proxy,
                                                                 monkeypatch):
    monkeypatch.setattr(client_session, "_WITH_TRANSACTION_RETRY_TIME_LIMIT", 1)
    uri = through(store_proxy, service_config["MONGODB_URI"])
    container = start(container_factory, {**service_config, "MONGODB_URI": uri}, GROUP_COMMIT_MAX_SIZE=3,
                      GROUP_COMMIT_MAX_WAIT_SECONDS=5, GROUP_COMMIT_CONCURRENCY=1)
    assert add_concurrently(container, ["before"])[0]["visible"]
    store_proxy.cut()
    outcomes = add_concurrently(container, ["x", "y", "z"])
    assert all(isinstance(o, Exception) for o in outcomes), outcomes
    answers = [store_fault(o) for o in outcomes]
    assert all(a is not None and a.status == 503 and a.headers["Retry-After"] for a in answers), outcomes


def draft_event(reporter_ref: str) -> dict:
    from datetime import datetime, timezone

    from contract import events
    from contract.ids import new_tracking_id
    built = events.build(events.REPORT_DRAFT_SAVED, "ID", tracking_id=new_tracking_id("ID"), origin_hub="ID",
                         reporter_ref=reporter_ref, channel="sms", missing=["description"],
                         saved_at=datetime.now(timezone.utc))
    return built["payload"]


@pytest.mark.parametrize("redelivered", [False, True])
def test_a_batch_is_one_unit_with_its_poison_isolated_and_a_redelivery_applied_once(
        container_factory, service_config, mongo_client, redelivered):
    container = start(container_factory, service_config, GROUP_COMMIT_MAX_SIZE=0)
    first = draft_event("a")
    outcomes = call(container, "batch", [("report_draft_saved", first)])
    assert outcomes == [["applied", None]] or outcomes == [("applied", None)]
    before = committed()
    batch = [("report_draft_saved", first, redelivered),  # applied before
             ("report_draft_saved", draft_event("b"), redelivered),
             ("report_draft_saved", draft_event("poison"), redelivered),
             ("report_draft_saved", {"event_id": "broken"}, redelivered),
             ("unknown_event", {}, redelivered)]
    outcomes = [tuple(o) for o in call(container, "batch", batch)]
    assert [o[0] for o in outcomes] == ["duplicate", "applied", "dead", "dead", "dead"]
    assert "poison" in outcomes[2][1] and "contract" in outcomes[3][1] and "no handler" in outcomes[4][1]
    db = db_of(mongo_client, service_config)
    assert {d["_id"]: d["n"] for d in db.seen.find()} == {"a": 1, "b": 1}
    assert committed() - before >= 1

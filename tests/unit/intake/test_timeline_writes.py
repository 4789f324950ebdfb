"""What intake's real ``Reports`` repository writes for a batch's timeline steps (issue 23), and how it
reads them back, on the
real unit of work (``contract.uow``) over a recording stand-in for the store: one ``bulk_write`` on
``reports`` at the commit, one update per report touched (its entries pushed onto ``steps``, its
fields set if it still has the status read), no document per step."""
from datetime import datetime, timedelta, timezone

from contract import events
from contract.consumer import RejectEvent
from contract.ids import new_tracking_id
from contract.uow import UnitOfWork
from intake import handlers
from intake.dependencies import Settings
from intake.repositories import Reports
from intake.service import EVENTS
from tests.unit.intake.event_factories import event_payload

START = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
A, B, ELSEWHERE = new_tracking_id("ID"), new_tracking_id("ID"), new_tracking_id("ID")  # ELSEWHERE: not held here


class Result:
    def __init__(self, matched: int):
        self.matched_count, self.upserted_count = matched, 0


class RecordingCollection:
    """A collection of the stand-in store: finds by ``_id`` ``$in``; records every write."""

    def __init__(self, name: str, store: "RecordingStore"):
        self.name, self.store = name, store

    def find(self, query, projection=None, session=None):
        self.store.reads.append(self.name)
        [(field, wanted)] = query.items()
        wanted = wanted["$in"] if isinstance(wanted, dict) else [wanted]
        hidden = {k for k, v in (projection or {}).items() if not v}
        return [{k: v for k, v in doc.items() if k not in hidden}
                for doc in self.store.docs.get(self.name, {}).values() if doc.get(field) in wanted]

    def find_one(self, query, projection=None, session=None):
        return next(iter(self.find(query, projection, session)), None)

    def bulk_write(self, requests, ordered=True, session=None):
        self.store.writes.append((self.name, "bulk_write", list(requests)))
        return Result(len(requests))

    def insert_many(self, docs, ordered=True, session=None):
        self.store.writes.append((self.name, "insert_many", list(docs)))


class RecordingStore:
    def __init__(self, reports: dict[str, dict]):
        self.docs, self.writes, self.reads, self.name = {"reports": reports}, [], [], "lapor_intake"

    def __getitem__(self, name: str) -> RecordingCollection:
        return RecordingCollection(name, self)

    def __getattr__(self, name: str) -> RecordingCollection:
        return RecordingCollection(name, self)


def report(tracking_id: str, status: str = "received", **fields) -> dict:
    return {"_id": tracking_id, "status": status, "reopened_at": None, **fields}


def batch_writes(reports: list[dict], steps: list[tuple[str, str, int]], store: RecordingStore | None = None,
                 table: dict | None = None) -> list[tuple]:
    """Apply (event type, tracking ID, minutes after START) as one batch's unit of work and commit (with
    ``handlers.record_step``, or the entries of ``table``): what it wrote, as (collection, verb, requests)."""
    store = store or RecordingStore({r["_id"]: r for r in reports})
    batch = [(event_type, events.load(event_type, event_payload(event_type, tracking_id,
                                                               at=START + timedelta(minutes=minutes))))
             for event_type, tracking_id, minutes in steps]
    uow = UnitOfWork(None, store, None, now=lambda: START, repositories={"reports": Reports}, batch=batch,
                     settings=Settings())
    for event_type, event in batch:
        try:
            (table[event_type] if table else handlers.record_step)(uow, event_type, event)
        except RejectEvent:
            pass  # the batch consumer takes it out and runs the rest again (contract.batching)
    uow.flush()
    return store.writes


def plan(request) -> tuple[dict, dict]:
    return request._filter, request._doc  # what the UpdateOne sends


def steps_of(writes: list[tuple]) -> list[tuple[str, str]]:
    """The history documents written: (tracking ID, step), from the one write on ``history``."""
    [requests] = [requests for collection, _, requests in writes if collection == "history"]
    return [(r._doc["tracking_id"], r._doc["step"]) for r in requests]  # the InsertOnes' documents


def test_a_batch_of_steps_of_two_reports_is_one_update_per_report_and_one_write_of_the_steps():
    writes = batch_writes([report(A), report(B)], [
        (events.REPORT_DISPOSITIONED, A, 1), (events.REPORT_DISPOSITIONED, B, 1),
        (events.CASE_OPENED, A, 2), (events.NOTIFICATION_QUEUED, B, 3), (events.CASE_ANSWERED, A, 4)])
    assert sorted((collection, verb) for collection, verb, _ in writes) == [("history", "bulk_write"),
                                                                          ("reports", "bulk_write")]
    assert steps_of(writes) == [(A, "dispositioned"), (B, "dispositioned"), (A, "case_opened"),
                                (B, "notification_queued"), (A, "case_answered")]
    [updates] = [requests for collection, _, requests in writes if collection == "reports"]
    (first_filter, first), (second_filter, second) = (plan(r) for r in updates)  # one per report, not per step
    assert first_filter == {"_id": A, "status": "received", "reopened_at": None}
    assert first["$set"]["status"] == "answered" and first["$set"]["case"]["case_id"] == "case-1"
    assert first["$set"]["assignment"]["unit_code"] == "BLL-PUPR"
    assert first["$max"] == {"updated_at": START + timedelta(minutes=4)}
    assert second_filter == {"_id": B, "status": "received", "reopened_at": None}
    assert second["$set"]["status"] == "dispositioned" and second["$max"] == {"updated_at": START + timedelta(minutes=1)}


def test_the_event_table_reads_the_batchs_reports_once_for_the_steps_and_their_hub_effects():
    """The hub effects of dispositioned, case_opened and case_answered (``tell_origin``: a report
    forwarded in from another hub is told about) read the batch's read-ahead, not the report per event."""
    store = RecordingStore({A: report(A), B: report(B)})
    writes = batch_writes([], [(events.REPORT_DISPOSITIONED, A, 1), (events.REPORT_DISPOSITIONED, B, 1),
                               (events.CASE_OPENED, A, 2), (events.CASE_OPENED, B, 2), (events.CASE_ANSWERED, A, 3)],
                          store=store, table=EVENTS)
    assert store.reads == ["reports"]  # one $in for the batch (was one more find per event)
    assert sorted((collection, len(requests)) for collection, _, requests in writes) == [("history", 5), ("reports", 2)]


def test_a_reopening_then_a_stale_answer_in_one_batch_is_one_update_with_the_last_status():
    writes = batch_writes([report(A, "answered")], [
        (events.CASE_CLOSED, A, 5), (events.CASE_REOPENED, A, 6),
        (events.CASE_ANSWERED, A, 4)])  # older than the reopening: stale
    [[request]] = [requests for collection, _, requests in writes if collection == "reports"]
    selector, update = plan(request)
    assert selector == {"_id": A, "status": "answered", "reopened_at": None}
    assert update["$set"]["status"] == "in_follow_up"
    assert update["$set"]["reopened_at"] == START + timedelta(minutes=6)
    assert [step for _, step in steps_of(writes)] == ["case_closed", "case_reopened", "case_answered"]


def test_an_event_for_a_report_not_held_here_is_rejected_and_the_others_steps_written():
    writes = batch_writes([report(A)], [
        (events.REPORT_DISPOSITIONED, A, 1), (events.CASE_OPENED, ELSEWHERE, 2), (events.CASE_OPENED, A, 3)])
    [updates] = [requests for collection, _, requests in writes if collection == "reports"]
    assert [plan(r)[0]["_id"] for r in updates] == [A] and plan(updates[0])[1]["$set"]["status"] == "in_follow_up"
    assert steps_of(writes) == [(A, "dispositioned"), (A, "case_opened")]

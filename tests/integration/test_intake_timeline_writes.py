"""Intake's timeline on the real store: a batch of tracked events writes its steps in one command and
the reports they change with one update each in one more (issue 23), reading the reports once;
counted with pymongo's command monitoring."""
from datetime import datetime, timedelta, timezone

import requests
from nameko.standalone.events import event_dispatcher
from pymongo import monitoring

from contract import events, store
from intake.service import IntakeService
from tests.factories import make_report
from tests.integration.conftest import handled, track, wait_for
from tests.unit.intake.event_factories import event_payload
from tests.waiting import events_handled

WRITES = ("insert", "update", "delete", "findAndModify")


class Writes(monitoring.CommandListener):
    """The write commands intake's client sends to its database: (command, collection, its
    statements' ``_id`` filters); the reads in a transaction: (collection, filter)."""

    def __init__(self, database: str):
        self.database, self.seen, self.batch_reads = database, [], []

    def started(self, event):
        name = event.command_name
        if name == "find" and event.database_name == self.database and "txnNumber" in event.command:
            self.batch_reads.append((event.command["find"], event.command.get("filter")))  # in a unit of work
        if name in WRITES and event.database_name == self.database:
            statements = event.command.get("updates") or event.command.get("documents") or []
            self.seen.append((name, event.command[name], [s.get("q", s).get("_id") for s in statements]))

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass

    def of(self, collection: str) -> list[list]:
        return [ids for _, name, ids in self.seen if name == collection]


def test_a_batch_of_steps_is_one_insert_and_one_update_per_report(start_services, service_config, monkeypatch):
    """Twelve steps of three reports (with an event for a report not held here, rejected, and a
    redelivered one) reach the store as one ``insert`` of their documents and one ``update`` command
    holding one statement per report per batch: no statement per event, no read of a report per
    event; every step is shown once, in order."""
    database = f"{service_config['MONGODB_DATABASE_PREFIX']}intake"
    writes = Writes(database)
    real = store._listeners
    monkeypatch.setattr(store, "_listeners", lambda service: real(service) + ([writes] if service == "intake" else []))
    urls = start_services(IntakeService, config={**service_config, "EVENT_BATCH_MAX_WAIT_SECONDS": 1.0})
    reports = [requests.post(f"{urls['intake']}/reports", json=make_report(title=f"Jalan rusak {n}"),
                             timeout=5).json()["tracking_id"] for n in range(3)]
    own = [len(track(urls["intake"], t)["history"]) for t in reports]  # received (and a possible duplicate)
    metrics_url = f"{urls['intake']}/metrics"
    rejected = events_handled(metrics_url, "intake", events.CASE_OPENED, "dead_lettered")
    duplicates = events_handled(metrics_url, "intake", events.CASE_ANSWERED, "duplicate")
    writes.seen.clear(), writes.batch_reads.clear()
    dispatch, start = event_dispatcher(service_config), datetime.now(timezone.utc)
    lifecycle = (events.REPORT_DISPOSITIONED, events.CASE_OPENED, events.NOTIFICATION_QUEUED, events.CASE_ANSWERED)
    sent = {(tracking_id, event_type): event_payload(event_type, tracking_id, at=start + timedelta(minutes=minutes))
            for minutes, event_type in enumerate(lifecycle, start=1) for tracking_id in reports}
    redelivered = sent[reports[0], events.CASE_ANSWERED]
    # the twelve steps and the redelivery (a duplicate): the rejected event is dead-lettered, not handled
    with handled(start_services.containers["intake"], *sent.values(), redelivered, timeout=60):
        for event_type in lifecycle:
            for tracking_id in reports:
                dispatch(events.source_of(event_type), event_type, sent[tracking_id, event_type])
            if event_type == events.CASE_OPENED:  # a report this hub does not hold, amid the others
                dispatch("followup", events.CASE_OPENED, event_payload(events.CASE_OPENED, "ID-K7M4X-9XQ2B"))
        dispatch("followup", events.CASE_ANSWERED, redelivered)  # redelivered

    assert [len(track(urls["intake"], t)["history"]) for t in reports] == [n + 4 for n in own]
    # the dead letter and the metrics are counted by the consumer's thread after the batch: polled
    wait_for(lambda: events_handled(metrics_url, "intake", events.CASE_OPENED, "dead_lettered") == rejected + 1)
    wait_for(lambda: events_handled(metrics_url, "intake", events.CASE_ANSWERED, "duplicate") == duplicates + 1)
    for tracking_id, steps in zip(reports, own):
        view = track(urls["intake"], tracking_id)
        assert view["status"] == "answered"
        assert [h["step"] for h in view["history"][steps:]] == ["dispositioned", "case_opened", "notification_queued",
                                                                "case_answered"]
    inserts = writes.of("history")  # the steps' documents: one insert per batch, each step once
    assert len({i for ids in inserts for i in ids}) == sum(len(ids) for ids in inserts) == len(sent)
    updates = writes.of("reports")
    assert updates and all(len(ids) == len(set(ids)) <= 3 for ids in updates)  # one statement per report
    assert sum(len(ids) for ids in updates) < len(sent)  # was one per step (12)
    # a batch's writes: its markers, its steps and its reports' one update (the rejected event wrote nothing;
    # the outbox's are the relay's, marking the submissions' events dispatched)
    assert {(command, collection) for command, collection, _ in writes.seen if collection != "outbox"} == {
        ("insert", "processed_events"), ("insert", "history"), ("update", "reports")}
    # the batches read their reports ahead ($in), none per event (the hub effects read the read-ahead)
    report_reads = [query for collection, query in writes.batch_reads if collection == "reports"]
    assert report_reads and all("$in" in query["_id"] for query in report_reads)
    # (a batch whose marker existed, the redelivery's, rolls back before writing its steps)
    assert len(updates) <= len(inserts) <= len(writes.of("processed_events"))

"""Intake's tracking history follows every report event of the catalogue, on the real broker."""
from datetime import datetime, timedelta, timezone

import requests
from pymongo.collection import Collection
from nameko.standalone.events import event_dispatcher

from contract import events, metrics
from intake.service import IntakeService
from tests.factories import make_report
from tests.waiting import events_handled, wait_handled
from tests.integration.conftest import handled, track
from tests.unit.intake.event_factories import LEAK, event_payload


def test_lifecycle_statuses_labels_and_reopening(start_services, service_config, mongo_client):
    urls = start_services(IntakeService)
    intake = start_services.containers["intake"]
    tracking_id = requests.post(f"{urls['intake']}/reports", json=make_report(), timeout=5).json()["tracking_id"]
    dispatch = event_dispatcher(service_config)
    start = datetime.now(timezone.utc)

    def event(event_type, minutes, **overrides):
        return event_type, event_payload(event_type, tracking_id, at=start + timedelta(minutes=minutes), **overrides)

    def send(*sent):
        """Dispatch each (event type, payload) and wait until intake's consumer has handled them all."""
        with handled(intake, *(payload for _, payload in sent)):
            for event_type, payload in sent:
                dispatch(events.source_of(event_type), event_type, payload)

    def status_after(steps):
        view = track(urls["intake"], tracking_id)
        assert len(view["history"]) == steps
        return view

    send(event(events.REPORT_DISPOSITIONED, 1))
    assert status_after(2)["status"] == "dispositioned"
    send(event(events.REPORT_VERIFIED, 2), event(events.CASE_OPENED, 3))
    assert status_after(4)["status"] == "in_follow_up"
    duplicates = events_handled(f"{urls['intake']}/metrics", "intake", events.CASE_ANSWERED, "duplicate")
    answered = event(events.CASE_ANSWERED, 4)
    send(answered, answered)  # redelivered: applied once
    assert status_after(5)["status"] == "answered"
    send(event(events.CASE_CLOSED, 5))
    assert status_after(6)["status"] == "closed"
    send(event(events.CASE_REOPENED, 6))
    assert status_after(7)["status"] == "in_follow_up"
    send(event(events.CASE_ANSWERED, 4, message_id="late"))  # older than the reopening: stale
    view = status_after(8)
    assert view["status"] == "in_follow_up"
    send(event(events.CASE_CLOSED, 8, closed_by="reporter"), event(events.NOTIFICATION_SENT, 9))
    view = status_after(10)
    assert view["status"] == "closed" and view["status_label"] == "Selesai"
    wait_handled(f"{urls['intake']}/metrics", "intake", events.CASE_ANSWERED, duplicates + 1, "duplicate")
    assert len(track(urls["intake"], tracking_id)["history"]) == 10  # the redelivery added nothing

    english = requests.get(f"{urls['intake']}/reports/{tracking_id}?lang=en", timeout=5).json()
    labels = [h["label"] for h in english["history"]]
    assert labels[:3] == ["Report received", "Report dispositioned", "Report verified"]
    assert "Follow-up reopened" in labels and english["status_label"] == "Closed"
    assert LEAK not in requests.get(f"{urls['intake']}/reports/{tracking_id}", timeout=5).text
    # one small document per step; the report itself keeps only what intake wrote (never rewritten per step)
    db = mongo_client[f"{service_config['MONGODB_DATABASE_PREFIX']}intake"]
    assert [h["step"] for h in db.reports.find_one({"_id": tracking_id})["history"]] == ["received"]
    assert db.history.count_documents({"tracking_id": tracking_id}) == 9


def test_archived_and_forwarded_reports(start_services, service_config):
    urls = start_services(IntakeService)
    dispatch = event_dispatcher(service_config)
    archived, forwarded = (requests.post(f"{urls['intake']}/reports", json=make_report(), timeout=5).json()["tracking_id"]
                           for _ in range(2))
    archiving = event_payload(events.REPORT_ARCHIVED, archived)
    forwarding = event_payload(events.REPORT_FORWARDED, forwarded)
    with handled(start_services.containers["intake"], archiving, forwarding):
        dispatch("routing", events.REPORT_ARCHIVED, archiving)
        dispatch("routing", events.REPORT_FORWARDED, forwarding)
    assert track(urls["intake"], archived)["status"] == "archived"
    # intake also tries to hand it to hub 5108 (docs/hubs.md): no directory here, so it cannot, and
    # the report stays here, back in triage (issue 18: never without a holder)
    page = track(urls["intake"], forwarded)
    assert page["delivery"] and any(h["step"] == "forwarded" for h in page["history"])  # both steps have arrived
    assert next(h for h in page["history"] if h["step"] == "forwarded")["detail"] == {"target_hub": "5108"}
    assert page["delivery"] == {**page["delivery"], "hub": "5108", "state": "kept"}
    assert page["status"] == "triage" and page["history"][-1]["step"] == "hub_undeliverable"



def test_a_batch_of_steps_writes_the_reports_in_one_bulk_write(start_services, service_config, monkeypatch):
    """Issue 12: the history steps of a batch read the batch's reports once and write their status
    changes behind, in one bulk_write for the batch (not one conditional update per event), in order:
    each report ends at its latest status, and every step is recorded once."""
    urls = start_services(IntakeService, config={**service_config, "EVENT_BATCH_MAX_WAIT_SECONDS": 1.0})
    reports = [requests.post(f"{urls['intake']}/reports", json=make_report(), timeout=5).json()["tracking_id"]
               for _ in range(2)]
    steps = [len(track(urls["intake"], t)["history"]) for t in reports]  # the second may be a possible duplicate
    writes: list[str] = []  # the write commands sent for intake's reports (a spy on the real driver)
    for verb in ("update_one", "update_many", "replace_one", "bulk_write"):
        def spy(self, *args, _verb=verb, _real=getattr(Collection, verb), **kwargs):
            if self.name == "reports" and self.database.name.endswith("intake"):
                writes.append(_verb)
            return _real(self, *args, **kwargs)
        monkeypatch.setattr(Collection, verb, spy)
    batches_before = metrics.STORE_COMMANDS.labels("intake", "commitTransaction")._value.get()
    dispatch, start = event_dispatcher(service_config), datetime.now(timezone.utc)
    lifecycle = (events.REPORT_DISPOSITIONED, events.REPORT_VERIFIED, events.CASE_OPENED, events.CASE_ANSWERED)
    sent = [(event_type, event_payload(event_type, tracking_id, at=start + timedelta(minutes=minutes)))
            for minutes, event_type in enumerate(lifecycle, start=1) for tracking_id in reports]
    with handled(start_services.containers["intake"], *(payload for _, payload in sent)):
        for event_type, payload in sent:
            dispatch(events.source_of(event_type), event_type, payload)
    assert [len(track(urls["intake"], t)["history"]) for t in reports] == [n + 4 for n in steps]
    assert [track(urls["intake"], t)["status"] for t in reports] == ["answered", "answered"]
    batches = metrics.STORE_COMMANDS.labels("intake", "commitTransaction")._value.get() - batches_before
    assert 1 <= batches <= 4  # the wait lets the eight events form one batch (a few on a slow machine)
    assert writes and set(writes) == {"bulk_write"} and len(writes) <= batches  # was 8 update_one

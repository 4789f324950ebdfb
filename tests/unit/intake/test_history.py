from datetime import datetime, timedelta, timezone

import pytest

from contract import events
from intake import history
from tests.unit.intake.event_factories import LEAK, event_payload

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=timezone.utc)
REPORT_EVENTS = [e for e, (source, schema) in events.CATALOGUE.items()
                 if issubclass(schema, events.ReportEventSchema) and source != "intake"]  # intake's own: not tracked


def step(event_type, at=NOW, **overrides):
    return history.step_from_event(event_type, events.load(event_type, event_payload(event_type, at=at, **overrides)))


def test_every_report_event_of_the_catalogue_is_tracked():
    assert set(history.TRACKED) == set(REPORT_EVENTS)


@pytest.mark.parametrize("event_type", REPORT_EVENTS)
def test_each_event_gives_a_labelled_entry_without_free_text(event_type):
    result = step(event_type)
    entry = result["entry"]
    assert entry["at"] == NOW and entry["event_id"]
    assert history.label(entry["step"], "id") != history.label(entry["step"], "en")
    assert entry["step"] in history.STEP_LABELS
    assert LEAK not in repr(result) and "adm-buleleng" not in repr(entry) and "lo-bll-pupr" not in repr(entry)


@pytest.mark.parametrize("event_type,status", [
    (events.CASE_ANSWERED, "answered"), (events.CASE_CLOSED, "closed"), (events.REPORT_ARCHIVED, "archived"),
    (events.REPORT_FORWARDED, "forwarded"), (events.CASE_OPENED, "in_follow_up"),
    (events.REPORT_VERIFIED, None), (events.NOTIFICATION_SENT, None), (events.CASE_OVERDUE, None),
])
def test_status_proposed_by_event(event_type, status):
    assert step(event_type)["status"] == status


def test_dispositioned_to_national_triage_is_triage():
    result = step(events.REPORT_DISPOSITIONED, queue="national_triage", agency_code=None, unit_code=None)
    assert result["status"] == "triage" and result["set"]["assignment"]["queue"] == "national_triage"
    assert result["entry"]["step"] == "triage"  # the history shows triage, not a disposition


def test_status_is_monotone():
    assert history.next_status("in_follow_up", "dispositioned", NOW, None) == "in_follow_up"
    assert history.next_status("received", "dispositioned", NOW, None) == "dispositioned"
    assert history.next_status("closed", "answered", NOW, None) == "closed"
    assert history.next_status("received", None, NOW, None) == "received"


def test_reopening_goes_back_to_follow_up_and_makes_older_answers_stale():
    assert history.next_status("closed", "in_follow_up", NOW, None, reopen=True) == "in_follow_up"
    assert history.next_status("answered", "in_follow_up", NOW, None, reopen=True) == "in_follow_up"
    assert history.next_status("dispositioned", "in_follow_up", NOW, None, reopen=True) == "dispositioned"
    old, new = NOW - timedelta(hours=1), NOW + timedelta(hours=1)
    assert history.next_status("in_follow_up", "closed", old, NOW) == "in_follow_up"
    assert history.next_status("in_follow_up", "answered", new, NOW) == "answered"


def test_closed_by_an_official_does_not_name_them():
    assert step(events.CASE_CLOSED)["entry"]["detail"]["closed_by"] == "official"
    assert step(events.CASE_CLOSED, closed_by="reporter")["entry"]["detail"]["closed_by"] == "reporter"

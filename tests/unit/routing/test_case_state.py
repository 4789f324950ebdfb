"""Routing's work item follows follow-up's case: answered, closed, reopened (domain/case_state.py)."""
from datetime import datetime, timedelta, timezone

import pytest

from contract import events
from routing.domain import case_state, inbox, workflow

NOW = datetime(2026, 11, 18, 3, tzinfo=timezone.utc)
LIAISON = {"official_id": "lo-bll-pupr", "role": "liaison", "hub": "ID", "agency_code": "PEMKAB-BULELENG",
           "unit_code": "BLL-PUPR"}


def item(**overrides):
    base = {"_id": "ID-AAAAA-AAAAM", "queue": "unit", "status": "verified", "agency_code": "PEMKAB-BULELENG",
            "unit_code": "BLL-PUPR", "version": 3, "queued_at": NOW - timedelta(days=1), "received_at": NOW,
            "postponed_until": None}
    base.update(overrides)
    return base


def event(at=NOW, **overrides):
    return {"event_id": "ev", "tracking_id": "ID-AAAAA-AAAAM", "occurred_at": at, "agency_code": "PEMKAB-BULELENG",
            "unit_code": "BLL-PUPR", **overrides}


def apply(current, event_type, ev):
    decided = case_state.follow_case(current, event_type, ev, NOW)
    if decided is None:
        return None
    changes, entry = decided
    return {**current, **changes, "version": current["version"] + 1}, entry


def test_an_answered_report_leaves_the_liaisons_open_work_with_no_action_left():
    answered, entry = apply(item(), events.CASE_ANSWERED, event())
    assert (answered["queue"], answered["status"]) == ("unit", "answered")
    assert workflow.actions_for(LIAISON, answered) == [] and inbox.indicator(answered, NOW, 3) is None
    assert entry["action"] == "case_answered" and entry["seq"] == 4 and entry["from"]["status"] == "verified"


def test_a_closed_report_leaves_the_queues():
    answered, _ = apply(item(), events.CASE_ANSWERED, event())
    closed, entry = apply(answered, events.CASE_CLOSED, event(NOW + timedelta(seconds=1), closed_by="reporter"))
    assert (closed["queue"], closed["status"]) == ("closed", "closed") and closed["queued_at"] == NOW
    assert workflow.actions_for(LIAISON, closed) == [] and entry["reason"] == "reporter"
    assert closed["status"] not in workflow.OPEN_STATUSES  # so lapor_routing_queue_reports no longer counts it


def test_a_reopened_case_is_back_in_the_units_queue_as_verified():
    closed = item(status="closed", queue="closed", case_event_at=NOW + timedelta(seconds=1))
    reopened, _ = apply(closed, events.CASE_REOPENED, event(NOW + timedelta(seconds=2), reason="Rusak lagi"))
    assert (reopened["queue"], reopened["status"]) == ("unit", "verified")
    assert workflow.actions_for(LIAISON, reopened) == ["postpone", "return", "archive"]


def test_a_late_older_event_changes_nothing():
    closed, _ = apply(item(), events.CASE_CLOSED, event(NOW))
    assert apply(closed, events.CASE_ANSWERED, event(NOW - timedelta(seconds=1))) is None


def test_archived_and_forwarded_reports_are_not_moved_by_a_case():
    for terminal in ("archived", "forwarded"):
        assert apply(item(status=terminal, queue="archive"), events.CASE_CLOSED, event()) is None


def test_a_case_event_for_a_report_routing_never_routed_is_refused():
    with pytest.raises(case_state.UnknownReport):
        case_state.follow_case(None, events.CASE_CLOSED, event(), NOW)

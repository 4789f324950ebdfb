"""Follow-up's event handlers and sweep on the fake unit of work: a case opens, moves and closes with
routing's decisions, and the sweep raises each alert once."""
from datetime import timedelta

import pytest

from contract import events
from followup import handlers
from followup.domain import UnknownReport
from tests.fakes.followup import followup_units

from .factories import LIAISON, dispositioned, utc
from .handler_support import FORM, MONDAY, TRACKING_ID, Clock, received, stored_case, units_with_case


def test_a_dispositioned_report_opens_its_case_once_and_verification_moves_it():
    units, _ = units_with_case(verified=False)
    case = stored_case(units)
    assert case["status"] == "open" and case["stage"] == "follow_up" and case["verified_at_unit"] is False
    assert units.published == [events.CASE_OPENED]
    units.run(handlers.workflow_event, events.REPORT_VERIFIED, dispositioned(event_id="ev2", actor="lo-bll-pupr"))
    moved = stored_case(units)
    assert moved["verified_at_unit"] is True and moved["version"] == case["version"] + 1
    assert units.published == [events.CASE_OPENED, events.CASE_OPENED]


def test_a_workflow_event_for_a_report_never_dispositioned_is_rejected_and_changes_nothing():
    units = followup_units(Clock())
    with pytest.raises(UnknownReport):
        units.run(handlers.workflow_event, events.REPORT_VERIFIED, dispositioned())
    assert stored_case(units) is None and units.published == []


def test_an_archived_report_closes_its_case():
    units, _ = units_with_case()
    units.run(handlers.workflow_event, events.REPORT_ARCHIVED, dispositioned(event_id="ev3", reason="duplicate"))
    assert stored_case(units)["status"] == "archived"
    assert units.published[-1] == events.CASE_CLOSED


def test_a_report_resolved_at_entry_opens_its_case_already_answered():
    units = followup_units(Clock())
    units.run(handlers.record_facts, events.REPORT_RECEIVED,
              received(channel="phone", resolution="Sudah diperbaiki.", resolved_at=utc(2026, 11, 16, 1),
                       entered_by="lo-bll-pupr"))
    units.run(handlers.workflow_event, events.REPORT_DISPOSITIONED, dispositioned(channel="phone"))
    case = stored_case(units)
    assert case["status"] == "answered" and units.published == [events.CASE_OPENED, events.CASE_ANSWERED]
    assert [m["body"] for m in units.read(handlers.messages, case, None)] == ["Sudah diperbaiki."]


def test_the_reports_facts_are_recorded_and_an_open_case_follows_its_confidentiality():
    units, _ = units_with_case(confidential=None)
    assert stored_case(units)["is_confidential"] is None
    units.run(handlers.record_facts, events.REPORT_RECEIVED, received(is_confidential=True))
    assert units.read(lambda uow: uow.facts.get(TRACKING_ID))["is_confidential"] is True
    assert stored_case(units)["is_confidential"] is True


def test_claim_due_raises_each_alert_once_per_stage():
    units, clock = units_with_case()
    clock.now = MONDAY + timedelta(days=30)
    first = units.run(handlers.claim_due)
    assert first["examined"] == 1 and first["kinds"]["overdue"] == 1 and first["kinds"]["escalated"] == 2
    assert units.published.count(events.CASE_OVERDUE) == 1 and units.published.count(events.CASE_ESCALATED) == 2
    assert units.run(handlers.claim_due)["examined"] == 0
    assert units.published.count(events.CASE_OVERDUE) == 1


def test_the_sweep_runs_batches_until_nothing_is_due_and_auto_closes_answered_cases():
    units, clock = units_with_case()
    units.run(handlers.answer, {"tracking_id": TRACKING_ID, "principal": LIAISON, "form": FORM})
    assert units.run(handlers.claim_due)["examined"] == 0  # nothing due yet
    clock.now = MONDAY + timedelta(days=60)
    result = handlers.sweep(units, refresh_gauges=False)
    assert result["kinds"] == {"auto_close": 1} and result["claimed"] == 1
    assert stored_case(units)["status"] == "closed" and units.published[-1] == events.CASE_CLOSED
    assert handlers.sweep(units, refresh_gauges=False)["claimed"] == 0


def test_the_gauges_are_refreshed_at_most_once_per_interval_unless_forced():
    units, _ = units_with_case()
    assert units.read(handlers.refresh_open_gauges, None) is True
    assert units.read(handlers.refresh_open_gauges, None) is False
    assert units.read(handlers.refresh_open_gauges, True) is True

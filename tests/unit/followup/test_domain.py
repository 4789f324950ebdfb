"""A case's clock: opening, stages, postponement, return, the indicator and the sweep."""
from datetime import date, timedelta

import pytest

from contract import events
from followup import domain, indicator
from followup.calendar import zone
from followup.indicator import Rules

from .factories import CALENDAR, RULES, dispositioned, make_case, utc

MONDAY = utc(2026, 11, 16, 3)  # 10:00 WIB
SECOND = timedelta(seconds=1)


def test_stage_and_deadline_follow_the_queue():
    unit_case = make_case(MONDAY)
    triage = make_case(MONDAY, queue="national_triage", agency_code=None, unit_code=None)
    assert (unit_case["stage"], unit_case["sla_working_days"], unit_case["due_at"].date()) == ("follow_up", 5, date(2026, 11, 23))
    assert (triage["stage"], triage["sla_working_days"], triage["due_at"].date()) == ("verification", 3, date(2026, 11, 19))
    assert triage["overall_due_at"].date() == date(2026, 11, 26)  # 3 + 5 working days for the reporter
    assert unit_case["overall_due_at"] == unit_case["due_at"]


def test_deadline_is_in_the_region_time_zone():
    case = make_case(MONDAY, region_timezone="Asia/Makassar", region_code="5108")
    assert case["due_at"].utcoffset() == timedelta(hours=8) and case["due_at"].date() == date(2026, 11, 23)


def test_manual_channel_counts_the_sop_from_receipt():
    policies = [{"id": "manual", "match": {"channel": "manual"}, "stages": {"verification": 3},
                 "pre_entry": [{"stage": s, "working_days": 1} for s in ("unit_verification", "handoff", "input")]}]
    received = utc(2026, 11, 16, 2)          # Monday
    entered = utc(2026, 11, 18, 2)           # typed in on Wednesday
    case = make_case(entered, policies, facts={"received_at": received}, channel="manual", queue="agency", unit_code=None)
    assert case["stage"] == "verification"
    assert case["due_at"].date() == date(2026, 11, 24)  # Monday + 1+1+1+3 working days = next Tuesday
    assert [s["stage"] for s in case["pre_entry"]] == ["unit_verification", "handoff", "input"]
    unknown_receipt = make_case(entered, policies, channel="manual", queue="agency", unit_code=None)
    assert unknown_receipt["due_at"].date() == date(2026, 11, 26)  # counted from entry when receipt unknown


def test_indicator_at_each_boundary():
    case = make_case(MONDAY)  # due Mon 23 Nov 23:59:59 WIB; yellow after Fri 20 Nov 23:59:59 WIB
    wib = zone("WIB")
    soon = case["due_soon_at"].astimezone(wib)
    assert (soon.date(), soon.hour, soon.minute) == (date(2026, 11, 20), 23, 59)
    assert indicator.colour(case, MONDAY) == "green"
    assert indicator.colour(case, case["due_soon_at"]) == "green"
    assert indicator.colour(case, case["due_soon_at"] + SECOND) == "yellow"
    assert indicator.colour(case, case["due_at"]) == "yellow"
    assert indicator.colour(case, case["due_at"] + SECOND) == "red"
    answered_on_time = {**case, "status": "answered", "on_time": True}
    assert indicator.colour(answered_on_time, case["due_at"] + SECOND) == "closed_on_time"
    assert indicator.colour({**case, "status": "closed", "on_time": False}, MONDAY) == "closed_late"


def test_yellow_by_share_of_the_stage():
    rules = Rules(yellow_share=0.2)
    case = make_case(MONDAY, rules=rules)
    span = case["due_at"] - MONDAY
    assert case["due_soon_at"] == case["due_at"] - span * 0.2
    assert indicator.colour(case, case["due_soon_at"] + SECOND) == "yellow"


def test_one_day_stage_starting_late_is_yellow_at_once_not_before_it_starts():
    policies = [{"id": "fast", "match": {}, "stages": {"follow_up": 0}}]
    case = make_case(MONDAY, policies)
    assert case["due_soon_at"] == MONDAY and indicator.colour(case, MONDAY + SECOND) == "yellow"


def test_indicator_is_deterministic_for_the_same_clock():
    case = make_case(MONDAY)
    at = case["due_soon_at"] + SECOND
    assert {indicator.colour(case, at) for _ in range(5)} == {"yellow"}


def sweep(case, now):
    kinds, changes, emitted = domain.sweep_case(case, now, "ID")
    return {**case, **changes}, kinds, [(e["event_type"], e["payload"]) for e in emitted]


def test_sweep_alerts_once_per_stage_and_escalates_in_order():
    case = make_case(MONDAY)
    assert sweep(case, MONDAY)[1] == []
    case, kinds, emitted = sweep(case, case["due_soon_at"] + SECOND)
    assert kinds == ["due_soon"] and emitted[0][0] == events.CASE_DUE_SOON and emitted[0][1]["indicator"] == "yellow"
    assert sweep(case, case["due_soon_at"] + 2 * SECOND)[1] == []          # not twice
    case, kinds, emitted = sweep(case, case["due_at"] + SECOND)
    assert kinds == ["overdue", "escalated:1"]
    assert [e[0] for e in emitted] == [events.CASE_OVERDUE, events.CASE_ESCALATED]
    assert emitted[1][1]["level"] == 1 and emitted[1][1]["escalated_to"] == "agency:PEMKAB-BULELENG"
    assert emitted[1][1]["escalated_to_role"] == "agency_admin"
    assert sweep(case, case["due_at"] + timedelta(days=1))[1] == []        # level 2 waits 2 working days
    case, kinds, emitted = sweep(case, utc(2026, 11, 25, 17))               # after Wed 25 Nov 23:59:59 WIB
    assert kinds == ["escalated:2"] and emitted[0][1]["escalated_to"] == "supervisor:PEMKAB-BULELENG"
    assert case["escalation_level"] == 2 and case["next_check_at"] == indicator.NEVER
    assert sweep(case, utc(2026, 12, 31))[1] == []


def test_sweep_after_an_outage_skips_due_soon_when_already_overdue():
    case = make_case(MONDAY)
    case, kinds, emitted = sweep(case, case["due_at"] + SECOND)
    assert kinds == ["due_soon", "overdue", "escalated:1"]
    assert [e[0] for e in emitted] == [events.CASE_OVERDUE, events.CASE_ESCALATED]


def test_triage_cases_escalate_to_national_admins():
    case = make_case(MONDAY, queue="national_triage", agency_code=None, unit_code=None)
    emitted = sweep(case, case["due_at"] + SECOND)[2]
    assert emitted[-1][1]["escalated_to"] == "hub:ID" and emitted[-1][1]["escalated_to_role"] == "national_admin"


def test_verification_then_follow_up_is_a_new_stage_with_fresh_alerts():
    triage = make_case(MONDAY, queue="agency", unit_code=None)
    triage, kinds, _ = sweep(triage, triage["due_at"] + SECOND)
    assert "overdue" in kinds
    later = triage["due_at"] + SECOND
    verified, emitted = domain.on_workflow_event(
        events.REPORT_VERIFIED, dispositioned(queue="unit", actor="adm-buleleng"), triage, None, [], CALENDAR, RULES,
        later, "ID")
    assert verified["stage"] == "follow_up" and verified["stage_seq"] == triage["stage_seq"] + 1
    assert verified["alerts"] == [] and indicator.colour(verified, later) == "green"
    assert emitted[0]["event_type"] == events.CASE_OPENED


def test_return_moves_the_case_but_not_the_reporters_overall_clock():
    case = make_case(MONDAY)
    returned, _ = domain.on_workflow_event(
        events.REPORT_RETURNED, dispositioned(queue="agency", unit_code=None, actor="lo-bll-pupr"), case, None, [],
        CALENDAR, RULES, utc(2026, 11, 19, 3), "ID")
    assert returned["stage"] == "verification" and returned["unit_code"] is None
    assert returned["opened_at"] == case["opened_at"] and returned["overall_due_at"] == case["overall_due_at"]
    assert returned["due_at"].date() == date(2026, 11, 24)  # the new holder's own stage clock
    again, _ = domain.on_workflow_event(
        events.REPORT_DISPOSITIONED, dispositioned(unit_code="BLL-DINKES"), returned, None, [], CALENDAR, RULES,
        utc(2026, 11, 20, 3), "ID")
    assert again["unit_code"] == "BLL-DINKES" and again["overall_due_at"] == case["overall_due_at"]
    assert indicator.overall_colour(again, case["overall_due_at"] + SECOND) == "red"


def test_postponement_moves_the_clock_to_when_it_ends():
    case = make_case(MONDAY)
    until = utc(2026, 11, 30, 1)  # Monday 30 Nov
    postponed, emitted = domain.on_workflow_event(
        events.REPORT_POSTPONED, dispositioned(until=until, queue="unit"), case, None, [], CALENDAR, RULES,
        utc(2026, 11, 18, 3), "ID")
    assert emitted == [] and postponed["postponed_until"] == until
    assert postponed["due_at"].date() == date(2026, 12, 7)  # 5 working days after 30 Nov
    assert postponed["overall_due_at"] - case["overall_due_at"] == postponed["due_at"] - case["due_at"]
    assert indicator.colour(postponed, case["due_at"] + SECOND) == "green"


def test_archive_closes_the_case_and_judges_timeliness():
    case = make_case(MONDAY)
    closed, emitted = domain.on_workflow_event(
        events.REPORT_ARCHIVED, dispositioned(actor="adm-buleleng", reason="duplikat"), case, None, [], CALENDAR,
        RULES, utc(2026, 11, 17), "ID")
    assert closed["status"] == "archived" and closed["on_time"] is True and closed["next_check_at"] == indicator.NEVER
    assert emitted[0]["event_type"] == events.CASE_CLOSED and emitted[0]["payload"]["closed_by"] == "adm-buleleng"


@pytest.mark.parametrize("event_type", [events.REPORT_VERIFIED, events.REPORT_ARCHIVED, events.REPORT_RETURNED])
def test_workflow_events_without_a_case_are_refused(event_type):
    """issue 13: routing verifies, returns or archives only reports it dispositioned (which opened a case
    here); such an event for a report with no case is forged or misdirected: refused and counted."""
    with pytest.raises(domain.UnknownReport):
        domain.on_workflow_event(event_type, dispositioned(), None, None, [], CALENDAR, RULES, MONDAY, "ID")


def test_opened_event_is_contract_valid():
    case = make_case(MONDAY)
    payload = domain.opened_event(case, "ID")["payload"]
    loaded = events.load(events.CASE_OPENED, payload)
    assert loaded["due_at"] == case["due_at"] and loaded["sla_working_days"] == 5

"""Follow-up rules for a case's clock: opening, re-disposition, verification, postponement,
return, archive and the timer sweep.  Plain functions: no nameko, no pymongo.

A case is one per report (``tracking_id``).  Its *stage* (verification while an admin holds
it, follow-up once a unit does) has a deadline in working days from the SLA policy; every stage
change bumps ``stage_seq`` so the sweep's alerts are once per case and stage.  The reporter's
overall clock (``overall_due_at``) is set once, when the case opens, and survives returns.
"""
from __future__ import annotations

import secrets
from datetime import datetime

from contract import events
from contract.consumer import RejectEvent
from followup import indicator, sla
from followup.calendar import WorkCalendar
from followup.indicator import Rules

class UnknownReport(RejectEvent):
    """A workflow event for a report whose disposition never reached follow-up (forged or misdirected)."""


ESCALATION_TARGETS = {"agency_admin": "agency", "supervisor": "supervisor", "national_admin": "hub"}


def stage_for(queue: str | None) -> str:
    """Reports in an admin's queue wait for verification; a unit's queue means follow-up."""
    return "follow_up" if queue == "unit" else "verification"


def in_liaison_hands(case: dict) -> bool:
    """Is the report in the unit liaison's hands: in a unit's queue and verified there (routing's
    ``report_verified`` at the unit)?  Only then can it be answered."""
    if case.get("queue") != "unit":
        return False
    if "verified_at_unit" in case:
        return bool(case["verified_at_unit"])
    # a case stored before the flag existed: its last move tells
    moves = [h["step"] for h in case.get("history", []) if h["step"] in WORKFLOW_STEPS]
    return bool(moves) and moves[-1] == "report_verified"


WORKFLOW_STEPS = ("case_opened", "report_dispositioned", "report_verified", "report_returned", "report_postponed")


def policy_subject(facts: dict) -> dict:
    return {key: facts.get(key) for key in sla.MATCH_KEYS}


def _history(step: str, at: datetime, actor: str | None = None, **detail) -> dict:
    return {"step": step, "at": at, "actor": actor, "detail": detail}


def start_stage(case: dict, stage: str, started_at: datetime, policies: list[dict],
                calendar: WorkCalendar, rules: Rules, clock_start: datetime | None = None,
                extra_days: int = 0) -> dict:
    """``case`` in a new stage: its deadline, due-soon time, alert schedule and next check."""
    policy, days = sla.choose(policies, policy_subject(case), stage)
    tz, region = case["timezone"], case.get("region_code")
    start = clock_start or started_at
    due_at = calendar.add_working_days(start, days + extra_days, tz, region)
    case = {**case, "stage": stage, "stage_seq": case.get("stage_seq", 0) + 1, "stage_started_at": started_at,
            "sla_working_days": days, "sla_policy_id": policy["id"], "due_at": due_at, "alerts": [],
            "escalation_level": 0}
    case["due_soon_at"] = indicator.due_soon_at(started_at, due_at, rules, calendar, tz, region)
    case["schedule"] = indicator.schedule(case, rules, calendar)
    case["next_check_at"] = indicator.next_check(case)
    return case


def open_case(dispositioned: dict, facts: dict | None, policies: list[dict], calendar: WorkCalendar,
              rules: Rules, now: datetime) -> dict:
    """A new case for a dispositioned report.

    For a policy with pre-entry stages (manual channel, seed 003) the clock starts when the
    complaint was received offline (``facts.received_at``) and counts those stages first.
    """
    facts = facts or {}
    case = {
        "_id": "case_" + secrets.token_hex(8), "tracking_id": dispositioned["tracking_id"],
        "origin_hub": dispositioned["origin_hub"], "agency_code": dispositioned.get("agency_code"),
        "unit_code": dispositioned.get("unit_code"), "queue": dispositioned["queue"],
        "region_code": dispositioned["region_code"], "category_code": dispositioned["category_code"],
        "classification": dispositioned["classification"], "channel": dispositioned["channel"],
        "urgency": dispositioned.get("urgency"), "reporter_ref": dispositioned["reporter_ref"],
        "language": dispositioned.get("language", "id"), "timezone": dispositioned.get("region_timezone") or "Asia/Jakarta",
        "is_confidential": facts.get("is_confidential"), "status": "open", "opened_at": now,
        "first_response_at": None, "answered_at": None, "closed_at": None, "on_time": None,
        "overall_on_time": None, "rating": None, "reopen_count": 0, "postponed_until": None, "version": 0,
        "verified_at_unit": False, "history": [],
    }
    pre_stages, pre_days = sla.pre_entry_days(policies, policy_subject(case))
    received = facts.get("received_at") if pre_stages else None
    clock_start = min(received, now) if received else now
    stage = stage_for(case["queue"])
    case = start_stage(case, stage, now, policies, calendar, rules, clock_start=clock_start, extra_days=pre_days)
    remaining = ["verification", "follow_up"][["verification", "follow_up"].index(stage):]
    total = pre_days + sum(sla.choose(policies, policy_subject(case), s)[1] for s in remaining)
    case["overall_due_at"] = calendar.add_working_days(clock_start, total, case["timezone"], case["region_code"])
    case["pre_entry"] = [dict(s) for s in pre_stages]
    case["history"].append(_history("case_opened", now, dispositioned.get("actor"), stage=stage,
                                    due_at=case["due_at"], policy=case["sla_policy_id"]))
    return case


def reassign(case: dict, action: dict, step: str, policies: list[dict], calendar: WorkCalendar,
             rules: Rules, now: datetime) -> dict:
    """A workflow event moved an open case to another holder or stage; the overall clock stays."""
    if case["status"] not in ("open",):
        return case
    moved = {**case, "agency_code": action.get("agency_code"), "unit_code": action.get("unit_code"),
             "queue": action["queue"], "postponed_until": None,
             "verified_at_unit": step == "report_verified" and action["queue"] == "unit"}
    stage = "follow_up" if step == "report_verified" else stage_for(action["queue"])
    moved = start_stage(moved, stage, now, policies, calendar, rules)
    moved["history"] = case["history"] + [_history(step, now, action.get("actor"), stage=stage, due_at=moved["due_at"],
                                                   agency_code=moved["agency_code"], unit_code=moved["unit_code"])]
    return moved


def postpone(case: dict, action: dict, policies: list[dict], calendar: WorkCalendar, rules: Rules,
             now: datetime) -> dict:
    """The stage's clock restarts when the postponement the admin set ends (``until``)."""
    if case["status"] != "open":
        return case
    until = max(action["until"], now)
    moved = start_stage({**case, "postponed_until": until, "verified_at_unit": False}, case["stage"], until,
                        policies, calendar, rules)
    moved["overall_due_at"] = max(case["overall_due_at"], case["overall_due_at"] + (moved["due_at"] - case["due_at"]))
    moved["history"] = case["history"] + [_history("report_postponed", now, action.get("actor"), until=until,
                                                   due_at=moved["due_at"], reason=action.get("reason"))]
    return moved


def close(case: dict, now: datetime, closed_by: str, step: str, **detail) -> dict:
    """Closed (archived, rated or auto-closed); on time is judged when the clock stopped."""
    stopped = case.get("answered_at") or now
    closed = {**case, "status": "archived" if step == "report_archived" else "closed", "closed_at": now,
              "closed_by": closed_by, "next_check_at": indicator.NEVER,
              "on_time": case["on_time"] if case.get("answered_at") else stopped <= case["due_at"],
              "overall_on_time": case["overall_on_time"] if case.get("answered_at") else stopped <= case["overall_due_at"]}
    closed["history"] = case["history"] + [_history(step, now, closed_by, **detail)]
    return closed


def case_fields(case: dict) -> dict:
    """The fields every case event carries."""
    return {"tracking_id": case["tracking_id"], "origin_hub": case["origin_hub"], "case_id": case["_id"],
            "agency_code": case.get("agency_code"), "unit_code": case.get("unit_code"), "stage": case["stage"],
            "reporter_ref": case.get("reporter_ref"), "language": case.get("language", "id"),
            "region_code": case.get("region_code"), "case_status": case.get("status"),
            "case_due_at": case.get("due_at"), "reopen_until": case.get("reopen_until")}


def opened_event(case: dict, hub: str) -> dict:
    fields = case_fields(case)
    for key in ("reporter_ref", "language"):
        fields.pop(key)
    return events.build(events.CASE_OPENED, hub=hub, **fields, sla_working_days=case["sla_working_days"],
                        due_at=case["due_at"], opened_at=case["stage_started_at"])


def closed_event(case: dict, hub: str) -> dict:
    return events.build(events.CASE_CLOSED, hub=hub, **case_fields(case), closed_by=case["closed_by"],
                        on_time=bool(case["on_time"]), opened_at=case["opened_at"],
                        first_response_at=case.get("first_response_at"), rating=case.get("rating"))


def escalation_target(case: dict, role: str) -> tuple[str, str]:
    """(role, recipient reference) for an escalation; national admins when no agency holds it."""
    if not case.get("agency_code") or role == "national_admin":
        return "national_admin", f"hub:{case['origin_hub']}"
    return role, f"{ESCALATION_TARGETS.get(role, 'agency')}:{case['agency_code']}"


def sweep_case(case: dict, now: datetime, hub: str) -> tuple[list[str], dict, list[dict]]:
    """Alerts due on ``case`` at ``now``: (kinds claimed, field changes, events to emit)."""
    if case["status"] == "answered":
        if case.get("auto_close_at") and case["auto_close_at"] < now:
            closed = close(case, now, "system", "auto_closed")
            changes = {k: closed[k] for k in ("status", "closed_at", "closed_by", "next_check_at", "history")}
            return ["auto_close"], changes, [closed_event(closed, hub)]
        return [], {}, []
    due = indicator.alerts_due(case, now)
    if not due:
        return [], {}, []
    kinds = [a["kind"] for a in due]
    changes = {"alerts": case.get("alerts", []) + kinds}
    out = []
    for alert in due:
        if alert.get("silent"):
            continue
        base = case_fields(case)
        if alert["kind"] in ("due_soon", "overdue"):
            etype = events.CASE_DUE_SOON if alert["kind"] == "due_soon" else events.CASE_OVERDUE
            colour = indicator.YELLOW if alert["kind"] == "due_soon" else indicator.RED
            out.append(events.build(etype, hub=hub, **base, due_at=case["due_at"], indicator=colour))
        else:
            role, target = escalation_target(case, alert["role"])
            out.append(events.build(events.CASE_ESCALATED, hub=hub, **base, level=alert["level"],
                                    escalated_to_role=role, escalated_to=target, due_at=case["due_at"]))
            changes["escalation_level"] = max(alert["level"], case.get("escalation_level", 0))
    changes["history"] = case["history"] + [
        _history(a["kind"].split(":")[0], now, "system", **({"level": a["level"]} if "level" in a else {}))
        for a in due if not a.get("silent")]
    changes["next_check_at"] = indicator.next_check({**case, **changes})
    return kinds, changes, out


def on_workflow_event(event_type: str, event: dict, case: dict | None, facts: dict | None,
                      policies: list[dict], calendar: WorkCalendar, rules: Rules, now: datetime,
                      hub: str) -> tuple[dict | None, list[dict]]:
    """What a routing event does to a report's case: (the new case or None, events to emit)."""
    if event_type == events.REPORT_DISPOSITIONED and case is None:
        opened = open_case(event, facts, policies, calendar, rules, now)
        return opened, [opened_event(opened, hub)]
    if case is None:  # routing acts only on reports it dispositioned, which opened a case here
        raise UnknownReport(f"{event_type} for {event['tracking_id']}: no case, routing never dispositioned it")
    if case["status"] != "open":
        return None, []  # nothing to follow up (yet), or already answered/closed
    if event_type == events.REPORT_ARCHIVED:
        closed = close(case, now, event["actor"], "report_archived", reason=event.get("reason"))
        return closed, [closed_event(closed, hub)]
    if event_type == events.REPORT_POSTPONED:
        return postpone(case, event, policies, calendar, rules, now), []
    step = {events.REPORT_DISPOSITIONED: "report_dispositioned", events.REPORT_VERIFIED: "report_verified",
            events.REPORT_RETURNED: "report_returned"}[event_type]
    moved = reassign(case, event, step, policies, calendar, rules, now)
    return moved, [opened_event(moved, hub)]

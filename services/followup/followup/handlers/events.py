"""What follow-up does with the events it consumes (``service.EVENTS`` points here)."""
from __future__ import annotations

from followup import conversation, domain
from followup import metrics as case_metrics
from followup.handlers.common import work_calendar


def record_facts(uow, event_type: str, e: dict) -> None:
    """``report_received``: the report's facts a case needs (confidentiality, channel, a resolution
    entered with it); a case already open follows the report's confidentiality."""
    facts = {"tracking_id": e["tracking_id"], "is_confidential": e["is_confidential"],
             "received_at": e["received_at"], "channel": e["channel"], "resolution": e.get("resolution"),
             "resolved_at": e.get("resolved_at"), "entered_by": e.get("entered_by")}
    uow.facts.record(facts)
    case = uow.cases.get(e["tracking_id"])
    if case is not None and case.get("is_confidential") != facts["is_confidential"]:
        uow.cases.save(case, {**case, "is_confidential": facts["is_confidential"]})


def workflow_event(uow, event_type: str, event: dict) -> None:
    """A routing decision (dispositioned, verified, postponed, returned, archived): open, move or
    end the report's case; a manual report resolved at entry opens already answered."""
    s, now = uow.settings, uow.now()
    case, facts = uow.cases.get(event["tracking_id"]), uow.facts.get(event["tracking_id"])
    calendar = work_calendar(uow)
    after, emitted = domain.on_workflow_event(event_type, event, case, facts, uow.calendar.policies(), calendar,
                                              s.rules, now, s.hub)
    if after is None:
        return
    if case is None and (facts or {}).get("resolution"):
        after, message, answered = conversation.answer_at_entry(after, facts, now, s.hub, calendar, s.rules)
        uow.messages.add(message)
        emitted = emitted + answered
    uow.cases.save(case, after)
    uow.stage(emitted)
    uow.after_commit(lambda: case_metrics.transition(case or {}, after))

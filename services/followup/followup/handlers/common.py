"""What follow-up's handlers share: the working-day calendar of a unit, finding a case, and
applying one user action to a case."""
from __future__ import annotations

from typing import Callable

from contract.ids import parse_tracking_id
from followup import metrics as case_metrics
from followup.calendar import WorkCalendar
from followup.conversation import Conflict, OutOfScope
from followup.settings import case_not_found, conflict, invalid_tracking_id, out_of_scope


def work_calendar(uow) -> WorkCalendar:
    """Working days: the holidays package and the operators' days off (read once per unit)."""
    return uow.memo("work_calendar", lambda: WorkCalendar.from_entries(
        uow.calendar.days_off(), with_cuti_bersama=uow.settings.cuti_bersama))


def canonical(tracking_id: str) -> str:
    """The tracking ID as stored; 400 when it is not one."""
    found = parse_tracking_id(tracking_id)
    if found is None:
        raise invalid_tracking_id()
    return found


def find_case(uow, tracking_id: str) -> dict:
    """The report's case; 400 for a malformed tracking ID, 404 when it has none."""
    case = uow.cases.get(canonical(tracking_id))
    if case is None:
        raise case_not_found()
    return case


def change(uow, tracking_id: str, decide: Callable[[dict], tuple[dict, dict | None, list[dict]]]):
    """One user action on a case: ``decide(case)`` -> (changed case, message or None, events); the
    domain's refusals become 409/403; the case, its message and its events are one unit."""
    case = find_case(uow, tracking_id)
    try:
        after, message, emitted = decide(case)
    except Conflict as exc:
        raise conflict(exc)
    except OutOfScope:
        raise out_of_scope()
    uow.cases.save(case, after)
    if message is not None:
        uow.messages.add(message)
    uow.stage(emitted)
    uow.after_commit(lambda: case_metrics.transition(case, after))
    return after, message

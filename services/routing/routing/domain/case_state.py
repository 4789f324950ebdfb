"""Routing's work item follows the report's case in follow-up.

Follow-up owns the conversation: when the unit answers (``case_answered``) the report leaves the
liaison's open work (status ``answered``, no action left); when the case closes (``case_closed``:
rated, auto-closed) it leaves the queues (queue and status ``closed``); when the reporter reopens
it (``case_reopened``) it is back in the unit's queue as ``verified``.  Events of one case may
arrive out of order (each type has its own queue), so a case event older than the last one
applied changes nothing.  A case event for a report routing never routed is refused: its source
(follow-up) only opens cases for reports that routing dispositioned.

Plain functions on plain dicts: no nameko, pymongo or kombu here.
"""
from __future__ import annotations

from datetime import datetime

from contract import events
from contract.consumer import RejectEvent
from routing.domain.workflow import OPEN_STATUSES, position

CASE_EVENTS = (events.CASE_ANSWERED, events.CASE_CLOSED, events.CASE_REOPENED)
ANSWERED, CLOSED = "answered", "closed"
# routing's own terminal states: a closed case does not move an archived or forwarded report
TERMINAL = ("archived", "forwarded")


class UnknownReport(RejectEvent):
    """A case event for a report this hub's routing never routed (forged or misdirected)."""


def _target(item: dict, event_type: str, event: dict) -> dict | None:
    status = item["status"]
    if status in TERMINAL:
        return None
    if event_type == events.CASE_ANSWERED and status in OPEN_STATUSES:
        return {**position(item), "status": ANSWERED}
    if event_type == events.CASE_CLOSED and status != CLOSED:
        return {**position(item), "queue": CLOSED, "status": CLOSED}
    if event_type == events.CASE_REOPENED and status in (ANSWERED, CLOSED):
        return {"queue": "unit", "agency_code": event.get("agency_code") or item["agency_code"],
                "unit_code": event.get("unit_code") or item["unit_code"], "status": "verified"}
    return None


def follow_case(item: dict | None, event_type: str, event: dict, now: datetime) -> tuple[dict, dict] | None:
    """(field changes, audit entry) that a follow-up case event makes to a work item, or None.

    Raises :class:`UnknownReport` when ``item`` is None.
    """
    if item is None:
        raise UnknownReport(f"{event_type} for {event.get('tracking_id')}, a report routing never routed")
    last = item.get("case_event_at")
    if last is not None and event["occurred_at"] <= last:
        return None  # an older event of the case, delivered late
    target = _target(item, event_type, event)
    if target is None:
        return None
    changes = {**target, "case_event_at": event["occurred_at"], "postponed_until": None, "updated_at": now}
    if target["queue"] != item["queue"]:
        changes["queued_at"] = now
    entry = {"tracking_id": item["_id"], "seq": item["version"] + 1, "action": event_type, "actor": "followup",
             "actor_role": "system", "actor_name": None, "at": now, "from": position(item), "to": target,
             "reason": event.get("reason") or event.get("closed_by"), "until": None}
    return changes, entry

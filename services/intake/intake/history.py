"""The tracking history: what each catalogue event adds to a report's public timeline.

Every report-related event of the catalogue becomes one history entry with an Indonesian and
an English label and a small structured ``detail``.  Entries never carry the reporter's
identity nor free text (reasons, excerpts, comments, error messages), because the tracking
view is read by anyone holding the tracking ID and a confidential report's text must not leak.

Status is monotone along ``STATUS_RANK`` (a late or redelivered event cannot undo progress),
with one explicit way back: ``case_reopened`` returns an answered or closed report to
``in_follow_up``; answers and closings older than the reopening are then stale.
Plain functions on plain dicts: no nameko, pymongo or kombu here.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Callable

from contract import events, i18n, journey
from contract.registry_names import Names, hub_name

STATUS_RANK = {"incomplete": 0, "received": 1, "triage": 2, "dispositioned": 3, "in_follow_up": 4,
               "answered": 5, "closed": 6, "forwarded": 6, "archived": 6}
REOPENABLE = ("answered", "closed")

# the labels of statuses (``status.*``) and of a delivery to another hub (``delivery.*``):
# intake's catalogue (messages.yml, contract.i18n)
TEXTS = i18n.of_service("intake")

# one label per step, shared with follow-up's case history: the ``step.*`` messages of the
# contract's catalogue (contract/messages.yml, read by contract.journey)
STEP_LABELS = journey.step_labels()



def delivery_view(delivery: dict | None, language: str, names: Names | None = None) -> dict | None:
    """Where a report sent to another hub stands (None for a report handled here); its label names
    the hub by the registry's ``names`` ("Simpul 5108" where they have none)."""
    if not delivery:
        return None
    key, hub = f"delivery.{delivery.get('state')}", delivery.get("hub")
    shown = hub_name(names, hub, language)
    text = TEXTS.text(key, language, hub=shown) if key in TEXTS else shown
    return {"hub": delivery.get("hub"), "state": delivery.get("state"), "since": delivery.get("since"), "label": text}


def entry(step: str, at: datetime, detail: dict | None = None, event_id: str | None = None) -> dict:
    """One history entry (``detail`` holds only structured, non-identifying values)."""
    return {"at": at, "step": step, "detail": detail or {}, "event_id": event_id}


def _assignment(p: dict) -> dict:
    return {"queue": p["queue"], "agency_code": p.get("agency_code"), "unit_code": p.get("unit_code")}


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _dispositioned(p: dict) -> tuple[dict, str | None, dict]:
    step = "triage" if p["queue"] == "national_triage" else "dispositioned"
    return ({"assignment": _assignment(p)}, step,
            {**_assignment(p), "rule_id": p.get("rule_id"), "automatic": p["automatic"]})


def _official(status: str | None) -> Callable[[dict], tuple[dict, str | None, dict]]:
    def step(p: dict) -> tuple[dict, str | None, dict]:
        detail = {**_assignment(p), "actor_role": p["actor_role"]}
        if "until" in p:
            detail["until"] = _iso(p["until"])
        return {"assignment": _assignment(p)}, status, detail
    return step


def _case_opened(p: dict) -> tuple[dict, str | None, dict]:
    case = {"case_id": p["case_id"], "stage": p["stage"], "due_at": p["due_at"],
            "sla_working_days": p["sla_working_days"]}
    return ({"case": case}, "in_follow_up",
            {"stage": p["stage"], "due_at": _iso(p["due_at"]), "sla_working_days": p["sla_working_days"]})


def _closed_by(p: dict) -> str:
    return p["closed_by"] if p["closed_by"] in ("reporter", "system") else "official"


def _notification(p: dict) -> dict:
    detail = {"recipient": p["recipient_kind"], "channel": p["channel"], "template": p["template"]}
    if "attempts" in p:
        detail["attempts"] = p["attempts"]
    return detail


def _no_status(detail: Callable[[dict], dict]) -> Callable[[dict], tuple[dict, None, dict]]:
    return lambda p: ({}, None, detail(p))


# event -> (history step, function(payload) -> ($set changes, proposed status, detail))
STEPS: dict[str, tuple[str, Callable[[dict], tuple[dict, str | None, dict]]]] = {
    events.REPORT_DISPOSITIONED: ("dispositioned", _dispositioned),
    events.REPORT_VERIFIED: ("verified", _official(None)),
    events.REPORT_POSTPONED: ("postponed", _official(None)),
    events.REPORT_RETURNED: ("returned", _official(None)),
    events.REPORT_ARCHIVED: ("archived", _official("archived")),
    events.REPORT_FORWARDED: ("forwarded", lambda p: ({"target_hub": p["target_hub"]}, "forwarded",
                                                      {"target_hub": p["target_hub"]})),
    events.CASE_OPENED: ("case_opened", _case_opened),
    events.CASE_DUE_SOON: ("case_due_soon", _no_status(lambda p: {
        "stage": p.get("stage"), "due_at": _iso(p["due_at"]), "indicator": p["indicator"]})),
    events.CASE_OVERDUE: ("case_overdue", _no_status(lambda p: {
        "stage": p.get("stage"), "due_at": _iso(p["due_at"]), "indicator": p["indicator"]})),
    events.CASE_ESCALATED: ("case_escalated", _no_status(lambda p: {
        "level": p["level"], "escalated_to_role": p["escalated_to_role"], "due_at": _iso(p["due_at"])})),
    events.CASE_UPDATED: ("case_updated", _no_status(lambda p: {
        "author_role": p["author_role"], "has_attachments": p["has_attachments"]})),
    events.CASE_ANSWERED: ("case_answered", lambda p: ({}, "answered", {
        "author_role": p["author_role"], "has_attachments": p["has_attachments"]})),
    events.REPORTER_REPLIED: ("reporter_replied", _no_status(lambda p: {"has_attachments": p["has_attachments"]})),
    events.CASE_RATED: ("case_rated", _no_status(lambda p: {"rating": p["rating"]})),
    events.CASE_REOPENED: ("case_reopened", lambda p: ({}, "in_follow_up", {"stage": p.get("stage")})),
    events.CASE_CLOSED: ("case_closed", lambda p: ({}, "closed", {
        "closed_by": _closed_by(p), "on_time": p["on_time"], "rating": p.get("rating")})),
    events.COMMENT_POSTED: ("comment_posted", _no_status(lambda p: {})),
    events.COMMENT_HIDDEN: ("comment_hidden", _no_status(lambda p: {})),
    events.NOTIFICATION_QUEUED: ("notification_queued", _no_status(_notification)),
    events.NOTIFICATION_SENT: ("notification_sent", _no_status(_notification)),
    events.NOTIFICATION_DEAD_LETTERED: ("notification_dead_lettered", _no_status(_notification)),
}
TRACKED = tuple(STEPS)


def step_from_event(event_type: str, payload: dict) -> dict:
    """What an event changes on the report: ``{"set", "status", "reopen", "entry"}``."""
    if event_type not in STEPS:
        raise ValueError(f"intake does not track {event_type}")
    step, describe = STEPS[event_type]
    changes, status, detail = describe(payload)
    if event_type == events.REPORT_DISPOSITIONED and status == "triage":
        step = "triage"  # waiting in the national admin's triage queue: no authority yet
    return {"set": changes, "status": status, "reopen": event_type == events.CASE_REOPENED,
            "at": payload["occurred_at"], "entry": entry(step, payload["occurred_at"], detail, payload["event_id"])}


def proposed_status(step: dict, report: dict) -> str | None:
    """The status an event proposes for this report: ``forwarded`` (routing's decision) arriving
    after the owner hub's steps were already applied here (``hub_delivery.status_at``) proposes
    nothing, so the owner's later status is not undone (issue 14)."""
    if step["status"] == "forwarded" and (report.get("hub_delivery") or {}).get("status_at"):
        return None
    return step["status"]


def changes_of(report: dict, step: dict) -> dict | None:
    """The fields a step sets on the report as it stands (``status``, ``reopened_at`` and the step's
    own), or None when it changes nothing of the report itself (a notification step that moves no
    status: its timeline entry is all)."""
    update = dict(step["set"])
    update["status"] = next_status(report["status"], proposed_status(step, report), step["at"],
                                   report.get("reopened_at"), step["reopen"])
    if step["reopen"]:
        update["reopened_at"] = max(step["at"], report.get("reopened_at") or step["at"])
    if update == {"status": report["status"]} and step["entry"]["step"].startswith("notification_"):
        return None
    return update


def next_status(current: str, proposed: str | None, at: datetime, reopened_at: datetime | None,
                reopen: bool = False) -> str:
    """The report's status after an event proposing ``proposed`` at time ``at``."""
    if proposed is None:
        return current
    if reopen:
        return proposed if current in REOPENABLE else current
    if reopened_at is not None and proposed in REOPENABLE and at <= reopened_at:
        return current  # an answer or closing from before the reopening
    return proposed if STATUS_RANK[proposed] > STATUS_RANK.get(current, 0) else current


def advance_status(current: str, proposed: str | None) -> str:
    """The later of two statuses in the lifecycle (no reopening involved)."""
    if proposed is None:
        return current
    return proposed if STATUS_RANK[proposed] > STATUS_RANK.get(current, 0) else current


def label(step: str, language: str) -> str:
    return journey.step_label(step, language)


def status_label(status: str, language: str) -> str:
    return TEXTS.text(f"status.{status}", language)

"""A forwarded report's case on the page where the reporter filed (issue 19, "the citizen keeps
one place"): the case is the owner hub's, kept here by intake from the owner's statuses
(``page_view``'s ``hub_case``); the reporter's actions go there through intake
(``intake.relay_reporter_action``; evidence through intake's own page), and are applied there by
``relayed_action`` (the owner's ``reporter_action_relayed``, once per action)."""
from __future__ import annotations

import logging
from datetime import datetime, timezone

from contract import errors
from followup import indicator
from followup.handlers.conversation import REPORTER_ACTIONS

log = logging.getLogger(__name__)

RELAYED_FIELDS = {"reply": ("body",), "rate": ("rating", "comment"), "reopen": ("reason",)}
INDICATORS = (indicator.GREEN, indicator.YELLOW, indicator.RED)


def _time(value):
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return value


def shown(report: dict, lang: str, now: datetime | None = None) -> dict:
    """What the tracking page shows of the owner's case and which of the reporter's actions it
    offers: ``case`` (as a local case is shown), ``messages``, ``can_*``, ``relay_blocked_by``."""
    case = report.get("hub_case") or {}
    now = now or datetime.now(timezone.utc)
    status, blocked = case.get("case_status"), case.get("relay_blocked_by")
    colour = case.get("indicator")
    if status == "closed" or status == "answered":
        colour = colour if colour in INDICATORS else None
    view = None
    if status:
        view = {"indicator": colour, "indicator_label": indicator.label(colour, lang) if colour in INDICATORS else None,
                "stage": case.get("stage") or "follow_up", "due_at": case.get("due_at"),
                "overall_due_at": case.get("overall_due_at"),
                "rating": int(case["rating"]) if str(case.get("rating") or "").isdigit() else None,
                "reopen_until": case.get("reopen_until")}
    until = _time(case.get("reopen_until"))
    open_ = bool(report.get("hub_case")) and not blocked and (report.get("delivery") or {}).get("state") == "accepted"
    messages = [{**m, "attachments": []} for m in case.get("messages") or []]
    return {"case": view, "messages": messages, "relay_blocked_by": blocked,
            "can_reply": bool(open_ and status in ("open", "answered")),
            "can_rate": bool(open_ and status == "answered"),
            "can_reopen": bool(open_ and status in ("answered", "closed") and until and now <= until),
            "can_add_evidence": bool(open_ and report.get("status") not in ("closed", "archived"))}


def relayed_action(uow, event_type: str, event: dict) -> None:
    """``reporter_action_relayed`` (at the owner hub): the reporter's reply, rating or reopening taken
    where they filed, applied here as if taken on this hub's page; a case that no longer takes it
    (answered, closed or reopened meanwhile) changes nothing, with a log line."""
    form = {k: event.get(k) for k in RELAYED_FIELDS[event["action"]]}
    if event["action"] == "reply":
        form["attachments"] = []
    try:
        REPORTER_ACTIONS[event["action"]](uow, {"tracking_id": event["tracking_id"], "form": form,
                                                "lang": "id"})
    except errors.ApiError as exc:
        log.warning("relayed %s %s for %s from hub %s not applied: %s", event["action"], event["action_id"],
                    event["tracking_id"], event["from_hub"], exc.errors)

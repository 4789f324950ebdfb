"""Valid payloads for every report-related event of the catalogue (free texts carry canaries)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from contract import events

LEAK = "CANARY-FREE-TEXT-7Q"  # free text that must never reach the tracking history

_CASE = {"case_id": "case-1", "agency_code": "PEMKAB-BULELENG", "unit_code": "BLL-PUPR", "stage": "follow_up",
         "reporter_ref": "rpt_x"}
_OFFICIAL = {"actor": "adm-buleleng", "actor_role": "agency_admin", "agency_code": "PEMKAB-BULELENG",
             "unit_code": None, "queue": "agency", "reason": LEAK, "reporter_ref": "rpt_x"}
_NOTE = {"notification_id": "n-1", "recipient_kind": "reporter", "channel": "email", "template": "case_answered"}


def _fields(event_type: str, now: datetime) -> dict:
    due = now + timedelta(days=5)
    return {
        events.REPORT_DISPOSITIONED: {"agency_code": "PEMKAB-BULELENG", "unit_code": "BLL-PUPR", "queue": "unit",
                                      "rule_id": "bll-infra", "automatic": True, "actor": "system",
                                      "region_code": "5108", "category_code": "infrastruktur",
                                      "classification": "complaint", "channel": "web", "reporter_ref": "rpt_x",
                                      "is_anonymous": False},
        events.REPORT_VERIFIED: _OFFICIAL,
        events.REPORT_POSTPONED: {**_OFFICIAL, "until": due},
        events.REPORT_RETURNED: {**_OFFICIAL, "queue": "national_triage", "agency_code": None,
                                 "from_agency_code": "PEMKAB-BULELENG"},
        events.REPORT_ARCHIVED: {**_OFFICIAL, "queue": "archive"},
        events.REPORT_FORWARDED: None,  # built below: it nests a whole report_received
        events.CASE_OPENED: {"case_id": "case-1", "agency_code": "PEMKAB-BULELENG", "unit_code": "BLL-PUPR",
                             "stage": "follow_up", "sla_working_days": 5, "due_at": due, "opened_at": now},
        events.CASE_DUE_SOON: {**_CASE, "due_at": due, "indicator": "yellow"},
        events.CASE_OVERDUE: {**_CASE, "due_at": due, "indicator": "red"},
        events.CASE_ESCALATED: {**_CASE, "level": 1, "escalated_to_role": "agency_admin",
                                "escalated_to": "adm-buleleng", "due_at": due},
        events.CASE_UPDATED: {**_CASE, "message_id": "m1", "author_role": "liaison", "excerpt": LEAK},
        events.CASE_ANSWERED: {**_CASE, "message_id": "m2", "author_role": "liaison", "excerpt": LEAK},
        events.REPORTER_REPLIED: {**_CASE, "message_id": "m3", "author_role": "reporter", "excerpt": LEAK},
        events.CASE_RATED: {**_CASE, "rating": 4, "comment": LEAK},
        events.CASE_REOPENED: {**_CASE, "reason": LEAK},
        events.CASE_CLOSED: {**_CASE, "closed_by": "lo-bll-pupr", "on_time": True, "opened_at": now, "rating": 4},
        events.COMMENT_POSTED: {**_CASE, "comment_id": "c1", "reason": LEAK},
        events.COMMENT_HIDDEN: {**_CASE, "comment_id": "c1", "reason": LEAK},
        events.NOTIFICATION_QUEUED: {**_NOTE, "recipient_ref": "rpt_x", "language": "id"},
        events.NOTIFICATION_SENT: {**_NOTE, "attempts": 1},
        events.NOTIFICATION_DEAD_LETTERED: {**_NOTE, "attempts": 8, "error": LEAK},
    }[event_type]


def received_fields(tracking_id: str, now: datetime) -> dict:
    return {"tracking_id": tracking_id, "origin_hub": "ID", "target_hub": "5108", "channel": "web",
            "classification": "complaint", "category_code": "infrastruktur", "region_code": "5108",
            "title": LEAK, "description": LEAK, "is_anonymous": True, "is_confidential": True,
            "reporter_ref": "rpt_x", "received_at": now}


def event_payload(event_type: str, tracking_id: str = "ID-K7M4X-9XQ2B", at: datetime | None = None,
                  **overrides) -> dict:
    """A dumped payload of ``event_type`` as another service would publish it."""
    now = at or datetime.now(timezone.utc)
    if event_type == events.REPORT_FORWARDED:
        report = {"event_id": "e-received", "schema_version": 1, "occurred_at": now, "hub": "ID",
                  **received_fields(tracking_id, now)}
        fields = {"target_hub": "5108", "reason": LEAK, "report": report}
    else:
        fields = _fields(event_type, now)
    payload = events.build(event_type, hub="ID", tracking_id=tracking_id, origin_hub="ID",
                           **{**fields, **overrides})["payload"]
    payload["occurred_at"] = now.isoformat()
    return payload

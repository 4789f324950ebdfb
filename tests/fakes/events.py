"""Contract-valid event payloads for notification's tests (as the other services emit them)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from contract import events
from contract.ids import new_event_id, new_tracking_id


def _now() -> datetime:
    return datetime.now(timezone.utc)


def make_event(event_type: str, tracking_id: str | None = None, **overrides) -> dict:
    """A contract-valid payload of ``event_type`` (validated by contract.events.build)."""
    tracking_id = tracking_id or new_tracking_id("ID")
    soon = _now() + timedelta(days=2)
    case = {"case_id": "case_" + new_event_id()[:10], "agency_code": "PEMKAB-BULELENG", "unit_code": "BLL-PUPR",
            "stage": "follow_up"}
    message = {**case, "message_id": "msg_" + new_event_id()[:10], "author_role": "liaison",
               "excerpt": "Jalan sudah ditambal pada 20 November."}
    action = {"actor": "adm-buleleng", "actor_role": "agency_admin", "agency_code": "PEMKAB-BULELENG"}
    defaults = {
        events.REPORT_RECEIVED: {"target_hub": "ID", "channel": "web", "classification": "complaint",
                                 "category_code": "infrastruktur", "region_code": "5108", "title": "Jalan rusak",
                                 "description": "Jalan berlubang di depan sekolah.", "is_anonymous": False,
                                 "is_confidential": False, "received_at": _now()},
        events.REPORT_DRAFT_SAVED: {"channel": "web", "missing": ["description", "incident_date"],
                                    "saved_at": _now()},
        events.REPORT_DISPOSITIONED: {"actor": "system", "region_code": "5108", "category_code": "infrastruktur",
                                      "classification": "complaint", "channel": "web", "is_anonymous": False,
                                      "queue": "unit", "agency_code": "PEMKAB-BULELENG", "unit_code": "BLL-PUPR",
                                      "automatic": True},
        events.REPORT_RETURNED: {**action, "actor": "lo-bll-pupr", "actor_role": "liaison", "queue": "agency",
                                 "from_unit_code": "BLL-PUPR", "reason": "Bukan wewenang Dinas PUPR."},
        events.REPORT_POSTPONED: {**action, "queue": "agency", "until": soon, "reason": "Menunggu survei lapangan."},
        events.REPORT_ARCHIVED: {**action, "queue": "archive", "reason": "Laporan ganda."},
        events.CASE_OPENED: {**case, "sla_working_days": 5, "due_at": soon, "opened_at": _now()},
        events.CASE_DUE_SOON: {**case, "due_at": soon, "indicator": "yellow"},
        events.CASE_OVERDUE: {**case, "due_at": _now(), "indicator": "red"},
        events.CASE_ESCALATED: {**case, "level": 2, "escalated_to_role": "supervisor",
                                "escalated_to": "supervisor:PEMKAB-BULELENG", "due_at": soon},
        events.CASE_UPDATED: message,
        events.CASE_ANSWERED: message,
        events.REPORTER_REPLIED: {**message, "author_role": "reporter", "excerpt": "Belum diperbaiki di sisi timur."},
        events.CASE_REOPENED: {**case, "reason": "Pelapor menyatakan belum selesai."},
        events.CASE_CLOSED: {**case, "closed_by": "reporter", "on_time": True, "opened_at": _now(),
                             "rating": 5},
    }[event_type]
    fields = {"tracking_id": tracking_id, "origin_hub": "ID", **defaults, **overrides}
    return events.build(event_type, hub="ID", **fields)["payload"]

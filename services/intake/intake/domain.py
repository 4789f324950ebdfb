"""Intake's rules: turning a submission into a recorded report, and keeping its tracking view.

Plain functions on plain dicts: no nameko, pymongo or kombu here.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import date, datetime
from typing import Any

from contract import events
from contract.ids import ALPHABET, new_tracking_id

SECRET_SYMBOLS = 12  # 60 bits; typed by hand or read from an SMS, so grouped 4-4-4
_SECRET_NORMALISE = str.maketrans({"O": "0", "I": "1", "L": "1"})

# Status only moves forward along this order (a late, redelivered event cannot undo progress).
STATUS_RANK = {"incomplete": 0, "received": 1, "triage": 2, "forwarded": 2, "dispositioned": 3,
               "in_follow_up": 4, "answered": 5, "closed": 6, "archived": 6}

STATUS_LABELS = {
    "incomplete": ("Belum lengkap", "Incomplete"),
    "received": ("Diterima", "Received"),
    "triage": ("Verifikasi oleh Admin Nasional", "Triage by the national admin"),
    "forwarded": ("Diteruskan ke simpul lain", "Forwarded to another hub"),
    "dispositioned": ("Didisposisikan", "Dispositioned"),
    "in_follow_up": ("Dalam tindak lanjut", "In follow-up"),
    "answered": ("Dijawab", "Answered"),
    "closed": ("Selesai", "Closed"),
    "archived": ("Diarsipkan", "Archived"),
}

STEP_LABELS = {
    "received": ("Laporan diterima", "Report received"),
    "dispositioned": ("Laporan didisposisikan", "Report dispositioned"),
    "triage": ("Menunggu verifikasi Admin Nasional", "Waiting for the national admin's triage"),
    "case_opened": ("Tindak lanjut dibuka, dengan batas waktu", "Follow-up opened, with a deadline"),
    "notification_queued": ("Pemberitahuan dijadwalkan", "Notification queued"),
}


def new_reporter_ref() -> str:
    """A pseudonymous reference to a reporter: the only reporter handle outside intake."""
    return "rpt_" + secrets.token_urlsafe(12)


def new_secret() -> str:
    """The reporter's secret: shown once at submission, stored only as a hash."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(SECRET_SYMBOLS))
    return "-".join(body[i:i + 4] for i in range(0, SECRET_SYMBOLS, 4))


def secret_hash(secret: str) -> str:
    """How a reporter secret is stored (typing slips such as case, hyphens, O/0 forgiven)."""
    canonical = secret.upper().replace("-", "").replace(" ", "").translate(_SECRET_NORMALISE)
    return hashlib.sha256(f"lapor-reporter-secret:{canonical}".encode()).hexdigest()


def secret_matches(stored_hash: str | None, secret: Any) -> bool:
    """Whether ``secret`` is the one issued for a report (constant-time comparison)."""
    if not stored_hash or not isinstance(secret, str) or not 4 <= len(secret) <= 64:
        return False
    return hmac.compare_digest(stored_hash, secret_hash(secret))


def new_report(form: dict, hub: str, now: datetime, secret: str) -> dict:
    """The stored document of a complete report submitted through ``form``."""
    reporter = {k: v for k, v in (form.get("reporter") or {}).items() if v}
    tracking_id = new_tracking_id(hub)
    return {
        "_id": tracking_id,
        "tracking_id": tracking_id,
        "origin_hub": hub,
        "target_hub": hub,
        "status": "received",
        "channel": form["channel"],
        "classification": form["classification"],
        "category_code": form["category_code"],
        "region_code": form["region_code"],
        "title": form["title"],
        "description": form["description"],
        "location_text": form.get("location_text"),
        "incident_date": form["incident_date"].isoformat(),
        "is_anonymous": bool(form.get("is_anonymous")),
        "is_confidential": bool(form.get("is_confidential")),
        "language": form.get("language", "id"),
        "gesi": list(form.get("gesi") or []),
        "reporter": reporter,
        "reporter_ref": new_reporter_ref(),
        "secret_hash": secret_hash(secret),
        "received_at": now,
        "assignment": None,
        "case": None,
        "history": [history_entry("received", now, {"channel": form["channel"]})],
    }


def history_entry(step: str, at: datetime, detail: dict | None = None, event_id: str | None = None) -> dict:
    return {"at": at, "step": step, "detail": detail or {}, "event_id": event_id}


def received_event(report: dict) -> dict:
    """The ``report_received`` outbox entry for a stored report (no reporter identity)."""
    fields = {k: report[k] for k in (
        "tracking_id", "origin_hub", "target_hub", "channel", "classification", "category_code",
        "region_code", "title", "description", "location_text", "incident_date", "is_anonymous",
        "is_confidential", "reporter_ref", "language", "gesi", "received_at")}
    fields["incident_date"] = date.fromisoformat(report["incident_date"])  # stored as ISO text
    return events.build(events.REPORT_RECEIVED, hub=report["origin_hub"], **fields)


def step_from_event(event_type: str, payload: dict) -> tuple[dict, dict]:
    """What an event from another service changes on the report: (``$set`` fields, history entry)."""
    at = payload["occurred_at"]
    event_id = payload["event_id"]
    if event_type == events.REPORT_DISPOSITIONED:
        assignment = {"queue": payload["queue"], "agency_code": payload.get("agency_code"),
                      "unit_code": payload.get("unit_code")}
        step = "triage" if payload["queue"] == "national_triage" else "dispositioned"
        return ({"assignment": assignment, "status": step},
                history_entry(step, at, {**assignment, "rule_id": payload.get("rule_id"),
                                         "automatic": payload["automatic"]}, event_id))
    if event_type == events.CASE_OPENED:
        case = {"case_id": payload["case_id"], "stage": payload["stage"], "due_at": payload["due_at"],
                "sla_working_days": payload["sla_working_days"]}
        return ({"case": case, "status": "in_follow_up"},
                history_entry("case_opened", at, {"stage": payload["stage"], "due_at": payload["due_at"].isoformat(),
                                                  "sla_working_days": payload["sla_working_days"]}, event_id))
    if event_type == events.NOTIFICATION_QUEUED:
        return ({}, history_entry("notification_queued", at, {
            "recipient": payload["recipient_kind"], "channel": payload["channel"],
            "template": payload["template"]}, event_id))
    raise ValueError(f"intake does not track {event_type}")


def advance_status(current: str, proposed: str | None) -> str:
    """The later of two statuses in the lifecycle."""
    if proposed is None:
        return current
    return proposed if STATUS_RANK.get(proposed, 0) > STATUS_RANK.get(current, 0) else current


def tracking_view(report: dict, language: str = "id") -> dict[str, Any]:
    """The public tracking view: never the reporter's identity, never a confidential text."""
    lang = 0 if language == "id" else 1
    history = sorted(report.get("history", []), key=lambda h: h["at"])
    return {
        "tracking_id": report["tracking_id"],
        "status": report["status"],
        "status_label": STATUS_LABELS[report["status"]][lang],
        "classification": report["classification"],
        "category_code": report["category_code"],
        "region_code": report["region_code"],
        "channel": report["channel"],
        "title": None if report["is_confidential"] else report["title"],
        "is_anonymous": report["is_anonymous"],
        "is_confidential": report["is_confidential"],
        "received_at": report["received_at"],
        "assignment": report.get("assignment"),
        "case": report.get("case"),
        "history": [{"at": h["at"], "step": h["step"], "label": STEP_LABELS.get(h["step"], (h["step"],) * 2)[lang],
                     "detail": h.get("detail") or {}} for h in history],
    }


def reporter_contact(report: dict) -> dict:
    """The contact notification uses at send time (the one read path of the identity)."""
    reporter = report.get("reporter") or {}
    preferred = {"sms": "sms", "social": "social"}.get(report["channel"], "email")
    return {"reporter_ref": report["reporter_ref"], "name": reporter.get("name"),
            "phone": reporter.get("phone"), "email": reporter.get("email"),
            "channel": preferred, "language": report.get("language", "id")}

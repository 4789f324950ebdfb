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
from intake import history

SECRET_SYMBOLS = 12  # 60 bits; typed by hand or read from an SMS, so grouped 4-4-4
_SECRET_NORMALISE = str.maketrans({"O": "0", "I": "1", "L": "1"})

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
        "history": [history.entry("received", now, {"channel": form["channel"]})],
    }


def received_event(report: dict) -> dict:
    """The ``report_received`` outbox entry for a stored report (no reporter identity)."""
    fields = {k: report[k] for k in (
        "tracking_id", "origin_hub", "target_hub", "channel", "classification", "category_code",
        "region_code", "title", "description", "location_text", "incident_date", "is_anonymous",
        "is_confidential", "reporter_ref", "language", "gesi", "received_at")}
    fields["incident_date"] = date.fromisoformat(report["incident_date"])  # stored as ISO text
    return events.build(events.REPORT_RECEIVED, hub=report["origin_hub"], **fields)


def tracking_view(report: dict, language: str = "id") -> dict[str, Any]:
    """The public tracking view: never the reporter's identity, never a confidential text."""
    entries = sorted(report.get("history", []), key=lambda h: h["at"])
    return {
        "tracking_id": report["tracking_id"],
        "status": report["status"],
        "status_label": history.status_label(report["status"], language),
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
        "history": [{"at": h["at"], "step": h["step"], "label": history.label(h["step"], language),
                     "detail": h.get("detail") or {}} for h in entries],
    }


def reporter_contact(report: dict) -> dict:
    """The contact notification uses at send time (the one read path of the identity)."""
    reporter = report.get("reporter") or {}
    preferred = {"sms": "sms", "social": "social"}.get(report["channel"], "email")
    return {"reporter_ref": report["reporter_ref"], "name": reporter.get("name"),
            "phone": reporter.get("phone"), "email": reporter.get("email"),
            "channel": preferred, "language": report.get("language", "id")}

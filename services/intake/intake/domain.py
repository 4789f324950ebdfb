"""Intake's rules: turning a submission into a recorded report, and keeping its tracking view.

Plain functions on plain dicts: no nameko, pymongo or kombu here.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from contract import events
from contract.ids import ALPHABET, new_tracking_id
from intake import history

if TYPE_CHECKING:
    from contract.registry_names import Names

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


def completion_code_matches(draft: dict, code: Any, now: datetime) -> bool:
    """Whether ``code`` is the draft's unspent, unexpired one-time completion code."""
    expires = draft.get("completion_code_expires_at")
    if expires is not None and expires.tzinfo is None:
        expires = expires.replace(tzinfo=now.tzinfo)
    return bool(expires and expires > now and secret_matches(draft.get("completion_code_hash"), code))


def code_spent(new_secret: str) -> dict:
    """What a draft keeps when its one-time code is used: the code gone, a secret of the reporter's own."""
    return {"completion_code_hash": None, "completion_code_expires_at": None, "completion_code_spent": True,
            "secret_hash": secret_hash(new_secret)}


def without_own_contact(text: str, handle: str | None = None, phone: str | None = None) -> str:
    """A text channel's message without its sender's own handle or phone number (a bridge's
    ``RT @author:``, a signature, "hubungi 0812..."): the text becomes the report's title and
    description, which officials and the public read, and the sender's identity stays in intake."""
    if handle:
        name = re.escape(handle.lstrip("@"))
        text = re.sub(rf"(?i)(\bRT\s+)?@{name}\b:?|(?<![\w@]){name}\b", " ", text)
    digits = re.sub(r"\D", "", phone or "")
    local = digits[2:] if digits.startswith("62") else digits.lstrip("0")
    if len(local) >= 6:
        spaced = r"[\s.()-]*".join(local)
        text = re.sub(rf"(?:\+?62|\b0)?[\s.()-]*{spaced}(?!\d)", " ", text)
    return " ".join(text.split())


def derived_title(text: str, limit: int = 60) -> str:
    """A title for text-only channels: the first words of the text."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + "…"


def new_report(form: dict, hub: str, now: datetime, secret: str, missing: list[dict],
               source: dict | None = None) -> dict:
    """The stored document of a submission: ``received`` when complete, else ``incomplete``.

    ``missing`` is the list from :func:`intake.completeness.missing_items`; ``source`` holds
    channel details (message id, original offline channel, entering officer, resolution).
    """
    reporter = {k: v for k, v in (form.get("reporter") or {}).items() if v}
    tracking_id = new_tracking_id(hub)
    status = "incomplete" if missing else "received"
    incident = form.get("incident_date")
    report = {
        "_id": tracking_id, "tracking_id": tracking_id, "origin_hub": hub, "target_hub": hub,
        "status": status, "channel": form["channel"],
        "classification": form.get("classification"), "category_code": form.get("category_code"),
        "region_code": form.get("region_code"), "title": form.get("title"),
        "description": form.get("description"), "location_text": form.get("location_text"),
        "latitude": form.get("latitude"), "longitude": form.get("longitude"),
        "incident_date": incident.isoformat() if isinstance(incident, date) else incident,
        "is_anonymous": bool(form.get("is_anonymous")), "is_confidential": bool(form.get("is_confidential")),
        "language": form.get("language") or "id", "gesi": list(form.get("gesi") or []),
        "reporter": reporter, "reporter_ref": new_reporter_ref(), "secret_hash": secret_hash(secret),
        "source": source or {}, "missing": [m["field"] for m in missing],
        "received_at": now, "completed_at": None if missing else now,
        "assignment": None, "case": None, "possible_duplicate_of": None,
    }
    step = ("draft_saved", {"channel": form["channel"], "missing": report["missing"]}) if missing \
        else ("received", {"channel": form["channel"]})
    report["history"] = [history.entry(step[0], now, step[1])]
    if not missing and (source or {}).get("resolution"):
        report["status"] = "answered"  # resolved by the unit before it was entered (manual form)
        report["history"].append(history.entry("resolved_by_unit", now, {
            "original_channel": source.get("original_channel")}))
    return report


def completion(draft: dict, changes: dict, missing: list[dict], now: datetime) -> dict:
    """The ``$set`` and history entry that apply a reporter's completion to a draft."""
    update = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in changes.items()
              if k != "reporter" and v not in (None, "")}  # a completion adds; it never erases
    if changes.get("reporter"):
        update["reporter"] = {**(draft.get("reporter") or {}), **changes["reporter"]}
    update["missing"] = [m["field"] for m in missing]
    if missing:
        entry = history.entry("draft_saved", now, {"channel": draft["channel"], "missing": update["missing"]})
    else:
        update.update(status="received", completed_at=now)
        entry = history.entry("completed", now, {"channel": draft["channel"]})
    return {"set": update, "entry": entry}


def merged(draft: dict, changes: dict) -> dict:
    """The draft as it would read with ``changes`` applied (for the completeness check)."""
    return {**draft, **{k: v for k, v in changes.items() if v not in (None, "", [])}}


def received_event(report: dict, hub: str | None = None, **extra) -> dict:
    """The ``report_received`` outbox entry for a complete report (no reporter identity).

    ``hub`` is the emitting hub (the origin's by default); ``extra`` optional contract fields."""
    fields = {k: report.get(k) for k in (
        "tracking_id", "origin_hub", "target_hub", "channel", "classification", "category_code",
        "region_code", "title", "description", "location_text", "is_anonymous", "latitude", "longitude",
        "is_confidential", "reporter_ref", "language", "gesi", "received_at")}
    fields["received_at"] = report.get("completed_at") or report["received_at"]
    incident = report.get("incident_date")
    fields["incident_date"] = date.fromisoformat(incident) if incident else None  # stored as ISO text
    source = report.get("source") or {}
    for key in ("original_channel", "resolution", "resolved_at"):
        if source.get(key) is not None:
            fields[key] = source[key]
    if source.get("entered_by"):
        fields["entered_by"] = source["entered_by"]["official_id"]
    if report.get("possible_duplicate_of"):
        fields["possible_duplicate_of"] = report["possible_duplicate_of"]
    return events.build(events.REPORT_RECEIVED, hub=hub or report["origin_hub"], **fields, **extra)


def draft_event(report: dict, now: datetime) -> dict:
    """The ``report_draft_saved`` outbox entry: which items the reporter still has to give."""
    return events.build(events.REPORT_DRAFT_SAVED, hub=report["origin_hub"], tracking_id=report["tracking_id"],
                        origin_hub=report["origin_hub"], reporter_ref=report["reporter_ref"],
                        channel=report["channel"], language=report.get("language") or "id",
                        missing=list(report["missing"]), saved_at=now)


def tracking_view(report: dict, language: str = "id", names: Names | None = None) -> dict[str, Any]:
    """The public tracking view: never the reporter's identity, never a confidential text; ``names``
    (the registry's) name the hub a forwarded report went to."""
    entries = sorted(report.get("history", []), key=lambda h: h["at"])
    return {
        "tracking_id": report["tracking_id"],
        "status": report["status"],
        "status_label": history.status_label(report["status"], language),
        "classification": report["classification"],
        "category_code": report["category_code"],
        "region_code": report["region_code"],
        "channel": report["channel"],
        "title": None if report["is_confidential"] else report.get("title"),
        "missing": list(report.get("missing") or []),
        "is_anonymous": report["is_anonymous"],
        "is_confidential": report["is_confidential"],
        "received_at": report["received_at"],
        "assignment": report.get("assignment"),
        "case": report.get("case"),
        "delivery": history.delivery_view(report.get("hub_delivery"), language, names),
        "history": [{"at": h["at"], "step": h["step"], "label": history.label(h["step"], language),
                     "detail": h.get("detail") or {}} for h in entries],
    }


def reporter_contact(report: dict) -> dict:
    """The contact notification uses at send time (the one read path of the identity)."""
    reporter = report.get("reporter") or {}
    preferred = {"sms": "sms", "social": "social"}.get(report["channel"], "email")
    return {"reporter_ref": report["reporter_ref"], "name": reporter.get("name"),
            "phone": reporter.get("phone"), "email": reporter.get("email"), "handle": reporter.get("handle"),
            "channel": preferred, "language": report.get("language", "id"),
            "erased": report.get("personal_data_erased_at") is not None}  # nothing is sent to them (intake.privacy)

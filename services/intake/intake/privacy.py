"""Personal data has a lifetime (UU 27/2022 on personal data protection; FixMyStreet's processing of
inactive reports): the rules for erasing a reporter's identity and contact details.

What is erased: the reporter's name, email, phone and social handle (``reporter``), and what a
channel kept that points at the person (the SMS sender's hash, the gateway's message id, the social
post id, an Open311 device or account id; intake stores no client address or user agent). What stays: the report itself (its public text, category,
region, status), its history, evidence and statistics, and the secret's hash (the reporter can still
track, reply and rate). Plain functions: no nameko, pymongo or kombu.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta

FINAL_STATUSES = ("closed", "archived")  # closed for good (a reopened report is no longer closed)
REASONS = ("retention", "request")
REPORTER_FIELDS = ("name", "email", "phone", "handle", "address")
# what a channel kept that points at the person: the SMS sender's hash and the gateway's message id,
# the social post id, an Open311 client's device and account ids (an address_id is the report's place)
SOURCE_FIELDS = ("sender_hash", "message_id", "post_id", "device_id", "account_id", "client_address", "ip",
                 "user_agent")
DEFAULT_RETENTION_DAYS = 365
EXPORTERS = ("national_admin", "agency_admin")  # a data-subject export: any report / the agency's own


def retention_days(value) -> int:
    """``PERSONAL_DATA_RETENTION_DAYS`` checked at start: whole days, 1 to 36500 (ValueError naming it)."""
    text = str(value).strip()
    if not text.isdigit() or not 1 <= int(text) <= 36500:
        raise ValueError(f"PERSONAL_DATA_RETENTION_DAYS must be a whole number of days from 1 to 36500, not {value!r}")
    return int(text)


def sweep_seconds(value) -> float:
    """``PERSONAL_DATA_SWEEP_SECONDS`` checked at start: how often the sweep looks (0.1 s to a day)."""
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = -1.0
    if not 0.1 <= seconds <= 86400:
        raise ValueError(f"PERSONAL_DATA_SWEEP_SECONDS must be seconds from 0.1 to 86400, not {value!r}")
    return seconds


def closed_before(now: datetime, days: int) -> datetime:
    """Reports closed (last changed) at or before this time are past their retention."""
    return now - timedelta(days=days)


def is_erased(report: dict) -> bool:
    return report.get("personal_data_erased_at") is not None


def held_fields(report: dict) -> list[str]:
    """The names (never the values) of the personal data the report still holds."""
    reporter = report.get("reporter") or {}
    source = report.get("source") or {}
    return [f"reporter.{k}" for k in sorted(reporter) if reporter[k]] + \
        [f"source.{k}" for k in SOURCE_FIELDS if source.get(k)]


def erasure(report: dict, reason: str, actor: str, now: datetime) -> dict:
    """What erasing ``report``'s personal data changes (``set``/``unset``) and its audit entry.

    The audit entry names the report, reason, actor, time and the fields erased: no personal data."""
    if reason not in REASONS:
        raise ValueError(reason)
    changes = {"reporter": {}, "personal_data_erased_at": now, "personal_data_erasure_reason": reason}
    unset = {f"source.{k}": "" for k in SOURCE_FIELDS if k in (report.get("source") or {})}
    audit = {"_id": f"erasure:{uuid.uuid4().hex}", "tracking_id": report["_id"], "action": "erased",
             "reason": reason, "actor": actor, "at": now, "fields": held_fields(report),
             "status": report.get("status")}
    return {"set": changes, "unset": unset, "audit": audit}


def export_audit(tracking_id: str, principal: dict, disclosed: bool, now: datetime) -> dict:
    """The audit entry of a data-subject export: who (official id and role) exported which report, and
    whether the contact values were disclosed (the reporter's secret came with the request)."""
    return {"_id": f"export:{uuid.uuid4().hex}", "tracking_id": tracking_id, "action": "exported",
            "reason": "data_subject_request", "actor": principal.get("official_id"),
            "actor_role": principal.get("role"), "contacts_disclosed": disclosed, "at": now}


def export(report: dict, audit: list[dict], notifications: list[dict], disclosed: bool) -> dict:
    """Everything this hub's intake holds about one report, with the notifications sent about it.

    Officials never see a reporter's identity: the contact values (and what a channel kept of the
    person) are in the export only when ``disclosed`` (the request carried the reporter's secret, the
    data subject's proof that the request is theirs); otherwise ``contacts.held`` names the fields held."""
    reporter = report.get("reporter") or {}
    source = report.get("source") or {}
    kept = {k: v for k, v in report.items() if k not in ("history", "attachments", "reporter", "secret_hash",
                                                          "completion_code_hash", "source")}
    kept["source"] = {k: v for k, v in source.items() if k not in SOURCE_FIELDS}
    values = {**{k: reporter[k] for k in REPORTER_FIELDS if reporter.get(k)},
              **{k: source[k] for k in SOURCE_FIELDS if source.get(k)}}
    return {
        "tracking_id": report["_id"],
        "report": kept,
        "history": sorted(report.get("history") or [], key=lambda h: h["at"]),
        "contacts": {"reporter_ref": report.get("reporter_ref"), "held": held_fields(report),
                     "disclosed": disclosed, **(values if disclosed else {}),
                     "erased_at": report.get("personal_data_erased_at"),
                     "erasure_reason": report.get("personal_data_erasure_reason")},
        "evidence": list(report.get("attachments") or []),
        "notifications": notifications,
        "privacy_audit": audit,
    }

"""Who is told what when a report moves: one outbox entry per (event, recipient, channel).

Recipients are references (a reporter_ref, a unit or agency code), never contacts: the
contact is resolved at send time (the reporter's through intake), so no contact is stored here.
"""
from __future__ import annotations

import hashlib
from datetime import datetime

from contract import events

REPORTER_CHANNEL = {"web": "email", "mobile": "email", "sms": "sms", "social": "social",
                    "open311": "email", "manual": "email", "import": "email"}


def notification_id(event_id: str, recipient_ref: str, channel: str) -> str:
    """Deterministic id: a redelivered event cannot queue the same message twice."""
    return "ntf_" + hashlib.sha256(f"{event_id}|{recipient_ref}|{channel}".encode()).hexdigest()[:24]


def for_dispositioned(event: dict, now: datetime) -> list[dict]:
    """The notifications a disposition causes: the reporter, and the officials now holding it."""
    language = event.get("language", "id")
    queue = event["queue"]
    if queue == "unit":
        official = ("liaison", f"unit:{event['unit_code']}", "new_report_in_unit_queue")
    elif queue == "agency":
        official = ("agency_admin", f"agency:{event['agency_code']}", "new_report_in_agency_queue")
    else:
        official = ("national_admin", f"hub:{event['hub']}", "new_report_in_triage")
    recipients = [
        ("reporter", event["reporter_ref"], REPORTER_CHANNEL.get(event["channel"], "email"),
         "report_dispositioned", language),
        (official[0], official[1], "email", official[2], "id"),
    ]
    return [{
        "_id": notification_id(event["event_id"], ref, channel),
        "tracking_id": event["tracking_id"], "origin_hub": event["origin_hub"],
        "source_event_id": event["event_id"], "source_event": events.REPORT_DISPOSITIONED,
        "recipient_kind": kind, "recipient_ref": ref, "channel": channel, "template": template,
        "language": lang, "status": "queued", "attempts": 0, "created_at": now, "sent_at": None,
    } for kind, ref, channel, template, lang in recipients]


def queued_event(notification: dict, hub: str) -> dict:
    return events.build(events.NOTIFICATION_QUEUED, hub=hub, tracking_id=notification["tracking_id"],
                        origin_hub=notification["origin_hub"], notification_id=notification["_id"],
                        recipient_kind=notification["recipient_kind"], recipient_ref=notification["recipient_ref"],
                        channel=notification["channel"], template=notification["template"],
                        language=notification["language"])

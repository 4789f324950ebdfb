"""Who is told what when a report moves: one outbox entry per (event, recipient, channel).

Recipients are references (a reporter_ref, ``unit:CODE``, ``agency:CODE``, ``hub:CODE``,
``supervisor:CODE``, ``official:ID``), never contacts: contacts are resolved at send time (the
reporter's through intake, the officials' through routing), so no contact is stored here.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable
from zoneinfo import ZoneInfo

from contract import events
from notification.delivery import Outcome, RetryPolicy

REPORTER_CHANNEL = {"web": "email", "mobile": "email", "sms": "sms", "social": "social",
                    "open311": "email", "manual": "email", "import": "email"}
PEOPLE_CHANNELS = ("email", "sms", "social")
CHANNELS = PEOPLE_CHANNELS + ("webhook",)
OFFICIAL_KINDS = ("liaison", "agency_admin", "national_admin", "supervisor")
STATUSES = ("queued", "held", "sent", "dead", "digested", "withheld")  # withheld: the reporter's data erased

# event -> [(audience, template)]; audience "reporter", "holder" (officials holding the report
# or case), "queue" (officials of the queue after an official's action), "escalated_to".
RULES: dict[str, list[tuple[str, str]]] = {
    events.REPORT_RECEIVED: [("reporter", "receipt")],
    events.REPORT_DRAFT_SAVED: [("reporter", "incomplete_reminder")],
    events.REPORT_DISPOSITIONED: [("reporter", "report_dispositioned"), ("queue", "new_report_in_queue")],
    events.REPORT_RETURNED: [("queue", "new_report_in_queue")],
    events.REPORT_POSTPONED: [("reporter", "report_postponed")],
    events.REPORT_ARCHIVED: [("reporter", "report_archived")],
    # issue 18: the hub that hands a report to another tells the reporter where it went (the hub
    # that receives it sends no second receipt: see ``recipients``)
    events.REPORT_FORWARDED: [("reporter", "report_forwarded")],
    events.CASE_OPENED: [],  # officials were told at disposition; subscribed systems still hear of it
    events.CASE_DUE_SOON: [("holder", "case_due_soon")],
    events.CASE_OVERDUE: [("holder", "case_overdue")],
    events.CASE_ESCALATED: [("escalated_to", "case_escalated")],
    events.CASE_UPDATED: [("reporter", "interim_update")],
    events.CASE_ANSWERED: [("reporter", "final_answer"), ("reporter", "rate_request")],
    events.REPORTER_REPLIED: [("holder", "reporter_replied")],
    events.CASE_REOPENED: [("reporter", "case_reopened"), ("holder", "case_reopened_official")],
    events.CASE_CLOSED: [("reporter", "case_closed")],
}
CONSUMED = tuple(RULES)
# templates read by officials: their link opens the report's officials' page, not the citizen's
OFFICIAL_TEMPLATES = frozenset({template for rules in RULES.values() for audience, template in rules
                                if audience != "reporter"} | {"daily_digest"})
# Intake answers SMS and social reports at once, in the same conversation, with the tracking ID.
RECEIPT_ANSWERED_BY_INTAKE = ("sms", "social")
# Sent to a social reporter by direct message, never as a public reply (issue 20): a social draft's
# reminder carries its one-time completion link, which owns the draft; intake mints it at send time.
DIRECT_MESSAGES = {("incomplete_reminder", "social"): "social_completion"}

# Event fields a template may use: nothing identifying, nothing of a confidential report's text.
CONTEXT_FIELDS = ("tracking_id", "agency_code", "unit_code", "queue", "stage", "due_at", "indicator", "level",
                  "excerpt", "missing", "reason", "until", "rating", "on_time", "sla_working_days",
                  "escalated_to_role", "category_code", "region_code", "channel", "has_attachments", "target_hub")


@dataclass(frozen=True)
class Settings:
    """The service's settings, parsed once from its config (``uow.settings``)."""
    hub: str
    policy: RetryPolicy
    concurrency: int = 10
    lease_seconds: float = 120.0
    timezone: str = "Asia/Jakarta"
    digest_hour: int = 7
    claim_batch: int = 50
    courier_timeout: float = 20.0  # a courier silent this long is gone (its claims are released)


# A courier draining a backlog claims from a slice of ``next_attempt_at`` after its previous claim
# (``claim_window``), not from every due notification: on the local store a read of the due range
# decodes all of it before it sorts and limits (bench/store_hints.py: 370 ms with 10,000 due, 1.9 s
# with 40,000; a slice of about 100: 6-9 ms).  A claim reads the whole due range at least every
# FULL_CLAIM_SECONDS (what fell behind the slice: a lease ended, a notification committed late).
MIN_SLICE = timedelta(seconds=0.5)
MAX_SLICE = timedelta(hours=1)
FULL_CLAIM_SECONDS = 10.0


def claim_window(claimed: list[dict]) -> tuple[datetime, timedelta] | None:
    """Where the next claim of a drain starts reading, after a full claim of ``claimed`` (as read,
    sorted by ``next_attempt_at``): from the last one's time, twice as far as the claim's spread (about
    twice as many notifications as a claim takes, if the backlog keeps its density); None when the
    claim was not full (nothing to slice: the next claim reads the due range)."""
    times = [n["next_attempt_at"] for n in claimed if n.get("next_attempt_at") is not None]
    if not times:
        return None
    spread = max(times) - min(times)
    return max(times), min(max(2 * spread, MIN_SLICE), MAX_SLICE)


def notification_id(event_id: str, recipient_ref: str, channel: str) -> str:
    """Deterministic id: a redelivered event cannot queue the same message twice."""
    return "ntf_" + hashlib.sha256(f"{event_id}|{recipient_ref}|{channel}".encode()).hexdigest()[:24]


def context_of(event: dict) -> dict:
    """The whitelisted template variables of an event (dates as ISO text)."""
    context = {}
    for name in CONTEXT_FIELDS:
        value = event.get(name)
        if value is not None:
            context[name] = value.isoformat() if isinstance(value, datetime) else value
    return context


def queue_recipient(event: dict) -> tuple[str, str] | None:
    """(kind, ref) of the officials whose queue the report is in after an action."""
    queue = event.get("queue")
    if queue == "unit" and event.get("unit_code"):
        return "liaison", f"unit:{event['unit_code']}"
    if queue == "agency" and event.get("agency_code"):
        return "agency_admin", f"agency:{event['agency_code']}"
    if queue == "national_triage":
        return "national_admin", f"hub:{event['hub']}"
    return None


def holder_recipient(event: dict) -> tuple[str, str]:
    """(kind, ref) of the officials holding a case: the unit, else the agency, else the hub."""
    if event.get("unit_code"):
        return "liaison", f"unit:{event['unit_code']}"
    if event.get("agency_code"):
        return "agency_admin", f"agency:{event['agency_code']}"
    return "national_admin", f"hub:{event['hub']}"


def escalation_recipient(event: dict) -> tuple[str, str]:
    target = event["escalated_to"]
    ref = target if ":" in target else f"official:{target}"
    kind = event["escalated_to_role"] if event["escalated_to_role"] in OFFICIAL_KINDS else "supervisor"
    return kind, ref


def recipients(event_type: str, event: dict) -> list[tuple[str, str, str, str, str]]:
    """(kind, ref, channel, template, language) for every person an event concerns."""
    out = []
    for audience, template in RULES.get(event_type, []):
        if audience == "reporter":
            report = event.get("report") or event if event_type == events.REPORT_FORWARDED else event
            if not report.get("reporter_ref"):
                continue  # an event without the reporter's reference cannot reach the reporter
            if template == "receipt" and (report.get("channel") in RECEIPT_ANSWERED_BY_INTAKE
                                          or report.get("forwarded_from")):
                continue  # answered by intake; or forwarded in: the hub where it was filed sent the receipt
            channel = REPORTER_CHANNEL.get(report.get("channel") or "", "email")
            template = DIRECT_MESSAGES.get((template, channel), template)
            out.append(("reporter", report["reporter_ref"], channel, template, report.get("language") or "id"))
            continue
        if audience == "queue":
            found = queue_recipient(event)
        elif audience == "holder":
            found = holder_recipient(event)
        else:
            found = escalation_recipient(event)
        if found:
            out.append((found[0], found[1], "email", template, "id"))
    return out


def officials_of(event_type: str, event: dict) -> list[str]:
    """The officials' recipient references an event concerns."""
    return [ref for kind, ref, *_ in recipients(event_type, event) if kind != "reporter"]


def plan(event_type: str, event: dict, now: datetime, digest_refs: Iterable[str] = (),
         subscriptions: Iterable[dict] = ()) -> list[dict]:
    """The notifications an event causes, ready to store (status queued, or held for a digest)."""
    digest = set(digest_refs)
    context = context_of(event)
    planned = []
    for kind, ref, channel, template, language in recipients(event_type, event):
        held = kind != "reporter" and ref in digest
        # two messages to one reporter from one event (final answer + rate request) keep apart
        key = event["event_id"] if template != "rate_request" else f"{event['event_id']}:rate"
        planned.append(_notification(notification_id(key, ref, channel), event_type, event, kind, ref,
                                     channel, template, language, context, now, held))
    for sub in subscriptions:
        ref = f"webhook:{sub['_id']}"
        planned.append(_notification(notification_id(event["event_id"], ref, "webhook"), event_type, event,
                                     "system", ref, "webhook", event_type, "id", context, now, False))
    return planned


def _notification(nid, event_type, event, kind, ref, channel, template, language, context, now, held) -> dict:
    return {
        "_id": nid, "tracking_id": event["tracking_id"], "origin_hub": event["origin_hub"], "hub": event["hub"],
        "source_event_id": event["event_id"], "source_event": event_type,
        "occurred_at": event["occurred_at"], "recipient_kind": kind, "recipient_ref": ref,
        "channel": channel, "template": template, "language": language, "context": context,
        "status": "held" if held else "queued", "attempts": 0, "next_attempt_at": None if held else now,
        "last_error": None, "created_at": now, "sent_at": None, "dead_at": None, "delivered_channel": None,
    }


def queued_event(notification: dict, hub: str) -> dict:
    """notification_queued for a person's notification (subscribed systems are not announced)."""
    return events.build(events.NOTIFICATION_QUEUED, hub=hub, tracking_id=notification["tracking_id"],
                        origin_hub=notification["origin_hub"], notification_id=notification["_id"],
                        recipient_kind=notification["recipient_kind"], recipient_ref=notification["recipient_ref"],
                        channel=notification["channel"], template=notification["template"],
                        language=notification["language"])


def outcome_event(notification: dict, hub: str, sent: bool) -> dict:
    """notification_sent or notification_dead_lettered (the error is already redacted)."""
    return events.build(events.NOTIFICATION_SENT if sent else events.NOTIFICATION_DEAD_LETTERED, hub=hub,
                        tracking_id=notification["tracking_id"], origin_hub=notification["origin_hub"],
                        notification_id=notification["_id"], recipient_kind=notification["recipient_kind"],
                        channel=notification.get("delivered_channel") or notification["channel"],
                        template=notification["template"], attempts=notification["attempts"],
                        error=None if sent else notification.get("last_error"))


def outcome_changes(outcome: Outcome, delivered_channel: str | None, now: datetime) -> dict:
    """What an attempt's outcome changes in its notification (the hand-off is closed)."""
    changes = {"status": outcome.status, "attempts": outcome.attempts, "next_attempt_at": outcome.next_attempt_at,
               "last_error": outcome.error, "last_attempt_at": now, "handoff": None}
    if delivered_channel:
        changes["delivered_channel"] = delivered_channel
    if outcome.status == "sent":
        changes["sent_at"] = now
    elif outcome.status == "dead":
        changes["dead_at"] = now
    return changes


def courier_gone(courier: dict, now: datetime, timeout: float, alive_here: bool | None) -> bool:
    """Whether a registered courier is gone, so that its claims may be taken over before their lease
    ends.  On this host (``alive_here`` not None) the process table decides: gone when no such process
    runs or its pid now belongs to another process (started at another time).  On another host: when it
    has not said it is alive for ``timeout`` seconds.  A live courier's claims are not taken: on this
    host its process is there (even if stalled: then only the lease ends its claims), elsewhere it
    heartbeats far more often than ``timeout``."""
    if alive_here is not None:  # on this host the process table answers (a stalled live one keeps its lease)
        return not alive_here
    return courier["heartbeat_at"] < now - timedelta(seconds=timeout)


def digest_cutoff(now: datetime, timezone: str, digest_hour: int) -> datetime:
    """The latest daily digest time (``digest_hour`` local) at or before ``now``."""
    local = now.astimezone(ZoneInfo(timezone))
    cutoff = local.replace(hour=digest_hour, minute=0, second=0, microsecond=0)
    return cutoff if cutoff <= local else cutoff - timedelta(days=1)


def digests(held: list[dict], cutoff: datetime, timezone: str, hub: str, now: datetime) -> list[tuple[dict, list[str]]]:
    """One digest per official recipient of the ``held`` notifications, with the ids it summarises;
    its id depends on the day and on what it holds, so building it again changes nothing."""
    by_ref: dict[str, list[dict]] = {}
    for item in held:
        by_ref.setdefault(item["recipient_ref"], []).append(item)
    day = cutoff.astimezone(ZoneInfo(timezone)).date().isoformat()
    built = []
    for ref, items in by_ref.items():
        ids = sorted(i["_id"] for i in items)
        key = hashlib.sha256("|".join(ids).encode()).hexdigest()[:12]
        digest = digest_notification(ref, items[0]["recipient_kind"], f"{day}:{key}", items, hub, now)
        digest["context"]["day"] = day
        built.append((digest, ids))
    return built


def digest_notification(ref: str, kind: str, day: str, items: list[dict], hub: str, now: datetime) -> dict:
    """One daily digest for an official recipient, summarising the held notifications."""
    lines = [{"tracking_id": n["tracking_id"], "template": n["template"],
              "occurred_at": _iso(n.get("occurred_at") or n["created_at"]), "context": n.get("context", {})}
             for n in sorted(items, key=lambda n: n["created_at"])]
    return {
        "_id": notification_id(f"digest:{day}", ref, "email"), "tracking_id": None, "origin_hub": hub, "hub": hub,
        "source_event_id": f"digest:{day}", "source_event": "daily_digest", "occurred_at": now,
        "recipient_kind": kind, "recipient_ref": ref, "channel": "email", "template": "daily_digest",
        "language": "id", "context": {"day": day, "items": lines, "count": len(lines)},
        "status": "queued", "attempts": 0, "next_attempt_at": now, "last_error": None, "created_at": now,
        "sent_at": None, "dead_at": None, "delivered_channel": None,
    }


def _iso(value) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


def may_manage_preference(principal: dict, recipient_ref: str) -> bool:
    """National admins manage any recipient; other officials their own scope or themselves."""
    if principal["role"] == "national_admin":
        return True
    own = {f"official:{principal['official_id']}"}
    if principal["role"] == "liaison" and principal.get("unit_code"):
        own.add(f"unit:{principal['unit_code']}")
    if principal["role"] == "agency_admin" and principal.get("agency_code"):
        own.add(f"agency:{principal['agency_code']}")
    if principal["role"] == "supervisor" and principal.get("agency_code"):
        own.add(f"supervisor:{principal['agency_code']}")
    return recipient_ref in own

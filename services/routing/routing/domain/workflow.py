"""The tiered admin workflow: national admin -> agency admin -> unit liaison.

A report sits in one queue at a time: ``national_triage`` (the national admin's), ``agency``
(an agency admin's) or ``unit`` (a liaison's), until it is ``archive``-d or ``forwarded`` to
another hub.  Within its queue it has a status; each action is allowed only in some statuses
and at some tiers (:data:`ALLOWED`), and only to the official whose tier owns the queue.
Every action yields the new position, an audit entry and the contract event to emit.

Plain functions on plain dicts: no nameko, pymongo or kombu here.
"""
from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from contract import events, i18n, scope
from contract.errors import translated

TEXTS = i18n.of_service("routing")  # error texts: ``api.*`` (contract.i18n)

TIER_OF_ROLE = {"national_admin": "national_triage", "agency_admin": "agency", "liaison": "unit"}
ROLE_OF_TIER = {tier: role for role, tier in TIER_OF_ROLE.items()}
ACTIONS = ("verify", "postpone", "return", "disposition", "redisposition", "archive")
OPEN_STATUSES = ("new", "verified", "postponed", "returned")
# answered / closed: set by follow-up's case events (domain/case_state.py), never by an official
STATUSES = (*OPEN_STATUSES, "answered", "closed", "archived", "forwarded")

# status -> actions that fit it (before the tier's own limits)
ALLOWED = {
    "new": ("verify", "postpone", "return", "archive"),
    "verified": ("postpone", "return", "disposition", "archive"),
    "postponed": ("verify", "return", "archive"),
    "returned": ("verify", "postpone", "return", "redisposition", "archive"),
    "answered": (),
    "closed": (),
    "archived": (),
    "forwarded": (),
}
# what a tier can never do: nobody above the national admin to return to; a liaison follows up
# and answers rather than dispositioning further down.
NOT_AT_TIER = {"national_triage": {"return"}, "agency": set(), "unit": {"disposition", "redisposition"}}

EVENT_OF_ACTION = {"verify": events.REPORT_VERIFIED, "postpone": events.REPORT_POSTPONED,
                   "return": events.REPORT_RETURNED, "archive": events.REPORT_ARCHIVED,
                   "disposition": events.REPORT_DISPOSITIONED, "redisposition": events.REPORT_DISPOSITIONED}


class ActionRefused(Exception):
    """An action that does not fit: ``kind`` is conflict (409), forbidden (403) or invalid (400)."""

    def __init__(self, kind: str, item: dict, allowed: tuple = (), reason: str | None = None):
        """``item``: the contract's error item (``errors.translated``: field and both texts)."""
        super().__init__(item["message"])
        self.kind, self.item, self.allowed = kind, item, allowed
        self.field, self.message, self.message_id = item["field"], item["message"], item["message_id"]
        self.reason = reason  # the error item's code, when more precise than the kind (e.g. "visited")


def allowed_actions(item: dict) -> tuple[str, ...]:
    """The actions the report's current status and tier allow (to the queue's owner)."""
    excluded = NOT_AT_TIER.get(item["queue"], set(ACTIONS))
    return tuple(a for a in ALLOWED.get(item["status"], ()) if a not in excluded)


def can_read(principal: dict, item: dict) -> bool:
    """National admins read all; agency admins and supervisors their agency's; liaisons their unit's
    (the contract's rule, ``contract.scope.can_read``, shared with the services that show report data)."""
    return scope.can_read(principal, item)


def owns_queue(principal: dict, item: dict) -> bool:
    """Is the report in the acting official's own queue?"""
    tier = TIER_OF_ROLE.get(principal["role"])
    if tier is None or tier != item["queue"]:
        return False
    if tier == "agency":
        return item["agency_code"] == principal.get("agency_code")
    if tier == "unit":
        return item["unit_code"] == principal.get("unit_code")
    return True


def actions_for(principal: dict, item: dict) -> list[str]:
    """What this official may do with this report now (empty when it is not in their queue)."""
    return list(allowed_actions(item)) if owns_queue(principal, item) else []


def read_scope(principal: dict) -> dict:
    """The store filter of every report the official may read."""
    role = principal["role"]
    if role == "national_admin":
        return {}
    if role in ("agency_admin", "supervisor"):
        return {"agency_code": principal["agency_code"]}
    return {"unit_code": principal["unit_code"]}


def default_queue(principal: dict) -> str | None:
    """The queue an official's inbox shows unless asked otherwise (supervisors: all)."""
    return TIER_OF_ROLE.get(principal["role"])


def check(principal: dict, item: dict, action: str) -> None:
    """Raise ActionRefused unless ``principal`` may take ``action`` on ``item`` now."""
    if not owns_queue(principal, item):
        raise ActionRefused("forbidden", translated("tracking_id", "forbidden", TEXTS, "api.workflow.not_in_queue"))
    allowed = allowed_actions(item)
    if action not in allowed:
        listed = ", ".join(allowed) or "none"
        raise ActionRefused("conflict", translated("action", "conflict", TEXTS, "api.workflow.not_allowed",
                                                   action=action, status=item["status"], queue=item["queue"],
                                                   listed=listed), allowed)


def postpone_until(day: date, timezone: str, now: datetime) -> datetime:
    """The start of ``day`` in the region's time zone; it must be after the region's today."""
    if day <= now.astimezone(ZoneInfo(timezone)).date():
        raise ActionRefused("invalid", translated("until", "invalid", TEXTS, "api.workflow.postpone_past"))
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(timezone))


def target_of(principal: dict, item: dict, action: str, body: dict, registry) -> dict:
    """Where the report goes: its new {queue, agency_code, unit_code, status}.

    ``registry`` answers ``agency(code)`` and ``unit(code)`` (None when unknown).
    """
    if action in ("verify", "postpone"):
        status = "verified" if action == "verify" else "postponed"
        return {"queue": item["queue"], "agency_code": item["agency_code"], "unit_code": item["unit_code"],
                "status": status}
    if action == "archive":
        return {"queue": "archive", "agency_code": item["agency_code"], "unit_code": item["unit_code"],
                "status": "archived"}
    if action == "return":
        return _return_target(item, body.get("agency_code"), registry)
    return _disposition_target(principal, item, body, registry)


def _unknown(field: str, what: str, value: str) -> ActionRefused:
    return ActionRefused("not_found",
                         translated(field, "not_found", TEXTS, f"api.workflow.unknown.{what}", value=value))


def _return_target(item: dict, named_agency: str | None, registry) -> dict:
    if named_agency and named_agency != item["agency_code"]:
        if registry.agency(named_agency) is None:
            raise _unknown("agency_code", "agency", named_agency)
        return {"queue": "agency", "agency_code": named_agency, "unit_code": None, "status": "returned"}
    if item["queue"] == "unit":  # one tier up: the unit's agency admin
        return {"queue": "agency", "agency_code": item["agency_code"], "unit_code": None, "status": "returned"}
    if named_agency:
        raise ActionRefused("invalid", translated("agency_code", "invalid", TEXTS, "api.workflow.own_agency"))
    return {"queue": "national_triage", "agency_code": None, "unit_code": None, "status": "returned"}


def _disposition_target(principal: dict, item: dict, body: dict, registry) -> dict:
    agency_code, unit_code = body.get("agency_code"), body.get("unit_code")
    if item["queue"] == "national_triage":
        if not agency_code:
            raise ActionRefused("invalid", translated("agency_code", "invalid", TEXTS, "api.workflow.name_agency"))
        if unit_code:
            raise ActionRefused("invalid", translated("unit_code", "invalid", TEXTS, "api.workflow.national_to_agency"))
        if registry.agency(agency_code) is None:
            raise _unknown("agency_code", "agency", agency_code)
        return {"queue": "agency", "agency_code": agency_code, "unit_code": None, "status": "new"}
    if agency_code and agency_code != principal["agency_code"]:
        raise ActionRefused("invalid", translated("agency_code", "invalid", TEXTS, "api.workflow.own_agency_units"))
    if not unit_code:
        raise ActionRefused("invalid", translated("unit_code", "invalid", TEXTS, "api.workflow.name_unit"))
    unit = registry.unit(unit_code)
    if unit is None or unit.get("agency_code") != principal["agency_code"]:
        raise _unknown("unit_code", "unit", unit_code)
    return {"queue": "unit", "agency_code": principal["agency_code"], "unit_code": unit_code, "status": "new"}


def position(item: dict) -> dict:
    return {k: item.get(k) for k in ("queue", "agency_code", "unit_code", "status")}


def audit_entry(item: dict, principal: dict, action: str, target: dict, now: datetime,
                reason: str | None, until: datetime | None = None) -> dict:
    """One line of the report's audit trail: who, role, when, from, to, reason."""
    return {"tracking_id": item["_id"], "seq": item["version"] + 1, "action": action,
            "actor": principal["official_id"], "actor_role": principal["role"], "actor_name": principal.get("name"),
            "at": now, "from": position(item), "to": target, "reason": reason, "until": until}


def action_event(item: dict, principal: dict, action: str, target: dict, hub: str, reason: str | None,
                 until: datetime | None = None) -> dict:
    """The contract event of an official's action."""
    event_type = EVENT_OF_ACTION[action]
    common = {"hub": hub, "tracking_id": item["_id"], "origin_hub": item["origin_hub"]}
    if event_type == events.REPORT_DISPOSITIONED:
        return events.build(
            event_type, **common, actor=principal["official_id"], region_code=item["region_code"],
            category_code=item["category_code"], classification=item["classification"], channel=item["channel"],
            reporter_ref=item["reporter_ref"], is_anonymous=item["is_anonymous"], language=item.get("language", "id"),
            region_timezone=item.get("timezone", "Asia/Jakarta"), queue=target["queue"],
            agency_code=target["agency_code"], unit_code=target["unit_code"], rule_id=None, automatic=False)
    extra = {}
    if event_type == events.REPORT_POSTPONED:
        extra["until"] = until
    if event_type == events.REPORT_RETURNED:
        extra = {"from_agency_code": item["agency_code"], "from_unit_code": item["unit_code"]}
    return events.build(event_type, **common, actor=principal["official_id"], actor_role=principal["role"],
                        agency_code=target["agency_code"], unit_code=target["unit_code"], queue=target["queue"],
                        reason=reason, reporter_ref=item["reporter_ref"], language=item.get("language", "id"),
                        region_code=item.get("region_code"), **extra)


REPORT_FIELDS = ("origin_hub", "title", "description", "location_text", "classification", "category_code",
                 "region_code", "channel", "is_anonymous", "is_confidential", "reporter_ref", "language", "gesi",
                 "received_at")


def routed_item(report: dict, decision: dict, timezone: str, now: datetime, suggested_unit: str | None = None,
                forwarded_to: str | None = None) -> dict:
    """The work item of a newly received report, where routing put it (version 1)."""
    item = {"_id": report["tracking_id"], **{k: report.get(k) for k in REPORT_FIELDS},
            "incident_date": report["incident_date"].isoformat() if report.get("incident_date") else None,
            "timezone": timezone, "rule_id": decision.get("rule_id"), "automatic": decision.get("automatic"),
            "suggested_unit_code": suggested_unit, "postponed_until": None, "queued_at": now, "routed_at": now,
            "target_hub": forwarded_to, "hub_path": list(report.get("hub_path") or []), "version": 1}
    if forwarded_to:
        item.update(queue="forwarded", status="forwarded", agency_code=None, unit_code=None)
    else:
        item.update(queue=decision["queue"], status="new", agency_code=decision["agency_code"],
                    unit_code=decision["unit_code"])
    return item


def routing_entry(item: dict, now: datetime) -> dict:
    """The first audit entry: what the rules (the system) decided."""
    action = "forward" if item["status"] == "forwarded" else "route"
    reason = (f"rule {item['rule_id']}" if item.get("rule_id") else
              f"hub {item['target_hub']}" if item.get("target_hub") else "no rule matched")
    return {"tracking_id": item["_id"], "seq": 1, "action": action, "actor": "system", "actor_role": "system",
            "actor_name": None, "at": now, "from": None, "to": position(item), "reason": reason, "until": None}


def moved(action: str, target: dict, item: dict, now: datetime, until: datetime | None) -> dict:
    """The fields an action changes on the work item (``version`` is incremented by the store)."""
    changes = {**target, "postponed_until": until if action == "postpone" else None, "updated_at": now}
    if (target["queue"], target["agency_code"], target["unit_code"]) != (item["queue"], item["agency_code"],
                                                                         item["unit_code"]):
        changes["queued_at"] = now
        changes["suggested_unit_code"] = None
    return changes

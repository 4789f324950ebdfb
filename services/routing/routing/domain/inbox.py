"""Officials' inboxes and report views: filters, the queue indicator, what an official sees.

An official sees the report's content (confidential reports are hidden from the public, not
from the officials handling them) but never the reporter: routing never receives an identity,
and the pseudonymous ``reporter_ref`` is not shown either, so anonymous reporters stay anonymous
to the reported agency.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from contract import webdates

from routing.domain.workflow import OPEN_STATUSES, actions_for, default_queue, read_scope

INDICATORS = ("green", "yellow", "red")
SHOWN_FIELDS = ("title", "description", "location_text", "incident_date", "classification", "category_code",
                "region_code", "channel", "is_anonymous", "is_confidential", "gesi", "language", "received_at",
                "origin_hub", "queue", "status", "agency_code", "unit_code", "suggested_unit_code", "rule_id",
                "automatic", "postponed_until", "queued_at", "target_hub", "version")


def indicator(item: dict, now: datetime, sla_days: int) -> str | None:
    """Red, yellow or green by time in the current queue against its SLA (None once closed here)."""
    if item["status"] not in OPEN_STATUSES:
        return None
    waited = now - item["queued_at"]
    if waited >= timedelta(days=sla_days):
        return "red"
    if waited >= timedelta(days=max(sla_days - 1, 0)):
        return "yellow"
    return "green"


def inbox_query(principal: dict, filters: dict, now: datetime, sla_days: int) -> dict:
    """The store filter of an inbox: the official's read scope, then the requested filters."""
    query = dict(read_scope(principal))
    queue = filters.get("queue") or default_queue(principal)
    if queue:
        query["queue"] = queue
    if filters.get("status"):
        query["status"] = filters["status"]
    if filters.get("category_code"):
        query["category_code"] = filters["category_code"]
    received = {}
    if filters.get("min_age_days") is not None:
        received["$lte"] = now - timedelta(days=filters["min_age_days"])
    if filters.get("max_age_days") is not None:
        received["$gte"] = now - timedelta(days=filters["max_age_days"])
    if received:
        query["received_at"] = received
    if filters.get("indicator"):
        query.update(_indicator_range(filters["indicator"], query.get("status"), now, sla_days))
    return query


def _indicator_range(colour: str, status: str | None, now: datetime, sla_days: int) -> dict:
    red_from, yellow_from = now - timedelta(days=sla_days), now - timedelta(days=max(sla_days - 1, 0))
    queued = {"red": {"$lte": red_from}, "yellow": {"$gt": red_from, "$lte": yellow_from},
              "green": {"$gt": yellow_from}}[colour]
    return {"queued_at": queued, "status": status if status in OPEN_STATUSES else {"$in": list(OPEN_STATUSES)}}


def counts_query(query: dict) -> dict:
    """The inbox filter without its status: the base of the counts per status."""
    return {k: v for k, v in query.items() if k != "status"}


def report_view(item: dict, principal: dict, now: datetime, sla_days: int) -> dict:
    """One report as an official sees it, with the actions open to that official."""
    view = {field: item.get(field) for field in SHOWN_FIELDS}
    view["tracking_id"] = item["_id"]
    if item.get("postponed_until"):  # shown in the region's time: the date the official chose
        view["postponed_until"] = item["postponed_until"].astimezone(webdates.zone_of(item.get("region_code") or item.get("timezone")))
    view["indicator"] = indicator(item, now, sla_days)
    view["age_days"] = max(0, (now - item["received_at"]).days)
    view["allowed_actions"] = actions_for(principal, item)
    return view


def audit_view(entry: dict) -> dict:
    return {k: entry.get(k) for k in ("seq", "action", "actor", "actor_role", "actor_name", "at", "from", "to",
                                      "reason", "until")}

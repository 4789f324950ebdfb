"""Performance indicators kept live from events.

Each report has one *fact* document (what assessment knows about it: when it arrived, through
which channel, who holds it, when it was first answered and closed, its rating).  ``fold``
applies one event to a fact; it is order-independent, because every field is set by the event
that owns it and "latest wins" is decided by the events' own times, so events arriving on
different queues in any order give the same fact.

A fact *contributes* counters to aggregate cells keyed by (scope, dimension, value, period of
receipt), for its month, its quarter and its year (so a yearly query reads one cell per value).  On every event the cells move by ``contributions(new) - contributions(old)``; a
rebuild sums ``contributions`` over all facts.  Both paths use the same function, so they agree.
"""
from __future__ import annotations

from datetime import datetime

from contract import events
from assessment.periods import month_of, quarter_of

DIMENSIONS = ("all", "agency", "unit", "category", "channel", "region", "classification", "gesi")
STATUSES = ("received", "dispositioned", "in_follow_up", "answered", "closed", "archived", "forwarded")
FACT_EVENTS = (events.REPORT_RECEIVED, events.REPORT_DISPOSITIONED, events.REPORT_RETURNED,
               events.REPORT_ARCHIVED, events.REPORT_FORWARDED, events.CASE_OPENED, events.CASE_UPDATED,
               events.CASE_ANSWERED, events.CASE_CLOSED, events.CASE_RATED, events.CASE_REOPENED,
               events.CASE_OVERDUE)
NONE = "-"  # the value of a dimension not known (yet), e.g. a report still in national triage


def _later(current: datetime | None, candidate: datetime) -> bool:
    return current is None or candidate >= current


def _assign(fact: dict, event: dict, at: datetime) -> None:
    if _later(fact.get("assigned_at"), at):
        fact.update(assigned_at=at, agency_code=event.get("agency_code"), unit_code=event.get("unit_code"))


def fold(fact: dict | None, event_type: str, event: dict) -> dict:
    """The fact after one event (a new dict; ``fact`` is not changed)."""
    new = dict(fact or {"_id": event["tracking_id"]})
    at = event["occurred_at"]
    if event_type == events.REPORT_RECEIVED:
        new.update(received_at=event["received_at"], channel=event["channel"],
                   classification=event["classification"], category_code=event["category_code"],
                   region_code=event["region_code"], gesi=sorted(set(event.get("gesi") or [])),
                   is_confidential=bool(event["is_confidential"]))
        if event.get("forwarded_from"):
            new["forwarded_from"] = event["forwarded_from"]
    elif event_type in (events.REPORT_DISPOSITIONED, events.REPORT_RETURNED):
        _assign(new, event, at)
    elif event_type == events.REPORT_ARCHIVED:
        new["archived_at"] = at
    elif event_type == events.REPORT_FORWARDED:
        new["forwarded_at"] = at
    elif event_type == events.CASE_OPENED:
        if new.get("opened_at") is None or event["opened_at"] < new["opened_at"]:
            new.update(opened_at=event["opened_at"], due_at=event["due_at"])
        _assign(new, event, event["opened_at"])
    elif event_type in (events.CASE_UPDATED, events.CASE_ANSWERED):
        if event.get("author_role") != "reporter":
            new["first_response_at"] = min(filter(None, (new.get("first_response_at"), at)))
        if event_type == events.CASE_ANSWERED and _later(new.get("answered_at"), at):
            new["answered_at"] = at
    elif event_type == events.CASE_CLOSED:
        if event.get("first_response_at"):
            new["first_response_at"] = min(filter(None, (new.get("first_response_at"), event["first_response_at"])))
        if _later(new.get("closed_at"), at):
            new.update(closed_at=at, on_time=bool(event["on_time"]))
        if event.get("rating") is not None and new.get("rated_at") is None:
            new.update(rating=event["rating"], rated_at=at)
    elif event_type == events.CASE_RATED:
        if _later(new.get("rated_at"), at):
            new.update(rating=event["rating"], rated_at=at)
    elif event_type == events.CASE_REOPENED:
        if _later(new.get("reopened_at"), at):
            new["reopened_at"] = at
    elif event_type == events.CASE_OVERDUE:
        new["overdue"] = True
    else:
        raise ValueError(f"assessment keeps no fact for {event_type}")
    return new


def is_closed(fact: dict) -> bool:
    closed, reopened = fact.get("closed_at"), fact.get("reopened_at")
    return closed is not None and (reopened is None or closed > reopened)


def status_of(fact: dict) -> str:
    """Where the report stands, as the tracking page would say it."""
    if fact.get("forwarded_at"):
        return "forwarded"
    if fact.get("archived_at"):
        return "archived"
    if is_closed(fact):
        return "closed"
    answered, reopened = fact.get("answered_at"), fact.get("reopened_at")
    if answered is not None and (reopened is None or answered > reopened):
        return "answered"
    if fact.get("opened_at"):
        return "in_follow_up"
    if fact.get("assigned_at"):
        return "dispositioned"
    return "received"


def counters(fact: dict) -> dict[str, int]:
    """What one report adds to every cell it belongs to (whole numbers: sums stay exact).

    A report forwarded to another hub is received there, not here (``forwarded_out``), and a
    report forwarded in is received here (``forwarded_in``): summed over hubs, each report is
    received once nationally (issue 14)."""
    closed = is_closed(fact)
    out = {"received": 0 if fact.get("forwarded_at") else 1, "completed": int(closed), "unresolved": int(not closed),
           "closed_on_time": int(closed and bool(fact.get("on_time"))),
           "overdue": int(bool(fact.get("overdue"))), "confidential": int(bool(fact.get("is_confidential"))),
           f"status_{status_of(fact)}": 1}
    if fact.get("forwarded_at"):
        out.update(forwarded_out=1, unresolved=0)
    if fact.get("forwarded_from"):
        out["forwarded_in"] = 1
    if fact.get("first_response_at"):
        out["first_response_n"] = 1
        out["first_response_s"] = max(0, int((fact["first_response_at"] - fact["received_at"]).total_seconds()))
    if closed:
        out["closure_n"] = 1
        out["closure_s"] = max(0, int((fact["closed_at"] - fact["received_at"]).total_seconds()))
    if fact.get("rating") is not None:
        out.update(rating_n=1, rating_sum=int(fact["rating"]), **{f"rating_{int(fact['rating'])}": 1})
    return out


def cell_keys(fact: dict) -> list[tuple[str, str, str]]:
    """(scope, dimension, value) of every cell a fact belongs to: hub-wide ("*") and per agency."""
    agency = fact.get("agency_code") or NONE
    values = [("all", "*"), ("agency", agency), ("unit", fact.get("unit_code") or NONE),
              ("category", fact["category_code"]), ("channel", fact["channel"]),
              ("region", fact["region_code"]), ("classification", fact["classification"])]
    values += [("gesi", marker) for marker in fact.get("gesi") or []]
    scopes = ["*"] + ([agency] if agency != NONE else [])
    return [(scope, dim, value) for scope in scopes for dim, value in values]


def contributions(fact: dict | None, timezone: str) -> dict[str, dict[str, int]]:
    """cell id -> counters; empty until the report itself has been received."""
    if not fact or fact.get("received_at") is None:
        return {}
    month = month_of(fact["received_at"], timezone)
    buckets = (month, quarter_of(month), month[:4])  # rollups: a year is read as one cell per value
    values = counters(fact)
    return {cell_id(scope, dim, value, bucket): values
            for scope, dim, value in cell_keys(fact) for bucket in buckets}


def cell_id(scope: str, dim: str, value: str, month: str) -> str:
    return f"{scope}|{dim}|{value}|{month}"


def parse_cell_id(cid: str) -> dict:
    scope, dim, value, month = cid.split("|")
    return {"scope": scope, "dim": dim, "value": value, "month": month}


def delta(old: dict[str, dict[str, int]], new: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    """Per cell, the increments that turn ``old`` contributions into ``new`` (zeros dropped)."""
    out: dict[str, dict[str, int]] = {}
    for cid in set(old) | set(new):
        before, after = old.get(cid, {}), new.get(cid, {})
        inc = {k: after.get(k, 0) - before.get(k, 0) for k in set(before) | set(after)}
        inc = {k: v for k, v in inc.items() if v}
        if inc:
            out[cid] = inc
    return out


def accumulate(cells: dict[str, dict[str, int]], contribution: dict[str, dict[str, int]]) -> None:
    """Add counters into an in-memory cell table (a fact's contributions, or journal moves)."""
    for cid, values in contribution.items():
        cell = cells.setdefault(cid, {})
        for key, value in values.items():
            cell[key] = cell.get(key, 0) + value

"""Assessment's rules: which counters an event moves.

Counters are kept incrementally from events, once per event (the batch consumer marks each one).
"""
from __future__ import annotations

from assessment.indicators import suppress
from contract import events


def counter_increments(event_type: str, event: dict) -> list[tuple[str, dict]]:
    """(counter document id, {field: increment}) pairs for one event."""
    if event_type == events.REPORT_RECEIVED:
        return [("hub:" + event["hub"], {"received": 1}),
                ("region:" + event["region_code"], {"received": 1})]
    if event_type == events.REPORT_DISPOSITIONED:
        if event["queue"] == "national_triage":
            return [("hub:" + event["hub"], {"triage": 1})]
        return [("hub:" + event["hub"], {"dispositioned": 1}),
                ("agency:" + event["agency_code"], {"dispositioned": 1})]
    raise ValueError(f"assessment does not count {event_type}")


def counts_view(counters: list[dict], min_cell_size: int) -> dict:
    """Counters grouped for the public API: totals per hub, per region and per agency, each
    count under ``min_cell_size`` (but not 0) suppressed by the rule of every public figure
    (``indicators.suppress``), so that a single report cannot be singled out."""
    view = {"hubs": {}, "regions": {}, "agencies": {}}
    groups = {"hub": "hubs", "region": "regions", "agency": "agencies"}
    for doc in counters:
        kind, code = doc["_id"].split(":", 1)
        view[groups[kind]][code] = {k: suppress(v, min_cell_size) for k, v in doc.items() if k != "_id"}
    return view

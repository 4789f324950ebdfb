"""One routing decision for a received report: forward it, disposition it, or triage it."""
from __future__ import annotations

from datetime import datetime

from contract.ids import hub_of
from routing.domain.rules import (
    RuleIndex, decide, dispositioned_event, forwarded_event, hub_for, outcome, region_chain)
from routing.domain.workflow import routed_item, routing_entry


def route(report: dict, regions: dict[str, dict], index: RuleIndex, own_hub: str, now: datetime,
          agency_hubs: dict[str, str] | None = None) -> dict:
    """Where a received report goes, as {item, entry, event, outcome}.

    A region that belongs to another hub forwards the whole report there, and so does a best
    rule whose agency belongs to another hub (``agency_hubs``); otherwise the best
    rule decides (automatic: at once; suggestion: the agency admin's queue with the unit
    suggested); no rule means the national admin's triage queue, never nowhere. A report
    forwarded in from another hub is never sent back the way it came (to its origin or the hub
    it came from): it is handled here, in triage at worst (issue 14: no ping-pong between hubs).
    """
    chain = region_chain(report["region_code"], regions)
    timezone = regions.get(report["region_code"], {}).get("timezone", "Asia/Jakarta")
    hub = hub_for(chain, regions)
    came_from = {report.get("forwarded_from"), hub_of(report["tracking_id"])} if report.get("forwarded_from") else set()
    if hub and hub != own_hub and hub not in came_from:
        item = routed_item(report, {}, timezone, now, forwarded_to=hub)
        return {"item": item, "entry": routing_entry(item, now), "event": forwarded_event(report, hub, own_hub),
                "outcome": "forwarded"}
    rule = index.best(report, chain)
    agency_hub = (agency_hubs or {}).get(rule["agency_code"]) if rule is not None else None
    if agency_hub and agency_hub != own_hub and agency_hub not in came_from:  # e.g. a ministry's, nationally
        item = routed_item(report, {}, timezone, now, forwarded_to=agency_hub)
        event = forwarded_event(report, agency_hub, own_hub,
                                f"agency {rule['agency_code']} (rule {rule.get('_id') or rule.get('id')}) belongs to hub {agency_hub}")
        return {"item": item, "entry": routing_entry(item, now), "event": event, "outcome": "forwarded"}
    decision = decide(report, rule)
    suggested = rule.get("unit_code") if rule is not None and not decision["automatic"] else None
    item = routed_item(report, decision, timezone, now, suggested_unit=suggested)
    return {"item": item, "entry": routing_entry(item, now),
            "event": dispositioned_event(report, decision, own_hub, timezone), "outcome": outcome(decision)}

"""One routing decision for a received report: forward it, disposition it, or triage it."""
from __future__ import annotations

from datetime import datetime
from typing import Callable

from contract import hubpath

from contract.ids import hub_of
from routing.domain.rules import (
    RuleIndex, decide, dispositioned_event, forwarded_event, hub_for, outcome, region_chain)
from routing.domain.forwarding import hub_doc
from routing.domain.workflow import routed_item, routing_entry


def route(report: dict, regions: dict[str, dict], index: RuleIndex, own_hub: str, now: datetime,
          agency_hubs: dict[str, str] | None = None, directory: Callable[[], list[dict]] | None = None) -> dict:
    """Where a received report goes, as {item, entry, event, outcome}.

    A region that belongs to another hub forwards the whole report there, and so does a best
    rule whose agency belongs to another hub (``agency_hubs``); otherwise the best
    rule decides (automatic: at once; suggestion: the agency admin's queue with the unit
    suggested); no rule means the national admin's triage queue, never nowhere. A report
    forwarded in from another hub is never sent back the way it came (to its origin or the hub
    it came from): it is handled here, in triage at worst (issue 14: no ping-pong between hubs).
    With the hub ``directory`` (read only when a forward is considered), a report is forwarded
    only to a hub that can take it (``contract.hubpath``: in the directory, with a key, not on the
    report's path nor beyond a hub on it); otherwise it stays here (issue 18).
    """
    chain = region_chain(report["region_code"], regions)
    timezone = regions.get(report["region_code"], {}).get("timezone", "Asia/Jakarta")
    hub = hub_for(chain, regions)
    came_from = {report.get("forwarded_from"), hub_of(report["tracking_id"])} if report.get("forwarded_from") else set()
    listed: list = []

    def can_take(target: str) -> bool:
        if target == own_hub or target in came_from:
            return False
        if directory is None:
            return True
        if not listed:
            listed.append([hub_doc(h) for h in directory()])
        path = [*(report.get("hub_path") or [])]
        path = path if path and path[-1] == own_hub else [*path, own_hub]
        return hubpath.refusal(listed[0], own_hub, target, path) is None

    if hub and can_take(hub):
        item = routed_item(report, {}, timezone, now, forwarded_to=hub)
        return {"item": item, "entry": routing_entry(item, now), "event": forwarded_event(report, hub, own_hub),
                "outcome": "forwarded"}
    rule = index.best(report, chain)
    agency_hub = (agency_hubs or {}).get(rule["agency_code"]) if rule is not None else None
    if agency_hub and agency_hub != own_hub and not can_take(agency_hub):
        rule = None  # its agency's officials are at a hub it cannot go back to: this hub's triage holds it
        agency_hub = None
    if agency_hub and can_take(agency_hub):  # e.g. a ministry's, nationally
        item = routed_item(report, {}, timezone, now, forwarded_to=agency_hub)
        event = forwarded_event(report, agency_hub, own_hub,
                                f"agency {rule['agency_code']} (rule {rule.get('_id') or rule.get('id')}) belongs to hub {agency_hub}")
        return {"item": item, "entry": routing_entry(item, now), "event": event, "outcome": "forwarded"}
    decision = decide(report, rule)
    suggested = rule.get("unit_code") if rule is not None and not decision["automatic"] else None
    item = routed_item(report, decision, timezone, now, suggested_unit=suggested)
    return {"item": item, "entry": routing_entry(item, now),
            "event": dispositioned_event(report, decision, own_hub, timezone), "outcome": outcome(decision)}

"""Test data for routing: report_received payloads as intake publishes them."""
from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta, timezone

from contract import events
from contract.ids import new_tracking_id

_counter = itertools.count(1)


def received_event(**overrides) -> dict:
    """A valid ``report_received`` payload (no reporter identity: intake never sends one)."""
    n = next(_counter)
    fields = {
        "tracking_id": new_tracking_id("ID"), "origin_hub": "ID", "target_hub": "ID", "channel": "web",
        "classification": "complaint", "category_code": "infrastruktur", "region_code": "5108",
        "title": f"Jalan rusak nomor {n}",
        "description": "Jalan berlubang besar di depan SD Negeri 3 Singaraja sejak Senin.",
        "location_text": "Jl. Pramuka, Singaraja", "incident_date": date.today() - timedelta(days=3),
        "is_anonymous": False, "is_confidential": False, "reporter_ref": f"rpt_{n:06d}", "language": "id",
        "gesi": [], "received_at": datetime.now(timezone.utc),
    }
    fields.update(overrides)
    return events.build(events.REPORT_RECEIVED, hub="ID", **fields)["payload"]

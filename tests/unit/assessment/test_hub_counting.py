"""A report forwarded between hubs is counted as received once nationally (issue 14)."""
from datetime import datetime, timezone

from assessment import kpi
from contract import events

AT = datetime(2026, 11, 30, 5, 0, tzinfo=timezone.utc)


def received(**extra) -> dict:
    return {"tracking_id": "5108-AAAAA-AAAA0", "occurred_at": AT, "received_at": AT, "channel": "web",
            "classification": "complaint", "category_code": "jalan", "region_code": "7317", "gesi": [],
            "is_confidential": False, **extra}


def test_forwarded_out_at_the_origin_and_received_at_the_owner_sum_to_one():
    origin = kpi.fold(None, events.REPORT_RECEIVED, received())
    assert kpi.counters(origin)["received"] == 1  # until routing forwards it
    origin = kpi.fold(origin, events.REPORT_FORWARDED, {"tracking_id": "5108-AAAAA-AAAA0", "occurred_at": AT})
    owner = kpi.fold(None, events.REPORT_RECEIVED, received(forwarded_from="51"))
    at_origin, at_owner = kpi.counters(origin), kpi.counters(owner)
    assert at_origin["received"] + at_owner["received"] == 1
    assert at_origin["forwarded_out"] == 1 and at_origin["unresolved"] == 0 and at_origin["status_forwarded"] == 1
    assert at_owner["forwarded_in"] == 1 and at_owner["unresolved"] == 1

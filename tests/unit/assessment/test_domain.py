from assessment import domain


def test_counters_for_received_and_dispositioned():
    assert domain.counter_increments("report_received", {"hub": "ID", "region_code": "5108"}) == [
        ("hub:ID", {"received": 1}), ("region:5108", {"received": 1})]
    assert domain.counter_increments("report_dispositioned", {"hub": "ID", "queue": "unit", "agency_code": "A"}) == [
        ("hub:ID", {"dispositioned": 1}), ("agency:A", {"dispositioned": 1})]
    assert domain.counter_increments("report_dispositioned", {"hub": "ID", "queue": "national_triage"}) == [
        ("hub:ID", {"triage": 1})]


def test_counts_view_groups_by_kind():
    view = domain.counts_view([{"_id": "hub:ID", "received": 7}, {"_id": "agency:A", "dispositioned": 5}], 5)
    assert view == {"hubs": {"ID": {"received": 7}}, "regions": {}, "agencies": {"A": {"dispositioned": 5}}}


def test_public_counts_are_suppressed_like_public_stats():
    """An agency hidden from /stats/public for 1 report must not show it in /stats/counts (issue 13)."""
    from assessment.indicators import public_view
    view = domain.counts_view([{"_id": "agency:A", "dispositioned": 1, "received": 0},
                               {"_id": "region:5108", "received": 4}, {"_id": "hub:ID", "received": 5}], 5)
    public = public_view([{"value": "A", "received": 1, "completed": 0, "completed_pct": None}], [], None,
                         {"period": "2026"}, 5, {})
    assert public["agencies"][0]["received"] is None
    assert view == {"hubs": {"ID": {"received": 5}}, "regions": {"5108": {"received": None}},
                    "agencies": {"A": {"dispositioned": None, "received": 0}}}

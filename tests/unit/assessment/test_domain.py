from assessment import domain


def test_counters_for_received_and_dispositioned():
    assert domain.counter_increments("report_received", {"hub": "ID", "region_code": "5108"}) == [
        ("hub:ID", {"received": 1}), ("region:5108", {"received": 1})]
    assert domain.counter_increments("report_dispositioned", {"hub": "ID", "queue": "unit", "agency_code": "A"}) == [
        ("hub:ID", {"dispositioned": 1}), ("agency:A", {"dispositioned": 1})]
    assert domain.counter_increments("report_dispositioned", {"hub": "ID", "queue": "national_triage"}) == [
        ("hub:ID", {"triage": 1})]


def test_counts_view_groups_by_kind():
    view = domain.counts_view([{"_id": "hub:ID", "received": 2}, {"_id": "agency:A", "dispositioned": 1}])
    assert view == {"hubs": {"ID": {"received": 2}}, "regions": {}, "agencies": {"A": {"dispositioned": 1}}}

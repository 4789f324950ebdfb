"""intake.duplicates' pure functions: the candidates of a category and region, with what the unit
remembered and not yet wrote, and the document a group commit's submissions will read."""
from datetime import datetime, timedelta, timezone

from intake import duplicates

NOW = datetime(2026, 12, 6, 10, 0, tzinfo=timezone.utc)


def entry(tracking_id, minutes_ago):
    return {"tracking_id": tracking_id, "description": "jalan berlubang", "received_at": NOW - timedelta(minutes=minutes_ago)}


def test_candidates_are_newest_first_with_the_units_own_after_the_stored_ones():
    stored = {"entries": [entry("A", 30), entry("B", 20)]}
    found = duplicates.candidates(stored, NOW - timedelta(hours=1), [entry("C", 1)])
    assert [c["tracking_id"] for c in found] == ["C", "B", "A"]


def test_candidates_keep_the_window_and_at_most_the_newest_kept():
    full = {"entries": [entry(f"S{i}", 50) for i in range(duplicates.RECENT_KEPT)]}
    found = duplicates.candidates(full, NOW - timedelta(hours=1), [entry("NEW", 0)])
    assert found[0]["tracking_id"] == "NEW" and len(found) == duplicates.RECENT_KEPT  # the oldest dropped
    assert "S0" not in [c["tracking_id"] for c in found]
    old = {"entries": [entry("OLD", 600), entry("S", 50)]}
    assert [c["tracking_id"] for c in duplicates.candidates(old, NOW - timedelta(hours=1))] == ["S"]  # the window
    assert duplicates.candidates(None, NOW, []) == []


def test_a_submission_names_the_document_it_will_read():
    command = {"form": {"category_code": "infrastruktur", "region_code": "5108"}}
    assert duplicates.recent_keys("accept_report", command) == ["infrastruktur:5108"]
    assert duplicates.recent_keys("accept_report", {"form": {"category_code": "infrastruktur"}}) == []
    assert duplicates.recent_keys("complete_report", {"tracking_id": "ID-1"}) == []

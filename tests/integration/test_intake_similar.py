"""Intake's near-duplicate candidates are read newest slice first (the store decodes a whole index
range before its limit), and still find every report of the window, newest first."""
from datetime import timedelta

from contract.store import utcnow
from intake.dependencies import SIMILAR_INDEX, Reports


def test_candidates_come_from_every_slice_of_the_window_newest_first(mongo_client):
    db = mongo_client.lapor_similar_slices
    db.reports.delete_many({})
    db.reports.create_index(SIMILAR_INDEX)  # before the documents (README: indexes on a filled collection)
    now = utcnow()
    ages = {"just-now": timedelta(seconds=5), "minutes": timedelta(minutes=5), "hours": timedelta(hours=2),
            "yesterday": timedelta(hours=30), "too-old": timedelta(hours=80)}
    db.reports.insert_many([{"_id": name, "tracking_id": name, "category_code": "infrastruktur",
                             "region_code": "5108", "received_at": now - age, "status": "received",
                             "description": name} for name, age in ages.items()]
                           + [{"_id": "draft", "tracking_id": "draft", "category_code": "infrastruktur",
                               "region_code": "5108", "received_at": now, "status": "incomplete"},
                              {"_id": "other", "tracking_id": "other", "category_code": "kesehatan",
                               "region_code": "5108", "received_at": now, "status": "received"}])
    reports = Reports(mongo_client, db)
    found = reports.recent_similar("infrastruktur", "5108", since=now - timedelta(hours=72))
    assert [r["tracking_id"] for r in found] == ["just-now", "minutes", "hours", "yesterday"]
    # a limit met in the newest slices reads no further (drafts count towards it, as before)
    assert [r["tracking_id"] for r in reports.recent_similar(
        "infrastruktur", "5108", since=now - timedelta(hours=72), limit=3)] == ["just-now", "minutes"]
    # a window shorter than the first slice
    assert [r["tracking_id"] for r in reports.recent_similar(
        "infrastruktur", "5108", since=now - timedelta(seconds=30))] == ["just-now"]

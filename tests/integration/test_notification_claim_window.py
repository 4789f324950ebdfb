"""The courier's claim from a slice of ``next_attempt_at`` (issue 23's backlog drain), on the real
store: the slice's notifications first, oldest first; the rest of the due range only when the slice
held fewer than a claim takes, without taking the slice's twice; nothing outside the slice or not
yet due; the hand-off written for every one claimed."""
from datetime import datetime, timedelta, timezone

from notification import delivery, handlers
from notification.dependencies import NotificationStore, StoreClient
from notification.domain import Settings

NOW = datetime.now(timezone.utc).replace(microsecond=0)


def notification(i: int, seconds_ago: float) -> dict:
    return {"_id": f"ntf_window_{i:03d}", "status": "queued", "attempts": 0, "handoff": None,
            "next_attempt_at": NOW - timedelta(seconds=seconds_ago), "created_at": NOW - timedelta(seconds=seconds_ago)}


def test_a_claim_reads_its_window_first_and_the_due_range_only_when_the_window_is_short(mongo_client, service_config):
    db = mongo_client[f"{service_config['MONGODB_DATABASE_PREFIX']}notification"]
    db.notifications.create_indexes(NotificationStore.indexes["notifications"])
    # 20 due, one a second from 100 s ago; one behind every window (a lease that ended); one not yet due
    db.notifications.insert_many([notification(i, 100 - i) for i in range(20)]
                                 + [notification(90, 900), notification(91, -60)])
    units = StoreClient(mongo_client, db, Settings("ID", delivery.RetryPolicy(3, 10, 100), claim_batch=5)).units()

    window = (NOW - timedelta(seconds=95), timedelta(seconds=10))  # 95..85 s ago: 11 due in it
    first = units.run(handlers.claim_batch, NOW, "courier-a", window)
    assert [n["_id"] for n in first] == [f"ntf_window_{i:03d}" for i in range(5, 10)]  # its oldest five
    assert [n["next_attempt_at"] for n in first] == [NOW - timedelta(seconds=95 - i) for i in range(5)]  # as read

    window = (NOW - timedelta(seconds=83), timedelta(seconds=2))  # 83..81 s ago: three due, then the oldest due
    second = units.run(handlers.claim_batch, NOW, "courier-a", window)
    assert [n["_id"] for n in second] == ["ntf_window_017", "ntf_window_018", "ntf_window_019",
                                          "ntf_window_090", "ntf_window_000"]
    claimed = [n["_id"] for n in first + second]
    held = {d["_id"]: d for d in db.notifications.find({"_id": {"$in": claimed}})}
    assert all(d["handoff"]["by"] == "courier-a" and d["next_attempt_at"] > NOW for d in held.values())

    rest = units.run(handlers.claim_batch, NOW, "courier-a", (NOW - timedelta(seconds=1), timedelta(seconds=120)))
    assert [n["_id"] for n in rest] == [f"ntf_window_{i:03d}" for i in (1, 2, 3, 4, 10)]  # never the one not yet due

"""Reads with a hint on the local store: the courier's against the notifications a hub has sent and has
queued (issue 23's backlog drain), and a report's timeline against the reports a hub holds.

Starts its own SecantusDB (deploy/local/store.sh) and, for each (sent, queued) pair, stores that many
notification-shaped documents with notification's indexes, then times the courier's three reads (as
``notification.dependencies.Notifications`` runs them): ``any_due`` (an idle courier's poll), the
claim of the next ``--limit`` due ones (sorted by ``next_attempt_at``), and ``claimed_by`` (a gone
courier's claims); each with the index named in a ``hint`` (the code before this bench) and without
(the store chooses from the filter); and the claim a draining courier makes after its first
(``notification.domain.claim_window``: a slice of ``next_attempt_at`` holding about twice ``--limit``).

SecantusDB walks the WHOLE hinted index and decodes every document before it matches, sorts and
limits (``Storage._candidates_from_hint``), so with a hint each read cost grows with every notification
ever sent; without one it takes the documents of the filter's index range (status ``queued``).
The second table times intake's timeline read (``Reports.with_history``: a report's step documents,
sorted by time) with the (tracking_id, at) index as a hint and without, against the reports held
(``--reports``, 8 steps each).

    PYTHONWARNINGS=ignore .venv/bin/python bench/store_hints.py [--sizes 0:200,10000:200,10000:10000,40000:200]
                                                                       [--reports 100,2000,10000]
"""
from __future__ import annotations

import argparse
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "bench"), str(ROOT / "services" / "contract"), str(ROOT / "services" / "notification")]

from _stack import bench_env, script, urls  # noqa: E402
from _timing import in_transaction, timed  # noqa: E402
from contract.store import acquire_client, release_client  # noqa: E402
from notification.dependencies import CLAIM_INDEX, NotificationStore, due_query  # noqa: E402

HISTORY_INDEX = [("tracking_id", 1), ("at", 1)]  # intake.repositories (not imported: intake's own path)


def notification(i: int, status: str, now: datetime) -> dict:
    return {"_id": f"n{status[0]}{i:07d}", "tracking_id": f"ID-{i:05d}-BENCH", "template": "interim_update",
            "channel": "email", "recipient": {"kind": "reporter", "ref": f"rpt_{i % 500}"}, "language": "id",
            "status": status, "attempts": 0 if status == "queued" else 1, "created_at": now - timedelta(seconds=i),
            "next_attempt_at": now - timedelta(seconds=i % 600) if status == "queued" else None,
            "dead_at": None, "last_error": None, "handoff": None,
            "context": {"title": "Jalan rusak di depan pasar", "agency": "Dinas PUPR", "step": "interim"}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="0:200,10000:200,10000:10000,40000:200", help="sent:queued pairs")
    parser.add_argument("--limit", type=int, default=20, help="notifications a claim takes")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--reports", default="100,2000,10000", help="reports held, for the timeline read")
    parser.add_argument("--offset", type=int, default=49, help="port offset of the store (contract.localstack)")
    args = parser.parse_args()
    env = bench_env("notification-claim", args.offset, one_store=True)
    script("store.sh", "start", env)
    uri = urls(env)["mongodb"]
    client = acquire_client(uri)
    now = datetime.now(timezone.utc)
    print("median ms per read, in a transaction as the courier runs it; machine load:",
          open("/proc/loadavg").read().split()[:3])
    print(f"{'sent':>7} {'queued':>7} | {'any_due hint / none':>21} | {'claim hint / none':>19} "
          f"| {'claimed_by hint / none':>24} | {'claim from a slice':>18}")
    try:
        for pair in args.sizes.split(","):
            sent, queued = (int(x) for x in pair.split(":"))
            client.drop_database("bench_claim")
            db = client["bench_claim"]
            for keys in NotificationStore.indexes["notifications"]:
                db.notifications.create_indexes([keys])
            for status, count in (("sent", sent), ("queued", queued)):
                for start in range(0, count, 2000):
                    db.notifications.insert_many([notification(i, status, now)
                                                  for i in range(start, min(count, start + 2000))])

            def any_due(hint):
                return lambda s: db.notifications.find_one(due_query(now), {"_id": 1}, session=s,
                                                           **({"hint": CLAIM_INDEX} if hint else {}))

            def claim(hint):
                def read(s):
                    cursor = db.notifications.find(due_query(now), session=s).sort("next_attempt_at", 1).limit(args.limit)
                    found = list(cursor.hint(CLAIM_INDEX) if hint else cursor)
                    assert len(found) == min(args.limit, queued), len(found)
                return read

            def claimed_by(hint):
                return lambda s: list(db.notifications.find(
                    {"status": "queued", "next_attempt_at": {"$gt": now}, "handoff.by": {"$in": ["gone"]}}, {"_id": 1},
                    session=s, **({"hint": CLAIM_INDEX} if hint else {})))

            # the queued ones are due over the last min(queued, 600) s (``notification``), oldest first:
            # a slice from the oldest holding about twice the limit
            span = max(1, min(queued, 600))
            width = timedelta(seconds=2 * args.limit * span / max(queued, 1))
            floor = now - timedelta(seconds=span - 1)

            def sliced(s):
                found = list(db.notifications.find({"status": "queued", "next_attempt_at": {"$gte": floor, "$lte": floor + width}},
                                                   session=s).sort("next_attempt_at", 1).limit(args.limit))
                assert len(found) == min(args.limit, queued), len(found)

            cells = [f"{timed(lambda: in_transaction(client, read(True)), args.rounds)[0]:>9.1f} / "
                     f"{timed(lambda: in_transaction(client, read(False)), args.rounds)[0]:<9.1f}"
                     for read in (any_due, claim, claimed_by)]
            cells.append(f"{timed(lambda: in_transaction(client, sliced), args.rounds)[0]:>9.1f}")
            print(f"{sent:>7,} {queued:>7,} | {cells[0]:>21} | {cells[1]:>19} | {cells[2]:>24} | {cells[3]:>18}",
                  flush=True)
        print(f"\n{'reports':>8} {'steps':>7} | {'timeline read hint / none':>27}")
        for reports in (int(x) for x in args.reports.split(",")):
            client.drop_database("bench_claim")
            db = client["bench_claim"]
            db.history.create_index(HISTORY_INDEX)
            steps = [{"tracking_id": f"ID-{i % reports:05d}-BENCH", "at": now + timedelta(seconds=i), "step": "routed",
                      "detail": {"agency": "DINAS-PUPR"}} for i in range(reports * 8)]
            for start in range(0, len(steps), 2000):
                db.history.insert_many(steps[start:start + 2000])

            def timeline(hint):
                def read(s):
                    cursor = db.history.find({"tracking_id": "ID-00007-BENCH"}, {"_id": 0}, session=s).sort("at", 1)
                    assert len(list(cursor.hint(HISTORY_INDEX) if hint else cursor)) == 8
                return read
            cell = (f"{timed(lambda: in_transaction(client, timeline(True)), args.rounds)[0]:>9.1f} / "
                    f"{timed(lambda: in_transaction(client, timeline(False)), args.rounds)[0]:<9.1f}")
            print(f"{reports:>8,} {reports * 8:>7,} | {cell:>27}", flush=True)
        client.drop_database("bench_claim")
    finally:
        release_client(uri)
        script("store.sh", "stop", env)


if __name__ == "__main__":
    main()

"""The near-duplicate check's cost against the number of similar reports in its window (issue 23).

Starts its own SecantusDB (deploy/local/store.sh) and, for each N, stores N report-shaped documents of
one category and region (and as many of others), remembering each as intake does
(``intake.duplicates.recent_update`` in ``recent_reports``), then times, in a transaction as a
submission runs it, the check intake runs now (one document read, ``Reports.recent_similar`` +
``duplicates.earlier_duplicate``) against the index-range read it replaced (category, region,
received_at since the window start, newest 50).

    PYTHONWARNINGS=ignore .venv/bin/python bench/duplicates.py [--sizes 8,180,544,10000] [--rounds 30]
"""
from __future__ import annotations

import argparse
import random
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "bench"), str(ROOT / "services" / "contract"), str(ROOT / "services" / "intake")]

from _stack import bench_env, script, urls  # noqa: E402
from _timing import in_transaction, timed  # noqa: E402
from contract.store import acquire_client, release_client  # noqa: E402
from intake import duplicates  # noqa: E402
from pymongo import ASCENDING, DESCENDING  # noqa: E402

WORDS = "jalan rusak berlubang parah dekat pasar sekolah jembatan lampu mati air banjir selokan".split()
OLD_INDEX = [("category_code", ASCENDING), ("region_code", ASCENDING), ("received_at", DESCENDING)]


def text(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(40))


def fill(db, n: int, rng: random.Random, now: datetime) -> dict:
    """N similar reports (one category and region) and N others; ``recent_reports`` as intake's
    upserts leave it (the newest RECENT_KEPT of each). Returns one more report, to remember in the timing."""
    docs, recent = [], {}
    for i in range(n):
        for region in ("5108", "5171"):
            report = {"_id": f"R{region}-{i:06d}", "category_code": "infrastruktur", "region_code": region,
                      "description": text(rng), "status": "received",
                      "received_at": now - timedelta(seconds=(n - i))}
            docs.append(report)
            selector, update = duplicates.recent_update(report)
            recent.setdefault(selector["_id"], []).extend(update["$push"]["entries"]["$each"])
        if len(docs) >= 2000:
            db.reports.insert_many(docs)
            docs = []
    if docs:
        db.reports.insert_many(docs)
    db[duplicates.RECENT].insert_many([{"_id": key, "entries": entries[-duplicates.RECENT_KEPT:]}
                                       for key, entries in recent.items()])
    return {"_id": "R5108-next", "category_code": "infrastruktur", "region_code": "5108",
            "description": text(rng), "status": "received", "received_at": now}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="8,180,544,10000")
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--offset", type=int, default=48, help="port offset of the store (contract.localstack)")
    args = parser.parse_args()
    env = bench_env("duplicates", args.offset, one_store=True)
    script("store.sh", "start", env)
    uri = urls(env)["mongodb"]
    client = acquire_client(uri)
    rng = random.Random(7)
    now = datetime.now(timezone.utc)
    since = now - timedelta(hours=duplicates.DEFAULT_WINDOW_HOURS)
    probe = text(rng)
    print("median (max) ms per submission, in a transaction; machine load:", open("/proc/loadavg").read().split()[:3])
    print(f"{'similar in window':>18} | {'check now: 1 document':>22} | {'remember (1 upsert)':>20} "
          f"| {'check before: index range':>26}")
    try:
        for n in [int(s) for s in args.sizes.split(",")]:
            client.drop_database("bench_duplicates")
            db = client["bench_duplicates"]
            db.reports.create_index(OLD_INDEX)
            extra = fill(db, n, rng, now)

            def current(session):
                recent = db[duplicates.RECENT].find_one({"_id": duplicates.recent_key("infrastruktur", "5108")},
                                                        session=session)
                duplicates.earlier_duplicate(probe, duplicates.candidates(recent, since))

            def before(session):
                found = db.reports.find({"category_code": "infrastruktur", "region_code": "5108",
                                         "received_at": {"$gte": since}},
                                        {"tracking_id": 1, "description": 1, "status": 1}, session=session,
                                        ).sort("received_at", DESCENDING).limit(50).hint(OLD_INDEX)
                candidates = [{**r, "tracking_id": r["_id"]} for r in found if r["status"] != "incomplete"]
                duplicates.earlier_duplicate(probe, candidates)

            def remember(session):
                db[duplicates.RECENT].update_one(*duplicates.recent_update(extra), upsert=True, session=session)

            now_ms = timed(lambda: in_transaction(client, current), args.rounds)
            write_ms = timed(lambda: in_transaction(client, remember), args.rounds)
            old_ms = timed(lambda: in_transaction(client, before), args.rounds)
            print(f"{n:>18,} | {now_ms[0]:>9.2f} (max {now_ms[1]:7.2f}) | {write_ms[0]:>7.2f} (max {write_ms[1]:7.2f}) "
                  f"| {old_ms[0]:>13.2f} (max {old_ms[1]:7.2f})")
        client.drop_database("bench_duplicates")
    finally:
        release_client(uri)
        script("store.sh", "stop", env)


if __name__ == "__main__":
    main()

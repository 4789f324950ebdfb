"""The local store's update cost against document size: why KPI cells are grouped the way they
are (docs/assessment.md).  Starts its own SecantusDB (deploy/local/store.sh, fsync per commit) and
times, in transactions as the services run them: reading 1,500 small documents vs one document
of 1,500 values; an `$inc` of 45 small documents vs one `$inc` of 45 fields in the large one.

    PYTHONWARNINGS=ignore .venv/bin/python bench/store_update_cost.py [--values 1500] [--rounds 15]
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parent.parent / "services" / "contract")]

from _stack import bench_env, script, urls  # noqa: E402
from contract.store import acquire_client, release_client  # noqa: E402
from pymongo import UpdateOne, WriteConcern  # noqa: E402

COUNTERS = {f"k{j}": j for j in range(14)}  # about as many counters as a KPI cell has


def timed(label: str, fn, rounds: int) -> None:
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    print(f"{label}: median {statistics.median(samples) * 1000:.1f} ms, max {max(samples) * 1000:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--values", type=int, default=1500)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--offset", type=int, default=47, help="port offset of the store (contract.localstack)")
    args = parser.parse_args()
    env = bench_env("store-update-cost", args.offset, one_store=True)
    script("store.sh", "start", env)
    uri = urls(env)["mongodb"]
    client = acquire_client(uri)
    try:
        client.drop_database("bench_update_cost")
        db = client["bench_update_cost"]
        db.small.create_index([("g", 1)])
        n = args.values
        db.small.insert_many([{"_id": f"a|{i}", "g": "a", **COUNTERS} for i in range(n)])
        db.big.insert_one({"_id": "a", "values": {str(i): dict(COUNTERS) for i in range(n)}})

        def transaction(work):
            with client.start_session() as session:
                session.with_transaction(work, write_concern=WriteConcern("majority"))

        timed(f"read {n:,} small documents", lambda: list(db.small.find({"g": "a"})), args.rounds)
        timed(f"read 1 document of {n:,} values", lambda: db.big.find_one({"_id": "a"}), args.rounds)
        timed("read 1 value of it (projection)", lambda: db.big.find_one({"_id": "a"}, {"values.7": 1}), args.rounds)
        timed("transaction: $inc 45 small documents", lambda: transaction(lambda s: db.small.bulk_write(
            [UpdateOne({"_id": f"a|{i}"}, {"$inc": {"k1": 1, "k2": 1}}) for i in random.sample(range(n), 45)],
            session=s)), args.rounds)
        timed(f"transaction: $inc 45 fields of the {n:,}-value document", lambda: transaction(
            lambda s: db.big.update_one({"_id": "a"}, {"$inc": {f"values.{i}.k1": 1 for i in random.sample(range(n), 45)}},
                                        session=s)), args.rounds)
        timed("transaction: insert 1 small document", lambda: transaction(
            lambda s: db.small.insert_one({"g": "z"}, session=s)), args.rounds)
        big = db.big.find_one({"_id": "a"})
        some = random.sample(range(n), 3)
        timed(f"transaction: $inc of 3 values x 14 counters of the {n:,}-value document", lambda: transaction(
            lambda s: db.big.update_one({"_id": "a"}, {"$inc": {f"values.{i}.{k}": 1 for i in some for k in COUNTERS}},
                                        session=s)), args.rounds)
        timed(f"transaction: $set of 3 whole values of the {n:,}-value document", lambda: transaction(
            lambda s: db.big.update_one({"_id": "a"}, {"$set": {f"values.{i}": dict(COUNTERS) for i in some}},
                                        session=s)), args.rounds)
        timed(f"transaction: replacement of the {n:,}-value document", lambda: transaction(
            lambda s: db.big.replace_one({"_id": "a"}, big, session=s)), args.rounds)
        for paths in (100, 400, 1600):  # one update naming `paths` fields of a small document
            fields = {f"p{i}": 1 for i in range(paths)}
            timed(f"update naming {paths:,} paths ($set)", lambda: db.paths.update_one(
                {"_id": 1}, {"$set": fields}, upsert=True), max(3, args.rounds // 3))
        for ids in (250, 1000, 2000):  # one $in of `ids` ids that all exist
            wanted = [f"a|{i}" for i in range(min(ids, n))]
            timed(f"find with $in of {len(wanted):,} ids", lambda: list(db.small.find({"_id": {"$in": wanted}})),
                  max(3, args.rounds // 3))
        client.drop_database("bench_update_cost")
    finally:
        release_client(uri)
        script("store.sh", "stop", env)


if __name__ == "__main__":
    main()

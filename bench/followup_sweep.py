"""Follow-up at national scale: the timer sweep over 1,000,000 open cases (issue 5 target
<= 10 s) and the indicator summary of one agency holding 100,000 cases (target <= 100 ms).

    PYTHONPATH=services/contract:services/followup .venv/bin/python bench/followup_sweep.py [--cases N]

Starts its own store (deploy/local/store.sh, run folder .run/bench-followup, port 27027+93)
and loads cases built by the real domain code straight through pymongo.  Measures:
  1. the steady-state sweep: 1M open cases, alerts due only for those whose time passed since
     the previous sweep 30 s earlier (an index range on next_check_at);
  2. a peak sweep: the same store at local midnight, when every case due that day turns red
     and every case due the next day turns yellow (the sweep's worst case), on a sample;
  3. the summary (counts per colour) for the agency with 100,000 cases, and its query plans.
"""
from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _stack import bench_env, script  # noqa: E402
from pymongo import MongoClient  # noqa: E402

from contract.ids import check_symbol  # noqa: E402
from contract.unitstore import UnitOfWorkStore  # noqa: E402
from followup import domain, handlers, indicator  # noqa: E402
from followup.calendar import WorkCalendar  # noqa: E402
from followup.dependencies import CaseStore, colour_query  # noqa: E402
from followup.indicator import Rules  # noqa: E402
from followup.settings import Settings  # noqa: E402

OFFSET = 93
BIG_AGENCY = "PEMKAB-BESAR"
NOW = datetime(2026, 11, 25, 3, 0, tzinfo=timezone.utc)  # Wednesday 10:00 WIB


def bench_tracking_id(n: int) -> str:
    """A valid tracking ID (check symbol) numbered n: events refuse made-up IDs."""
    symbols = f"{n:09d}"
    return f"ID-{symbols[:5]}-{symbols[5:]}{check_symbol(symbols)}"


def templates(rng: random.Random) -> list[dict]:
    """Cases opened at 400 moments over the last 15 days, in the three time zones."""
    cal, rules, out = WorkCalendar(), Rules(), []
    for i in range(400):
        opened = NOW - timedelta(seconds=rng.randrange(15 * 86400))
        tz = ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura")[i % 3]
        event = {"tracking_id": bench_tracking_id(0), "origin_hub": "ID", "agency_code": "A", "unit_code": "U",
                 "queue": "unit" if i % 4 else "agency", "region_code": "5108", "category_code": "infrastruktur",
                 "classification": "complaint", "channel": "web", "reporter_ref": "r", "region_timezone": tz}
        case = domain.open_case(event, {"is_confidential": False}, [], cal, rules, opened)
        # alerts whose time passed before the previous sweep (30 s ago) were already sent
        last = NOW - timedelta(seconds=30)
        case["alerts"] = [a["kind"] for a in case["schedule"] if a["at"] < last]
        case["next_check_at"] = min((a["at"] for a in case["schedule"] if a["kind"] not in case["alerts"]),
                                    default=indicator.NEVER)
        out.append(case)
    return out


def load(db, count: int, rng: random.Random, big_share: int) -> float:
    base = templates(rng)
    started = time.perf_counter()
    batch = []
    for n in range(count):
        t = base[n % len(base)]
        agency = BIG_AGENCY if n % big_share == 0 else f"PEMKAB-{n % 500:03d}"
        batch.append({**t, "_id": f"case_{n:08d}", "tracking_id": bench_tracking_id(n), "agency_code": agency,
                      "unit_code": f"{agency}-U{n % 7}"})
        if len(batch) == 10000:
            db.cases.insert_many(batch, ordered=False)
            batch = []
    if batch:
        db.cases.insert_many(batch, ordered=False)
    return time.perf_counter() - started


def plan_of(db, query: dict) -> str:
    try:
        plan = db.command("explain", {"count": "cases", "query": query}, verbosity="queryPlanner")
        stage, stages = plan.get("queryPlanner", {}).get("winningPlan", {}), []
        while isinstance(stage, dict) and stage:
            stages.append(stage.get("stage", "?") + (f"({stage['indexName']})" if stage.get("indexName") else ""))
            stage = stage.get("inputStage")
        return " <- ".join(stages) or str(plan)[:120]
    except Exception as exc:  # explain support differs between servers
        return f"explain unavailable: {type(exc).__name__}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--peak-sample", type=int, default=20_000)
    parser.add_argument("--big-share", type=int, default=10, help="1 case in N belongs to the big agency")
    parser.add_argument("--repeat", type=int, default=3, help="exact summary measurements")
    parser.add_argument("--sweep-only", action="store_true",
                        help="load with only the sweep's index and measure only the steady-state sweep")
    parser.add_argument("--keep", action="store_true", help="leave the store running")
    args = parser.parse_args()
    env = bench_env("followup", OFFSET, one_store=True)
    script("store.sh", "stop", env)
    shutil.rmtree(Path(env["LAPOR_RUN_DIR"]) / "store" / "data", ignore_errors=True)  # a fresh store
    script("store.sh", "start", env)
    uri = f"mongodb://127.0.0.1:{env['LAPOR_STORE_PORT']}/?retryWrites=false&directConnection=true"
    client = MongoClient(uri, tz_aware=True, w="majority")
    try:
        db = client["bench_followup"]
        indexes = CaseStore.indexes
        if args.sweep_only:  # only the sweep's own index: loads faster, measures the sweep's read path
            indexes = {"cases": [m for m in CaseStore.indexes["cases"] if "next_check_at" in str(m.document)]}
        for collection, models in indexes.items():  # the service's own indexes
            db[collection].create_indexes(models)
        rng = random.Random(5)
        print(f"loading {args.cases:,} open cases ...", flush=True)
        seconds = load(db, args.cases, rng, args.big_share)
        print(f"loaded {args.cases:,} cases in {seconds:.1f} s ({args.cases / seconds:,.0f}/s)", flush=True)
        # the service's store without a container: its repositories and handlers, the clock driven here
        clock = [NOW]
        store = UnitOfWorkStore(client, db, Settings(hub="ID", sweep_batch=500), now=lambda: clock[0])
        store.repositories = CaseStore.repositories
        units = store.units()

        runs = []
        for i in range(3):
            clock[0] = NOW + timedelta(seconds=i)
            runs.append(handlers.sweep(units, refresh_gauges=False))
        timings = ", ".join("%.3f s (%d alerts)" % (r["seconds"], r["claimed"]) for r in runs)
        print(f"steady-state sweep over {args.cases:,} open cases: {timings} -> target <= 10 s")
        print(f"  plan of the sweep's query: {plan_of(db, {'next_check_at': {'$lt': NOW}})}")

        if args.sweep_only:
            return
        t0 = time.perf_counter()
        clock[0] = NOW
        agencies = len(units.read(lambda uow: uow.cases.open_by_agency(NOW)))
        print(f"Prometheus gauges (open cases by colour for {agencies} agencies, once a minute): "
              f"{time.perf_counter() - t0:.2f} s", flush=True)

        # the tallies start from the loaded cases' recorded colours (the service keeps them per write)
        moves = [(None, c) for c in db.cases.find({}, {"agency_code": 1, "unit_code": 1, "status": 1, "alerts": 1,
                                                       "on_time": 1})]
        units.run(lambda uow: uow.cases._retally(moves))
        scope = {"agency_code": BIG_AGENCY}
        big = db.cases.count_documents(scope)
        timings = []
        for _ in range(max(args.repeat, 5)):
            t0 = time.perf_counter()
            summary = units.read(lambda uow: uow.cases.summary(scope))
            timings.append((time.perf_counter() - t0) * 1000)
        print(f"summary (tallies) for {BIG_AGENCY} ({big:,} cases): median {statistics.median(timings):.1f} ms, "
              f"max {max(timings):.1f} ms -> target <= 100 ms; counts {summary}", flush=True)
        timings = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            exact = units.read(lambda uow: uow.cases.exact_summary(scope, NOW))
            timings.append((time.perf_counter() - t0) * 1000)
        print(f"exact summary (5 index range counts at the clock): median {statistics.median(timings):.1f} ms; "
              f"counts {exact}", flush=True)
        print(f"  plan of the red count: {plan_of(db, {**scope, **colour_query('red', NOW)})}", flush=True)

        # the peak: local midnight after the 25th, on a sample of the store's cases
        midnight = datetime(2026, 11, 25, 17, 0, 1, tzinfo=timezone.utc)  # 00:00:01 WIB on the 26th
        due = db.cases.count_documents({"next_check_at": {"$lt": midnight}})
        batches = max(1, args.peak_sample // 500)
        clock[0] = midnight
        result = handlers.sweep(units, refresh_gauges=False, max_batches=batches)
        rate = result["claimed"] / result["seconds"] if result["seconds"] else 0
        print(f"peak sweep at local midnight: {due:,} cases have an alert due; a sample of {result['claimed']:,} "
              f"took {result['seconds']:.2f} s ({rate:,.0f} cases/s, {result['kinds']}); "
              f"all {due:,} would take ~{due / rate if rate else float('inf'):.0f} s on this store")
    finally:
        client.close()
        if not args.keep:
            script("store.sh", "stop", env)


if __name__ == "__main__":
    main()

"""Assessment benchmark: KPI and public-statistics queries over 1,000,000 reports, the rebuild,
and the event ingestion rate of the aggregates.

Starts its own store (deploy/local/store.sh, own run folder and port), loads report facts
directly through pymongo, rebuilds the cells with the service's own rebuild code, then times the
exact query path of the HTTP endpoints (repository + indicators; one grouped cell document per
scope, dimension and period, see assessment/cells.py).  Target: p99 <= 100 ms.  Then times
the event handlers' path (fact + journal entry, sequential and 8 at once) and the compactor.
Environment: BENCH_REPORTS (default 1000000), BENCH_QUERIES (default 300), BENCH_EVENTS (3000),
BENCH_STORED_FACTS (20000), BENCH_COMPACT_BATCH (2000), BENCH_EVENT_BATCH (50).  ``--offset N`` puts the store on the
port of the local stack's offset N (contract.localstack; run folder ``.run/bench-assessment-N``)
instead of a free port, so parallel work does not share ports.
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "services" / "contract"), str(ROOT / "services" / "assessment")]

from assessment import handlers, indicators, kpi, periods, reports  # noqa: E402
from assessment.cli import rebuild_cells  # noqa: E402
from assessment.dependencies import INDEXES, AssessmentUnits, Settings  # noqa: E402
from assessment.kpi_store import CellMaintenance, compact  # noqa: E402
from contract import events, localstack, metrics  # noqa: E402
from contract.store import acquire_client, release_client  # noqa: E402
from contract.uow import PROCESSED  # noqa: E402

N = int(os.environ.get("BENCH_REPORTS", "1000000"))
STORED_FACTS = int(os.environ.get("BENCH_STORED_FACTS", "20000"))
QUERIES = int(os.environ.get("BENCH_QUERIES", "300"))
EVENTS = int(os.environ.get("BENCH_EVENTS", "3000"))
COMPACT_BATCH = int(os.environ.get("BENCH_COMPACT_BATCH", "2000"))  # the service's KPI_COMPACT_BATCH
EVENT_BATCH = int(os.environ.get("BENCH_EVENT_BATCH", "50"))  # the service's EVENT_BATCH_SIZE
YEAR = 2025
AGENCIES = [f"AG{i:03d}" for i in range(200)]
CATEGORIES = [f"cat{i:02d}" for i in range(30)]
CHANNELS = ["web", "mobile", "sms", "social", "open311", "manual", "import"]
CLASSES = ["complaint", "aspiration", "information_request", "whistleblowing"]
GESI = ["women", "children", "disability", "elderly", "marginalised"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fact(i: int, rnd: random.Random) -> dict:
    agency = rnd.choice(AGENCIES) if rnd.random() > 0.05 else None
    received = datetime(YEAR, 1, 1, tzinfo=timezone.utc) - timedelta(hours=7) + timedelta(
        minutes=rnd.randrange(365 * 24 * 60))  # within the year in Asia/Jakarta, the reporting zone
    doc = {"_id": f"ID-B{i:07d}", "rev": 3, "received_at": received, "channel": rnd.choice(CHANNELS),
           "classification": rnd.choice(CLASSES), "category_code": rnd.choice(CATEGORIES),
           "region_code": f"{int(agency[2:]) * 2 + rnd.randrange(3) if agency else 9000:04d}",
           "gesi": sorted(rnd.sample(GESI, rnd.choice([0, 0, 0, 1, 2]))), "is_confidential": rnd.random() < 0.05,
           "agency_code": agency, "unit_code": f"{agency}-U{rnd.randrange(5)}" if agency else None}
    if agency and rnd.random() < 0.8:
        doc.update(assigned_at=received, opened_at=received + timedelta(hours=2),
                   first_response_at=received + timedelta(hours=rnd.randrange(1, 200)))
        if rnd.random() < 0.7:
            doc.update(closed_at=doc["first_response_at"] + timedelta(hours=rnd.randrange(1, 400)),
                       on_time=rnd.random() < 0.75)
            if rnd.random() < 0.5:
                doc.update(rating=rnd.randint(1, 5), rated_at=doc["closed_at"])
    return doc


def percentiles(samples: list[float]) -> str:
    qs = statistics.quantiles(samples, n=100)
    return f"p50 {qs[49] * 1000:.1f} ms  p95 {qs[94] * 1000:.1f} ms  p99 {qs[98] * 1000:.1f} ms  max {max(samples) * 1000:.1f} ms"


def store_commands() -> dict[str, float]:
    """Store commands this process has sent so far, by command (contract.store's command monitoring)."""
    return {sample.labels["command"]: sample.value for metric in metrics.STORE_COMMANDS.collect()
            for sample in metric.samples if sample.name.endswith("_total")}


class Cost:
    """CPU seconds of this process and of the store process, and the store commands sent, over a phase:
    which side of the wire the time goes to (the store is one Python process, so on this machine its
    CPU seconds per event bound the rate whatever the load of the other cores)."""

    def __init__(self, store_pid: int):
        self.store_pid = store_pid
        self.started = (time.process_time(), self._store_cpu(), store_commands())

    def _store_cpu(self) -> float:
        try:
            fields = Path(f"/proc/{self.store_pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime
        except (OSError, IndexError, ValueError):
            return float("nan")

    def report(self, events: int) -> str:
        client0, store0, commands0 = self.started
        client_s, store_s = time.process_time() - client0, self._store_cpu() - store0
        commands = {k: v - commands0.get(k, 0) for k, v in store_commands().items() if v - commands0.get(k, 0)}
        top = ", ".join(f"{k} {v / events:.2f}" for k, v in sorted(commands.items(), key=lambda kv: -kv[1])[:6])
        return (f"CPU: bench process {client_s:.1f} s ({client_s / events * 1000:.2f} ms/event), store process "
                f"{store_s:.1f} s ({store_s / events * 1000:.2f} ms/event, {events / store_s if store_s else 0:,.0f} "
                f"events per store-CPU-second); store commands per event {sum(commands.values()) / events:.2f} ({top})")


def plan_uses_index(db, query: dict) -> str:
    try:
        plan = db.kpi_cells.find(query).explain().get("queryPlanner", {}).get("winningPlan", {})
    except Exception as exc:  # explain support differs between servers; report, do not fail
        return f"explain unavailable ({type(exc).__name__})"
    text = str(plan)
    used = [stage for stage in ("IDHACK", "EXPRESS_IXSCAN", "IXSCAN") if stage in text]
    return used[0] if used else f"no index in plan: {text[:200]}"


def event_stream(rnd: random.Random, fact_base: int, first: int, reports: int) -> list[tuple[str, dict]]:
    """received, dispositioned, closed for each of ``reports`` new reports (June of YEAR)."""
    base = datetime(YEAR, 6, 1, tzinfo=timezone.utc)
    stream = []
    for i in range(first, first + reports):
        f = fact(fact_base + i, rnd)
        agency = f["agency_code"] or AGENCIES[0]
        tid = f"ID-E{i:07d}"
        stream.append((events.REPORT_RECEIVED, {
            "event_id": f"r{i}", "tracking_id": tid, "occurred_at": base, "received_at": base, "hub": "ID",
            "channel": f["channel"], "classification": f["classification"], "category_code": f["category_code"],
            "region_code": f["region_code"], "gesi": f["gesi"], "is_confidential": f["is_confidential"]}))
        stream.append((events.REPORT_DISPOSITIONED, {
            "event_id": f"d{i}", "tracking_id": tid, "occurred_at": base + timedelta(minutes=1),
            "agency_code": agency, "unit_code": f"{agency}-U{i % 5}", "hub": "ID", "queue": "agency"}))
        stream.append((events.CASE_CLOSED, {
            "event_id": f"c{i}", "tracking_id": tid, "occurred_at": base + timedelta(days=2),
            "on_time": True, "first_response_at": base + timedelta(hours=3), "rating": 4}))
    return stream


class Store:
    """Assessment's store as the service uses it (units of work, handlers) and its offline side."""

    def __init__(self, client, db):
        self.db = db
        self.units = AssessmentUnits(client, db, Settings()).units()
        self.offline = CellMaintenance(db)

    def cells(self, scope: str, dim: str, buckets: list[str]) -> list[dict]:
        return self.units.read(lambda uow: uow.kpi.cells(scope, dim, buckets))

    def journal_pending(self) -> int:
        return self.units.read(handlers.journal_pending)

    def compact(self, limit: int) -> int:
        return compact(self.units, limit)


def apply_events(uow, items: list[tuple[str, dict]]) -> None:
    """What contract.batch.handle_batch does with a batch (without the broker and the payload schemas)."""
    done = {d["_id"] for d in uow.db[PROCESSED].find({"_id": {"$in": [e["event_id"] for _, e in items]}},
                                                     {"_id": 1}, session=uow.session)}
    for event_type, event in items:
        if event["event_id"] not in done and uow.mark(event["event_id"]):
            handlers.fold_event(uow, event_type, event)


def apply_as_batch(repo: Store, items: list[tuple[str, dict]]) -> None:
    repo.units.run(apply_events, items, batch=items)


def compact_all(repo: Store, store_pid: int, what: str) -> None:
    """The compactor folding the whole journal, batch after batch, timed."""
    pending, entries = repo.journal_pending(), repo.db.kpi_journal.count_documents({})
    batch_times = []
    cost = Cost(store_pid)
    started = time.monotonic()
    while True:
        t = time.perf_counter()
        if not repo.compact(COMPACT_BATCH):
            break
        batch_times.append(time.perf_counter() - t)
    compact_s = time.monotonic() - started
    print(f"compaction of {pending:,} events ({entries:,} {what}) in batches of {COMPACT_BATCH} entries: "
          f"{compact_s:.1f} s = {pending / compact_s:,.0f} events/s (batch p50 {statistics.median(batch_times):.2f} s, "
          f"max {max(batch_times):.2f} s)")
    print(f"  {cost.report(pending)}")
    print(f"  load average: {os.getloadavg()[0]:.1f} (1 min)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--offset", type=int, default=None,
                        help="port offset of the local stack (contract.localstack) for the store; default a free port")
    args = parser.parse_args()
    port = free_port() if args.offset is None else int(localstack.ports(args.offset)["LAPOR_STORE_PORT"])
    name = f"bench-assessment-{port}" if args.offset is None else f"bench-assessment-{args.offset}"
    env = {**os.environ, "LAPOR_RUN_DIR": str(ROOT / ".run" / name),
           "LAPOR_STORE_PORT": str(port), "LAPOR_STORE_PER_SERVICE": "0", "PYTHONWARNINGS": "ignore"}
    store_sh = str(ROOT / "deploy" / "local" / "store.sh")
    subprocess.run([store_sh, "start"], env=env, check=True, stdout=subprocess.DEVNULL)
    uri = f"mongodb://127.0.0.1:{port}/?retryWrites=false&directConnection=true"
    store_pid = int((Path(env["LAPOR_RUN_DIR"]) / "store" / "secantusd.pid").read_text())
    client = acquire_client(uri)
    try:
        db = client["bench_assessment"]
        for collection, models in INDEXES.items():
            db[collection].create_indexes(models)
        repo = Store(client, db)
        rnd = random.Random(42)

        # 1. the rebuild CLI's path on facts stored in the server (loading is the server's insert rate)
        started = time.monotonic()
        db.facts.insert_many([fact(i, rnd) for i in range(STORED_FACTS)], ordered=False)
        load_s = time.monotonic() - started
        print(f"loaded {STORED_FACTS:,} report facts in {load_s:.1f} s ({STORED_FACTS / load_s:,.0f} docs/s)")
        started = time.monotonic()
        rebuilt = rebuild_cells(repo.offline, "Asia/Jakarta", progress=False)
        read_s = time.monotonic() - started
        written = repo.offline.replace_cells(rebuilt)
        rebuild_s = time.monotonic() - started
        print(f"rebuild (assessment.cli) of {STORED_FACTS:,} facts: read+sum {read_s:.1f} s "
              f"({STORED_FACTS / read_s:,.0f} facts/s), wrote {written:,} cells, total {rebuild_s:.1f} s")

        # 2. cells for N reports, summed in memory by the rebuild's own function, then stored
        started = time.monotonic()
        cells: dict = {}
        for i in range(N):
            kpi.accumulate(cells, kpi.contributions(fact(STORED_FACTS + i, rnd), "Asia/Jakarta"))
        sum_s = time.monotonic() - started
        started = time.monotonic()
        repo.offline.replace_cells(cells)
        print(f"{N:,} reports -> {len(cells):,} cells: summed in {sum_s:.1f} s ({N / sum_s:,.0f} facts/s), "
              f"stored in {time.monotonic() - started:.1f} s")

        period_texts = [f"{YEAR}-{m:02d}" for m in range(1, 13)] + [f"{YEAR}-Q{q}" for q in range(1, 5)] + [str(YEAR)]
        kpi_times, public_times = [], []
        for _ in range(QUERIES):
            period = periods.parse(rnd.choice(period_texts))
            scope = rnd.choice(["*", rnd.choice(AGENCIES)])
            dim = rnd.choice(kpi.DIMENSIONS)
            t = time.perf_counter()
            rows = indicators.kpi_table(repo.cells(scope, dim, period["keys"]), len(period["months"]))
            kpi_times.append(time.perf_counter() - t)
            assert rows or scope != "*"
            t = time.perf_counter()
            months, n = period["keys"], len(period["months"])
            totals = next(iter(indicators.kpi_table(repo.cells("*", "all", months), n)), None)
            indicators.public_view(indicators.kpi_table(repo.cells("*", "agency", months), n),
                                   indicators.kpi_table(repo.cells("*", "category", months), n),
                                   totals, period, 5, indicators.DEFAULT_COLOURS)
            public_times.append(time.perf_counter() - t)
        year_all = indicators.kpi_table(repo.cells("*", "all", [str(YEAR)]), 12)[0]
        assert year_all["received"] == N, year_all["received"]
        monitoring_times = []
        for _ in range(QUERIES // 3):
            period = periods.parse(rnd.choice(period_texts))
            scope = rnd.choice(["*", rnd.choice(AGENCIES)])
            t = time.perf_counter()
            keys, n = period["keys"], len(period["months"])
            dims = reports.BREAKDOWNS + (("agency",) if scope == "*" else ())
            report = reports.monitoring_report(
                period, scope, next(iter(indicators.kpi_table(repo.cells(scope, "all", keys), n)), None),
                indicators.monthly_rows(repo.cells(scope, "all", period["months"]), period["months"]),
                {d: indicators.kpi_table(repo.cells(scope, d, keys), n) for d in dims}, None,
                indicators.DEFAULT_COLOURS)
            reports.report_html(report)
            monitoring_times.append(time.perf_counter() - t)
        print(f"KPI query (scope x dimension x period, {QUERIES} random): {percentiles(kpi_times)}")
        print(f"public statistics (3 cell queries + suppression): {percentiles(public_times)}")
        print(f"monitoring report ({len(monitoring_times)} random, all breakdowns + monthly chart, "
              f"rendered as HTML): {percentiles(monitoring_times)}")
        print(f"query plan for a group read: "
              f"{plan_uses_index(db, {'_id': {'$in': ['*|agency|2025-01', '*|agency|2025-02']}})}")

        # ingestion: the event handler's own path (fold + fact + journal entry + marker, one
        # transaction per event), then the compactor folding the journal into the grouped cells
        # that the 1,000,000 reports above already fill (so hub-wide groups are large).
        stream = event_stream(rnd, N + STORED_FACTS, 0, EVENTS // 3)

        def ingest(item):
            repo.units.run(apply_events, [item], batch=[item])
        third = len(stream) // 3
        cost = Cost(store_pid)
        started = time.monotonic()
        for item in stream[:third]:
            ingest(item)
        seq_s = time.monotonic() - started
        print(f"event ingestion (fact + journal + marker, one transaction per event), sequential: "
              f"{third:,} events in {seq_s:.1f} s = {third / seq_s:,.0f} events/s")
        print(f"  {cost.report(third)}")
        # the service runs up to max_workers handlers at once; events of one report arrive in order
        per_report = [stream[i:i + 3] for i in range(third - third % 3, len(stream), 3)]
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(lambda items: [ingest(x) for x in items], per_report))
        conc_s = time.monotonic() - started
        conc_n = sum(len(items) for items in per_report)
        print(f"event ingestion, 8 concurrent handlers: {conc_n:,} events in {conc_s:.1f} s = "
              f"{conc_n / conc_s:,.0f} events/s")
        compact_all(repo, store_pid, "per-event journal entries")
        year_all = indicators.kpi_table(repo.cells("*", "all", [str(YEAR)]), 12)[0]
        assert year_all["received"] == N + EVENTS // 3, year_all["received"]

        # the service's own path: batches of EVENT_BATCH events, each one unit of work (contract.batch:
        # one $in on the markers, the handlers, one commit). Events of a report are in different batches,
        # as in a live hub (received now, dispositioned and closed later): window of reports by window.
        batched = event_stream(rnd, N + STORED_FACTS + EVENTS, EVENTS, EVENTS // 3)
        ordered = [item for w in range(0, len(batched), 3 * EVENT_BATCH)
                   for kind in range(3) for item in batched[w:w + 3 * EVENT_BATCH][kind::3]]
        cost = Cost(store_pid)
        started = time.monotonic()
        for i in range(0, len(ordered), EVENT_BATCH):
            apply_as_batch(repo, ordered[i:i + EVENT_BATCH])
        batch_s = time.monotonic() - started
        print(f"event ingestion in batches of {EVENT_BATCH} (one unit of work each, the service's path): "
              f"{len(ordered):,} events in {batch_s:.1f} s = {len(ordered) / batch_s:,.0f} events/s")
        print(f"  {cost.report(len(ordered))}")
        compact_all(repo, store_pid, "one journal entry per batch")
        year_all = indicators.kpi_table(repo.cells("*", "all", [str(YEAR)]), 12)[0]
        assert year_all["received"] == N + 2 * (EVENTS // 3), year_all["received"]
        print(f"  load average at the end: {os.getloadavg()[0]:.1f} (1 min)")
        print(f"store: SecantusDB (deploy/local/store.sh, --sync-on-commit) on 127.0.0.1:{port}")
    finally:
        release_client(uri)
        subprocess.run([store_sh, "stop"], env=env, check=False, stdout=subprocess.DEVNULL)
        shutil.rmtree(env["LAPOR_RUN_DIR"], ignore_errors=True)  # its store data: gigabytes at 1,000,000 reports


if __name__ == "__main__":
    main()

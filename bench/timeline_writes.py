"""Intake's timeline: store commands and time per batch of tracked events (issue 23).

Starts its own SecantusDB (deploy/local/store.sh), stores --reports reports as intake holds them and
applies each one's lifecycle of ten tracked events (dispositioned, case_opened, three
notification_queued, three notification_sent, case_answered, case_closed: the steps that loop back
to intake), step after step across the reports as they arrive, in batches of --batch events, through
intake's event table (``intake.service.EVENTS``) and the consumer's ``contract.batch.handle_batch`` on
intake's real repositories and unit of work (one transaction per batch, committed with fsync when
--sync). Counts every store command by command and collection (pymongo's command monitoring), then
reads each report's timeline as the tracking page does (``Reports.with_history``).

    PYTHONWARNINGS=ignore .venv/bin/python bench/timeline_writes.py [--reports 50] [--batch 50] [--offset 41]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench"), str(ROOT / "services" / "contract"), str(ROOT / "services" / "intake")]

from _stack import bench_env, script, urls  # noqa: E402
from pymongo import MongoClient, monitoring  # noqa: E402

from contract import events  # noqa: E402
from contract.batch import handle_batch  # noqa: E402
from contract.ids import new_tracking_id  # noqa: E402
from contract.unitstore import UnitOfWorkStore  # noqa: E402
from intake import history  # noqa: E402
from intake.dependencies import REPOSITORIES, IntakeStore, Settings  # noqa: E402
from intake.handlers import report_view  # noqa: E402
from intake.service import EVENTS  # noqa: E402
from tests.unit.intake.event_factories import event_payload  # noqa: E402

LIFECYCLE = (events.REPORT_DISPOSITIONED, events.CASE_OPENED, *[events.NOTIFICATION_QUEUED] * 3,
             *[events.NOTIFICATION_SENT] * 3, events.CASE_ANSWERED, events.CASE_CLOSED)


class Commands(monitoring.CommandListener):
    def __init__(self):
        self.seen: Counter = Counter()

    def started(self, event):
        target = event.command.get(event.command_name)
        self.seen[event.command_name, target if isinstance(target, str) else ""] += 1

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process (``/proc/<pid>/stat``): the store's work, less
    sensitive than wall time to a machine shared with other runs."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class IntakeUnits(UnitOfWorkStore):
    repositories = REPOSITORIES


def stored_report(tracking_id: str, now: datetime) -> dict:
    """A report as intake stores a complete web report (the fields the tracking view reads, a text)."""
    return {"_id": tracking_id, "tracking_id": tracking_id, "reporter_ref": f"rpt_{tracking_id}",
            "status": "received", "reopened_at": None,
            "received_at": now, "updated_at": now, "title": "Jalan rusak di depan pasar",
            "description": "Jalan berlubang besar di depan pasar sejak Senin. " * 12, "category_code": "infrastruktur",
            "region_code": "5108", "classification": "complaint", "channel": "web", "language": "id",
            "is_confidential": False, "is_anonymous": False, "history": [history.entry("received", now)]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=50)
    parser.add_argument("--batch", type=int, default=50, help="events per batch (EVENT_BATCH_SIZE's default)")
    parser.add_argument("--offset", type=int, default=41)
    args = parser.parse_args()
    env = {**bench_env("timeline", args.offset), "LAPOR_STORE_SYNC": "1"}
    script("store.sh", "start", env)
    commands = Commands()
    client = MongoClient(urls(env)["mongodb"], tz_aware=True, w="majority", event_listeners=[commands])
    try:
        client.drop_database("bench_timeline")
        db = client["bench_timeline"]
        for collection, models in IntakeStore.indexes.items():  # as the store provider creates them
            db[collection].create_indexes(models)
        now = datetime.now(timezone.utc)
        ids = [new_tracking_id("ID") for _ in range(args.reports)]
        db.reports.insert_many([stored_report(t, now) for t in ids])
        units = IntakeUnits(client, db, Settings()).units()
        flow = [(event_type, event_payload(event_type, t, at=now + timedelta(minutes=step)))
                for step, event_type in enumerate(LIFECYCLE, start=1) for t in ids]
        commands.seen.clear()
        store_pid = int(Path(env["LAPOR_RUN_DIR"], "store", "secantusd.pid").read_text())
        store_cpu, own_cpu = cpu_seconds(store_pid), time.process_time()
        seconds, by_kind = [], {}
        for start in range(0, len(flow), args.batch):
            batch = flow[start:start + args.batch]
            t0 = time.perf_counter()
            outcomes = handle_batch(units, batch, EVENTS)
            seconds.append(time.perf_counter() - t0)
            by_kind.setdefault("+".join(sorted({event_type for event_type, _ in batch})), []).append(seconds[-1])
            assert all(outcome == "applied" for outcome, _ in outcomes), outcomes
        store_cpu, own_cpu = cpu_seconds(store_pid) - store_cpu, time.process_time() - own_cpu
        applied = dict(commands.seen)
        commands.seen.clear()
        t0 = time.perf_counter()
        views = [units.read(report_view, t) for t in ids]
        read_seconds = time.perf_counter() - t0
        assert all(v["status"] == "closed" and len(v["history"]) == 1 + len(LIFECYCLE) for v in views)
        batches, total = len(seconds), sum(applied.values())
        print(f"{len(flow)} events of {args.reports} reports in {batches} batches of up to {args.batch}")
        for (name, collection), n in sorted(applied.items()):
            print(f"  {name:<18}{collection:<18}{n:>6}{n / batches:>8.2f} per batch")
        print(f"store commands: {total} ({total / batches:.2f} per batch, {total / len(flow):.3f} per event); "
              f"batch median {1000 * statistics.median(seconds):.0f} ms, {len(flow) / sum(seconds):.0f} events/s")
        print(f"CPU per event: store {1000 * store_cpu / len(flow):.2f} ms, intake's side (this process) "
              f"{1000 * own_cpu / len(flow):.2f} ms")
        for kind, times in by_kind.items():
            print(f"  batches of {kind}: median {1000 * statistics.median(times):.0f} ms ({len(times)})")
        reads = sum(commands.seen.values())
        print(f"timeline reads: {reads / len(ids):.1f} store commands per report view, "
              f"{1000 * read_seconds / len(ids):.1f} ms each")
        client.drop_database("bench_timeline")
    finally:
        client.close()
        script("store.sh", "stop", env)


if __name__ == "__main__":
    main()

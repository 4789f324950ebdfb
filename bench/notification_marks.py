"""The store cost of recording each email's outcome as soon as the relay accepts it (issue 22).

Starts its own SecantusDB (deploy/local/store.sh, fsync per commit), queues ``--batch`` notifications,
claims them with ``handlers.claim_batch`` and records the outcomes through notification's real
handlers and unit of work, two ways, alternating rounds:

- ``per message``: ``handlers.record_attempt`` in its own unit for each message, ``--concurrency`` at a
  time (what the courier does now: one small transaction per accepted message);
- ``per batch``: every outcome of the batch in one unit (what the courier did before: one transaction
  after the whole batch was sent).

    PYTHONWARNINGS=ignore .venv/bin/python bench/notification_marks.py [--batch 50] [--rounds 6] [--offset 71]
"""
from __future__ import annotations

import eventlet

eventlet.monkey_patch()  # noqa: E402  (the courier's greenthreads, as in the service)

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from datetime import timedelta  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "bench"), str(ROOT / "services" / "contract"), str(ROOT / "services" / "notification"),
                str(ROOT)]

from _stack import bench_env, script, urls  # noqa: E402
from contract import events  # noqa: E402
from contract.store import acquire_client, release_client, utcnow  # noqa: E402
from notification import delivery, domain, handlers  # noqa: E402
from notification.dependencies import NotificationStore, StoreClient, settings_from  # noqa: E402
from tests.fakes.events import make_event  # noqa: E402


def queue(units, count: int) -> None:
    planned = []
    for _ in range(count):
        event = events.load(events.CASE_UPDATED, make_event(events.CASE_UPDATED, reporter_ref="rpt_bench"))
        planned += domain.plan(events.CASE_UPDATED, event, utcnow() - timedelta(seconds=1))
    units.run(lambda uow: uow.notifications.queue(planned))


def records(claimed: list[dict]) -> list[tuple]:
    sent, now = delivery.Outcome("sent", 1, None, None), utcnow()
    return [(n, sent, "email", now, [domain.outcome_event({**n, "attempts": 1}, "ID", sent=True)]) for n in claimed]


def record_all(uow, batch: list[tuple]) -> None:
    """The old way: every outcome of a batch in one unit of work."""
    for record in batch:
        handlers.record_attempt(uow, record)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--offset", type=int, default=71, help="port offset of the store (contract.localstack)")
    args = parser.parse_args()
    env = bench_env("notification-marks", args.offset, one_store=True)
    script("store.sh", "start", env)
    uri = urls(env)["mongodb"]
    client = acquire_client(uri)
    try:
        client.drop_database("bench_notification_marks")
        db = client["bench_notification_marks"]
        settings = settings_from({"HUB_CODE": "ID", "DELIVERY_CLAIM_BATCH": args.batch})
        units = StoreClient(client, db, settings).units()
        for collection, models in NotificationStore.indexes.items():
            db[collection].create_indexes(models)
        samples: dict[str, list[float]] = {"per message": [], "per batch": []}
        for round_ in range(args.rounds):
            for way in (("per message", "per batch") if round_ % 2 == 0 else ("per batch", "per message")):
                queue(units, args.batch)
                claimed = units.run(handlers.claim_batch, utcnow(), "bench")
                batch = records(claimed)
                started = time.perf_counter()
                if way == "per message":
                    pool = eventlet.GreenPool(args.concurrency)
                    list(pool.imap(lambda record: units.run(handlers.record_attempt, record), batch))
                else:
                    units.run(record_all, batch)
                samples[way].append(time.perf_counter() - started)
                assert db.notifications.count_documents({"status": "sent", "_id": {"$in": [n["_id"] for n in claimed]}}) \
                    == len(claimed)
        for way, times in samples.items():
            print(f"{way}: {args.batch} outcomes recorded in median {statistics.median(times) * 1000:.0f} ms "
                  f"(min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f}; "
                  f"{'%d transactions' % args.batch if way == 'per message' else '1 transaction'}), "
                  f"{statistics.median(times) * 1000 / args.batch:.1f} ms per outcome")
    finally:
        client.drop_database("bench_notification_marks")
        release_client(uri)
        script("store.sh", "stop", env)


if __name__ == "__main__":
    main()

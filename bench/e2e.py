"""End-to-end benchmark: reports over HTTP through the whole stack, and the raw broker rate.

Starts a dedicated stack (own ports and data folder), then:
  1. offers N reports at a fixed rate, then N as fast as they are accepted (C concurrent clients);
     prints reports/s accepted, reports/s fully processed (both notifications queued), p50/p99
     acceptance latency (POST -> 201) and end-to-end latency (201 -> last notification queued);
  2. measures the raw broker in the same run: kombu, persistent messages, publisher confirms,
     publish then consume, so the platform/broker ratio can be read.

    python bench/e2e.py [--reports 500] [--rate 50] [--clients 16] [--keep]
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

import requests
from kombu import Connection, Exchange, Producer, Queue
from pymongo import MongoClient

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _stack import bench_env, script, urls  # noqa: E402

REGIONS = [("5108", "infrastruktur"), ("7317", "kesehatan"), ("6202", "lingkungan"), ("6301", "pendidikan")]


def report(i: int) -> dict:
    region, category = REGIONS[i % len(REGIONS)]
    return {"title": f"Laporan uji beban {i}", "classification": "complaint", "category_code": category,
            "region_code": region, "location_text": f"Jl. Uji Beban No. {i}", "incident_date": (date.today() - timedelta(days=1)).isoformat(),
            "description": "Jalan berlubang di depan sekolah sejak minggu lalu, membahayakan pengendara motor.",
            "reporter": {"name": "Pelapor Uji", "email": f"uji{i}@example.com"}}


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))] if ordered else float("nan")


def offer(base: str, count: int, clients: int, rate: float | None, start_index: int) -> tuple[list, float, float]:
    """POST ``count`` reports; returns ([(tracking_id, latency_s)], first_send, last_accept)."""
    session_local = threading.local()
    results: list[tuple[str, float]] = []
    lock = threading.Lock()
    started = time.time()

    def send(i: int) -> None:
        if rate:
            delay = started + (i - start_index) / rate - time.time()
            if delay > 0:
                time.sleep(delay)
        session = getattr(session_local, "s", None) or requests.Session()
        session_local.s = session
        t0 = time.perf_counter()
        response = session.post(f"{base}/reports", json=report(i), timeout=30)
        latency = time.perf_counter() - t0
        if response.status_code != 201:
            raise RuntimeError(f"report {i}: {response.status_code} {response.text[:200]}")
        with lock:
            results.append((response.json()["tracking_id"], latency))

    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(send, range(start_index, start_index + count)))
    return results, started, time.time()


def processed(mongodb: str, tracking_ids: list[str], timeout: float = 120.0) -> dict[str, float]:
    """Time (epoch s) at which each report's second notification was queued."""
    client = MongoClient(mongodb, tz_aware=True)
    notifications = client["lapor_notification"]["notifications"]
    wanted, done = set(tracking_ids), {}
    deadline = time.time() + timeout
    while len(done) < len(wanted) and time.time() < deadline:
        pending = list(wanted - set(done))
        for chunk in range(0, len(pending), 500):
            rows = notifications.aggregate([
                {"$match": {"tracking_id": {"$in": pending[chunk:chunk + 500]}}},
                {"$group": {"_id": "$tracking_id", "n": {"$sum": 1}, "last": {"$max": "$created_at"}}}])
            for row in rows:
                if row["n"] >= 2:
                    done[row["_id"]] = row["last"].timestamp()
        if len(done) < len(wanted):
            time.sleep(0.2)
    client.close()
    if len(done) < len(wanted):
        raise RuntimeError(f"only {len(done)}/{len(wanted)} reports fully processed within {timeout}s")
    return done


def accepted_at(mongodb: str, tracking_ids: list[str]) -> dict[str, float]:
    client = MongoClient(mongodb, tz_aware=True)
    rows = client["lapor_intake"]["reports"].find({"_id": {"$in": tracking_ids}}, {"received_at": 1})
    out = {r["_id"]: r["received_at"].timestamp() for r in rows}
    client.close()
    return out


def phase(name: str, env: dict, count: int, clients: int, rate: float | None, start_index: int,
          idle: float) -> dict:
    u = urls(env)
    work_before, t_before = store_work(env), time.time()
    results, first, last_accept = offer(u["http"], count, clients, rate, start_index)
    ids = [tid for tid, _ in results]
    done = processed(u["mongodb"], ids)
    received = accepted_at(u["mongodb"], ids)
    e2e = [done[t] - received[t] for t in ids]
    acceptance = [lat for _, lat in results]
    settle(env, idle)
    work_after, t_after = store_work(env), time.time()
    commands = work_after[0] - work_before[0] - idle * (t_after - t_before)
    return {"commands_per_report": commands / count,
            "transactions_per_report": (work_after[1] - work_before[1]) / count,
            "phase": name, "reports": count, "clients": clients, "offered_rate": rate,
            "accepted_per_s": count / (last_accept - first),
            "processed_per_s": count / (max(done.values()) - first),
            "accept_p50_ms": 1000 * pct(acceptance, 50), "accept_p99_ms": 1000 * pct(acceptance, 99),
            "e2e_p50_ms": 1000 * pct(e2e, 50), "e2e_p99_ms": 1000 * pct(e2e, 99),
            "e2e_mean_ms": 1000 * statistics.fmean(e2e)}


SERVICES = ("intake", "routing", "followup", "notification", "assessment")
COMMANDS = "lapor_store_commands_total"
COMMITTED = 'lapor_store_transactions_total{outcome="committed"'


def store_work(env: dict) -> tuple[float, float]:
    """(store commands, committed transactions) so far, summed over the five services' /metrics."""
    commands = committed = 0.0
    for i, service in enumerate(SERVICES, start=1):
        text = requests.get(f"http://127.0.0.1:{int(env['LAPOR_HTTP_PORT']) + i}/metrics", timeout=10).text
        for line in text.splitlines():
            if line.startswith(COMMANDS + "{"):
                commands += float(line.rsplit(" ", 1)[1])
            elif line.startswith(COMMITTED):
                committed += float(line.rsplit(" ", 1)[1])
    return commands, committed


def idle_rate(env: dict, seconds: float = 10.0) -> float:
    """Store commands per second, all services together, with no traffic."""
    before, t0 = store_work(env)[0], time.time()
    time.sleep(seconds)
    return (store_work(env)[0] - before) / (time.time() - t0)


def settle(env: dict, idle: float, timeout: float = 180.0) -> None:
    """Wait until the stack is back to its idle command rate (every consequence of the reports applied)."""
    deadline = time.time() + timeout
    while time.time() < deadline and idle_rate(env, 3.0) > 1.5 * idle + 3:
        pass


def broker_rate(amqp: str, count: int) -> dict:
    """Raw kombu rate on the same broker: persistent messages with publisher confirms."""
    exchange = Exchange("bench.raw", type="direct", durable=True)
    queue = Queue("bench.raw", exchange=exchange, routing_key="raw", durable=True)
    body = {"event_id": "x" * 24, "tracking_id": "ID-AAAAA-AAAAA", "payload": "y" * 600}
    with Connection(amqp, transport_options={"confirm_publish": True}) as conn:
        queue(conn.default_channel).declare()
        queue(conn.default_channel).purge()
        producer = Producer(conn.default_channel, exchange=exchange, routing_key="raw", serializer="json")
        t0 = time.perf_counter()
        for _ in range(count):
            producer.publish(body, delivery_mode=2)
        publish_s = time.perf_counter() - t0
        received = 0

        def on_message(_body, message):
            nonlocal received
            received += 1
            message.ack()

        t1 = time.perf_counter()
        with conn.Consumer(queue, callbacks=[on_message], prefetch_count=200):
            while received < count:
                conn.drain_events(timeout=10)
        consume_s = time.perf_counter() - t1
        queue(conn.default_channel).delete()
    return {"messages": count, "publish_confirmed_per_s": count / publish_s, "consume_per_s": count / consume_s,
            "publish_and_consume_per_s": count / (publish_s + consume_s)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reports", type=int, default=500)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--broker-messages", type=int, default=5000)
    parser.add_argument("--keep", action="store_true", help="leave the bench stack running")
    parser.add_argument("--no-sync", action="store_true",
                        help="store without fsync per commit (LAPOR_STORE_SYNC=0), to show what fsync costs")
    parser.add_argument("--offset", type=int, default=None,
                        help="port offset of the bench stack (contract.localstack.ports); default 90, 91 with --no-sync")
    args = parser.parse_args()
    offset = args.offset if args.offset is not None else (91 if args.no_sync else 90)
    name = "e2e-nosync" if args.no_sync else "e2e"
    env = bench_env(name if args.offset is None else f"{name}-{offset}", offset=offset)
    env["LAPOR_STORE_SYNC"] = "0" if args.no_sync else "1"
    print(f"store fsync per commit: {'off' if args.no_sync else 'on'}")
    print(f"starting a dedicated stack (own ports, fresh data under {env['LAPOR_RUN_DIR']}) ...", flush=True)
    script("stack.sh", "stop", env)  # a stack left by an interrupted run, and its queued backlog, go first
    shutil.rmtree(env["LAPOR_RUN_DIR"], ignore_errors=True)
    script("stack.sh", "start", env)
    try:
        time.sleep(5)
        idle = idle_rate(env)
        rows = [phase("fixed-rate", env, args.reports, args.clients, args.rate, 0, idle),
                phase("as-fast-as-accepted", env, args.reports, args.clients, None, args.reports, idle)]
        raw = broker_rate(urls(env)["amqp"], args.broker_messages)
    finally:
        if not args.keep:
            script("stack.sh", "stop", env)
    print(f"\n{'phase':<22}{'reports':>8}{'offered/s':>10}{'accepted/s':>11}{'processed/s':>12}"
          f"{'acc p50 ms':>11}{'acc p99 ms':>11}{'e2e p50 ms':>11}{'e2e p99 ms':>11}{'cmds/rep':>9}{'txns/rep':>9}")
    for r in rows:
        offered = f"{r['offered_rate']:.0f}" if r["offered_rate"] else "max"
        print(f"{r['phase']:<22}{r['reports']:>8}{offered:>10}{r['accepted_per_s']:>11.1f}{r['processed_per_s']:>12.1f}"
              f"{r['accept_p50_ms']:>11.1f}{r['accept_p99_ms']:>11.1f}{r['e2e_p50_ms']:>11.1f}{r['e2e_p99_ms']:>11.1f}"
              f"{r['commands_per_report']:>9.1f}{r['transactions_per_report']:>9.1f}")
    print(f"\nidle: {idle:.1f} store commands/s (five services together, no traffic)")
    print(f"\nraw broker (kombu, persistent, confirms, {raw['messages']} msgs): "
          f"publish {raw['publish_confirmed_per_s']:.0f}/s, consume {raw['consume_per_s']:.0f}/s, "
          f"publish+consume {raw['publish_and_consume_per_s']:.0f}/s")
    fast = rows[1]
    print(f"ratio: platform processed {fast['processed_per_s']:.1f} reports/s vs raw broker "
          f"{raw['publish_and_consume_per_s']:.0f} msgs/s = {fast['processed_per_s'] / raw['publish_and_consume_per_s']:.4f}; "
          f"each report cost {fast['commands_per_report']:.0f} store commands and "
          f"{fast['transactions_per_report']:.1f} transactions (from lapor_store_*_total, idle work subtracted)")


if __name__ == "__main__":
    main()

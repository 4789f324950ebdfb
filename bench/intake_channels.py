"""Intake acceptance benchmark: web, SMS and Open311 submissions through the front door.

Starts a dedicated stack (own ports, data under .run/bench-intake), then for each channel sends
N submissions with C concurrent clients as fast as they are accepted and prints accepted/s and
the p50/p99 acceptance latency (request -> 201, the report durable with its event staged).
Every text is distinct (no near-duplicate shortcut) and every SMS comes from its own phone
(no rate limit in the way); web and Open311 come from 127.0.0.1, which the local config exempts.

    python bench/intake_channels.py [--reports 400] [--clients 16] [--intake-only] [--keep]

``--intake-only`` starts RabbitMQ, the store, intake and the front door but not the other four
services, to separate intake's own cost from the load the rest of the stack puts on the store.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

import requests
from nameko.standalone.rpc import ClusterRpcProxy

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _stack import LOCAL, bench_env, script, urls  # noqa: E402

OFFSET = 57
PLACES = ["Singaraja", "Belopa", "Sampit", "Pelaihari", "Seririt", "Kubutambahan", "Baamang", "Takisung"]
PROBLEMS = ["jalan berlubang", "lampu jalan mati", "drainase tersumbat", "jembatan retak", "sampah menumpuk",
            "air PDAM keruh", "puskesmas tutup", "guru tidak hadir"]


def text(i: int) -> str:
    return (f"{PROBLEMS[i % 8].capitalize()} di dekat {PLACES[(i // 8) % 8]} nomor {i} sejak "
            f"{(i % 27) + 1} hari lalu, warga RT {i % 13} sudah mengeluh {i % 5 + 2} kali")


def web(base: str, i: int, session: requests.Session) -> requests.Response:
    return session.post(f"{base}/reports", timeout=30, json={
        "title": f"Laporan uji {i}", "description": text(i), "classification": "complaint",
        "category_code": "infrastruktur", "region_code": "5108", "location_text": f"Jl. Uji {i}",
        "incident_date": (date.today() - timedelta(days=1)).isoformat(), "reporter": {"email": f"u{i}@example.com"}})


def sms(base: str, i: int, session: requests.Session, gateway: dict) -> requests.Response:
    return session.post(f"{base}/channels/sms", timeout=30, headers=gateway, data={
        "message_id": f"bench-{time.time_ns()}-{i}", "from": f"+62812{i:07d}", "text": f"Buleleng {text(i)}"})


def open311(base: str, i: int, session: requests.Session, key: str) -> requests.Response:
    return session.post(f"{base}/open311/v2/requests.json", timeout=30, data={
        "api_key": key, "service_code": "lingkungan", "jurisdiction_id": "6202", "address_string": f"Jl. Uji {i}",
        "description": text(i)})


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def run(name: str, send, count: int, clients: int) -> dict:
    local = threading.local()
    latencies: list[float] = []
    failures: list[int] = []
    lock = threading.Lock()

    def one(i: int) -> None:
        session = getattr(local, "s", None) or requests.Session()
        local.s = session
        t0 = time.perf_counter()
        response = send(i, session)
        elapsed = time.perf_counter() - t0
        with lock:
            (latencies.append(elapsed) if response.status_code == 201 else failures.append(response.status_code))

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(one, range(count)))
    wall = time.perf_counter() - started
    return {"channel": name, "sent": count, "accepted": len(latencies), "failed": len(failures),
            "per_s": len(latencies) / wall, "p50_ms": 1000 * statistics.median(latencies),
            "p99_ms": 1000 * pct(latencies, 99)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reports", type=int, default=400)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--keep", action="store_true", help="leave the bench stack running")
    parser.add_argument("--intake-only", action="store_true", help="no routing/followup/notification/assessment")
    args = parser.parse_args()
    env = bench_env("intake", OFFSET, one_store=True)
    print(f"starting a dedicated {'intake-only ' if args.intake_only else ''}stack (own ports, data under "
          ".run/bench-intake) ...", flush=True)
    if args.intake_only:
        for part, extra in (("rabbitmq.sh", []), ("store.sh", []), ("services.sh", ["intake"]), ("frontdoor.sh", [])):
            subprocess.run([str(LOCAL / part), "start", *extra], env=env, check=True, stdout=subprocess.DEVNULL)
    else:
        script("stack.sh", "start", env)
    base = urls(env)["http"]
    try:
        with ClusterRpcProxy({"AMQP_URI": urls(env)["amqp"]}, timeout=10) as rpc:
            key = rpc.intake.issue_open311_key("bench")["api_key"]
        line = (Path(env["LAPOR_RUN_DIR"]) / "channel-gateways.env").read_text().strip()  # services.sh made it
        sms_secret = dict(i.split(":", 1) for i in line.split("=", 1)[1].split(","))["sms"].split("=", 1)[1]
        gateway = {"Authorization": f"Bearer {sms_secret}"}
        warm = requests.Session()
        for i in range(20):  # warm-up: connections, indexes, registry cache
            web(base, 10**6 + i, warm)
        rows = [run("web", lambda i, s: web(base, i, s), args.reports, args.clients),
                run("sms", lambda i, s: sms(base, i, s, gateway), args.reports, args.clients),
                run("open311", lambda i, s: open311(base, i, s, key), args.reports, args.clients)]
    finally:
        if not args.keep:
            script("stack.sh", "stop", env)
    print(f"\nmachine load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"\n{'channel':<10}{'sent':>6}{'accepted':>9}{'failed':>7}{'accepted/s':>11}{'p50 ms':>8}{'p99 ms':>8}")
    for r in rows:
        print(f"{r['channel']:<10}{r['sent']:>6}{r['accepted']:>9}{r['failed']:>7}{r['per_s']:>11.1f}"
              f"{r['p50_ms']:>8.1f}{r['p99_ms']:>8.1f}")


if __name__ == "__main__":
    main()

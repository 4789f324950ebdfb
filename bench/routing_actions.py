"""Routing through its real deployment: decisions per second from report_received events, and
officials' workflow actions per second through the HTTP API.

    LAPOR_BENCH_PORT_OFFSET=30 PYTHONPATH=services/contract:services/routing .venv/bin/python bench/routing_actions.py

Starts RabbitMQ and the store through deploy/local on the test servers' ports for the offset
(tests/conftest.py server_env; reusing them when already running), runs routing as its own `nameko run` process (deploy/local/services.sh) on a
database of its own, imports the demo registry, then
1. publishes N report_received events and times until routing has recorded all N (consume,
   decide, one transaction with the audit entry and the outbox event);
2. has the national admin verify and disposition each report over HTTP from C concurrent
   clients, and reports actions per second and the latency percentiles.
"""
from __future__ import annotations

import os
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from _stack import bench_env, script, urls  # noqa: E402
N = int(os.environ.get("BENCH_REPORTS", "400"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "8"))
OFFSET = int(os.environ.get("LAPOR_BENCH_PORT_OFFSET", os.environ.get("LAPOR_TEST_PORT_OFFSET", "10")))
DATABASE = f"lapor_bench_routing_{os.getpid()}"


def percentile(values: list[float], q: float) -> float:
    return sorted(values)[min(len(values) - 1, int(q * len(values)))]


def main() -> None:
    from nameko.standalone.events import event_dispatcher

    from contract import events
    from contract.store import acquire_client
    from routing import cli
    from tests.unit.routing.factories import received_event

    env = {**bench_env("routing-actions", OFFSET, one_store=True), "ROUTING_DATABASE": DATABASE}
    mongodb_uri = f"mongodb://127.0.0.1:{env['LAPOR_STORE_PORT']}/?retryWrites=false&directConnection=true"
    amqp_uri = urls(env)["amqp"]
    script("rabbitmq.sh", "start", env)
    script("store.sh", "start", env)
    client = acquire_client(mongodb_uri)
    config = {"MONGODB_URI": mongodb_uri, "MONGODB_DATABASE": DATABASE}
    cli.import_file(str(ROOT / "deploy" / "demo" / "region.yml"), config)
    headers = {"Authorization": f"Bearer {cli.issue_token('nas-admin-1', 1, config)}"}
    script("services.sh", "start", env, "routing")
    base = f"http://127.0.0.1:{int(env['LAPOR_HTTP_PORT']) + 2}"
    try:
        dispatch = event_dispatcher({"AMQP_URI": amqp_uri})
        payloads = [received_event(region_code="7371", category_code="kesehatan") for _ in range(N)]
        started = time.perf_counter()
        for payload in payloads:
            dispatch("intake", events.REPORT_RECEIVED, payload)
        reports = client[DATABASE].reports
        while reports.count_documents({}) < N:
            time.sleep(0.02)
        routed = time.perf_counter() - started
        print(f"routing decisions through the broker and store: {N} reports in {routed:.2f} s "
              f"-> {N / routed:,.0f} decisions/s (consume + decide + transaction + outbox)")

        session = requests.Session()
        latencies: list[float] = []

        def walk(tracking_id: str) -> None:
            for action, body in (("verify", {}), ("disposition", {"agency_code": "PEMKAB-LUWU"})):
                t0 = time.perf_counter()
                response = session.post(f"{base}/admin/reports/{tracking_id}/{action}", json=body, headers=headers,
                                        timeout=30)
                latencies.append(time.perf_counter() - t0)
                assert response.status_code == 200, response.text

        started = time.perf_counter()
        with ThreadPoolExecutor(CLIENTS) as pool:
            list(pool.map(walk, [p["tracking_id"] for p in payloads]))
        elapsed = time.perf_counter() - started
        assert client[DATABASE].audit.count_documents({"action": "disposition"}) == N
        print(f"workflow actions through the HTTP API ({CLIENTS} clients, verify + disposition): {2 * N} actions "
              f"in {elapsed:.2f} s -> {2 * N / elapsed:,.0f} actions/s; latency p50 "
              f"{statistics.median(latencies) * 1000:.1f} ms, p99 {percentile(latencies, .99) * 1000:.1f} ms")
    finally:
        script("services.sh", "stop", env, "routing")
        drop(mongodb_uri)


def drop(mongodb_uri: str) -> None:
    """Drop the bench database, without hanging the bench if the store does not answer
    (seen once with SecantusDB 0.7.0b3 right after the service was stopped)."""
    from pymongo import MongoClient
    try:
        with MongoClient(mongodb_uri, socketTimeoutMS=15000, serverSelectionTimeoutMS=5000) as client:
            client.drop_database(DATABASE)
    except Exception as exc:
        print(f"warning: could not drop {DATABASE}: {exc}", file=sys.stderr)


if __name__ == "__main__":
    main()

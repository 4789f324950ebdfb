"""Store commands per report, broken down by service and command (from ``lapor_store_commands_total``).

Starts a dedicated stack (as ``bench/e2e.py`` does), offers N reports at a fixed rate, waits until
every report's notifications are queued and the stack is back to its idle rate, then prints the
difference of each service's ``lapor_store_commands_total{service,command}`` and committed
transactions, divided by N (the idle rate over the same time subtracted per service).

    PYTHONPATH=services/contract python bench/store_breakdown.py [--reports 200] [--rate 20] [--offset 130]
"""
from __future__ import annotations

import argparse
import shutil
import sys
import time
from collections import defaultdict
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _stack import bench_env, script, urls  # noqa: E402
from _load import SERVICES, idle_rate, offer, settle, wait_processed  # noqa: E402


def scrape(env: dict) -> dict[tuple[str, str], float]:
    """{(service, command or "txn:<outcome>"): count} over the five services' /metrics."""
    out: dict[tuple[str, str], float] = defaultdict(float)
    for i, service in enumerate(SERVICES, start=1):
        text = requests.get(f"http://127.0.0.1:{int(env['LAPOR_HTTP_PORT']) + i}/metrics", timeout=10).text
        for line in text.splitlines():
            if line.startswith("lapor_store_commands_total{"):
                labels, value = line.rsplit(" ", 1)
                command = labels.split('command="', 1)[1].split('"', 1)[0]
                out[(service, command)] += float(value)
            elif line.startswith("lapor_entrypoint_calls_total{") and 'entrypoint="consume_events"' in line:
                out[(service, "txn:batches")] += float(line.rsplit(" ", 1)[1])
            elif line.startswith("lapor_entrypoint_duration_seconds_sum{") and 'entrypoint="consume_events"' in line:
                out[(service, "txn:batch_seconds")] += float(line.rsplit(" ", 1)[1])
            elif line.startswith("lapor_events_handled_total{"):
                out[(service, "txn:events")] += float(line.rsplit(" ", 1)[1])
            elif line.startswith("lapor_store_transactions_total{"):
                labels, value = line.rsplit(" ", 1)
                outcome = labels.split('outcome="', 1)[1].split('"', 1)[0]
                out[(service, f"txn:{outcome}")] += float(value)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reports", type=int, default=200)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--offset", type=int, default=92)
    parser.add_argument("--keep", action="store_true", help="leave the bench stack running")
    args = parser.parse_args()
    env = bench_env(f"breakdown-{args.offset}", offset=args.offset)
    env["LAPOR_STORE_SYNC"] = "1"
    script("stack.sh", "stop", env)
    shutil.rmtree(env["LAPOR_RUN_DIR"], ignore_errors=True)
    script("stack.sh", "start", env)
    try:
        time.sleep(5)
        idle_before = scrape(env)
        t0 = time.time()
        idle = idle_rate(env)
        idle_after = scrape(env)
        idle_per_s = {k: (idle_after[k] - idle_before.get(k, 0.0)) / (time.time() - t0) for k in idle_after}
        before, t_start = scrape(env), time.time()
        offered = offer(urls(env)["http"], args.reports, args.clients, args.rate, 0)
        first, last = offered.first, offered.last_accept
        done = wait_processed(urls(env), offered.ids)
        processed_per_s = args.reports / (max(done.values()) - first)
        settle(env, idle)
        after, elapsed = scrape(env), time.time() - t_start
    finally:
        if not args.keep:
            script("stack.sh", "stop", env)
    per_report = {k: (after[k] - before.get(k, 0.0) - (0 if k[1].startswith("txn:") else idle_per_s.get(k, 0.0) * elapsed))
                  / args.reports for k in after}
    print(f"{args.reports} reports at {args.rate}/s: accepted {args.reports / (last - first):.1f}/s, "
          f"processed {processed_per_s:.1f}/s; idle {idle:.1f} commands/s subtracted\n")
    print(f"{'service':<14}{'command':<22}{'per report':>11}")
    totals: dict[str, float] = defaultdict(float)
    txns: dict[str, float] = defaultdict(float)
    batches: dict[str, float] = defaultdict(float)
    handled: dict[str, float] = defaultdict(float)
    batch_seconds: dict[str, float] = defaultdict(float)
    for (service, command), value in sorted(per_report.items()):
        if command.startswith("txn:"):
            if command == "txn:committed":
                txns[service] += value
            elif command == "txn:batches":
                batches[service] += value
            elif command == "txn:events":
                handled[service] += value
            elif command == "txn:batch_seconds":
                batch_seconds[service] += value
            continue
        if abs(value) >= 0.05:
            print(f"{service:<14}{command:<22}{value:>11.2f}")
        totals[service] += value
    print(f"\n{'service':<14}{'commands':>10}{'txns':>8}{'batches':>9}{'events':>8}   (per report)"
          f"{'ms/batch':>10}{'events/batch':>13}")
    for service in SERVICES:
        n = batches[service] or float("nan")
        print(f"{service:<14}{totals[service]:>10.1f}{txns[service]:>8.2f}{batches[service]:>9.2f}{handled[service]:>8.2f}"
              f"{'':>15}{1000 * batch_seconds[service] / n:>10.0f}{handled[service] / n:>13.1f}")
    print(f"{'all':<14}{sum(totals.values()):>10.1f}{sum(txns.values()):>8.2f}{sum(batches.values()):>9.2f}"
          f"{sum(handled.values()):>8.2f}")


if __name__ == "__main__":
    main()

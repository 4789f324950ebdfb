"""End-to-end benchmark: reports over HTTP through the whole stack, and the raw broker rate.

Starts a dedicated stack (own ports and data folder), then runs the phases asked for (``--phases``,
all by default, in this order):
  fixed      N reports offered at a fixed rate (C concurrent clients);
  fast       N reports as fast as they are accepted;
  sustained  --sustained-rate reports/s offered for --sustained-seconds (default 30/s x 120 s): all
             accepted?, acceptance p99 (target <= 250 ms), end-to-end p99 (target <= 2 s);
  backlog    --backlog notifications queued and as many events waiting in notification's queue
             (default 10,000 + 10,000; bench/_backlog.py says how): acceptance p99 while they drain
             (target <= 250 ms) and the drain rate (emails taken by the stack's SMTP sink per second);
  broker     the raw broker in the same run: kombu, persistent messages, publisher confirms, publish
             then consume, so the platform/broker ratio can be read.
For the report phases: reports/s accepted, reports/s fully processed (both notifications queued),
p50/p99 acceptance latency (POST -> 201) and end-to-end latency (201 -> last notification queued),
store commands and transactions per report (the services' lapor_store_*_total, idle work subtracted).
For every phase: CPU seconds of each part of the stack and of the load generator (/proc, bench/_procs.py)
and the load average before and after, to show which part of the machine is the wall.

    python bench/e2e.py [--reports 500] [--rate 50] [--clients 16] [--phases fixed,fast,sustained,backlog,broker]
                        [--sustained-rate 30] [--sustained-seconds 120] [--backlog 10000] [--offset N] [--keep]
                        [--one-store]   (one store process for the five services; default: one each)
"""
from __future__ import annotations

import argparse
import collections
import os
import re
import shutil
import signal
import statistics
import sys
import time
from pathlib import Path

from kombu import Connection, Exchange, Producer, Queue

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "services" / "contract"))
from _backlog import backlog_phase, describe  # noqa: E402
from _load import accepted_at, idle_rate, pct, settle, store_work, wait_processed, offer  # noqa: E402
from _procs import Meter, loadavg, table, verdict  # noqa: E402
from _stack import bench_env, script, urls  # noqa: E402

PHASES = ("fixed", "fast", "sustained", "backlog", "broker")


def phase(name: str, env: dict, count: int, clients: int, rate: float | None, start_index: int,
          idle: float) -> dict:
    u = urls(env)
    work_before, t_before = store_work(env), time.time()
    meter = Meter(env["LAPOR_RUN_DIR"]).start()
    offered = offer(u["http"], count, clients, rate, start_index)
    ids = offered.ids
    done = wait_processed(u, ids)
    cpu = meter.stop()
    received = accepted_at(u["stores"]["intake"], ids)
    e2e = [done[t] - received[t] for t in ids if t in done and t in received]
    acceptance = offered.latencies
    settle(env, idle)
    work_after, t_after = store_work(env), time.time()
    commands = work_after[0] - work_before[0] - idle * (t_after - t_before)
    accepted = max(1, len(ids))
    last_done = max(done.values(), default=offered.first + 1)
    return {"commands_per_report": commands / accepted,
            "transactions_per_report": (work_after[1] - work_before[1]) / accepted,
            "phase": name, "reports": count, "clients": clients, "offered_rate": rate,
            "sent": offered.sent, "accepted": len(ids), "failures": offered.failures, "late": offered.late,
            "processed": len(done), "cpu": cpu,
            "sent_per_s": offered.sent / max(1e-9, offered.last_send - offered.first),
            "accepted_per_s": len(ids) / max(1e-9, offered.last_accept - offered.first),
            "processed_per_s": len(done) / max(1e-9, last_done - offered.first),
            "accept_p50_ms": 1000 * pct(acceptance, 50), "accept_p99_ms": 1000 * pct(acceptance, 99),
            "e2e_p50_ms": 1000 * pct(e2e, 50), "e2e_p99_ms": 1000 * pct(e2e, 99),
            "e2e_mean_ms": 1000 * statistics.fmean(e2e) if e2e else float("nan"),
            "refusal_p50_ms": 1000 * pct(offered.refusal_latencies, 50),
            "refusal_p99_ms": 1000 * pct(offered.refusal_latencies, 99)}


def failure_kinds(failures: list[str]) -> str:
    """``503 overloaded: 12, 503 unavailable: 3``: failures by status and the API error's code."""
    kinds = collections.Counter(
        f.split(" ", 1)[0] + (" " + m.group(1) if (m := re.search(r'"code": ?"([a-z_]+)"', f)) else "")
        for f in failures)
    return ", ".join(f"{kind}: {n}" for kind, n in kinds.most_common())


def describe_sustained(r: dict, seconds: float) -> str:
    all_in = r["accepted"] == r["reports"]
    failures = sorted(set(r["failures"]))[:3]
    return "\n".join([
        f"sustained: {r['offered_rate']:.0f} reports/s offered for {seconds:.0f} s ({r['clients']} clients): "
        f"{r['sent']}/{r['reports']} sent ({r['sent_per_s']:.1f}/s, {r['late']} late by > 100 ms), "
        f"{r['accepted']} accepted - all accepted: {'yes' if all_in else 'NO'}"
        + (f" (failures: {len(r['failures'])}, e.g. {failures})" if r["failures"] else ""),
        *([f"  refused: {failure_kinds(r['failures'])}; answered in p50 {r['refusal_p50_ms']:.0f} ms, "
           f"p99 {r['refusal_p99_ms']:.0f} ms; accepted {r['accepted_per_s']:.1f}/s"] if r["failures"] else []),
        f"  acceptance p50 {r['accept_p50_ms']:.0f} ms, p99 {r['accept_p99_ms']:.0f} ms (target <= 250): "
        f"{'met' if all_in and r['accept_p99_ms'] <= 250 else 'not met'}",
        f"  end-to-end (201 -> notifications queued) p50 {r['e2e_p50_ms']:.0f} ms, p99 {r['e2e_p99_ms']:.0f} ms "
        f"(target <= 2000): {'met' if r['processed'] == r['accepted'] and r['e2e_p99_ms'] <= 2000 else 'not met'}; "
        f"{r['processed']}/{r['accepted']} processed, {r['processed_per_s']:.1f}/s",
        f"  store work: {r['commands_per_report']:.1f} commands and {r['transactions_per_report']:.1f} "
        f"transactions per report"])


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
    parser.add_argument("--reports", type=int, default=500, help="reports in the fixed and fast phases")
    parser.add_argument("--rate", type=float, default=50.0, help="offered reports/s of the fixed phase")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--phases", default=",".join(PHASES), help=f"comma-separated subset of {','.join(PHASES)}")
    parser.add_argument("--sustained-rate", type=float, default=30.0)
    parser.add_argument("--sustained-seconds", type=float, default=120.0)
    parser.add_argument("--sustained-clients", type=int, default=48, help="enough that 30/s stays open-loop")
    parser.add_argument("--backlog", type=int, default=10000,
                        help="notifications queued, and as many events waiting, before the drain")
    parser.add_argument("--backlog-rate", type=float, default=10.0, help="reports/s offered while the backlog drains")
    parser.add_argument("--backlog-max-seconds", type=float, default=1800.0)
    parser.add_argument("--broker-messages", type=int, default=5000)
    parser.add_argument("--keep", action="store_true", help="leave the bench stack running")
    parser.add_argument("--no-sync", action="store_true",
                        help="store without fsync per commit (LAPOR_STORE_SYNC=0), to show what fsync costs")
    parser.add_argument("--one-store", action="store_true",
                        help="one store process for all five services (LAPOR_STORE_PER_SERVICE=0); default one each")
    parser.add_argument("--offset", type=int, default=None,
                        help="port offset of the bench stack (contract.localstack.ports); default 90, 91 with --no-sync")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # `timeout` or kill: still stop the bench stack
    phases = [p.strip() for p in args.phases.split(",") if p.strip()]
    unknown = sorted(set(phases) - set(PHASES))
    if unknown:
        parser.error(f"--phases: unknown {unknown}; choose from {','.join(PHASES)}")
    offset = args.offset if args.offset is not None else (91 if args.no_sync else 90)
    name = "e2e-nosync" if args.no_sync else "e2e"
    env = bench_env(name if args.offset is None else f"{name}-{offset}", offset=offset)
    env["LAPOR_STORE_SYNC"] = "0" if args.no_sync else "1"
    env["LAPOR_STORE_PER_SERVICE"] = "0" if args.one_store else "1"
    print(f"stores: {'one for the five services' if args.one_store else 'one per service'}; "
          f"store fsync per commit: {'off' if args.no_sync else 'on'}; phases: {','.join(phases)}; "
          f"load average {loadavg()} (1/5/15 min)")
    print(f"starting a dedicated stack (own ports, fresh data under {env['LAPOR_RUN_DIR']}) ...", flush=True)
    script("stack.sh", "stop", env)  # a stack left by an interrupted run, and its queued backlog, go first
    shutil.rmtree(env["LAPOR_RUN_DIR"], ignore_errors=True)
    script("stack.sh", "start", env)
    rows, cpu, sustained, backlog, raw, index = [], [], None, None, None, 0
    try:
        time.sleep(5)
        idle = idle_rate(env)
        for key, label, rate in (("fixed", "fixed-rate", args.rate), ("fast", "as-fast-as-accepted", None)):
            if key in phases:
                print(f"phase {label} ...", flush=True)
                rows.append(phase(label, env, args.reports, args.clients, rate, index, idle))
                print(f"  {label}: {rows[-1]['accepted_per_s']:.1f} accepted/s, {rows[-1]['processed_per_s']:.1f} "
                      f"processed/s, acceptance p99 {rows[-1]['accept_p99_ms']:.0f} ms; {verdict(label, rows[-1]['cpu'])}",
                      flush=True)
                cpu.append((label, rows[-1]["cpu"], rows[-1]["accepted"], "rep"))
                index += args.reports
        if "sustained" in phases:
            print(f"phase sustained ({args.sustained_rate:.0f}/s for {args.sustained_seconds:.0f} s) ...", flush=True)
            count = int(args.sustained_rate * args.sustained_seconds)
            sustained = phase("sustained", env, count, args.sustained_clients, args.sustained_rate, index, idle)
            cpu.append((f"sustained {args.sustained_rate:.0f}/s", sustained["cpu"], sustained["accepted"], "rep"))
            index += count
            print(describe_sustained(sustained, args.sustained_seconds), flush=True)
        if "backlog" in phases:
            print(f"phase backlog ({args.backlog} + {args.backlog}) ...", flush=True)
            backlog = backlog_phase(env, args.backlog, args.backlog_rate, args.sustained_clients, index,
                                    args.backlog_max_seconds, lambda: Meter(env["LAPOR_RUN_DIR"]).start())
            cpu.append((f"backlog drain {args.backlog}x2", backlog["cpu"], backlog["sent"], "email"))
            print(describe(backlog), flush=True)
        if "broker" in phases:
            raw = broker_rate(urls(env)["amqp"], args.broker_messages)
    finally:
        if not args.keep:
            script("stack.sh", "stop", env)
    if rows:
        print(f"\n{'phase':<22}{'reports':>8}{'offered/s':>10}{'accepted/s':>11}{'processed/s':>12}"
              f"{'acc p50 ms':>11}{'acc p99 ms':>11}{'e2e p50 ms':>11}{'e2e p99 ms':>11}{'cmds/rep':>9}{'txns/rep':>9}")
    for r in rows:
        offered = f"{r['offered_rate']:.0f}" if r["offered_rate"] else "max"
        print(f"{r['phase']:<22}{r['reports']:>8}{offered:>10}{r['accepted_per_s']:>11.1f}{r['processed_per_s']:>12.1f}"
              f"{r['accept_p50_ms']:>11.1f}{r['accept_p99_ms']:>11.1f}{r['e2e_p50_ms']:>11.1f}{r['e2e_p99_ms']:>11.1f}"
              f"{r['commands_per_report']:>9.1f}{r['transactions_per_report']:>9.1f}")
        if r["failures"] or r["processed"] < r["accepted"]:
            print(f"  ({r['phase']}: {len(r['failures'])} failed, {r['processed']}/{r['accepted']} processed)")
    if sustained:
        print("\n" + describe_sustained(sustained, args.sustained_seconds))
    if backlog:
        print("\n" + describe(backlog))
    print(f"\nidle: {idle:.1f} store commands/s (five services together, no traffic)")
    if raw:
        print(f"\nraw broker (kombu, persistent, confirms, {raw['messages']} msgs): "
              f"publish {raw['publish_confirmed_per_s']:.0f}/s, consume {raw['consume_per_s']:.0f}/s, "
              f"publish+consume {raw['publish_and_consume_per_s']:.0f}/s")
    fast = next((r for r in rows if r["offered_rate"] is None), None)
    if raw and fast:
        print(f"ratio: platform processed {fast['processed_per_s']:.1f} reports/s vs raw broker "
              f"{raw['publish_and_consume_per_s']:.0f} msgs/s = {fast['processed_per_s'] / raw['publish_and_consume_per_s']:.4f}; "
              f"each report cost {fast['commands_per_report']:.0f} store commands and "
              f"{fast['transactions_per_report']:.1f} transactions (from lapor_store_*_total, idle work subtracted)")
    if cpu:
        print("\nwhere the CPU went (per phase: CPU seconds, cores kept busy on average, CPU ms per unit; "
              f"{os.cpu_count()} cores):")
        print(table(cpu))
    print(f"\nload average at the end: {loadavg()}")


if __name__ == "__main__":
    main()

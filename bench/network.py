"""Five-hub benchmark: latency of each hop on the longest path of the tree, 5108 -> 51 -> ID -> 73 -> 7317.

Starts the five hubs of deploy/hubs/network.yml (make run-network's: ID, 51, 5108, 73, 7317) on
their own ports (base offset 240 by default: 240..244; make run-network uses 230) unless they are
running, then files N Luwu reports at Buleleng one at a time (idle latency) and times each
report's transfer on its way, all on this machine's one clock:

  staged   the origin's `hub_waiting` history entry (intake staged the transfer in its outbox, in
           the report's transaction);
  out@H    the transfer published by hub H on its `lapor.hubs.out` exchange for the next hop: a tap
           queue of this benchmark bound next to `lapor.hubs.out.<next>` on H's broker receives a
           copy (the shovel takes the original), at 5108, 51, ID and 73;
  received the owner's `hub_received` history entry (stamped when 7317's intake starts handling
           the transfer: its store commit is not included; the origin's `hub_waiting` is stamped the
           same way, so hop 0 includes the origin's commit).

Hop 0 (outbox relay at 5108) = out@5108 - staged; hop 1 (5108 -> 51: shovel, 51's intake relays
and republishes) = out@51 - out@5108; hops 2, 3 likewise; hop 4 (73 -> 7317: shovel, 7317's intake
takes it up) = received - out@73. Also the round trip the citizen sees: filed at 5108 until
5108's page shows 7317's `hub_accepted` (polled every 20 ms). Prints p50/p99 of each, the hubs'
memory (deploy/hubs/memory.py) and the load.

    python bench/network.py [--reports 50] [--offset 240] [--keep]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import requests
from kombu import Connection, Consumer, Exchange, Queue

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "services" / "contract"))
sys.path.insert(0, str(ROOT / "deploy" / "hubs"))
from contract import hubnet, localstack  # noqa: E402
import memory  # noqa: E402

HUBS_FILE = ROOT / "deploy" / "hubs" / "network.yml"
PATH = ["5108", "51", "ID", "73", "7317"]
HOPS = ["hop 0: outbox 5108", "hop 1: 5108 -> 51", "hop 2: 51 -> ID", "hop 3: ID -> 73", "hop 4: 73 -> 7317"]


def report(i: int) -> dict:
    return {"title": f"Laporan uji jaringan {i}", "classification": "complaint", "category_code": "infrastruktur",
            "region_code": "7317", "location_text": "Belopa, Luwu",
            "incident_date": (date.today() - timedelta(days=1)).isoformat(),
            "description": "Jalan berlubang besar di Belopa, Luwu, sejak Senin membahayakan pengendara motor.",
            "reporter": {"name": "Pelapor Uji", "email": f"uji{i}@example.com"}}


class Hub:
    def __init__(self, code: str, hubs_env: dict):
        out = subprocess.run([str(ROOT / "deploy" / "hubs" / "hubs.sh"), "env", code, str(HUBS_FILE)],
                             env=hubs_env, check=True, capture_output=True, text=True).stdout
        self.code, self.env = code, dict(p.split("=", 1) for line in out.splitlines()
                                         for p in line.removeprefix("export ").split())
        self.amqp = localstack.env_uris(self.env)["amqp"]
        self.url = f"http://127.0.0.1:{self.env['LAPOR_HTTP_PORT']}"
        self.run_dir = Path(self.env["LAPOR_RUN_DIR"])

    def history(self, tracking_id: str) -> list[dict] | None:
        answer = requests.get(f"{self.url}/reports/{tracking_id}", timeout=10, allow_redirects=False)
        return answer.json()["history"] if answer.status_code == 200 else None


class Tap(threading.Thread):
    """Copies of the transfers hub H publishes for ``next_hop``: tracking ID -> wall-clock arrival."""

    def __init__(self, hub: Hub, next_hop: str):
        super().__init__(daemon=True)
        self.hub, self.next_hop, self.seen, self.ready, self.stopping = hub, next_hop, {}, threading.Event(), False

    def run(self) -> None:
        with Connection(self.hub.amqp) as connection:
            queue = Queue(f"bench.network.tap.{self.next_hop}", Exchange(hubnet.OUT_EXCHANGE, type="direct",
                                                                          passive=True),
                          routing_key=self.next_hop, exclusive=True, auto_delete=True, durable=False)
            with Consumer(connection.channel(), [queue], callbacks=[self.on_message], accept=None, no_ack=True):
                self.ready.set()
                while not self.stopping:
                    try:
                        connection.drain_events(timeout=0.5)
                    except TimeoutError:
                        pass

    def on_message(self, body, message) -> None:
        arrived = time.time()
        try:
            data = json.loads(message.body)
        except (TypeError, ValueError):
            return
        if data.get("kind") == "transfer":
            self.seen.setdefault(data["tracking_id"], arrived)


def at(entry: dict) -> float:
    return datetime.fromisoformat(entry["at"]).timestamp()


def until(predicate, timeout: float, interval: float = 0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise RuntimeError(f"timed out after {timeout} s")


def step_at(history: list[dict] | None, step: str) -> float | None:
    return next((at(h) for h in history or [] if h["step"] == step), None)


def one_report(hubs: dict[str, Hub], taps: dict[str, Tap], i: int) -> tuple[list[float], float]:
    origin, owner = hubs[PATH[0]], hubs[PATH[-1]]
    filed = time.time()
    answer = requests.post(f"{origin.url}/reports", json=report(i), timeout=30)
    answer.raise_for_status()
    tracking_id = answer.json()["tracking_id"]
    accepted = until(lambda: step_at(origin.history(tracking_id), "hub_accepted") and time.time(), timeout=60)
    received = until(lambda: step_at(owner.history(tracking_id), "hub_received"), timeout=30)
    staged = step_at(origin.history(tracking_id), "hub_waiting")
    outs = [until(lambda code=code: taps[code].seen.get(tracking_id), timeout=10) for code in PATH[:-1]]
    marks = [staged, *outs, received]
    return [b - a for a, b in zip(marks, marks[1:])], accepted - filed


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def ms(values: list[float]) -> str:
    return f"p50 {statistics.median(values) * 1000:6.0f} ms, p99 {pct(values, 0.99) * 1000:6.0f} ms"


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load: {one:.1f} {five:.1f} {fifteen:.1f} (1/5/15 min), {os.cpu_count()} CPUs"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reports", type=int, default=50)
    parser.add_argument("--offset", type=int, default=240)
    parser.add_argument("--dir", default=str(ROOT / ".run" / "bench-network"))
    parser.add_argument("--keep", action="store_true", help="leave the hubs running")
    args = parser.parse_args()
    hubs_env = {**os.environ, "LAPOR_HUBS_DIR": str(Path(args.dir).resolve()), "LAPOR_HUBS_OFFSET": str(args.offset)}
    script = str(ROOT / "deploy" / "hubs" / "hubs.sh")
    try:
        started = time.monotonic()
        subprocess.run([script, "start", str(HUBS_FILE)], env=hubs_env, check=True, stdout=subprocess.DEVNULL)
        print(f"five hubs started in {time.monotonic() - started:.0f} s (offsets {args.offset}..{args.offset + 4})")
        hubs = {code: Hub(code, hubs_env) for code in PATH}
        tree = memory._children()
        for code, hub in hubs.items():
            m = memory.measure(hub.run_dir, tree)
            print(f"hub {code:>4}: {m['processes']} processes, RSS {m['rss_mib']:.0f} MiB, PSS {m['pss_mib']:.0f} MiB")
        taps = {code: Tap(hubs[code], nxt) for code, nxt in zip(PATH, PATH[1:])}
        for tap in taps.values():
            tap.start()
            tap.ready.wait(10)
        print(load())
        one_report(hubs, taps, -1)  # warm-up (first connections, first transfer), not counted
        hops, round_trips = [[] for _ in HOPS], []
        for i in range(args.reports):
            per_hop, round_trip = one_report(hubs, taps, i)
            for values, value in zip(hops, per_hop):
                values.append(value)
            round_trips.append(round_trip)
        print(f"longest path 5108 -> 51 -> ID -> 73 -> 7317, {args.reports} Luwu reports filed at Buleleng one at a time:")
        for name, values in zip(HOPS, hops):
            print(f"  {name:<20} {ms(values)}")
        links = [sum(v) for v in zip(*hops[1:])]
        per_link = [v for values in hops[1:] for v in values]
        print(f"  {'one link (1-4)':<20} {ms(per_link)}   (the four links pooled: {len(per_link)} hops)")
        print(f"  {'staged -> taken up':<20} {ms([sum(v) for v in zip(*hops)])}   (4 links: {ms(links)})")
        print(f"  {'round trip':<20} {ms(round_trips)}   (filed at 5108 until 5108 shows 7317's acceptance)")
        print(load())
        for tap in taps.values():
            tap.stopping = True
    finally:
        if not args.keep:
            subprocess.run([script, "stop", str(HUBS_FILE)], env=hubs_env, stdout=subprocess.DEVNULL)


if __name__ == "__main__":
    main()

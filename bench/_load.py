"""The load side of bench/e2e.py: web reports offered over HTTP, and what the stack made of them.

``offer`` is an open-loop generator: report i is due at ``start + i / rate`` whatever happened to the
ones before (as long as a client thread is free), so a slow stack is not offered less; a send that
leaves more than 100 ms after its due time is counted as late (then the stack, or the machine, held
up the generator itself). Failed requests are counted, not raised.
"""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from urllib.parse import quote

import requests
from pymongo import MongoClient

REGIONS = [("5108", "infrastruktur"), ("7317", "kesehatan"), ("6202", "lingkungan"), ("6301", "pendidikan")]
SERVICES = ("intake", "routing", "followup", "notification", "assessment")
COMMANDS = "lapor_store_commands_total"
COMMITTED = 'lapor_store_transactions_total{outcome="committed"'
LATE_S = 0.1


def report(i: int, email: str | None = None) -> dict:
    region, category = REGIONS[i % len(REGIONS)]
    return {"title": f"Laporan uji beban {i}", "classification": "complaint", "category_code": category,
            "region_code": region, "location_text": f"Jl. Uji Beban No. {i}", "incident_date": (date.today() - timedelta(days=1)).isoformat(),
            "description": "Jalan berlubang di depan sekolah sejak minggu lalu, membahayakan pengendara motor.",
            "reporter": {"name": "Pelapor Uji", "email": email or f"uji{i}@example.com"}}


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))] if ordered else float("nan")


class Offered:
    """What one ``offer`` did: accepted (tracking_id, latency s), failures, late sends, times."""

    def __init__(self):
        self.accepted: list[tuple[str, float]] = []
        self.failures: list[str] = []
        self.refusal_latencies: list[float] = []  # time to a 503 answer (admission control, deadlines)
        self.late = 0
        self.sent = 0
        self.first = self.last_send = self.last_accept = 0.0

    @property
    def latencies(self) -> list[float]:
        return [lat for _, lat in self.accepted]

    @property
    def ids(self) -> list[str]:
        return [tid for tid, _ in self.accepted]


def offer(base: str, count: int, clients: int, rate: float | None, start_index: int,
          stop: threading.Event | None = None, email: str | None = None) -> Offered:
    """POST up to ``count`` reports (fewer if ``stop`` is set first), ``rate`` per second or as fast as
    ``clients`` concurrent clients are answered."""
    session_local = threading.local()
    out, lock = Offered(), threading.Lock()
    out.first = started = time.time()

    def send(i: int) -> None:
        if stop is not None and stop.is_set():
            return
        if rate:
            delay = started + (i - start_index) / rate - time.time()
            if delay > 0:
                if stop is not None:
                    stop.wait(delay)
                else:
                    time.sleep(delay)
            elif -delay > LATE_S:
                with lock:
                    out.late += 1
            if stop is not None and stop.is_set():
                return
        session = getattr(session_local, "s", None) or requests.Session()
        session_local.s = session
        t0 = time.perf_counter()
        with lock:
            out.sent += 1
            out.last_send = time.time()
        try:
            response = session.post(f"{base}/reports", json=report(i, email and email.format(i=i)), timeout=30)
            ok = response.status_code == 201
            failure = None if ok else f"{response.status_code} {response.text[:120]}"
        except requests.RequestException as exc:
            ok, failure = False, f"{type(exc).__name__}"
        latency = time.perf_counter() - t0
        with lock:
            if ok:
                out.accepted.append((response.json()["tracking_id"], latency))
                out.last_accept = time.time()
            else:
                out.failures.append(failure)
                if failure.startswith("503"):
                    out.refusal_latencies.append(latency)

    pool = ThreadPoolExecutor(max_workers=clients)
    try:
        list(pool.map(send, range(start_index, start_index + count)))
    finally:  # interrupted: drop what was not sent yet
        pool.shutdown(wait=False, cancel_futures=True)
    return out


def queue_depths(api: str) -> dict[str, int]:
    """Messages (ready + unacked) in every queue of the bench broker, from the management API."""
    rows = requests.get(f"{api}/api/queues/{quote('/', safe='')}?columns=name,messages", timeout=10).json()
    return {r["name"]: int(r.get("messages") or 0) for r in rows}


def is_event_queue(name: str) -> bool:
    """A service's event queue: ``<service>.inbox`` (``<service>.events`` before issue 13's broker users)."""
    return name.split(".")[0] in SERVICES and name.endswith((".inbox", ".events"))


def event_queue_depth(api: str, service: str) -> int:
    return sum(n for name, n in queue_depths(api).items() if is_event_queue(name) and name.startswith(service + "."))


def events_backlog(api: str) -> int:
    return sum(n for name, n in queue_depths(api).items() if is_event_queue(name))


def wait_processed(uris: dict, tracking_ids: list[str], stall: float = 120.0, every: float = 2.0) -> dict[str, float]:
    """Time (epoch s) each report's second notification was queued (read from the store once the
    services' event queues are empty, so waiting costs the store little). Gives up, returning what is
    done, when neither the queues shrink nor a report completes for ``stall`` seconds."""
    client = MongoClient(uris["stores"]["notification"], tz_aware=True)
    notifications = client["lapor_notification"]["notifications"]
    done: dict[str, float] = {}
    best, progress_at = None, time.time()
    try:
        while True:
            backlog = events_backlog(uris["api"])
            if best is None or backlog < best:
                best, progress_at = backlog, time.time()
            if backlog == 0:
                pending = [t for t in tracking_ids if t not in done]
                for chunk in range(0, len(pending), 500):
                    for row in notifications.aggregate([
                            {"$match": {"tracking_id": {"$in": pending[chunk:chunk + 500]}}},
                            {"$group": {"_id": "$tracking_id", "n": {"$sum": 1}, "last": {"$max": "$created_at"}}}]):
                        if row["n"] >= 2:
                            done[row["_id"]] = row["last"].timestamp()
                if len(done) > len(tracking_ids) - len(pending):
                    progress_at = time.time()
                if len(done) == len(tracking_ids):
                    return done
            if time.time() - progress_at > stall:
                return done
            time.sleep(every)
    finally:
        client.close()


def accepted_at(mongodb: str, tracking_ids: list[str]) -> dict[str, float]:
    client = MongoClient(mongodb, tz_aware=True)
    out = {}
    for chunk in range(0, len(tracking_ids), 500):
        rows = client["lapor_intake"]["reports"].find({"_id": {"$in": tracking_ids[chunk:chunk + 500]}},
                                                      {"received_at": 1})
        out.update({r["_id"]: r["received_at"].timestamp() for r in rows})
    client.close()
    return out


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

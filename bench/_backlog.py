"""The backlog phase of bench/e2e.py: the front door while 2 x N notifications drain.

Built on the real stack, the way a backlog arises: notification's courier falls behind, and then the
notification service is down for a while.
1. Seed: a few reports (with cases, so reporters that can be reached) through the front door.
2. Notification restarted with its courier held back (``NOTIFICATION_DELIVERY_WAKE`` false,
   ``NOTIFICATION_DELIVERY_POLL_SECONDS`` one day); N ``case_updated`` events, schema-valid and built like follow-up's (``contract.events.build``,
   the seeds' case fields), published on follow-up's exchange: every consumer applies them, and
   notification queues N interim-update emails that nobody sends.
3. Notification stopped; N more ``case_updated`` published: now N notifications wait in the store and
   N events in notification's event queue (and N more in intake's and assessment's).
4. Notification started with its normal settings; at the same moment web reports are offered at
   ``rate`` until every one of the 2 x N interim updates has reached the mail catcher (the stack's
   SMTP sink, deploy/local/sinks.sh, which indexes each message it takes) or ``max_seconds`` pass.
Printed: acceptance latency of those reports during the drain, and the drain rate (interim-update
emails taken by the SMTP sink per second).
"""
from __future__ import annotations

import json
import threading
import time
from pathlib import Path

from kombu import Connection, Producer
from nameko.standalone.events import get_event_exchange
from pymongo import MongoClient

from _load import event_queue_depth, events_backlog, offer, pct, queue_depths
from _stack import script, urls
from contract import brokeracl, events, localstack

SUBJECT = "Tanggapan sementara atas laporan"  # notification's interim_update subject (id), messages.yml interim_update.subject
SEED_EMAIL = "antre{i}@example.com"


class MailCount:
    """Interim-update emails the mail catcher took, read from its index as it grows."""

    def __init__(self, run_dir: str):
        self.path = Path(run_dir) / "sinks" / "mail" / "index.jsonl"
        self.offset, self.count, self.first, self.last = 0, 0, None, None

    def poll(self) -> int:
        if self.path.exists():
            with open(self.path, "rb") as index:
                index.seek(self.offset)
                data = index.read()
            complete = data[:data.rfind(b"\n") + 1]
            self.offset += len(complete)
            for line in complete.splitlines():
                if json.loads(line).get("subject", "").startswith(SUBJECT):
                    self.count += 1
                    self.last = time.time()
                    self.first = self.first or self.last
        return self.count


def seed_cases(env: dict, count: int, start_index: int, timeout: float = 300.0) -> list[dict]:
    """``count`` reports through the front door; their follow-up cases once opened."""
    u = urls(env)
    offered = offer(u["http"], count, 4, None, start_index, email=SEED_EMAIL)
    client = MongoClient(u["stores"]["followup"], tz_aware=True)
    cases = client["lapor_followup"]["cases"]
    deadline = time.time() + timeout
    found: list[dict] = []
    while time.time() < deadline:
        found = list(cases.find({"tracking_id": {"$in": offered.ids}, "reporter_ref": {"$ne": None}}))
        if len(found) == len(offered.ids):
            break
        time.sleep(2)
    client.close()
    if not found:
        raise RuntimeError("backlog phase: no seed report got a case")
    return found


def case_updated(case: dict, n: int, hub: str) -> dict:
    """A follow-up interim update, built like followup.conversation's (contract.events.build validates it)."""
    return events.build(events.CASE_UPDATED, hub=hub, tracking_id=case["tracking_id"], origin_hub=case["origin_hub"],
                        case_id=case["_id"], agency_code=case.get("agency_code"), unit_code=case.get("unit_code"),
                        stage=case["stage"], reporter_ref=case.get("reporter_ref"), language=case.get("language", "id"),
                        message_id=f"msg-bench-{n}", author_role="liaison",
                        excerpt="Tim lapangan sudah menjadwalkan perbaikan minggu ini.", has_attachments=False)


def publish(env: dict, cases: list[dict], count: int, start: int, hub: str) -> float:
    """``count`` case_updated events on follow-up's exchange (persistent, routed by event type, as the
    outbox relay publishes them), as follow-up's own broker user with its ``user_id`` (consumers refuse
    an event from anyone but its source); seconds taken. No publisher confirms (the queues' depth is
    checked)."""
    amqp = localstack.service_amqp_uri(env["LAPOR_RUN_DIR"], "followup", env["LAPOR_AMQP_PORT"])
    t0 = time.time()
    with Connection(amqp) as conn:
        exchange = get_event_exchange("followup", {})
        channel = conn.channel()
        exchange(channel).declare()
        producer = Producer(channel, exchange=exchange, serializer="json")
        for n in range(start, start + count):
            entry = case_updated(cases[n % len(cases)], n, hub)
            producer.publish(entry["payload"], routing_key=events.CASE_UPDATED, delivery_mode=2,
                             user_id=brokeracl.user("followup"))
    return time.time() - t0


def wait_queued(u: dict, size: int, timeout: float) -> int:
    """Until notification has queued ``size`` interim updates (read in its store every 5 s) and the
    services' event queues are empty; the number queued."""
    client = MongoClient(u["stores"]["notification"], tz_aware=True)
    notifications = client["lapor_notification"]["notifications"]
    deadline, queued = time.time() + timeout, 0
    try:
        while time.time() < deadline:
            queued = notifications.count_documents({"template": "interim_update", "status": "queued"})
            if queued >= size and events_backlog(u["api"]) == 0:
                break
            time.sleep(5)
    finally:
        client.close()
    return queued


def wait_counted(api: str, service: str, size: int, timeout: float = 20.0) -> int:
    """Messages in the service's event queue once the management API counts ``size`` (its figures lag
    a few seconds)."""
    deadline = time.time() + timeout
    while True:
        waiting = event_queue_depth(api, service)
        if waiting >= size or time.time() > deadline:
            return waiting
        time.sleep(1)


def backlog_phase(env: dict, size: int, rate: float, clients: int, start_index: int, max_seconds: float,
                  meter_factory, log=lambda line: print(line, flush=True)) -> dict:
    u = urls(env)
    hub = env.get("LAPOR_HUB_CODE", "ID")
    cases = seed_cases(env, 20, start_index)
    log(f"  backlog: {len(cases)} seed cases; holding the courier and queueing {size} notifications ...")
    held = {**env, "NOTIFICATION_DELIVERY_POLL_SECONDS": "86400", "NOTIFICATION_DELIVERY_WAKE": "false"}
    script("services.sh", "stop", env, "notification")
    script("services.sh", "start", held, "notification")
    t_fill = time.time()
    took = publish(env, cases, size, 0, hub)
    queued = wait_queued(u, size, max_seconds)
    if queued < size:
        raise RuntimeError(f"backlog phase: only {queued}/{size} notifications queued in time")
    log(f"  backlog: {size} events published in {took:.1f} s, {queued} notifications queued (courier held) after "
        f"{time.time() - t_fill:.0f} s; stopping notification, publishing {size} more ...")
    script("services.sh", "stop", env, "notification")
    took = publish(env, cases, size, size, hub)
    waiting = wait_counted(u["api"], "notification", size)
    log(f"  backlog: {size} more published in {took:.1f} s ({waiting} counted in notification's event queue); "
        f"starting notification, reports offered at {rate:.0f}/s while it drains ...")
    mails = MailCount(env["LAPOR_RUN_DIR"])
    before = mails.poll()
    meter = meter_factory()
    t0 = time.time()
    stop = threading.Event()
    result: dict = {}
    loader = threading.Thread(target=lambda: result.setdefault("offered", offer(
        u["http"], int(rate * max_seconds) + 1, clients, rate, start_index + 100, stop)), daemon=True)
    loader.start()
    script("services.sh", "start", env, "notification")
    meter.sample()
    started = time.time()
    target = before + 2 * size
    while mails.poll() < target and time.time() - t0 < max_seconds:
        time.sleep(1)
        meter.sample()
    ended = time.time()
    stop.set()
    loader.join()
    cpu = meter.stop()
    offered = result["offered"]
    sent = mails.count - before
    dead = {name: n for name, n in queue_depths(u["api"]).items() if name.endswith(".deadletters") and n}
    return {"size": size, "queued": queued, "waiting": waiting, "rate": rate, "sent": sent,
            "complete": sent >= 2 * size, "drain_s": ended - t0, "restart_s": started - t0,
            "drain_per_s": sent / (ended - t0),
            "send_per_s": (sent - 1) / (mails.last - mails.first) if sent > 1 else float("nan"),
            "offered": offered.sent, "accepted": len(offered.accepted), "failures": len(offered.failures),
            "late": offered.late, "accept_p50_ms": 1000 * pct(offered.latencies, 50),
            "accept_p99_ms": 1000 * pct(offered.latencies, 99), "accept_max_ms": 1000 * max(offered.latencies, default=0),
            "dead_letters": dead, "cpu": cpu}


def describe(r: dict) -> str:
    lines = [f"backlog: {r['queued']} notifications queued (courier held) + {r['waiting']} events in notification's "
             f"queue ({r['size']} published to follow-up's exchange: intake and assessment consume them too)",
             f"  drain: {r['sent']}/{2 * r['size']} interim-update emails at the SMTP sink in {r['drain_s']:.0f} s"
             f"{'' if r['complete'] else ' (NOT complete: time limit)'} = {r['drain_per_s']:.1f} sent/s overall "
             f"(notification back after {r['restart_s']:.0f} s; {r['send_per_s']:.1f}/s first to last email)",
             f"  front door meanwhile, {r['rate']:.0f} reports/s offered: {r['accepted']}/{r['offered']} accepted, "
             f"{r['failures']} failed, {r['late']} sent late; acceptance p50 {r['accept_p50_ms']:.0f} ms, "
             f"p99 {r['accept_p99_ms']:.0f} ms (target <= 250), max {r['accept_max_ms']:.0f} ms"]
    if r["dead_letters"]:
        lines.append(f"  dead-lettered: {r['dead_letters']}")
    return "\n".join(lines)

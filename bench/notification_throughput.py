"""Notification throughput: events -> notification outbox -> the real local SMTP and SMS servers.

Runs the notification service (and a stand-in for intake's reporter_contact RPC) in this process
against the real RabbitMQ and store (started through deploy/local if they are not running), an
aiosmtpd server in its own process, and a recording SMS gateway.  Dispatches N contract-valid
``case_updated`` events (half to email reporters, half to SMS reporters) and times them until
every notification is recorded as sent; prints notifications/s and queue-to-sent latency.

    python bench/notification_throughput.py [--events 1000] [--concurrency 10] [--group-size 64] [--offset 50]

``--group-size``: at most this many outcomes committed in one transaction (notification's
GROUP_COMMIT_MAX_SIZE; 0: one transaction per outcome, as before issue 23's group commit of outcomes).
"""
from __future__ import annotations

import eventlet

eventlet.monkey_patch()  # noqa: E402

import argparse  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), *(str(ROOT / "services" / s) for s in ("contract", "notification"))]

from nameko.containers import ServiceContainer  # noqa: E402
from nameko.standalone.events import event_dispatcher  # noqa: E402
from pymongo import MongoClient  # noqa: E402

from contract import events  # noqa: E402
from contract.store import utcnow  # noqa: E402
from notification import domain  # noqa: E402
from notification.service import NotificationService  # noqa: E402
from tests.fakes.events import make_event  # noqa: E402
from tests.conftest import server_env, server_uris  # noqa: E402  (the test servers' ports for an offset)
from tests.fakes.recorder import Recorder  # noqa: E402
from tests.fakes.smtp import SmtpSink  # noqa: E402
from tests.integration.conftest_notification import contact_directory  # noqa: E402


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))] if ordered else float("nan")


def wait_sent(notifications, count: int, started: float) -> float:
    while notifications.count_documents({"status": "sent"}) < count:
        if time.perf_counter() - started > 600:
            raise SystemExit("not all notifications were sent within 600 s")
        eventlet.sleep(0.02)
    return time.perf_counter() - started


def report(phase: str, notifications, smtp, sms, count: int, wall: float, mails_expected: int, sms_expected: int) -> None:
    docs = list(notifications.find({}, {"created_at": 1, "sent_at": 1, "attempts": 1}))
    latencies = [(d["sent_at"] - d["created_at"]).total_seconds() for d in docs]
    mails, texts = len(smtp.messages()), len(sms.ok("/messages"))
    print(f"  {phase}: {count} sent in {wall:.2f} s = {count / wall:.1f} notifications/s; "
          f"queued->sent p50 {pct(latencies, 50) * 1000:.0f} ms, p99 {pct(latencies, 99) * 1000:.0f} ms; "
          f"{sum(d['attempts'] for d in docs) - len(docs)} retries; at the servers so far: {mails} mails, {texts} SMS")
    assert (mails, texts) == (mails_expected, sms_expected), "every message must arrive exactly once"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--group-size", type=int, default=64)
    parser.add_argument("--offset", type=int, default=int(os.environ.get("LAPOR_TEST_PORT_OFFSET", 50)))
    args = parser.parse_args()

    env = server_env(offset=args.offset)
    for script in ("rabbitmq.sh", "store.sh"):  # idempotent: "already running" when they are
        subprocess.run([str(ROOT / "deploy" / "local" / script), "start"], env=env, check=True,
                       stdout=subprocess.DEVNULL)
    mongodb_uri = f"mongodb://127.0.0.1:{env['LAPOR_STORE_PORT']}/?retryWrites=false&directConnection=true"
    database = f"bench_{uuid.uuid4().hex[:8]}_notification"
    folder = Path(tempfile.mkdtemp(prefix="lapor-bench-notification-"))
    smtp, sms = SmtpSink(folder), Recorder()
    half = args.events // 2
    contacts = {f"rpt_bench_{i}": ({"email": f"pelapor{i}@example.com", "channel": "email"} if i < half else
                                   {"phone": f"+62812{i:07d}", "channel": "sms"}) for i in range(args.events)}
    config = {"AMQP_URI": server_uris(env)["amqp"], "MONGODB_URI": mongodb_uri,
              "MONGODB_DATABASE": database, "HUB_CODE": "ID", "WEB_SERVER_ADDRESS": "127.0.0.1:0",
              "SMTP_HOST": "127.0.0.1", "SMTP_PORT": smtp.port, "SMS_GATEWAY_URL": f"{sms.url}/messages",
              "DELIVERY_POLL_SECONDS": 0.05, "DELIVERY_CONCURRENCY": args.concurrency, "max_workers": 40,
              "GROUP_COMMIT_MAX_SIZE": args.group_size, "GROUP_COMMIT_CONCURRENCY": 1,
              "TRACKING_BASE_URL": "https://lapor.example.go.id/lacak/", "AUTH_CACHE_SECONDS": 30}
    containers = [ServiceContainer(cls, config) for cls in (contact_directory(contacts), NotificationService)]
    for container in containers:
        container.start()
    client = MongoClient(mongodb_uri, tz_aware=True)
    notifications = client[database].notifications
    try:
        dispatch = event_dispatcher(config)
        refs = list(contacts)
        print(f"notification throughput: {args.events} notifications per phase, half email, half SMS; "
              f"delivery concurrency {args.concurrency}; outcomes per transaction at most {max(1, args.group_size)}")

        # phase 1: through the outbox only -- notifications already recorded as queued (as the
        # event handlers write them), delivered to the SMTP server and the SMS gateway
        planned = [n for ref in refs for n in domain.plan(
            events.CASE_UPDATED, events.load(events.CASE_UPDATED, make_event(events.CASE_UPDATED, reporter_ref=ref)),
            utcnow())]
        started = time.perf_counter()
        notifications.insert_many(planned)
        wall = wait_sent(notifications, args.events, started)
        report("outbox -> SMTP/SMS", notifications, smtp, sms, args.events, wall, half, args.events - half)

        # phase 2: end to end -- contract events dispatched to RabbitMQ, queued once each, delivered
        notifications.delete_many({})
        payloads = [make_event(events.CASE_UPDATED, reporter_ref=ref) for ref in refs]
        started = time.perf_counter()
        pool = eventlet.GreenPool(20)
        for payload in payloads:
            pool.spawn_n(dispatch, "followup", events.CASE_UPDATED, payload)
        pool.waitall()
        wall = wait_sent(notifications, args.events, started)
        report("events -> queued -> SMTP/SMS", notifications, smtp, sms, args.events, wall, 2 * half,
               2 * (args.events - half))
    finally:
        for container in containers:
            container.stop()
        client.drop_database(database)
        client.close()
        smtp.stop()
        sms.stop()


if __name__ == "__main__":
    main()

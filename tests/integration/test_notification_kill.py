"""kill -9 of notification while it sends a batch of 50 emails to a slow relay (issue 22, "each email
once"): each outcome is recorded as soon as the relay accepts the message, so only the messages that
were on an SMTP connection at the kill (accepted by the relay, not yet recorded) can go out twice, at
most one per connection (``DELIVERY_CONCURRENCY``); the restarted process takes back the dead one's
claims at start, so the rest go out within seconds, not after the 120 s claim lease.

The service runs as a real process (``nameko run``, as deploy/local/services.sh starts it); the relay
is the real SMTP server of tests/fakes/smtp_server.py, taking 0.5 s per message.
"""
import json
import os
import time
from collections import Counter
from datetime import datetime, timedelta, timezone

from contract import events
from notification import domain
from tests.integration.conftest import wait_for
from tests.integration.conftest_notification import *  # noqa: F403  (fixtures: slow_smtp, notification_process, ...)
from tests.integration.conftest_notification import contact_directory, make_event

REF = "rpt_kill"
CONTACTS = {REF: {"email": "kill@example.com", "channel": "email", "name": "Ketut"}}
BATCH = 50
CONCURRENCY = 10  # parallel sends, each on its own pooled SMTP connection
RESUME_SECONDS = 10  # after the restarted process is up, the rest are delivered within this


def queued(now, count):
    out = []
    for _ in range(count):
        event = events.load(events.CASE_UPDATED, make_event(events.CASE_UPDATED, reporter_ref=REF, language="id"))
        out += [n for n in domain.plan(events.CASE_UPDATED, event, now) if n["recipient_kind"] == "reporter"]
    return out


def test_kill_9_mid_send_repeats_at_most_the_messages_in_flight_and_mail_resumes_at_restart(
        start_services, mongo_client, notification_config, slow_smtp, notification_process):
    db = mongo_client[f"{notification_config['MONGODB_DATABASE_PREFIX']}notification"]
    batch = queued(datetime.now(timezone.utc) - timedelta(seconds=5), BATCH)
    db.notifications.insert_many(batch)
    ids = {f"<{n['_id']}@lapor-hub>" for n in batch}
    start_services(contact_directory(CONTACTS), config=notification_config)  # intake's contacts RPC
    config = {**notification_config, "SMTP_PORT": slow_smtp.port, "DELIVERY_POLL_SECONDS": 0.2,
              "DELIVERY_CONCURRENCY": CONCURRENCY, "DELIVERY_CLAIM_BATCH": BATCH, "DELIVERY_LEASE_SECONDS": 120}
    service, first = notification_process(config)

    # kill -9 once half the batch is accepted (the other half claimed, up to CONCURRENCY on the wire):
    # recording outcomes per batch, as before issue 22, would leave all 25 accepted ones unrecorded
    wait_for(lambda: len(slow_smtp.messages()) >= BATCH // 2, timeout=60, interval=0.02)
    service.kill(first)
    killed_at = time.monotonic()
    before_kill = Counter(m["message_id"] for m in slow_smtp.messages())
    recorded = {f"<{d['_id']}@lapor-hub>" for d in db.notifications.find({"status": "sent"})}
    in_flight = set(before_kill) - recorded  # accepted by the relay, outcome not recorded
    claimed_by_dead = db.notifications.count_documents({"status": "queued", "handoff.by": {"$exists": True}})
    assert 0 < len(before_kill) < BATCH and claimed_by_dead > 0  # killed mid-batch
    assert len(in_flight) <= CONCURRENCY  # at most one unrecorded acceptance per connection

    _, second = notification_process(config)
    restarted_at = time.monotonic()
    # up: its courier said it is alive (the eager heartbeat timer; an eager timer also takes back claims)
    wait_for(lambda: db.couriers.find_one({"pid": second.pid}), timeout=60, interval=0.05)
    up_at, up_wall = time.monotonic(), datetime.now(timezone.utc)
    # the messages in flight at the kill stay locked by the killed process's open transactions until
    # the store ends them (60 s, as MongoDB's transactionLifetimeLimitSeconds): those come last
    done = wait_for(lambda: (d := list(db.notifications.find({"_id": {"$in": [n["_id"] for n in batch]},
                                                              "status": "sent"}))) and len(d) == BATCH and d,
                    timeout=150, interval=0.1)
    all_sent_at = time.monotonic()
    delivered = Counter(m["message_id"] for m in slow_smtp.messages())
    after_restart = sum(delivered.values()) - sum(before_kill.values())
    repeats = {mid for mid, count in delivered.items() if count > 1}

    assert set(delivered) == ids  # every message delivered ...
    assert repeats <= in_flight  # ... twice only if it was on a connection at the kill
    assert len(repeats) <= CONCURRENCY
    assert all(d["handoff"] is None for d in done)
    possible = {f"<{d['_id']}@lapor-hub>" for d in done if d.get("possible_repeat")}
    assert repeats <= possible  # a repeat is always flagged on its record
    assert db.couriers.find_one({"pid": first.pid}) is None  # the dead courier was found gone
    # resumed at the restart, not after the lease: all but the in-flight ones within RESUME_SECONDS of
    # the new process being up (its start-up, seconds on a busy machine, is measured apart) ...
    rest = [d for d in done if f"<{d['_id']}@lapor-hub>" not in in_flight and d["sent_at"] > up_wall - timedelta(seconds=1)]
    rest_done = (max(d["sent_at"] for d in rest) - up_wall).total_seconds()
    assert rest and rest_done < RESUME_SECONDS
    # ... and the in-flight ones once the store ended the killed process's transactions, before the lease
    assert all_sent_at - killed_at < 120

    figures = {"batch": BATCH, "concurrency": CONCURRENCY, "accepted_before_kill": sum(before_kill.values()),
               "recorded_sent_at_kill": len(recorded), "in_flight_at_kill": len(in_flight),
               "claimed_by_dead_courier": claimed_by_dead, "duplicates": len(repeats),
               "flagged_possible_repeat": len(possible), "delivered_after_restart": after_restart,
               "restart_to_process_up_s": round(up_at - restarted_at, 2),
               "up_to_rest_sent_s": round(rest_done, 2), "rest": len(rest),
               "up_to_all_sent_s": round(all_sent_at - up_at, 2),
               "restart_to_all_sent_s": round(all_sent_at - restarted_at, 2),
               "kill_to_all_sent_s": round(all_sent_at - killed_at, 2)}
    print("KILL-FIGURES", json.dumps(figures))
    if os.environ.get("LAPOR_KILL_FIGURES"):
        with open(os.environ["LAPOR_KILL_FIGURES"], "a") as out:
            out.write(json.dumps(figures) + "\n")


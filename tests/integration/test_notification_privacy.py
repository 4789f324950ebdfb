"""An anonymous reporter's contact appears nowhere outside intake and the message itself:
not in any other service's database (events included: every outbox is there), not in the
logs, not in metrics, not in webhooks."""
import json
import logging

import requests
from nameko.standalone.events import event_dispatcher

from contract import events
from tests.factories import make_report
from tests.integration.conftest import ALL_SERVICES, handled, wait_for
from tests.integration.conftest_notification import *  # noqa: F403  (fixtures: smtp, webhook_receiver, ...)
from tests.integration.conftest_notification import bearer, make_event

NAME, EMAIL, PHONE = "Ni Luh Rahasia Sekali", "rahasia.anonim@example.net", "+6281377770042"
SPELLINGS = (NAME, EMAIL, PHONE, "6281377770042", "081377770042", "Rahasia Sekali")


def _documents(client, database: str) -> str:
    db = client[database]
    return "\n".join(json.dumps(doc, default=str, ensure_ascii=False)
                     for name in db.list_collection_names() for doc in db[name].find())


def _logs_outside_intake(records, intake_database: str) -> str:
    """Every log line of the test process except intake's own (its driver's commands on its database)."""
    def intakes(record) -> bool:
        return record.name.startswith("intake") or (
            record.name.startswith("pymongo") and f'"databaseName": "{intake_database}"' in record.getMessage())
    return "\n".join(f"{r.name} {r.getMessage()}" for r in records if not intakes(r))


def test_anonymous_reporters_contact_appears_nowhere_outside_intake(service_config,
        start_services, rpc, notification_config, demo_registry, smtp, webhook_receiver, mongo_client, caplog):
    caplog.set_level(logging.DEBUG)  # the most a developer could switch on
    urls = start_services(*ALL_SERVICES, config=notification_config)
    rpc.routing.import_registry(demo_registry)
    subscribed = requests.post(f"{urls['notification']}/notifications/subscriptions", headers=bearer(service_config, "nas-admin-1"),
                               json={"url": f"{webhook_receiver.url}/hook"}, timeout=5)
    assert subscribed.status_code == 201

    report = make_report(is_anonymous=True, reporter={"name": NAME, "email": EMAIL, "phone": PHONE})
    # the only report: notification plans the reporter's receipt when it handles report_received
    with handled(start_services.containers["notification"], event=events.REPORT_RECEIVED):
        tracking_id = requests.post(f"{urls['intake']}/reports", json=report, timeout=5).json()["tracking_id"]
    to_reporter = [n for n in rpc.notification.for_report(tracking_id) if n["recipient_kind"] == "reporter"]
    assert to_reporter
    reporter_ref = to_reporter[0]["recipient_ref"]
    answered = make_event(events.CASE_ANSWERED, tracking_id, reporter_ref=reporter_ref)
    event_dispatcher(notification_config)("followup", events.CASE_ANSWERED, answered)

    # receipt, disposition, final answer and the request to rate reach the reporter...
    mails = wait_for(lambda: len(m := smtp.to(EMAIL)) == 4 and m, timeout=15)
    assert any(NAME in m["text"] for m in mails)  # ...and the message itself may greet them
    wait_for(lambda: webhook_receiver.ok("/hook"))
    wait_for(lambda: all(n["status"] == "sent" for n in rpc.notification.for_report(tracking_id)))

    prefix = notification_config["MONGODB_DATABASE_PREFIX"]
    databases = [d for d in mongo_client.list_database_names() if d.startswith(prefix)]
    assert f"{prefix}intake" in databases and len(databases) >= 4
    assert EMAIL in _documents(mongo_client, f"{prefix}intake")  # the scan can see the contact where it is
    elsewhere = {d: _documents(mongo_client, d) for d in databases if d != f"{prefix}intake"}
    assert any("notification_sent" in text for text in elsewhere.values())  # outboxes (events) are scanned
    places = {**elsewhere, "logs": _logs_outside_intake(caplog.records, f"{prefix}intake"),
              "metrics": requests.get(f"{urls['notification']}/metrics", timeout=5).text,
              "webhooks": "\n".join(r["body"].decode() + json.dumps(r["headers"]) for r in webhook_receiver.received())}
    leaks = {place: [s for s in SPELLINGS if s in text] for place, text in places.items()}
    assert leaks == {place: [] for place in places}

"""Operators and officials manage notification: webhook subscriptions (signed deliveries), the
daily digest, dead letters through the CLI, and clear errors for what cannot be delivered."""
import json

import requests
import yaml
from nameko.standalone.events import event_dispatcher

from contract import events
from notification import cli, webhooks
from notification.service import NotificationService
from routing.service import RoutingService
from tests.integration.conftest import handled, wait_for
from tests.waiting import events_handled, wait_handled
from tests.integration.conftest_notification import *  # noqa: F403  (fixtures: smtp, webhook_receiver, ...)
from tests.integration.conftest_notification import OFFICIALS_BASE_URL, bearer, contact_directory, make_event

SMS_REF = "rpt_sms_admin"


def _start(start_services, rpc, config, demo_registry):
    urls = start_services(RoutingService, contact_directory({SMS_REF: {"phone": "+6281200000009", "channel": "sms"}}),
                          NotificationService, config=config)
    rpc.routing.import_registry(demo_registry)
    return urls["notification"]


def test_webhook_subscriptions_receive_signed_events(service_config, start_services, rpc, notification_config, demo_registry,
                                                     webhook_receiver):
    base = _start(start_services, rpc, notification_config, demo_registry)
    admin = bearer(service_config, "nas-admin-1")
    bad = requests.post(f"{base}/notifications/subscriptions", headers=admin, timeout=5,
                        json={"url": "ftp://x", "events": ["case_overdue", "no_such_event"], "colour": "red"})
    assert bad.status_code == 400
    assert {e["field"] for e in bad.json()["errors"]} == {"url", "events.1", "colour"}
    assert requests.post(f"{base}/notifications/subscriptions", headers=bearer(service_config, "adm-buleleng"), timeout=5,
                         json={"url": f"{webhook_receiver.url}/hook"}).status_code == 403

    created = requests.post(f"{base}/notifications/subscriptions", headers=admin, timeout=5, json={
        "url": f"{webhook_receiver.url}/hook", "events": ["case_overdue"], "agency_code": "PEMKAB-BULELENG",
        "description": "Dasbor Kab. Buleleng"})
    assert created.status_code == 201
    secret, sub_id = created.json()["secret"], created.json()["subscription_id"]
    listed = requests.get(f"{base}/notifications/subscriptions", headers=admin, timeout=5).json()["subscriptions"]
    assert [s["subscription_id"] for s in listed] == [sub_id] and "secret" not in listed[0]

    dispatch = event_dispatcher(notification_config)
    metrics = f"{base}/metrics"
    seen_overdue, seen_due = (events_handled(metrics, "notification", e) for e in (events.CASE_OVERDUE,
                                                                                    events.CASE_DUE_SOON))
    overdue = make_event(events.CASE_OVERDUE, reporter_ref="rpt_hidden")
    due_soon = make_event(events.CASE_DUE_SOON)  # not subscribed
    elsewhere = make_event(events.CASE_OVERDUE, agency_code="PEMKAB-LUWU", unit_code="LWU-PUPR")  # another agency
    dispatch("followup", events.CASE_OVERDUE, overdue)
    dispatch("followup", events.CASE_DUE_SOON, due_soon)
    dispatch("followup", events.CASE_OVERDUE, elsewhere)
    delivered = wait_for(lambda: webhook_receiver.ok("/hook"))
    wait_handled(metrics, "notification", events.CASE_OVERDUE, seen_overdue + 2)  # all three handled: what
    wait_handled(metrics, "notification", events.CASE_DUE_SOON, seen_due + 1)     # they planned is recorded
    for other in (due_soon, elsewhere):
        assert [n for n in rpc.notification.for_report(other["tracking_id"]) if n["channel"] == "webhook"] == []
    assert len(webhook_receiver.received("/hook")) == 1
    request = delivered[0]
    assert webhooks.verify(secret, request["headers"], request["body"])
    assert not webhooks.verify(secret, request["headers"], request["body"].replace(b"red", b"green"))
    assert request["headers"]["X-Lapor-Event"] == "case_overdue"
    body = json.loads(request["body"])
    assert (body["tracking_id"], body["indicator"], body["event_id"]) == (overdue["tracking_id"], "red", overdue["event_id"])
    assert "rpt_hidden" not in request["body"].decode()

    assert requests.delete(f"{base}/notifications/subscriptions/{sub_id}", headers=admin, timeout=5).status_code == 204
    assert requests.delete(f"{base}/notifications/subscriptions/{sub_id}", headers=admin, timeout=5).status_code == 404
    after_unsubscribe = make_event(events.CASE_OVERDUE)
    dispatch("followup", events.CASE_OVERDUE, after_unsubscribe)
    wait_handled(metrics, "notification", events.CASE_OVERDUE, seen_overdue + 3)
    assert [n for n in rpc.notification.for_report(after_unsubscribe["tracking_id"]) if n["channel"] == "webhook"] == []
    assert len(webhook_receiver.received("/hook")) == 1


def test_officials_choose_a_daily_digest_instead_of_each_message(service_config, start_services, rpc, notification_config,
                                                                  demo_registry, smtp):
    base = _start(start_services, rpc, notification_config, demo_registry)
    liaison = bearer(service_config, "lo-bll-pupr")
    url = f"{base}/notifications/preferences"
    assert requests.put(f"{url}/unit:LWU-PUPR", headers=liaison, json={"digest": True}, timeout=5).status_code == 403
    bad = requests.put(f"{url}/mailbox:someone", headers=liaison, json={"digest": True}, timeout=5)
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "recipient_ref"
    bad = requests.put(f"{url}/unit:BLL-PUPR", headers=liaison, json={"digest": "kadang"}, timeout=5)
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "digest"
    chosen = requests.put(f"{url}/unit:BLL-PUPR", headers=liaison, json={"digest": True}, timeout=5)
    assert chosen.status_code == 200 and chosen.json()["digest"] is True

    dispatch = event_dispatcher(notification_config)
    due, replied = make_event(events.CASE_DUE_SOON), make_event(events.REPORTER_REPLIED, reporter_ref=None)
    with handled(start_services.containers["notification"], due, replied):  # planned as held by the consumer
        dispatch("followup", events.CASE_DUE_SOON, due)
        dispatch("followup", events.REPORTER_REPLIED, replied)
    for tracking_id in (due["tracking_id"], replied["tracking_id"]):
        assert [n["status"] for n in rpc.notification.for_report(tracking_id)] == ["held"]
    assert smtp.to("pupr@bulelengkab.example.go.id") == []  # held, not sent one by one

    sent = requests.post(f"{base}/notifications/digests", headers=bearer(service_config, "nas-admin-1"), timeout=5)
    assert sent.status_code == 200 and sent.json() == {"digests": 1}
    digest = wait_for(lambda: smtp.to("pupr@bulelengkab.example.go.id"))
    # the digest is the later step that must follow: by then the unit's mailbox holds it alone
    assert len(digest) == 1 and digest[0]["subject"].startswith("Ringkasan harian LAPOR!")
    assert digest[0]["subject"].endswith(": 2 pemberitahuan")
    for tracking_id in (due["tracking_id"], replied["tracking_id"]):
        assert f"{OFFICIALS_BASE_URL}{tracking_id}" in digest[0]["text"]
        assert [n["status"] for n in rpc.notification.for_report(tracking_id)] == ["digested"]
    assert requests.post(f"{base}/notifications/digests", headers=bearer(service_config, "nas-admin-1"),
                         timeout=5).json() == {"digests": 0}


def test_undeliverable_messages_are_dead_lettered_with_a_clear_error(start_services, rpc, notification_config,
                                                                     demo_registry, smtp):
    _start(start_services, rpc, notification_config, demo_registry)
    dispatch = event_dispatcher(notification_config)
    nobody = make_event(events.CASE_OVERDUE, unit_code="NO-SUCH-UNIT")
    unknown_reporter = make_event(events.CASE_CLOSED, reporter_ref="rpt_nobody_knows")
    dispatch("followup", events.CASE_OVERDUE, nobody)
    dispatch("followup", events.CASE_CLOSED, unknown_reporter)
    dead = wait_for(lambda: len(d := rpc.notification.dead_letters()) == 2 and d)
    errors = {d["tracking_id"]: (d["attempts"], d["last_error"]) for d in dead}
    assert errors[nobody["tracking_id"]] == (1, "no official with an email address behind unit:NO-SUCH-UNIT")
    assert errors[unknown_reporter["tracking_id"]] == (1, "intake knows no reporter rpt_nobody_knows")
    assert smtp.messages() == []


def test_cli_lists_and_retries_dead_letters(start_services, rpc, notification_config, demo_registry, sms_gateway,
                                            tmp_path, capsys):
    _start(start_services, rpc, notification_config, demo_registry)
    sms_gateway.fail(times=None, status=500)
    update = make_event(events.CASE_UPDATED, reporter_ref=SMS_REF)
    event_dispatcher(notification_config)("followup", events.CASE_UPDATED, update)
    dead = wait_for(lambda: rpc.notification.dead_letters())[0]
    config = tmp_path / "notification.yml"
    config.write_text(yaml.safe_dump({"MONGODB_URI": notification_config["MONGODB_URI"],
                                      "MONGODB_DATABASE_PREFIX": notification_config["MONGODB_DATABASE_PREFIX"]}))

    assert cli.main(["--config", str(config), "dead-letters", "--channel", "sms"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert cli.main(["--config", str(config), "dead-letters", "--channel", "email"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert [(d["notification_id"], d["delivered_channel"], d["attempts"]) for d in listed] == [
        (dead["notification_id"], "sms", 3)]
    sms_gateway.recover()
    assert cli.main(["--config", str(config), "retry", dead["notification_id"], "ntf_not_dead"]) == 1
    assert json.loads(capsys.readouterr().out) == {"retried": [dead["notification_id"]], "not_dead": ["ntf_not_dead"]}
    wait_for(lambda: rpc.notification.for_report(update["tracking_id"])[0]["status"] == "sent")
    assert len(sms_gateway.ok("/messages")) == 1

"""Notifications reach the real SMTP server and the recording SMS gateway / social hook, in the
reporter's language, once per (event, recipient, channel); failures retry, then dead-letter."""
import requests
from nameko.standalone.events import event_dispatcher

from contract import events
from notification.service import NotificationService
from routing.service import RoutingService
from tests.integration.conftest import wait_for
from tests.waiting import events_handled, wait_handled
from tests.integration.conftest_notification import *  # noqa: F403  (fixtures: smtp, sms_gateway, ...)
from tests.integration.conftest_notification import TRACKING_BASE_URL, bearer, contact_directory, make_event, metric

SMS_REF, SOCIAL_REF, EMAIL_EN_REF = "rpt_sms_reporter", "rpt_social_reporter", "rpt_email_en"
CONTACTS = {
    SMS_REF: {"phone": "+6281299990001", "channel": "sms", "name": "Ketut Sms"},
    SOCIAL_REF: {"channel": "social", "name": "Putu Sosial"},
    EMAIL_EN_REF: {"email": "reporter.en@example.com", "channel": "email", "language": "en", "name": "Jane"},
}


def _start(start_services, rpc, config, demo_registry):
    urls = start_services(RoutingService, contact_directory(CONTACTS), NotificationService, config=config)
    rpc.routing.import_registry(demo_registry)
    return urls


def test_sms_reporter_gets_answer_and_rate_request_within_160_chars(
        start_services, rpc, notification_config, demo_registry, sms_gateway):
    _start(start_services, rpc, notification_config, demo_registry)
    answered = make_event(events.CASE_ANSWERED, reporter_ref=SMS_REF, language="id")
    event_dispatcher(notification_config)("followup", events.CASE_ANSWERED, answered)

    sent = wait_for(lambda: len(sms_gateway.ok("/messages")) == 2 and sms_gateway.ok("/messages"))
    texts = sorted(r["json"]["text"] for r in sent)
    link = f"{TRACKING_BASE_URL}{answered['tracking_id']}"
    assert all(len(t) <= 160 and link in t for t in texts)
    assert any("telah dijawab" in t for t in texts) and any("Beri nilai 1-5" in t for t in texts)
    assert {r["json"]["to"] for r in sent} == {"+6281299990001"}
    assert sent[0]["headers"]["Authorization"].startswith("Basic ")
    states = wait_for(lambda: (n := rpc.notification.for_report(answered["tracking_id"]))
                      and all(x["status"] == "sent" for x in n) and n)
    assert {n["template"] for n in states} == {"final_answer", "rate_request"}
    assert {n["delivered_channel"] for n in states} == {"sms"}


def test_social_reporter_is_answered_through_the_reply_hook(
        start_services, rpc, notification_config, demo_registry, social_hook):
    _start(start_services, rpc, notification_config, demo_registry)
    update = make_event(events.CASE_UPDATED, reporter_ref=SOCIAL_REF, language="id")
    event_dispatcher(notification_config)("followup", events.CASE_UPDATED, update)
    reply = wait_for(lambda: social_hook.ok("/replies"))[0]["json"]
    assert reply["reporter_ref"] == SOCIAL_REF and reply["tracking_id"] == update["tracking_id"]
    assert "tanggapan sementara" in reply["text"] and f"{TRACKING_BASE_URL}{update['tracking_id']}" in reply["text"]


def test_english_email_reporter_and_redelivered_event_sends_once(
        start_services, rpc, notification_config, demo_registry, smtp):
    metrics = f"{_start(start_services, rpc, notification_config, demo_registry)['notification']}/metrics"
    closed = make_event(events.CASE_CLOSED, reporter_ref=EMAIL_EN_REF, language="en", rating=4)
    dispatch = event_dispatcher(notification_config)
    duplicates = events_handled(metrics, "notification", events.CASE_CLOSED, "duplicate")
    dispatch("followup", events.CASE_CLOSED, closed)
    dispatch("followup", events.CASE_CLOSED, closed)  # redelivered, as after a consumer crash

    mail = wait_for(lambda: smtp.to("reporter.en@example.com"))[0]
    assert mail["subject"] == f"Report {closed['tracking_id']} closed"
    assert "Dear Jane," in mail["text"] and "Your rating: 4 of 5." in mail["text"]
    assert f"{TRACKING_BASE_URL}{closed['tracking_id']}" in mail["text"]
    assert f'href="{TRACKING_BASE_URL}{closed["tracking_id"]}"' in mail["html"]
    assert mail["language"] == "en"
    wait_handled(metrics, "notification", events.CASE_CLOSED, duplicates + 1, "duplicate")  # redelivery processed
    records = [(n["recipient_ref"], n["channel"], n["template"]) for n in rpc.notification.for_report(closed["tracking_id"])]
    assert len(records) == len(set(records))  # nothing recorded twice, so nothing will be sent twice
    assert len(smtp.to("reporter.en@example.com")) == 1


def test_failing_gateway_retries_then_dead_letters_and_manual_retry_delivers(service_config,
        start_services, rpc, notification_config, demo_registry, sms_gateway):
    urls = _start(start_services, rpc, notification_config, demo_registry)
    before = requests.get(f"{urls['notification']}/metrics", timeout=5).text
    sms_gateway.fail(times=None, status=503)
    update = make_event(events.CASE_UPDATED, reporter_ref=SMS_REF)
    event_dispatcher(notification_config)("followup", events.CASE_UPDATED, update)

    dead = wait_for(lambda: (d := rpc.notification.dead_letters()) and d)[0]
    assert dead["attempts"] == 3 and dead["status"] == "dead"
    assert dead["last_error"].startswith("SMS gateway answered HTTP 503")
    assert len(sms_gateway.received("/messages")) == 3  # the first try and two retries with backoff

    admin = bearer(service_config, "nas-admin-1")
    listed = requests.get(f"{urls['notification']}/notifications/dead-letters", headers=admin, timeout=5)
    assert listed.status_code == 200
    assert [n["notification_id"] for n in listed.json()["notifications"]] == [dead["notification_id"]]
    liaison = bearer(service_config, "lo-bll-pupr")
    retry_url = f"{urls['notification']}/notifications/dead-letters/{dead['notification_id']}/retry"
    assert requests.post(retry_url, headers=liaison, timeout=5).status_code == 403

    sms_gateway.recover()
    response = requests.post(retry_url, headers=admin, timeout=5)
    assert response.status_code == 200 and response.json()["status"] == "queued"
    wait_for(lambda: rpc.notification.for_report(update["tracking_id"])[0]["status"] == "sent")
    assert len(sms_gateway.ok("/messages")) == 1
    again = requests.post(retry_url, headers=admin, timeout=5)
    assert again.status_code == 409 and again.json()["errors"][0]["field"] == "notification_id"

    after = requests.get(f"{urls['notification']}/metrics", timeout=5).text
    labels = {"channel": "sms", "template": "interim_update"}
    grew = {name: metric(after, name, **extra, **labels) - metric(before, name, **extra, **labels)
            for name, extra in (("lapor_notifications_dead_lettered_total", {}), ("lapor_notifications_sent_total", {}),
                                ("lapor_notification_attempts_failed_total", {}))}
    assert grew == {"lapor_notifications_dead_lettered_total": 1, "lapor_notifications_sent_total": 1,
                    "lapor_notification_attempts_failed_total": 3}
    retries = {t: metric(after, "lapor_notification_retries_total", trigger=t, **labels)
               - metric(before, "lapor_notification_retries_total", trigger=t, **labels) for t in ("auto", "manual")}
    assert retries == {"auto": 2, "manual": 1}
    assert metric(after, "lapor_notification_delivery_seconds_count", channel="sms") > 0

"""Each service's own broker user may do only what the service does (issue 13), on the real broker.

The session's broker is started by deploy/local/rabbitmq.sh, which gives every service a user of
its own (contract.brokeracl). As a service's user: another service's event cannot be published
(not on its exchange, not under its event type on one's own), no queue can be bound to
``nameko-rpc`` with ``#`` or another service's key (reporter_contact replies stay private), no
other service's queue can be read, and the management API is closed. And the five services,
each running as its own user, still carry a report from submission to follow-up and notification.
"""
import json
import uuid

import amqp
import pytest
import requests

from contract import brokeracl, localstack
from tests.integration.conftest import ALL_SERVICES, submit_and_follow, wait_for
from tests.integration.conftest_notification import *  # noqa: F403  (fixtures: smtp, notification_config, ...)

FORGED = {"schema_version": 1, "event_id": "evt_forged", "tracking_id": "ID-FORGED"}


def connect(servers, user: str | None = None, vhost: str = "/") -> amqp.Connection:
    """A py-amqp connection as a service's user (or as the operator), confirms on its channel."""
    env = servers["env"]
    creds = (localstack.service_credentials(env["LAPOR_RUN_DIR"])[user] if user
             else localstack.credentials(env["LAPOR_RUN_DIR"]))
    conn = amqp.Connection(f"127.0.0.1:{env['LAPOR_AMQP_PORT']}", userid=creds["user"],
                           password=creds["password"], virtual_host=vhost, confirm_publish=True)
    conn.connect()
    return conn


def publish(conn: amqp.Connection, exchange: str, routing_key: str, body: dict) -> None:
    channel = conn.channel()
    channel.basic_publish(amqp.Message(json.dumps(body), content_type="application/json"),
                          exchange=exchange, routing_key=routing_key)


@pytest.fixture
def probe(servers):
    """An operator's queue bound to routing.events for report_dispositioned: what reaches consumers."""
    with connect(servers) as conn:
        channel = conn.channel()
        name, _, _ = channel.queue_declare(exclusive=True)
        channel.queue_bind(name, "routing.events", "report_dispositioned")

        def next_body(timeout=10):
            return json.loads(wait_for(lambda: channel.basic_get(name, no_ack=True), timeout=timeout).body)
        yield next_body


def test_a_service_cannot_publish_another_services_event(servers, probe):
    with connect(servers, "intake") as intake, pytest.raises(amqp.exceptions.AccessRefused):
        publish(intake, "routing.events", "report_dispositioned", {**FORGED, "by": "intake"})
    # the event that must follow: routing's own, which is the first (only) one consumers see
    with connect(servers, "routing") as routing:
        publish(routing, "routing.events", "report_dispositioned", {**FORGED, "by": "routing"})
    assert probe()["by"] == "routing"


def test_a_service_cannot_publish_another_services_event_type_on_its_own_exchange(servers):
    with connect(servers, "intake") as intake, pytest.raises(amqp.exceptions.AccessRefused):
        publish(intake, "intake.events", "report_dispositioned", FORGED)
    with connect(servers, "intake") as intake:  # its own event types are fine (confirmed)
        publish(intake, "intake.events", "report_received", FORGED)


@pytest.mark.parametrize("service", brokeracl.SERVICES)
def test_no_service_can_bind_a_queue_to_capture_rpc_calls_or_replies(servers, service):
    other = "routing" if service == "intake" else "intake"
    for key in ("#", "*.*", "#.reporter_contact", f"{other}.*", f"{other}.reporter_contact"):
        with connect(servers, service) as conn:
            channel = conn.channel()
            name, _, _ = channel.queue_declare(f"rpc.reply-{service}-{uuid.uuid4()}", auto_delete=True)
            with pytest.raises(amqp.exceptions.AccessRefused):
                channel.queue_bind(name, "nameko-rpc", key)
    with connect(servers, service) as conn:  # what nameko itself binds: its reply queue's uuid
        channel = conn.channel()
        reply = str(uuid.uuid4())
        name, _, _ = channel.queue_declare(f"rpc.reply-{service}-{reply}", auto_delete=True)
        channel.queue_bind(name, "nameko-rpc", reply)


def test_a_service_cannot_read_or_declare_another_services_queues(servers):
    # notification may bind to intake's and routing's exchanges, yet not read their services' inboxes
    for action in (lambda ch: ch.basic_get("rpc-intake"), lambda ch: ch.basic_get("rpc.reply-intake-0"),
                   lambda ch: ch.basic_get("intake.inbox"), lambda ch: ch.basic_get("routing.inbox"),
                   lambda ch: ch.queue_declare("intake.deadletters", durable=True),
                   lambda ch: ch.queue_delete("rpc-intake"), lambda ch: ch.exchange_delete("intake.events")):
        with connect(servers, "notification") as conn, pytest.raises(amqp.exceptions.AccessRefused):
            action(conn.channel())


def test_service_users_have_no_management_access(servers):
    env = servers["env"]
    creds = localstack.service_credentials(env["LAPOR_RUN_DIR"])["intake"]
    answer = requests.get(f"http://127.0.0.1:{env['LAPOR_RABBIT_MGMT_PORT']}/api/queues",
                          auth=(creds["user"], creds["password"]), timeout=5)
    assert answer.status_code == 401


@pytest.fixture
def as_own_users(servers, start_services, rpc, service_config, notification_config, demo_registry):
    """The five services in this test's vhost, each logged in as its own broker user (the
    permissions contract.brokeracl gives), the demo registry imported: their URLs."""
    vhost = service_config["vhost"]
    run_dir, port = servers["env"]["LAPOR_RUN_DIR"], servers["env"]["LAPOR_AMQP_PORT"]
    users = localstack.service_credentials(run_dir)
    brokeracl.apply(servers["api_uri"], {s: c["password"] for s, c in users.items()}, vhost=vhost)
    urls = {}
    for cls in ALL_SERVICES:
        own = {**notification_config, "DECLARE_EVENT_EXCHANGES": False, "AMQP_URI":
               localstack.service_amqp_uri(run_dir, cls.name, port) + requests.utils.quote(vhost, safe="")}
        urls |= start_services(cls, config=own)
    rpc.routing.import_registry(demo_registry)
    return urls


def test_the_services_carry_a_report_each_as_its_own_user_and_drop_an_event_the_operator_forged(
        as_own_users, servers, rpc, service_config, smtp):
    """One stack of the five services as their own users for both checks (it is the test's cost)."""
    tracking_id = the_services_carry_a_report_each_as_its_own_user(as_own_users, rpc, smtp)
    an_event_forged_with_the_operators_account_changes_nothing(as_own_users, servers, rpc, service_config, tracking_id)


def the_services_carry_a_report_each_as_its_own_user(urls, rpc, smtp) -> str:
    view = submit_and_follow(urls["intake"], timeout=15)
    tracking_id = view["tracking_id"]
    assert view["status"] == "in_follow_up" and view["assignment"]["unit_code"] == "BLL-PUPR"
    # RPC between services as their users: notification asked intake for the reporter's contact (the
    # receipt reached the reporter's address), follow-up asked routing, assessment folded the events
    assert wait_for(lambda: smtp.to("made@example.com"), timeout=15)
    assert rpc.followup.case_for_report(tracking_id)["unit_code"] == "BLL-PUPR"
    counts = wait_for(lambda: (c := rpc.assessment.counts())["agencies"] and c)
    assert counts["agencies"]["PEMKAB-BULELENG"]["dispositioned"] == 1
    return tracking_id


@pytest.mark.parametrize("service", brokeracl.SERVICES)
def test_a_service_may_call_only_the_rpc_methods_listed_for_it(servers, service):
    """RPC by method, not by service (issue 20): with the assessment service's credentials,
    ``routing.issue_token`` once gave a token that opened an official's inbox."""
    from contract import rpc as rpc_surface
    refused, allowed = [], []
    with connect(servers, service) as conn:
        for method, callers in sorted(rpc_surface.METHODS.items()):
            try:
                publish(conn, "nameko-rpc", method, {"args": [], "kwargs": {}})
                allowed.append(method)
            except amqp.exceptions.AccessRefused:
                refused.append(method)
    assert allowed == rpc_surface.callable_by(service)
    assert set(refused) == set(rpc_surface.METHODS) - set(allowed)
    assert "intake.issue_open311_key" in refused
    with connect(servers, service) as conn:  # officials' credentials are not RPC at all (only HTTP and CLI)
        for method in ("routing.issue_token", "routing.issue_password_link"):
            with pytest.raises(amqp.exceptions.AccessRefused):
                publish(conn, "nameko-rpc", method, {"args": ["nas-admin-1"], "kwargs": {}})


def an_event_forged_with_the_operators_account_changes_nothing(urls, servers, rpc, service_config, tracking_id):
    """Issue 20: ``case_closed`` published with the operator's account (the broker lets it publish
    anywhere) left intake saying ``closed`` while follow-up said ``open``. Each consumer, running as its
    own user, applies an event only from the user of the event type's source (contract.publisher)."""
    from datetime import datetime

    from contract import events
    from tests.waiting import events_handled

    vhost = service_config["vhost"]
    view = requests.get(f"{urls['intake']}/reports/{tracking_id}", timeout=5).json()  # the real events applied
    case = rpc.followup.case_for_report(tracking_id)
    assert view["status"] == "in_follow_up" and case["status"] == "open"

    forged = events.build(events.CASE_CLOSED, "ID", tracking_id=tracking_id, origin_hub=tracking_id.split("-")[0],
                          case_id=case["case_id"], closed_by="reporter", on_time=True,
                          opened_at=datetime.fromisoformat(case["opened_at"]), rating=5)["payload"]
    with connect(servers, vhost=vhost) as operator:
        operator.channel().basic_publish(
            amqp.Message(json.dumps(forged), content_type="application/json", user_id=localstack.USER),
            exchange="followup.events", routing_key=events.CASE_CLOSED)
    for service in ("intake", "routing", "assessment", "notification"):
        wait_for(lambda s=service: events_handled(f"{urls[s]}/metrics", s, events.CASE_CLOSED, "dead_lettered") >= 1,
                 timeout=15)
    after = requests.get(f"{urls['intake']}/reports/{tracking_id}", timeout=5).json()
    assert after["status"] == "in_follow_up", "a forged case_closed closed the report"
    assert rpc.followup.case_for_report(tracking_id)["status"] == "open"
    with connect(servers, vhost=vhost) as operator:  # the dead letter says why
        letter = operator.channel().basic_get("intake.deadletters", no_ack=True)
        assert "published by lapor-followup only" in letter.headers["x-lapor-reason"]

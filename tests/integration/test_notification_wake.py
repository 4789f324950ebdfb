"""Notification's courier is woken by the batch that queued messages (issue 23): with its poll at a
minute, a reporter's email still leaves within seconds of the event."""
import time

from nameko.standalone.events import event_dispatcher

from contract import events
from notification.service import NotificationService
from routing.service import RoutingService
from tests.integration.conftest import wait_for
from tests.integration.conftest_notification import *  # noqa: F403  (fixtures: smtp, ...)
from tests.integration.conftest_notification import contact_directory, make_event

REF = "rpt_email_wake"
CONTACTS = {REF: {"email": "reporter.wake@example.com", "channel": "email", "language": "id", "name": "Wayan"}}


def test_a_queued_email_leaves_without_waiting_for_the_couriers_poll(
        start_services, rpc, notification_config, demo_registry, smtp):
    config = {**notification_config, "DELIVERY_POLL_SECONDS": 60}
    start_services(RoutingService, contact_directory(CONTACTS), NotificationService, config=config)
    rpc.routing.import_registry(demo_registry)
    time.sleep(1)  # the courier's first pass (at start, on the heartbeat's claims) is over
    closed = make_event(events.CASE_CLOSED, reporter_ref=REF, language="id", rating=5)
    event_dispatcher(config)("followup", events.CASE_CLOSED, closed)
    wait_for(lambda: smtp.to("reporter.wake@example.com"), timeout=30)  # not the poll's minute

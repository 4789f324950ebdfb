"""A gateway's error text never reaches the store, the events or the log (issue 13): a gateway
echoing the reporter's number in another spelling ("+62 812-9999-0001") is kept as a classified
error (status and class), not as its text."""
import logging

from nameko.standalone.events import event_dispatcher

from contract import events
from tests.integration.conftest import wait_for
from tests.integration.conftest_notification import *  # noqa: F403  (fixtures: smtp, sms_gateway, ...)
from tests.integration.conftest_notification import make_event
from tests.integration.test_notification_delivery import SMS_REF, _start

ECHOES = ("+62 812-9999-0001", "0812 9999 0001", "812-9999-0001", "Ketut")


def test_gateway_error_text_with_the_number_is_never_kept(start_services, rpc, notification_config, demo_registry,
                                                          sms_gateway, mongo_client, caplog):
    caplog.set_level(logging.DEBUG)
    _start(start_services, rpc, notification_config, demo_registry)
    sms_gateway.fail(times=None, status=400,
                     body=b'{"error": "invalid destination +62 812-9999-0001 (0812 9999 0001) for Ketut"}')
    update = make_event(events.CASE_UPDATED, reporter_ref=SMS_REF)
    event_dispatcher(notification_config)("followup", events.CASE_UPDATED, update)

    dead = wait_for(lambda: (d := rpc.notification.dead_letters()) and d)[0]
    assert dead["last_error"] == "SMS gateway answered HTTP 400 (request refused as invalid)"
    db = mongo_client[f"{notification_config['MONGODB_DATABASE_PREFIX']}notification"]
    stored = " ".join(str(doc) for name in db.list_collection_names() for doc in db[name].find())
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert [e for e in ECHOES if e in stored] == [] and [e for e in ECHOES if e in logged] == []

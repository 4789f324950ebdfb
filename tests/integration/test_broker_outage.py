"""Durability: a report accepted while RabbitMQ is out of reach is routed once it is back.

The services reach the session's broker through a TCP proxy (``tests.fakes.tcp_proxy``, as the store
outage test reaches the store): ``cut()`` drops every connection and refuses new ones, as a crashed
broker looks to a client, ``restore()`` lets them in again; the other tests' broker is untouched. A
real broker process killed with ``kill -9`` and started again (its boot, its recovery of durable
queues) is tests/e2e/test_frontdoor_faults.py's.
"""
import re

import pytest
import requests

from contract.store import acquire_client, release_client
from intake.service import IntakeService
from routing import handlers
from routing.dependencies import store_at
from routing.service import RoutingService
from tests.factories import make_report
from tests.fakes.tcp_proxy import TcpProxy
from tests.integration.conftest import track, wait_for


@pytest.fixture
def broker_proxy(servers):
    proxy = TcpProxy("127.0.0.1", int(servers["env"]["LAPOR_AMQP_PORT"]))
    yield proxy
    proxy.stop()


def test_report_accepted_during_outage_is_routed_after(broker_proxy, start_services, service_config,
                                                       demo_registry):
    amqp = re.sub(r"@127\.0\.0\.1:\d+/", f"@127.0.0.1:{broker_proxy.port}/", service_config["AMQP_URI"], count=1)
    assert amqp != service_config["AMQP_URI"]
    config = {**service_config, "AMQP_URI": amqp}
    client = acquire_client(config["MONGODB_URI"])
    try:
        store = store_at(client, client[config["MONGODB_DATABASE_PREFIX"] + "routing"], {"HUB_CODE": "ID"})
        store.units().run(handlers.import_registry, demo_registry, {})
        urls = start_services(IntakeService, RoutingService, config=config)

        broker_proxy.cut()
        response = requests.post(f"{urls['intake']}/reports", json=make_report(), timeout=10)
        assert response.status_code == 201  # durable in the store: the broker is not needed to accept
        tracking_id = response.json()["tracking_id"]
        outbox = client[config["MONGODB_DATABASE_PREFIX"] + "intake"]["outbox"]
        entry = wait_for(lambda: outbox.find_one({"payload.tracking_id": tracking_id, "attempts": {"$gte": 1}}))
        assert entry["dispatched_at"] is None and entry["last_error"]
        assert track(urls["intake"], tracking_id)["status"] == "received"

        broker_proxy.restore()
        view = wait_for(lambda: (v := track(urls["intake"], tracking_id))["status"] == "dispositioned" and v,
                        timeout=90)
        assert view["assignment"]["unit_code"] == "BLL-PUPR"
        # marked dispatched after the publish (contract.outbox: marks are written together, a moment later)
        assert wait_for(lambda: outbox.find_one({"_id": entry["_id"]})["dispatched_at"], timeout=15)
    finally:
        # Kill the containers while their broker is still in reach (a consumer cut off from its
        # broker would wait to reconnect); nameko's fixtures tear down only after ours.
        start_services.kill_all()
        release_client(config["MONGODB_URI"])

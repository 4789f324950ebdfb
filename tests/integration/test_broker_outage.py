"""Durability: a report accepted while RabbitMQ is down is routed once it is back.

Uses a RabbitMQ of its own (own node, ports and data folder) so that stopping it does not
disturb the other tests.
"""
import pytest
import requests

from contract.store import acquire_client, release_client
from intake.service import IntakeService
from routing import handlers
from routing.dependencies import store_at
from routing.service import RoutingService
from tests.conftest import run_script, server_env, server_uris
from tests.factories import make_report
from tests.integration.conftest import track, wait_for


@pytest.fixture
def outage_broker():
    env = server_env("test-outage", offset=int(server_env()["LAPOR_AMQP_PORT"]) - 5682 + 1)
    run_script("rabbitmq.sh", "start", env)
    yield env
    run_script("rabbitmq.sh", "stop", env)


def test_report_accepted_during_outage_is_routed_after(outage_broker, start_services, service_config,
                                                       demo_registry):
    config = {**service_config, "AMQP_URI": server_uris(outage_broker)["amqp"]}
    client = acquire_client(config["MONGODB_URI"])
    try:
        store = store_at(client, client[config["MONGODB_DATABASE_PREFIX"] + "routing"], {"HUB_CODE": "ID"})
        store.units().run(handlers.import_registry, demo_registry, {})
        urls = start_services(IntakeService, RoutingService, config=config)

        run_script("rabbitmq.sh", "stop", outage_broker)
        response = requests.post(f"{urls['intake']}/reports", json=make_report(), timeout=10)
        assert response.status_code == 201  # durable in the store: the broker is not needed to accept
        tracking_id = response.json()["tracking_id"]
        outbox = client[config["MONGODB_DATABASE_PREFIX"] + "intake"]["outbox"]
        entry = wait_for(lambda: outbox.find_one({"payload.tracking_id": tracking_id, "attempts": {"$gte": 1}}))
        assert entry["dispatched_at"] is None and entry["last_error"]
        assert track(urls["intake"], tracking_id)["status"] == "received"

        run_script("rabbitmq.sh", "start", outage_broker)
        view = wait_for(lambda: (v := track(urls["intake"], tracking_id))["status"] == "dispositioned" and v,
                        timeout=90, interval=0.5)
        assert view["assignment"]["unit_code"] == "BLL-PUPR"
        # marked dispatched after the publish (contract.outbox: marks are written together, a moment later)
        assert wait_for(lambda: outbox.find_one({"_id": entry["_id"]})["dispatched_at"], timeout=15)
    finally:
        # Kill the containers while their broker still runs (a consumer cut off from its
        # broker would wait to reconnect); nameko's fixtures tear down only after ours.
        start_services.kill_all()
        release_client(config["MONGODB_URI"])

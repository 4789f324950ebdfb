"""Routing decisions on the real broker and store with the demo registry."""
import pytest
from nameko.standalone.events import event_dispatcher

from contract import events, sealing
from routing.service import RoutingService
from tests.integration.conftest import handled
from tests.unit.routing.factories import received_event


@pytest.fixture
def routed(start_services, rpc, demo_registry, service_config, mongo_client):
    start_services(RoutingService)
    container = start_services.containers["routing"]
    rpc.routing.import_registry(demo_registry)
    dispatch = event_dispatcher(service_config)
    db = mongo_client[service_config["MONGODB_DATABASE_PREFIX"] + "routing"]

    def send(payload):
        with handled(container, payload):
            dispatch("intake", events.REPORT_RECEIVED, payload)
        placed = rpc.routing.disposition(payload["tracking_id"])
        assert placed
        return placed
    send.db = db
    return send


# every demo rule's decision is checked on the fake unit of work (tests/unit/routing/test_demo_rules.py);
# here one, through the real broker and store
def test_a_demo_rule_decides_on_the_real_stack(routed):
    placed = routed(received_event(category_code="infrastruktur"))
    assert (placed["queue"], placed["agency_code"], placed["unit_code"], placed["rule_id"]) == \
        ("unit", "PEMKAB-BULELENG", "BLL-PUPR", "bll-infra")


def test_report_of_another_hub_is_forwarded_with_everything_it_needs(routed, rpc, demo_registry):
    # hub 35 can take reports once the directory gives it a key (issue 18: never to a hub that cannot)
    key = sealing.new_key_pair()[1]
    rpc.routing.import_registry({"hubs": [{**h, "public_key": key} for h in demo_registry["hubs"]]})
    payload = received_event(region_code="3578", category_code="kesehatan", gesi=["elderly"])
    placed = routed(payload)
    assert (placed["queue"], placed["status"], placed["target_hub"]) == ("forwarded", "forwarded", "35")
    entry = routed.db.outbox.find_one({"payload.tracking_id": payload["tracking_id"]})
    assert entry["event_type"] == events.REPORT_FORWARDED
    forwarded = events.load(events.REPORT_FORWARDED, entry["payload"])
    assert forwarded["target_hub"] == "35" and "3578" in forwarded["reason"]
    sent = events.load(events.REPORT_RECEIVED, payload)
    assert {k: forwarded["report"][k] for k in sent if k != "hub"} == {k: v for k, v in sent.items() if k != "hub"}


def test_redelivered_or_resent_report_is_routed_once(routed, rpc):
    payload = received_event()
    routed(payload)
    routed(payload)  # redelivery: same event id
    resent = {**received_event(), "tracking_id": payload["tracking_id"]}  # intake re-publishing: new event id
    routed(resent)
    assert routed.db.processed_events.count_documents({"_id": resent["event_id"]}) == 1
    assert [h["action"] for h in rpc.routing.history(payload["tracking_id"])] == ["route"]
    assert routed.db.outbox.count_documents({"payload.tracking_id": payload["tracking_id"]}) == 1

"""Text no store can encode (a lone UTF-16 surrogate) is refused at the schema, naming the field,
whichever way it arrives (issue 13): an RPC argument, an event on the bus, an HTTP body.

Before contract.schema.Schema only decoded HTTP bodies were checked: an RPC or an event carrying
``"\\ud800"`` reached the store and failed there (UnicodeEncodeError from BSON)."""
import pytest
import requests
from nameko.exceptions import RemoteError
from nameko.standalone.events import event_dispatcher

from contract import deadletters, events
from followup.service import FollowupService
from intake.service import IntakeService
from routing.service import RoutingService
from tests.integration.conftest import wait_for
from tests.integration.test_intake_submission import REGISTRY
from tests.unit.routing.factories import received_event

LONE = "\ud800"


def refused_rpc(call, *args):
    with pytest.raises(RemoteError) as raised:
        call(*args)
    return raised.value.exc_type, raised.value.value


def test_rpc_arguments_with_a_lone_surrogate_are_validation_errors_naming_the_field(start_services, rpc):
    start_services(IntakeService, FollowupService, RoutingService)
    kind, text = refused_rpc(rpc.followup.add_day_off, {"date": "2026-12-24", "name": f"Cuti {LONE}",
                                                        "kind": "cuti_bersama"})
    assert kind == "ValidationError" and "'name'" in text, (kind, text)
    kind, text = refused_rpc(rpc.intake.issue_open311_key, f"aplikasi-{LONE}")
    assert kind == "ValidationError" and "'client'" in text and "surrogate" in text, (kind, text)
    policy = {"id": "bencana", "description": f"Bencana alam {LONE}", "match": {"category_code": "bencana"},
              "stages": {"verification": 1, "follow_up": 2}}
    kind, text = refused_rpc(rpc.followup.set_sla_policies, {"policies": [policy]})
    assert kind == "ValidationError" and "'policies.0.description'" in text, (kind, text)
    # nothing of it was stored; the same calls with encodable text work
    assert rpc.intake.issue_open311_key("aplikasi-kabupaten")["client"] == "aplikasi-kabupaten"
    assert rpc.followup.add_day_off({"date": "2026-12-24", "name": "Cuti bersama Natal",
                                     "kind": "cuti_bersama"})["name"] == "Cuti bersama Natal"


def test_an_event_with_a_lone_surrogate_is_dead_lettered_as_a_contract_breach(start_services, rpc, service_config,
                                                                            demo_registry):
    start_services(RoutingService)
    rpc.routing.import_registry(demo_registry)
    event = {**received_event(), "title": f"Jalan {LONE} rusak"}  # events.build refuses it too
    event_dispatcher(service_config)("intake", events.REPORT_RECEIVED, event)

    def dead_letter():
        found = deadletters.take(service_config["AMQP_URI"], "routing", 50, replay=False)
        return next((d for d in found if d["event_id"] == event["event_id"]), None)

    dead = wait_for(dead_letter, timeout=20)
    assert "breaks the contract" in dead["reason"] and "'title'" in dead["reason"], dead
    assert rpc.routing.disposition(event["tracking_id"]) is None


def test_http_bodies_with_a_lone_surrogate_are_400s_naming_the_field(start_services, service_config):
    base = start_services(IntakeService, FollowupService,
                          config={**service_config, "REGISTRY_FILE": REGISTRY, "RATE_LIMIT_EXEMPT": ""})
    body = b'{"title": "Jalan rusak", "reporter": {"name": "Ni \\ud800 Luh"}, "description": "x"}'
    answer = requests.post(f"{base['intake']}/reports", data=body, headers={"Content-Type": "application/json"},
                           timeout=5)
    assert answer.status_code == 400, answer.text
    assert [(e["field"], e["code"]) for e in answer.json()["errors"]] == [("reporter.name", "invalid")]
    assert answer.json()["errors"][0]["message_id"]

"""``allowed_actions`` is what the API accepts, on the real broker and store (issue 21): a sample
of the unit tests' matrix (tests/unit/routing/test_allowed_actions.py), an agency admin's queue
over HTTP, where ``forward`` used to be missing from the list and a refused forward's 409 carried
``allowed_actions: []``."""
from datetime import date, timedelta

import pytest
import requests
from nameko.standalone.events import event_dispatcher

from contract import events
from routing.service import RoutingService
from tests.credentials import issue_token
from tests.integration.conftest import handled
from tests.unit.routing.factories import received_event
from tests.unit.routing.fixtures import HUB_KEY

BODIES = {"verify": {}, "postpone": {"until": (date.today() + timedelta(days=7)).isoformat(), "reason": "Survei"},
          "return": {"reason": "Bukan kewenangan PLN"}, "disposition": {"unit_code": "PLN-UID-BALI"},
          "redisposition": {"unit_code": "PLN-UID-BALI"}, "archive": {"reason": "Laporan ganda"},
          "forward": {"target_hub": "35", "reason": "Wilayah Jawa Timur"}}


@pytest.fixture
def agency_desk(start_services, rpc, demo_registry, service_config):
    """Routing with the demo registry (its hubs able to receive), and helpers for PLN's admin."""
    urls = start_services(RoutingService)
    container = start_services.containers["routing"]
    demo_registry["hubs"] = [{**h, "public_key": HUB_KEY} for h in demo_registry["hubs"]]
    rpc.routing.import_registry(demo_registry)
    dispatch = event_dispatcher(service_config)
    headers = {"Authorization": f"Bearer {issue_token(service_config, 'adm-pln')}"}

    class Desk:
        @staticmethod
        def submit() -> str:  # listrik outside Bali: rule listrik-nasional, PLN's admin queue
            payload = received_event(category_code="listrik", region_code="7371")
            with handled(container, payload):
                dispatch("intake", events.REPORT_RECEIVED, payload)
            assert rpc.routing.disposition(payload["tracking_id"])
            return payload["tracking_id"]

        @staticmethod
        def get(tracking_id):
            return requests.get(f"{urls['routing']}/admin/reports/{tracking_id}", headers=headers, timeout=5)

        @staticmethod
        def act(tracking_id, action, body):
            return requests.post(f"{urls['routing']}/admin/reports/{tracking_id}/{action}", json=body,
                                 headers=headers, timeout=5)
    return Desk


def test_in_an_agency_queue_each_action_succeeds_iff_it_is_listed_and_a_409_lists_the_same(agency_desk):
    for action, body in BODIES.items():
        tracking_id = agency_desk.submit()
        listed = agency_desk.get(tracking_id).json()["allowed_actions"]
        assert listed == ["verify", "postpone", "return", "archive", "forward"]
        answer = agency_desk.act(tracking_id, action, body)
        assert (answer.status_code == 200) == (action in listed), (action, answer.text)
        if answer.status_code == 409:
            assert answer.json()["allowed_actions"] == listed
    tracking_id = agency_desk.submit()
    refused = agency_desk.act(tracking_id, "forward", {"target_hub": "ID", "reason": "Salah simpul"})
    assert refused.status_code == 409
    assert refused.json()["allowed_actions"] == agency_desk.get(tracking_id).json()["allowed_actions"]

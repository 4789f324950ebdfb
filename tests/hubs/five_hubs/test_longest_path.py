"""The longest path of the tree, on five real hubs (tests/hubs/network.py: deploy/hubs/network.yml,
make run-network): national ID, provinces Bali 51 and Sulawesi Selatan 73, districts Buleleng 5108
and Luwu 7317, each a whole stack started by deploy/hubs/hubs.sh, linked by RabbitMQ shovels.

A Luwu report filed at Buleleng crosses four links, 5108 -> 51 -> ID -> 73 -> 7317, is routed and
gets a case at Luwu, and the page where the citizen filed shows Luwu's steps; the three relays hold
nothing and redirect a lookup to the origin. The other direction (a Buleleng report filed at Luwu)
crosses the same four links backwards. The network is the package's (conftest.py: ``network``).
"""
from __future__ import annotations

import pytest
import requests

from tests.factories import make_report
from tests.hubs.conftest import submit_report
from tests.hubs.network import Hub
from tests.waiting import wait_for

pytestmark = pytest.mark.e2e

# a district's report its own rules route at once (deploy/demo/region.yml: lwu-infra, bll-infra)
DISTRICT_REPORTS = {
    "7317": {"region_code": "7317", "location_text": "Belopa, Luwu",
             "description": "Jalan berlubang besar di Belopa, Luwu, sejak Senin membahayakan pengendara motor."},
    "5108": {"region_code": "5108"},
}
LONGEST = {("5108", "7317"): ["5108", "51", "ID", "73", "7317"], ("7317", "5108"): ["7317", "73", "ID", "51", "5108"]}


def steps(page: dict) -> list[str]:
    return [entry["step"] for entry in page["history"]]


def owner_case(owner: Hub, tracking_id: str) -> dict | None:
    answer = owner.view(tracking_id)
    return answer.status_code == 200 and answer.json().get("case")


@pytest.mark.parametrize("origin, owner", list(LONGEST))
def test_a_report_crosses_the_longest_path_and_the_origin_shows_the_owners_steps(network, origin, owner):
    hubs = network
    answer = submit_report(hubs[origin].url, make_report(**DISTRICT_REPORTS[owner]))
    assert answer.status_code == 201, answer.text
    tracking_id = answer.json()["tracking_id"]
    assert tracking_id.startswith(f"{origin}-")

    # the owner district holds it: routed by its own rules to its own agency, with a case
    case = wait_for(lambda: owner_case(hubs[owner], tracking_id), timeout=60, interval=0.3)
    assert case["stage"] == "follow_up"
    at_owner = hubs[owner].view(tracking_id).json()
    assert at_owner["assignment"]["agency_code"] == {"7317": "PEMKAB-LUWU", "5108": "PEMKAB-BULELENG"}[owner]
    assert {"hub_received", "dispositioned"} <= set(steps(at_owner))

    # the origin's page shows the owner's steps, and that the first hop was the province
    # (the owner's statuses come back as separate messages from its routing and its followup, and
    # may arrive in either order: wait for all of them)
    expected = {"forwarded", "hub_waiting", "hub_accepted", "hub_dispositioned", "hub_case_opened"}
    page = wait_for(lambda: (p := hubs[origin].view(tracking_id).json()) and expected <= set(steps(p)) and p,
                    timeout=30, interval=0.3)
    assert page["delivery"]["hub"] == owner and page["delivery"]["state"] == "accepted"
    waiting = next(entry for entry in page["history"] if entry["step"] == "hub_waiting")
    assert waiting["detail"]["next_hop"] == LONGEST[origin, owner][1]
    accepted = [entry for entry in page["history"] if entry["step"] == "hub_accepted"]
    assert len(accepted) == 1 and accepted[0]["detail"]["hub"] == owner
    # ... and the citizens' tracking page there says, in the reporter's words, who handles it
    assert next(entry["label"] for entry in page["history"] if entry["step"] == "hub_case_opened")
    html = requests.get(f"{hubs[origin].url}/lacak/{tracking_id}", timeout=10)
    assert html.status_code == 200 and "Ditangani oleh" in html.text

    # the relays forwarded it without keeping it: a lookup there goes to the origin
    for relay in LONGEST[origin, owner][1:-1]:
        at_relay = hubs[relay].view(tracking_id)
        assert at_relay.status_code == 307, (relay, at_relay.status_code)
        assert at_relay.headers["Location"] == f"{hubs[origin].url}/reports/{tracking_id}"


def test_every_link_of_the_tree_is_up(network):
    for code, neighbours in (("ID", ["51", "73"]), ("51", ["ID", "5108"]), ("5108", ["51"]),
                             ("73", ["ID", "7317"]), ("7317", ["73"])):
        wait_for(lambda: set(neighbours) <= network[code].links_up(), timeout=30, interval=0.5)

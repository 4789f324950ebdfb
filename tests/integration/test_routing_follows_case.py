"""Routing's queues follow the report's case (issue 13), on the real broker and store with intake,
routing and follow-up: a report is answerable only once the unit's liaison has verified it; an
answered report has no workflow action left; a rated (closed) report leaves the queues and the
`lapor_routing_queue_reports` gauge; a reopened one comes back to the liaison as verified."""
import requests

from contract import events
from followup.service import FollowupService
from intake.service import IntakeService
from routing.service import RoutingService
from tests.factories import make_report
from tests.waiting import handled
from tests.credentials import issue_token

ANSWER = {"body": "Jalan sudah ditambal pada 18 November.", "attachments": []}


def unit_gauge(routing: str) -> float:
    text = requests.get(f"{routing}/metrics", timeout=5).text
    line = next(li for li in text.splitlines() if li.startswith('lapor_routing_queue_reports{queue="unit"}'))
    return float(line.rsplit(" ", 1)[1])


def test_queue_state_follows_the_case_to_closure_and_back(start_services, rpc, service_config, demo_registry):
    urls = start_services(IntakeService, RoutingService, FollowupService,
                          config={**service_config, "AUTH_CACHE_SECONDS": 0})
    rpc.routing.import_registry(demo_registry)
    routing, followup = urls["routing"], urls["followup"]
    containers = start_services.containers
    liaison = {"Authorization": f"Bearer {issue_token(service_config, 'lo-bll-pupr')}"}

    def report(tracking_id):
        return requests.get(f"{routing}/admin/reports/{tracking_id}", headers=liaison, timeout=5).json()

    # the only report: intake -> routing -> follow-up, whose consumer opens the case on the disposition
    with handled(containers["followup"], event=events.REPORT_DISPOSITIONED):
        receipt = requests.post(f"{urls['intake']}/reports", json=make_report(), timeout=5).json()
    tracking_id, secret = receipt["tracking_id"], receipt["secret"]
    case = rpc.followup.case_for_report(tracking_id)
    assert case
    assert (case["queue"], case["verified_at_unit"]) == ("unit", False)
    assert report(tracking_id)["status"] == "new"
    in_queue = unit_gauge(routing)
    assert in_queue >= 1

    early = requests.post(f"{followup}/cases/{tracking_id}/answer", json=ANSWER, headers=liaison, timeout=5)
    assert early.status_code == 409 and early.json()["errors"][0]["code"] == "not_in_liaison_hands", early.text

    with handled(containers["followup"], event=events.REPORT_VERIFIED, tracking_id=tracking_id):
        verified = requests.post(f"{routing}/admin/reports/{tracking_id}/verify", json={}, headers=liaison, timeout=5)
        assert verified.status_code == 200, verified.text
    assert rpc.followup.case_for_report(tracking_id)["verified_at_unit"]
    with handled(containers["routing"], event=events.CASE_ANSWERED, tracking_id=tracking_id):
        answered = requests.post(f"{followup}/cases/{tracking_id}/answer", json=ANSWER, headers=liaison, timeout=5)
        assert answered.status_code == 201, answered.text
    view = report(tracking_id)
    assert view["status"] == "answered"
    assert (view["queue"], view["allowed_actions"]) == ("unit", [])
    refused = requests.post(f"{routing}/admin/reports/{tracking_id}/archive", json={"reason": "Sudah selesai"},
                            headers=liaison, timeout=5)
    assert refused.status_code == 409 and refused.json()["errors"][0]["code"] == "conflict"
    assert unit_gauge(routing) == in_queue - 1  # answered: no longer open work in the unit's queue

    with handled(containers["routing"], event=events.CASE_CLOSED, tracking_id=tracking_id):
        rated = requests.post(f"{followup}/cases/{tracking_id}/rating", json={"secret": secret, "rating": 4}, timeout=5)
        assert rated.status_code == 200 and rated.json()["status"] == "closed", rated.text
    view = report(tracking_id)
    assert view["status"] == "closed"
    assert (view["queue"], view["allowed_actions"]) == ("closed", [])
    assert [h["action"] for h in view["history"]][-2:] == ["case_answered", "case_closed"]
    inbox = requests.get(f"{routing}/admin/inbox", params={"per_page": 100}, headers=liaison, timeout=5).json()
    assert tracking_id not in {i["tracking_id"] for i in inbox["items"]}
    assert unit_gauge(routing) == in_queue - 1

    with handled(containers["routing"], event=events.CASE_REOPENED, tracking_id=tracking_id):
        reopened = requests.post(f"{followup}/cases/{tracking_id}/reopen",
                                 json={"secret": secret, "reason": "Rusak lagi"}, timeout=5)
        assert reopened.status_code == 200, reopened.text
    view = report(tracking_id)
    assert view["status"] == "verified"
    assert view["queue"] == "unit" and view["allowed_actions"] == ["postpone", "return", "archive"]
    assert unit_gauge(routing) == in_queue

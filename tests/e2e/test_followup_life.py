"""The whole life of a report on the running stack, through the front door: submission,
routing, follow-up with a deadline and indicator, the liaison's update and answer, the
reporter's reply and rating with the tracking ID + secret, closure on the tracking page."""

import pytest
import requests

from tests.factories import make_report
from tests.waiting import wait_for

pytestmark = pytest.mark.e2e


def eventually(probe, timeout=10.0):
    return wait_for(probe, timeout=timeout, interval=0.1)


@pytest.fixture(scope="module")
def tokens(official_headers):
    return {o: official_headers(o) for o in ("lo-bll-pupr", "adm-buleleng", "nas-admin-1")}


def test_report_lives_from_submission_to_rated_closure(stack, tokens):
    base = stack["base"]
    receipt = requests.post(f"{base}/reports", json=make_report(), timeout=10).json()
    tracking_id, secret = receipt["tracking_id"], receipt["secret"]
    case = eventually(lambda: (r := requests.get(f"{base}/cases/{tracking_id}", timeout=5)).status_code == 200
                      and r.json())
    assert case["unit_code"] == "BLL-PUPR" and case["indicator"] == "green" and case["due_at"].endswith("+08:00")

    inbox = requests.get(f"{base}/cases/inbox", headers=tokens["lo-bll-pupr"], timeout=5).json()["cases"]
    assert tracking_id in {c["tracking_id"] for c in inbox}
    update = {"body": "Tim PUPR sudah meninjau lokasi.", "attachments": []}
    assert requests.post(f"{base}/cases/{tracking_id}/updates", json=update, headers=tokens["lo-bll-pupr"],
                         timeout=5).status_code == 201
    reply = requests.post(f"{base}/cases/{tracking_id}/replies",
                          json={"secret": secret, "body": "Lubang kedua ada di depan pasar."}, timeout=5)
    assert reply.status_code == 201
    assert requests.post(f"{base}/admin/reports/{tracking_id}/verify", json={}, headers=tokens["lo-bll-pupr"],
                         timeout=5).status_code == 200  # in the liaison's hands: now it can be answered
    eventually(lambda: requests.get(f"{base}/cases/{tracking_id}", timeout=5).json()["verified_at_unit"])
    answer = {"body": "Kedua lubang sudah ditambal.", "attachments": [
        {"name": "sesudah.jpg", "url": "https://files.example.go.id/sesudah.jpg"}]}
    assert requests.post(f"{base}/cases/{tracking_id}/answer", json=answer, headers=tokens["lo-bll-pupr"],
                         timeout=5).status_code == 201
    wrong = requests.post(f"{base}/cases/{tracking_id}/rating", json={"secret": "NOT-THE-SECRET", "rating": 5},
                          timeout=5)
    assert wrong.status_code == 403 and wrong.json()["errors"][0]["field"] == "secret"
    rated = requests.post(f"{base}/cases/{tracking_id}/rating",
                          json={"secret": secret, "rating": 5, "comment": "Cepat dan jelas"}, timeout=5)
    assert rated.status_code == 200 and rated.json()["status"] == "closed"
    assert rated.json()["indicator"] == "closed_on_time"

    messages = requests.get(f"{base}/cases/{tracking_id}/messages", headers={"X-Reporter-Secret": secret},
                            timeout=5).json()["messages"]
    assert [m["kind"] for m in messages] == ["update", "reply", "answer"]
    summary = requests.get(f"{base}/cases/summary", headers=tokens["adm-buleleng"], timeout=5).json()
    assert summary["counts"]["closed_on_time"] >= 1
    wanted = {"case_opened", "case_updated", "case_answered", "case_rated", "case_closed"}
    tracking = eventually(lambda: (v := requests.get(f"{base}/reports/{tracking_id}", timeout=5).json())
                          and wanted <= {h["step"] for h in v["history"]} and v)
    assert tracking["status"] == "closed"  # the citizen's tracking page, kept by intake from our events
    desk = eventually(lambda: (r := requests.get(f"{base}/admin/reports/{tracking_id}", headers=tokens["lo-bll-pupr"],
                                                 timeout=5).json())["status"] == "closed" and r)
    assert desk["queue"] == "closed" and desk["allowed_actions"] == []  # routing's queue followed the case


def test_followup_api_is_in_the_public_openapi_document(stack):
    spec = requests.get(f"{stack['base']}/openapi.json", timeout=5).json()
    assert {"/cases/{tracking_id}", "/cases/{tracking_id}/rating", "/cases/summary",
            "/cases/admin/sla-policies"} <= set(spec["paths"])
    assert set(spec["components"]["schemas"]["FollowupRatingIn"]["required"]) == {"secret", "rating"}

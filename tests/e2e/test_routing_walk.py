"""The tiered workflow through the front door, as officials and a citizen would see it."""
import time

import pytest
import requests

from tests.factories import make_report

pytestmark = pytest.mark.e2e


def until(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met")


def test_walk_national_agency_unit_return_redisposition(stack, official_headers):
    base = stack["base"]
    # tokens issued as routing's CLI does (tests/e2e/conftest.py), in this process: four CLI processes cost
    # ~20 CPU-seconds of interpreter starts
    officials = {o: official_headers(o) for o in ("nas-admin-1", "adm-buleleng", "lo-bll-dinkes", "lo-bll-pupr")}
    receipt = requests.post(f"{base}/reports", json=make_report(region_code="7371", category_code="kesehatan",
                                                                is_anonymous=True), timeout=10)
    assert receipt.status_code == 201, receipt.text
    tracking_id = receipt.json()["tracking_id"]

    def act(official, action, **body):
        response = requests.post(f"{base}/admin/reports/{tracking_id}/{action}", json=body,
                                 headers=officials[official], timeout=10)
        assert response.status_code == 200, (official, action, response.text)
        return response.json()

    inbox = until(lambda: [i for i in requests.get(f"{base}/admin/inbox", headers=officials["nas-admin-1"],
                                                   timeout=5).json()["items"] if i["tracking_id"] == tracking_id])
    assert inbox[0]["status"] == "new" and inbox[0]["is_anonymous"] is True
    act("nas-admin-1", "verify")
    act("nas-admin-1", "disposition", agency_code="PEMKAB-BULELENG")
    act("adm-buleleng", "verify")
    act("adm-buleleng", "disposition", unit_code="BLL-DINKES")
    act("lo-bll-dinkes", "return", reason="Bukan wewenang Dinas Kesehatan")
    final = act("adm-buleleng", "redisposition", unit_code="BLL-PUPR")
    assert [h["action"] for h in final["history"]] == [
        "route", "verify", "disposition", "verify", "disposition", "return", "redisposition"]
    assert requests.get(f"{base}/admin/reports/{tracking_id}", headers=officials["lo-bll-pupr"],
                        timeout=5).json()["allowed_actions"] == ["verify", "postpone", "return", "archive"]
    for official in officials.values():  # the anonymous reporter is never shown to any official
        body = requests.get(f"{base}/admin/reports/{tracking_id}", headers=official, timeout=5).text
        assert "Made Wirawan" not in body and "made@example.com" not in body and "rpt_" not in body

    def tracked():  # every step in the citizen's tracking history too
        view = requests.get(f"{base}/reports/{tracking_id}", timeout=5).json()
        steps = [(h["step"], h["detail"].get("unit_code")) for h in view["history"]
                 if h["step"] in ("triage", "dispositioned", "verified", "returned")]
        # events of different types reach intake on different queues: wait for all seven steps
        return steps if len(steps) >= 7 else None
    assert until(tracked) == [("triage", None), ("verified", None), ("dispositioned", None),
                              ("verified", None), ("dispositioned", "BLL-DINKES"), ("returned", None),
                              ("dispositioned", "BLL-PUPR")]

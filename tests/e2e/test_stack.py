"""The running stack over HTTP, as a citizen, an integrator and an SRE would use it."""
import time

import pytest
import requests

from tests.factories import make_report
from tests.waiting import wait_for

pytestmark = pytest.mark.e2e


def submit(stack, **overrides):
    return requests.post(f"{stack['base']}/reports", json=make_report(**overrides), timeout=10)


def test_report_is_tracked_through_every_step(stack):
    """Every step reaches the tracking view (how fast is bench/e2e.py's figure, not this test's)."""
    response = submit(stack)
    assert response.status_code == 201
    receipt = response.json()
    assert response.headers["Location"] == f"/reports/{receipt['tracking_id']}"

    def complete():
        view = requests.get(f"{stack['base']}/reports/{receipt['tracking_id']}", timeout=5).json()
        steps = [h["step"] for h in view["history"]]
        templates = {h["detail"].get("template") for h in view["history"] if h["step"] == "notification_queued"}
        # the reporter told of the disposition, the unit's liaison of a new report in the queue
        return view if "case_opened" in steps and {"report_dispositioned", "new_report_in_queue"} <= templates else None

    view = wait_for(complete, timeout=60)
    assert view["status"] == "in_follow_up"
    assert view["assignment"] == {"queue": "unit", "agency_code": "PEMKAB-BULELENG", "unit_code": "BLL-PUPR"}
    assert view["case"]["due_at"] and view["case"]["sla_working_days"] == 5
    recipients = {h["detail"].get("recipient") for h in view["history"] if h["step"] == "notification_queued"}
    assert {"reporter", "liaison"} <= recipients
    assert all(h["at"] and h["label"] for h in view["history"])


def test_tracking_speaks_english_when_asked(stack):
    tracking_id = submit(stack).json()["tracking_id"]
    view = requests.get(f"{stack['base']}/reports/{tracking_id.lower()}", headers={"Accept-Language": "en"},
                        timeout=5).json()
    assert view["tracking_id"] == tracking_id
    assert view["history"][0]["label"] == "Report received"


def test_tracking_never_shows_identity_or_confidential_text(stack):
    tracking_id = submit(stack, title="Pungli CANARY-TITLE-91", is_anonymous=True, is_confidential=True,
                         reporter={"name": "CANARY-NAME-91", "email": "canary91@example.com"}).json()["tracking_id"]
    # every step that can add to the tracking page has happened: routed, case opened, receipt queued
    wait_for(lambda: {"dispositioned", "case_opened", "notification_queued"} <= {
        h["step"] for h in requests.get(f"{stack['base']}/reports/{tracking_id}", timeout=5).json()["history"]})
    body = requests.get(f"{stack['base']}/reports/{tracking_id}", timeout=5).text
    assert "CANARY" not in body and "canary91" not in body


def test_bad_input_gets_the_error_format_naming_fields(stack):
    response = submit(stack, classification="rant", incident_date="yesterday")
    assert response.status_code == 400
    fields = {(e["field"], e["code"]) for e in response.json()["errors"]}
    assert fields == {("classification", "not_allowed"), ("incident_date", "invalid")}
    broken = requests.post(f"{stack['base']}/reports", data="{not json", timeout=5,
                           headers={"Content-Type": "application/json"})
    assert broken.status_code == 400 and broken.json()["errors"][0]["code"] == "invalid_json"
    assert requests.get(f"{stack['base']}/reports/NOT-A-TICKET", timeout=5).status_code == 400
    missing = requests.get(f"{stack['base']}/nowhere", timeout=5)
    assert missing.status_code == 404 and missing.json()["errors"][0]["code"] == "not_found"


def test_openapi_document_describes_the_served_api(stack):
    spec = requests.get(f"{stack['base']}/openapi.json", timeout=5).json()
    assert spec["openapi"].startswith("3.")
    assert spec["servers"] == [{"url": stack["base"]}]  # the stack's own origin (the document is built once, cached)
    assert {"/reports", "/reports/{tracking_id}", "/stats/counts"} <= set(spec["paths"])
    receipt_props = set(spec["components"]["schemas"]["Receipt"]["properties"])
    assert set(submit(stack).json()) == receipt_props
    # a submission needs a title or a description that is not blank; what else is missing makes it a
    # draft (202, the receipt lists it), as the code loads it (issue 20: the document as strict as the code)
    post = spec["paths"]["/reports"]["post"]
    body = post["requestBody"]["content"]["application/json"]["schema"]
    assert body["allOf"] == [{"$ref": "#/components/schemas/ReportIn"}]
    assert sorted(tuple(alternative["required"]) for alternative in body["anyOf"]) == [("description",), ("title",)]
    assert "required" not in spec["components"]["schemas"]["ReportIn"]
    assert {"201", "202"} <= set(post["responses"])


def test_statistics_count_reports_per_agency(stack):
    # public counts are suppressed from 1 to min_cell_size - 1 (5): send enough to be shown
    before = requests.get(f"{stack['base']}/stats/counts", timeout=5).json()
    for _ in range(5):
        submit(stack, region_code="6202", category_code="lingkungan")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        after = requests.get(f"{stack['base']}/stats/counts", timeout=5).json()
        if (after["agencies"].get("PEMKAB-KOTIM", {}).get("dispositioned") or 0) >= \
                (before["agencies"].get("PEMKAB-KOTIM", {}).get("dispositioned") or 0) + 5:
            return
        time.sleep(0.1)
    raise AssertionError("the Kotawaringin Timur reports were not counted")


def test_every_service_exposes_prometheus_metrics(stack):
    for name, port in stack["service_ports"].items():
        text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
        assert "lapor_entrypoint_calls_total" in text, name
        assert f'service="{name}"' in text, name
    intake = requests.get(f"http://127.0.0.1:{stack['service_ports']['intake']}/metrics", timeout=5).text
    assert 'lapor_events_published_total{event="report_received",service="intake"}' in intake
    assert "lapor_outbox_pending_events" in intake

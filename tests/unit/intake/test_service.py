"""Intake entrypoints with worker_factory: the store replaced by intake's fake units of work, the rest real."""
import json

import pytest
from marshmallow import ValidationError
from nameko.testing.services import worker_factory
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from contract.errors import ApiError
from contract.http import error_response
from contract.ids import new_tracking_id
from intake.dependencies import Settings
from intake.exceptions import RateLimited
from intake.service import IntakeService
from tests.factories import make_report
from tests.fakes.intake import intake_units

REGISTRY = {"categories": [{"code": "infrastruktur", "name_id": "Infrastruktur", "name_en": "Infrastructure"}],
            "regions": [{"code": "5108", "name": "Kabupaten Buleleng", "level": "district"}]}


def request(body, method="POST", path="/reports", headers=None, remote="203.0.113.9"):
    return Request(EnvironBuilder(method=method, path=path, data=json.dumps(body), headers=headers,
                                  content_type="application/json", environ_base={"REMOTE_ADDR": remote}).get_environ())


def service(**settings):
    units = intake_units(Settings(**settings), registry=REGISTRY)
    return worker_factory(IntakeService, store=units), units


def stored(units) -> list[dict]:
    return list(units.state.get("FakeReports", {}).get("reports", {}).values())


def test_submit_stores_report_with_its_event():
    svc, units = service()
    response = svc.submit_report(request(make_report()))
    assert response.status_code == 201
    report, = stored(units)
    assert units.published == ["report_received"]
    body = json.loads(response.get_data())
    assert body["tracking_id"] == report["tracking_id"] and body["missing"] == [] and body["secret"]
    assert response.headers["Location"] == f"/reports/{report['tracking_id']}"


def test_incomplete_submission_is_kept_as_a_draft_and_not_routed():
    svc, units = service()
    response = svc.submit_report(request({"title": "Jalan rusak", "description": "Jalan rusak parah"}))
    assert response.status_code == 202
    body = json.loads(response.get_data())
    assert body["status"] == "incomplete" and body["secret"]
    assert {m["field"] for m in body["missing"]} == {"description", "region_code", "location_text",
                                                      "incident_date", "classification", "category_code"}
    assert units.published == ["report_draft_saved"]


def test_malformed_values_store_nothing_and_name_fields():
    svc, units = service()
    with pytest.raises(ValidationError) as raised:
        svc.submit_report(request({"title": "x", "classification": "rant", "region_code": "Bali"}))
    response = error_response(raised.value, "submit_report")  # as the entrypoint (contract.http.endpoint) maps it
    assert response.status_code == 400
    fields = {e["field"] for e in json.loads(response.get_data())["errors"]}
    assert fields == {"classification", "region_code"}
    assert stored(units) == [] and units.outbox == []


def test_the_sender_is_the_client_address_unless_a_trusted_proxy_says_otherwise():
    svc, units = service(rate_limit_max=1, trusted_proxies="10.0.0.1")
    assert svc.submit_report(request(make_report(), remote="203.0.113.7")).status_code == 201
    with pytest.raises(RateLimited) as raised:  # a forged X-Forwarded-For does not escape the limit
        svc.submit_report(request(make_report(), remote="203.0.113.7", headers={"X-Forwarded-For": "198.51.100.1"}))
    assert raised.value.headers["Retry-After"] == "3600"


def test_unknown_tracking_id_is_404_in_error_format():
    svc, _ = service()
    with pytest.raises(ApiError) as raised:
        svc.track_report(Request(EnvironBuilder(method="GET", path="/reports/x").get_environ()), new_tracking_id("ID"))
    assert raised.value.status == 404 and raised.value.errors[0]["field"] == "tracking_id"


def test_a_patch_completes_a_draft_with_its_secret():
    svc, units = service()
    draft = json.loads(svc.submit_report(request({"title": "Jalan rusak", "description": "Jalan rusak parah"}))
                       .get_data())
    changes = {k: v for k, v in make_report().items() if k != "reporter"}
    response = svc.complete_report(request({**changes, "secret": draft["secret"]}, method="PATCH",
                                           path=f"/reports/{draft['tracking_id']}"), draft["tracking_id"])
    assert response.status_code == 200 and json.loads(response.get_data())["missing"] == []
    assert units.published == ["report_draft_saved", "report_received"]


def test_a_browser_asking_for_a_report_is_sent_to_its_tracking_page_and_an_api_client_gets_json():
    """Issue 21: ``/reports/<id>`` answered JSON to a browser following a link in an old message."""
    worker, units = service()
    receipt = json.loads(worker.submit_report(request(make_report())).get_data())
    tracking_id = receipt["tracking_id"]
    browser = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
    answer = worker.track_report(request(None, "GET", f"/reports/{tracking_id}", browser), tracking_id)
    assert answer.status_code == 303 and answer.headers["Location"] == f"/lacak/{tracking_id}"
    for accept in ({"Accept": "*/*"}, {"Accept": "application/json"}, {}):
        answer = worker.track_report(request(None, "GET", f"/reports/{tracking_id}", accept), tracking_id)
        assert answer.status_code == 200 and json.loads(answer.get_data())["tracking_id"] == tracking_id

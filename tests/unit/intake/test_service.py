"""Intake entrypoints with worker_factory: store and outbox replaced, the rest real."""
import json

from nameko.testing.services import worker_factory
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from contract.ids import new_tracking_id
from intake.service import IntakeService
from tests.factories import make_report

CONFIG = {"HUB_CODE": "ID", "RATE_LIMIT_EXEMPT": ""}


def request(body, headers=None):
    return Request(EnvironBuilder(method="POST", path="/reports", data=json.dumps(body), headers=headers,
                                  content_type="application/json").get_environ())


def service():
    svc = worker_factory(IntakeService, config=CONFIG)
    svc.reports.replayed.return_value = None
    svc.reports.rate_limited.return_value = None
    svc.reports.add.return_value = None
    svc.reports.recent_similar.return_value = []
    svc.reports.registry.return_value = {"categories": {"infrastruktur"}, "regions": set(), "index": {}}
    return svc


def test_submit_stores_report_with_its_event():
    svc = service()
    response = svc.submit_report(request(make_report()))
    assert response.status_code == 201
    report, = svc.reports.add.call_args.args
    staged = svc.reports.add.call_args.kwargs["events"]
    assert [e["event_type"] for e in staged] == ["report_received"]
    body = json.loads(response.get_data())
    assert body["tracking_id"] == report["tracking_id"] and body["missing"] == [] and body["secret"]


def test_incomplete_submission_is_kept_as_a_draft_and_not_routed():
    svc = service()
    response = svc.submit_report(request({"title": "Jalan rusak", "description": "Jalan rusak parah"}))
    assert response.status_code == 202
    body = json.loads(response.get_data())
    assert body["status"] == "incomplete" and body["secret"]
    assert {m["field"] for m in body["missing"]} == {"description", "region_code", "location_text",
                                                      "incident_date", "classification", "category_code"}
    staged = svc.reports.add.call_args.kwargs["events"]
    assert [e["event_type"] for e in staged] == ["report_draft_saved"]


def test_malformed_values_store_nothing_and_name_fields():
    svc = service()
    response = svc.submit_report(request({"title": "x", "classification": "rant", "region_code": "Bali"}))
    assert response.status_code == 400
    fields = {e["field"] for e in json.loads(response.get_data())["errors"]}
    assert fields == {"classification", "region_code"}
    svc.reports.add.assert_not_called()


def test_empty_submission_has_nothing_to_keep():
    svc = service()
    response = svc.submit_report(request({}))
    assert response.status_code == 400
    assert json.loads(response.get_data())["errors"][0]["field"] == "description"
    svc.reports.add.assert_not_called()


def test_rate_limited_sender_gets_429_with_retry_after_and_nothing_is_stored():
    svc = service()
    svc.reports.rate_limited.return_value = 42
    response = svc.submit_report(request(make_report(), headers={"X-Forwarded-For": "203.0.113.9"}))
    assert response.status_code == 429 and response.headers["Retry-After"] == "42"
    assert json.loads(response.get_data())["errors"][0]["code"] == "rate_limited"
    svc.reports.add.assert_not_called()


def test_unknown_tracking_id_is_404_in_error_format():
    svc = service()
    svc.reports.with_history.return_value = None
    req = Request(EnvironBuilder(method="GET", path="/reports/x").get_environ())
    response = svc.track_report(req, new_tracking_id("ID"))
    assert response.status_code == 404
    assert json.loads(response.get_data())["errors"][0]["field"] == "tracking_id"

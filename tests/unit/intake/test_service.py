"""Intake entrypoints with worker_factory: store and outbox replaced, the rest real."""
import json

from nameko.testing.services import worker_factory
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from intake.service import IntakeService
from tests.factories import make_report


def request(body):
    return Request(EnvironBuilder(method="POST", path="/reports", data=json.dumps(body),
                                  content_type="application/json").get_environ())


def test_submit_stores_report_with_its_event_then_wakes_relay():
    service = worker_factory(IntakeService, config={"HUB_CODE": "ID"})
    response = service.submit_report(request(make_report()))
    assert response.status_code == 201
    report, = service.reports.add.call_args.args
    staged = service.reports.add.call_args.kwargs["events"]
    assert [e["event_type"] for e in staged] == ["report_received"]
    assert json.loads(response.get_data())["tracking_id"] == report["tracking_id"]
    service.outbox.wake.assert_called_once()


def test_bad_submission_stores_nothing_and_names_fields():
    service = worker_factory(IntakeService, config={"HUB_CODE": "ID"})
    response = service.submit_report(request({"title": "x"}))
    assert response.status_code == 400
    fields = {e["field"] for e in json.loads(response.get_data())["errors"]}
    assert {"title", "description", "classification", "region_code"} <= fields
    service.reports.add.assert_not_called()


def test_unknown_tracking_id_is_404_in_error_format():
    service = worker_factory(IntakeService, config={"HUB_CODE": "ID"})
    service.reports.get.return_value = None
    from contract.ids import new_tracking_id
    req = Request(EnvironBuilder(method="GET", path="/reports/x").get_environ())
    response = service.track_report(req, new_tracking_id("ID"))
    assert response.status_code == 404
    assert json.loads(response.get_data())["errors"][0]["field"] == "tracking_id"

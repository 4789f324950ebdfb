"""Intake's personal-data entrypoints with worker_factory (the store replaced by intake's fake units
of work): the reporter's erasure by API and by the tracking page's confirmation step, and the
admins' data-subject export (notification answering as a stand-in)."""
import json
from pathlib import Path

import pytest
from marshmallow import ValidationError
from nameko.testing.services import worker_factory
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from contract.errors import ApiError
from contract.web import CSRF_COOKIE, CSRF_FIELD, Web
from intake import handlers, schemas
from intake.dependencies import Settings
from intake.service import IntakeService
from tests.factories import make_report
from tests.fakes.intake import intake_units

HERE = Path(__file__).parents[3] / "services" / "intake" / "intake"
REGISTRY = {"categories": [{"code": "infrastruktur", "name_id": "Infrastruktur", "name_en": "Infrastructure"}],
            "regions": [{"code": "5108", "name": "Kabupaten Buleleng", "level": "district"}]}
EMAIL = "kanari.halaman@example.net"
NATIONAL = {"official_id": "nas-admin-1", "role": "national_admin", "agency_code": None, "unit_code": None}
LIAISON = {"official_id": "lo-bll-pupr", "role": "liaison", "agency_code": "PEMKAB-BULELENG", "unit_code": "BLL-PUPR"}


class Auth:
    def __init__(self, principal):
        self.who = principal

    def principal(self, request, roles=()):
        return self.who  # the role check under test is the handler's own (intake.privacy.EXPORTERS)


class Notification:
    def __init__(self, answer=None, error=None):
        self.answer, self.error, self.asked = answer or [], error, []

    def for_report(self, tracking_id):
        self.asked.append(tracking_id)
        if self.error:
            raise self.error
        return self.answer


def service(principal=NATIONAL, notification=None):
    web = Web(HERE / "templates", HERE / "messages.yml", b"test-secret")
    units = intake_units(Settings(), registry=REGISTRY)
    svc = worker_factory(IntakeService, store=units, web=web, auth=Auth(principal),
                         notification=notification or Notification())
    receipt = units.run(handlers.accept_report, {"form": schemas.load_report(make_report(
        reporter={"name": "Kadek Kanari", "email": EMAIL}))})["receipt"]
    return svc, units, web, receipt


def reporter(units, tracking_id) -> dict:
    return units.state["FakeReports"]["reports"][tracking_id]["reporter"]


def api(body, content_type="application/json"):
    return Request(EnvironBuilder(method="POST", data=json.dumps(body), content_type=content_type).get_environ())


def form_post(form: dict, web: Web, lang="id") -> Request:
    token = web.csrf.new("")
    return Request(EnvironBuilder(method="POST", data={**form, CSRF_FIELD: token}, headers={
        "Cookie": f"{CSRF_COOKIE}={token}", "Accept-Language": lang}).get_environ())


def test_the_api_erases_with_the_secret_and_names_the_field_otherwise():
    svc, units, _, receipt = service()
    tracking_id = receipt["tracking_id"]
    with pytest.raises(ApiError) as wrong:
        svc.erase_personal_data(api({"secret": "WRON-GSEC-RET1"}), tracking_id)
    assert wrong.value.status == 403 and reporter(units, tracking_id)["email"] == EMAIL
    with pytest.raises(ValidationError) as missing:
        svc.erase_personal_data(api({}), tracking_id)
    assert list(missing.value.messages) == ["secret"]  # the error format names the field
    with pytest.raises(ApiError) as plain:
        svc.erase_personal_data(api({"secret": receipt["secret"]}, "text/plain"), tracking_id)
    assert plain.value.status == 415 and reporter(units, tracking_id)["email"] == EMAIL
    response = svc.erase_personal_data(api({"secret": receipt["secret"]}), tracking_id)
    body = json.loads(response.get_data())
    assert response.status_code == 200 and body["already"] is False and body["reason"] == "request"
    assert reporter(units, tracking_id) == {}


def test_the_page_asks_for_confirmation_then_erases_and_sends_the_reporter_back_to_the_tracking_page():
    svc, units, web, receipt = service()
    tracking_id = receipt["tracking_id"]
    step = svc.erasure_page(Request(EnvironBuilder(headers={"Accept-Language": "en"}).get_environ()), tracking_id)
    html = step.get_data(as_text=True)
    assert step.status_code == 200 and "Yes, erase my contact details" in html and 'name="secret"' in html
    assert reporter(units, tracking_id)["email"] == EMAIL  # opening the step erases nothing
    refused = svc.erasure_submit(form_post({"secret": "WRON-GSEC-RET1"}, web), tracking_id)
    assert refused.status_code == 403 and "Kode rahasia tidak cocok" in refused.get_data(as_text=True)
    assert reporter(units, tracking_id)["email"] == EMAIL
    done = svc.erasure_submit(form_post({"secret": receipt["secret"]}, web), tracking_id)
    assert done.status_code == 303 and done.headers["Location"].endswith(f"/lacak/{tracking_id}?notice=contact_erased")
    assert reporter(units, tracking_id) == {}


def test_an_admin_exports_a_report_with_what_notification_sent_and_the_export_is_audited():
    sent = [{"notification_id": "ntf_1", "template": "report_received", "status": "sent"}]
    svc, units, _, receipt = service(notification=Notification(sent))
    response = svc.export_personal_data(Request(EnvironBuilder().get_environ()), receipt["tracking_id"].lower())
    body = json.loads(response.get_data())
    assert response.status_code == 200 and EMAIL not in response.get_data(as_text=True)  # no secret, no values
    assert body["contacts"]["held"] == ["reporter.email", "reporter.name"] and body["notifications"] == sent
    asked = Request(EnvironBuilder(headers={"X-Reporter-Secret": receipt["secret"]}).get_environ())
    body = json.loads(svc.export_personal_data(asked, receipt["tracking_id"]).get_data())
    assert body["contacts"]["email"] == EMAIL and body["contacts"]["disclosed"] is True
    assert body["privacy_audit"][-1]["action"] == "exported" and "secret_hash" not in body["report"]


def test_the_next_role_down_is_refused_and_notification_not_answering_is_503_not_a_partial_export():
    svc, units, _, receipt = service(principal=LIAISON)
    with pytest.raises(ApiError) as refused:
        svc.export_personal_data(Request(EnvironBuilder().get_environ()), receipt["tracking_id"])
    assert refused.value.status == 403
    silent = Notification(error=TimeoutError("no answer"))
    svc, units, _, receipt = service(notification=silent)
    with pytest.raises(ApiError) as unavailable:
        svc.export_personal_data(Request(EnvironBuilder().get_environ()), receipt["tracking_id"])
    assert unavailable.value.status == 503 and silent.asked == [receipt["tracking_id"]]
    assert not units.state.get("FakePrivacy", {}).get("privacy_audit")

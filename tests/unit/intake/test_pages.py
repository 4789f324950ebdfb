"""Intake's citizen pages with worker_factory: real templates and messages, the store replaced by
intake's fake units of work (what each page reads and writes goes through the same handlers)."""
from pathlib import Path

import pytest
from nameko.testing.services import worker_factory
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from contract.web import CSRF_COOKIE, CSRF_FIELD, REPORTER_KEY_COOKIE, CsrfError, NotFoundPage, Web
from intake import handlers, schemas
from intake.dependencies import Settings
from intake.service import IntakeService
from tests.factories import make_report
from tests.fakes.intake import intake_units

HERE = Path(__file__).parents[3] / "services" / "intake" / "intake"
REGISTRY = {"categories": [{"code": "infrastruktur", "name_id": "Infrastruktur", "name_en": "Infrastructure"}],
            "regions": [{"code": "51", "name": "Bali", "level": "province"},
                        {"code": "5108", "name": "Kabupaten Buleleng", "level": "district"}]}


def service():
    web = Web(HERE / "templates", HERE / "messages.yml", b"test-secret")
    units = intake_units(Settings(), registry=REGISTRY)
    return worker_factory(IntakeService, store=units, web=web), units, web


def cookie_header(cookies: dict) -> dict:
    return {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())} if cookies else {}


def get(path: str, cookies: dict | None = None) -> Request:
    return Request(EnvironBuilder(method="GET", path=path, headers=cookie_header(cookies or {})).get_environ())


def post(path: str, form: dict, web: Web, cookies: dict | None = None) -> Request:
    token = web.csrf.new("")
    return Request(EnvironBuilder(method="POST", path=path, data={**form, CSRF_FIELD: token},
                                  headers=cookie_header({CSRF_COOKIE: token, **(cookies or {})}),
                                  environ_base={"REMOTE_ADDR": "203.0.113.9"}).get_environ())


def test_the_report_form_offers_the_registry_copy():
    svc, _, _ = service()
    response = svc.report_form_page(get("/lapor"))
    assert response.status_code == 200 and "Kabupaten Buleleng, Bali" in response.get_data(as_text=True)


def test_a_submitted_form_is_a_report_and_the_browser_keeps_its_secret():
    svc, units, web = service()
    body = {k: v for k, v in make_report().items() if k != "reporter"}
    response = svc.report_form_submit(post("/lapor", body, web))
    report, = units.state["FakeReports"]["reports"].values()
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/lapor/{report['_id']}")
    assert any(c.startswith(REPORTER_KEY_COOKIE + report["_id"]) for c in response.headers.getlist("Set-Cookie"))
    assert units.published == ["report_received"]


def test_a_form_without_a_csrf_token_is_refused_and_stores_nothing():
    svc, units, _ = service()
    request = Request(EnvironBuilder(method="POST", path="/lapor", data={"title": "x"}).get_environ())
    with pytest.raises(CsrfError):
        svc.report_form_submit(request)
    assert units.outbox == []


def test_an_invalid_form_is_shown_again_with_its_errors():
    svc, units, web = service()
    response = svc.report_form_submit(post("/lapor", {"title": "x", "region_code": "Bali"}, web))
    assert response.status_code == 400 and units.outbox == []


def test_the_receipt_page_shows_a_report_and_an_unknown_one_is_404():
    svc, units, _ = service()
    receipt = units.run(handlers.accept_report, {"form": schemas.load_report(make_report())})["receipt"]
    response = svc.receipt_page(get(f"/lapor/{receipt['tracking_id']}"), receipt["tracking_id"])
    assert response.status_code == 200 and receipt["tracking_id"] in response.get_data(as_text=True)
    moved = svc.receipt_page(get("/lapor/x"), receipt["tracking_id"].lower())
    assert moved.status_code == 303
    with pytest.raises(NotFoundPage):
        svc.receipt_page(get("/lapor/x"), "ID-K7M4X-9XQ2B")


def test_the_public_list_shows_public_reports_only():
    svc, units, _ = service()
    public = units.run(handlers.accept_report, {"form": schemas.load_report(make_report(title="Terbuka untuk umum"))})
    units.run(handlers.accept_report, {"form": schemas.load_report(make_report(title="Rahasia sekali",
                                                                               is_confidential=True))})
    page = svc.public_list_page(get("/publik")).get_data(as_text=True)
    assert public["report"]["_id"] in page and "Rahasia sekali" not in page

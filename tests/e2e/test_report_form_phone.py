"""The report form on a 360 px phone (issue 21): the first screen asks only what happened and
where; the rest follows below, with JavaScript on and off; axe-clean in both languages.

Chromium reads the form as intake renders it (its templates, messages and the contract's CSS),
served by a small local server with the demo region's categories and regions: no stack needed,
so the layout is measured in seconds. Screenshots go where the other browser tests save theirs."""
from __future__ import annotations

import threading

import pytest
import yaml
from werkzeug.serving import make_server
from werkzeug.wrappers import Request

from contract import web
from intake import pages
from intake.service import HERE as INTAKE
from tests.conftest import ROOT
from tests.e2e import browser as chromium

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(chromium.available() is not None,
                                                  reason=str(chromium.available()))]

PHONE_360 = (360, 740)  # the page's viewport in CSS pixels: Samsung Galaxy S8-S9 class phones
FIRST_SCREEN = {"description", "region_code", "location_text"}  # what happened, and where
FIELDS = "main form [name]:not([type=hidden]):not([name=csrf_token])"


@pytest.fixture(scope="module")
def form_url():
    """The form at ``/lapor`` and the contract's assets, on an ephemeral local port."""
    with open(ROOT / "deploy" / "demo" / "region.yml", encoding="utf-8") as handle:
        demo = yaml.safe_load(handle)
    registry = {"category_docs": demo["categories"], "region_docs": demo["regions"]}
    pages_of_intake = web.Web(INTAKE / "templates", INTAKE / "messages.yml", b"k" * 32)

    def app(environ, start_response):
        request = Request(environ)
        if request.path.startswith("/assets/"):
            response = web.static_response(request.path.rsplit("/", 1)[-1])
        else:
            page = pages_of_intake.page(request)
            response = pages.report_form(page, registry, 5, {"classification": "complaint"}, {})
        return response(environ, start_response)

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/lapor"
    server.shutdown()


def first_screen(b) -> tuple[set[str], set[str]]:
    """(fields wholly inside the first screen, fields reaching into it at all)."""
    boxes = b.driver.execute_script(
        "const h = window.innerHeight; return [...document.querySelectorAll(arguments[0])].map(e => {"
        " const box = (e.closest('.field, .choice, fieldset') || e).getBoundingClientRect();"
        " return [e.name, box.top, box.bottom, h]; });", FIELDS)
    b.boxes = boxes + b.driver.execute_script(  # shown when an assertion fails
        "return [...document.querySelectorAll('header, nav, main, main h1, main > p')].map(e => ["
        " e.tagName + '.' + e.className, e.getBoundingClientRect().top, e.getBoundingClientRect().bottom])")
    whole = {name for name, top, bottom, height in boxes if top >= 0 and bottom <= height}
    touching = {name for name, top, bottom, height in boxes if top < height}
    return whole, touching


@pytest.mark.parametrize("javascript", [False, True], ids=["js-off", "js-on"])
def test_the_first_screen_on_a_360_px_phone_asks_only_what_happened_and_where(form_url, open_browser, javascript):
    b = open_browser(size=PHONE_360, javascript=javascript)
    b.driver.get(form_url)
    inner = b.driver.execute_script("return [window.innerWidth, window.innerHeight]")
    b.resize((PHONE_360[0] * 2 - inner[0], PHONE_360[1] * 2 - inner[1]))  # the window's own bars aside
    for lang in ("id", "en"):
        b.driver.get(f"{form_url}?lang={lang}")
        assert b.driver.execute_script("return [window.innerWidth, window.innerHeight]") == list(PHONE_360)
        whole, touching = first_screen(b)
        assert FIRST_SCREEN <= whole, (lang, whole, b.boxes[-7:], b.boxes[:3])  # fields, then the header
        assert touching == FIRST_SCREEN, (lang, touching - FIRST_SCREEN)
        assert b.driver.execute_script(  # nothing wider than the phone
            "return document.documentElement.scrollWidth") <= 360
        if javascript:
            assert b.axe() == [], lang
        b.screenshot(f"report-form-360-{lang}-{'js' if javascript else 'nojs'}")
    # the rest of the form is below, in the same form, and the button sends all of it
    names = {e.get_attribute("name") for e in b.driver.find_elements("css selector", FIELDS)}
    assert {"title", "category_code", "incident_date", "classification", "reporter_email", "evidence"} <= names

"""Routing's officials' pages name what a person reads (issue 21): the report page's queue holder
("PEMKAB-BULELENG · BLL-PUPR" was shown), its category and region, its audit trail's moves and its
dates, and the inbox's lines, in the page's language, from the one name function."""
from datetime import date
from pathlib import Path

from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from contract import web
from contract.officials_web import officials_web
from routing import handlers, pages, schemas
from tests.unit.routing.fixtures import BULELENG, LIAISON, demo_units, routed

HERE = Path(schemas.__file__).parent
UNIT = "Dinas Pekerjaan Umum dan Penataan Ruang Kab. Buleleng"


def page(lang: str):
    web_ = officials_web(web.Web(None, None, b"k" * 32), HERE / "templates", HERE / "messages.yml")
    shown = web_.page(Request(EnvironBuilder(path="/petugas", headers={"Accept-Language": lang}).get_environ()))
    shown.official = {**BULELENG, "name": "Admin Buleleng", "via": "session"}
    return shown


def test_the_report_page_names_the_holder_category_region_and_the_moves_in_both_languages():
    units = demo_units()
    tracking_id = routed(units, category_code="infrastruktur", region_code="5108", incident_date=date(2026, 11, 16))
    item = units.read(lambda uow: uow.desk.get(tracking_id))
    for lang, category in (("id", "Infrastruktur (jalan, jembatan, drainase)"),
                           ("en", "Infrastructure (roads, bridges, drainage)")):
        shown = units.read(handlers.report_page, BULELENG, item, lang)
        html = pages.render_report(page(lang), BULELENG, shown, {}, None).get_data(as_text=True)
        assert f"Pemerintah Kabupaten Buleleng · {UNIT}" in html  # the queue's holder, and the audit's move
        assert category in html and "Kabupaten Buleleng" in html
        assert "PEMKAB-BULELENG" not in html.replace('value="PEMKAB-BULELENG"', "")  # a form's value is a machine's
        assert "BLL-PUPR" not in html.replace('value="BLL-PUPR"', "")
        assert "2026-11-16" not in html and "16 November 2026" in html  # the incident date, as a person reads it


def test_the_inbox_lines_name_the_category_and_region():
    units = demo_units()
    routed(units, category_code="infrastruktur", region_code="5108")
    body = units.read(handlers.inbox, LIAISON, schemas.InboxQuery().load({"per_page": 25}))
    assert body["items"]
    names = units.read(handlers.names)
    html = page("en").render("inbox.html", inbox=body, filters={}, names=names, done=None,
                             categories=sorted(names.table("categories", "en").items()), queues=schemas.QUEUES,
                             statuses=schemas.STATUSES).get_data(as_text=True)
    assert "Infrastructure (roads, bridges, drainage) · Kabupaten Buleleng" in html

"""Officials' follow-up pages rendered from the handlers' output (fake unit of work): every time in
the zone of the report's region, named, and the dashboard's counting time in the hub's zone, never
"WIB UTC" (issue 21)."""
from __future__ import annotations

from datetime import timedelta

from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from contract import web
from contract.officials_web import officials_web
from followup import handlers
from followup.service import HERE
from followup.settings import Settings
from tests.fakes.followup import followup_units
from tests.fakes.names import with_names

from .factories import AGENCY_ADMIN, dispositioned
from .handler_support import MONDAY, TRACKING_ID, Clock

PRINCIPAL = {**AGENCY_ADMIN, "name": "Admin Buleleng"}


def render(template: str, lang: str = "id", **context) -> str:
    pages = officials_web(web.Web(None, None, b"k" * 32), HERE / "petugas_templates", HERE / "officials.yml")
    page = pages.page(Request(EnvironBuilder(path="/petugas", headers={"Accept-Language": lang}).get_environ()))
    page.official = {**PRINCIPAL, "via": "session"}
    return page.render(template, **context).get_data(as_text=True)


def overdue_units(hub: str):
    """A Buleleng (Bali, WITA) case stored as routing sent it (region_timezone WIB), now overdue."""
    clock = Clock()
    units = followup_units(clock)
    units.settings = Settings(hub=hub)
    units.run(handlers.workflow_event, "report_dispositioned", dispositioned())
    clock.now = MONDAY + timedelta(days=30)
    return units


def test_the_dashboard_counts_in_the_hubs_zone_and_shows_deadlines_in_the_regions():
    html = render("dashboard.html", **overdue_units("5108").read(handlers.dashboard, PRINCIPAL, "id"))
    assert "Dihitung pada 16 Desember 2026, 11:00 WITA." in html  # MONDAY + 30 days, 03:00 UTC
    assert "UTC" not in html and "WIB" not in html
    assert TRACKING_ID in html and " WITA</td>" in html  # the overdue case's deadline


def test_the_national_hubs_dashboard_counts_in_wib():
    html = render("dashboard.html", "en", **overdue_units("ID").read(handlers.dashboard, PRINCIPAL, "en"))
    assert "Counted at 16 December 2026, 10:00 WIB." in html and "UTC" not in html


def test_an_officials_case_page_shows_every_time_in_the_regions_zone():
    shown = overdue_units("ID").read(handlers.official_case_page, PRINCIPAL, TRACKING_ID, "id")
    html = render("case.html", form_errors={}, notice=None, **shown)
    assert " WITA</time>" in html and "WIB" not in html


def test_the_dashboard_and_case_page_name_the_agency_and_unit_not_their_codes():
    """Issue 21: "PEMKAB-BULELENG · BLL-PUPR" read as names (the registry names copy)."""
    units = with_names(overdue_units("ID"))
    dashboard = render("dashboard.html", "en", **units.read(handlers.dashboard, PRINCIPAL, "en"))
    assert "Pemerintah Kabupaten Buleleng · Dinas Pekerjaan Umum dan Penataan Ruang Kab. Buleleng" in dashboard
    assert "Agency Pemerintah Kabupaten Buleleng" in dashboard  # whose counts these are
    case = render("case.html", form_errors={}, notice=None,
                  **units.read(handlers.official_case_page, PRINCIPAL, TRACKING_ID, "id"))
    assert "Pemerintah Kabupaten Buleleng · Dinas Pekerjaan Umum dan Penataan Ruang Kab. Buleleng" in case
    for html in (dashboard, case):
        assert "PEMKAB-BULELENG" not in html and "BLL-PUPR" not in html

"""The statistics page's periods and chart geometry."""
from datetime import date
from pathlib import Path

from assessment import stats_page
from contract.web import Web

HERE = Path(stats_page.__file__).parent


def test_periods_offered_are_this_and_last_year_then_quarters_and_months_so_far():
    assert stats_page.period_options(date(2026, 5, 3)) == [
        "2026", "2025", "2026-Q2", "2026-Q1", "2026-05", "2026-04", "2026-03", "2026-02", "2026-01"]


def test_bars_are_proportional_and_a_suppressed_count_has_no_bar():
    rows = stats_page.topic_rows([{"category_code": "a", "received": 40}, {"category_code": "b", "received": 10},
                                  {"category_code": "c", "received": None}], lambda c: {"a": "Jalan"}.get(c, c), "fewer than 5")
    chart = stats_page.hbar_chart(rows)
    a, b, c = chart["bars"]
    assert a["label"] == "Jalan" and b["label"] == "b"
    assert a["w"] == 4 * b["w"] and c["w"] == 0 and c["text"] == "fewer than 5"
    assert a["y"] < b["y"] < c["y"] and chart["height"] > c["y"] + c["h"]


def test_agencies_by_completion_coloured_by_indicator():
    agencies = [{"agency_code": "A", "completed_pct": 40.0, "indicator": "red", "received": 10},
                {"agency_code": "B", "completed_pct": 95.0, "indicator": "green", "received": 20},
                {"agency_code": "C", "completed_pct": None, "indicator": None, "received": None}]
    rows = stats_page.agency_rows(agencies, str, "-")
    assert [r["label"] for r in rows] == ["B", "A", "C"]
    assert rows[0]["fill"] == stats_page.COLOURS["green"] and rows[1]["fill"] == stats_page.COLOURS["red"]
    chart = stats_page.hbar_chart(rows, maximum=100)
    assert chart["bars"][0]["w"] == round(270 * 0.95, 1)
    at_zero = stats_page.hbar_chart(stats_page.agency_rows([{**agencies[0], "completed_pct": 0.0}], str, "-"))
    assert at_zero["bars"][0]["w"] > 0                   # the red of an agency at 0 % stays visible
    colours = stats_page.colour_rows(agencies, {"green": "Hijau", "yellow": "Kuning", "red": "Merah"})
    assert [(r["label"], r["value"]) for r in colours] == [("Hijau", 1), ("Kuning", 0), ("Merah", 1)]


def test_every_message_of_the_statistics_page_exists():
    assert Web(HERE / "templates", HERE / "messages.yml", b"k" * 32).missing_messages() == []


def test_the_english_statistics_page_names_categories_and_agencies_never_a_bare_code(monkeypatch):
    """Issue 21: the page in English showed the bare category ``lainnya`` (the text channels'
    uncategorised, which the registry does not list) and agencies' codes."""
    from datetime import datetime, timezone

    from nameko.testing.services import worker_factory
    from werkzeug.test import EnvironBuilder
    from werkzeug.wrappers import Request

    from assessment import handlers, service
    from contract.registry_names import names_of_registry
    from tests.fakes.assessment import assessment_units
    from tests.fakes.names import with_names
    from tests.unit.assessment.test_handlers_events import dispositioned, fold_all, received
    units = with_names(assessment_units(), names_of_registry(
        {"agencies": [{"code": "PEMKAB-BULELENG", "name": "Pemerintah Kabupaten Buleleng"}],
         "categories": [{"code": "kesehatan", "name_id": "Kesehatan", "name_en": "Health"}]}))
    events = []
    for i in range(12):
        tid = f"ID-{i}"
        events += [("report_received", received(tid, f"r{i}", category_code="lainnya" if i % 2 else "kesehatan")),
                   ("report_dispositioned", dispositioned(tid, f"d{i}", "PEMKAB-BULELENG"))]
    fold_all(units, events)
    units.run(handlers.fold_journal, units.read(handlers.pending_journal, 100))
    monkeypatch.setattr(service, "utcnow", lambda: datetime(2025, 12, 31, tzinfo=timezone.utc))
    worker = worker_factory(service.AssessmentService, store=units, web=Web(HERE / "templates", HERE / "messages.yml", b"k" * 32))
    request = Request(EnvironBuilder(path="/statistik", query_string="period=2025&lang=en").get_environ())
    html = worker.statistics_page(request).get_data(as_text=True)
    assert "Other (not yet categorised)" in html and "Health" in html and "Pemerintah Kabupaten Buleleng" in html
    assert ">lainnya<" not in html and ">kesehatan<" not in html and "PEMKAB-BULELENG" not in html


def test_the_monitoring_page_names_the_officials_agency():
    from werkzeug.test import EnvironBuilder
    from werkzeug.wrappers import Request

    from contract.officials_web import officials_web
    from contract.registry_names import Names
    from tests.fakes.names import DEMO_NAMES
    pages = officials_web(Web(None, None, b"k" * 32), HERE / "petugas_templates", HERE / "officials.yml")
    page = pages.page(Request(EnvironBuilder(path="/petugas/pemantauan", headers={"Accept-Language": "en"}).get_environ()))
    page.official = {"official_id": "adm-buleleng", "role": "agency_admin", "agency_code": "PEMKAB-BULELENG",
                     "name": "Admin Buleleng", "via": "session"}
    html = page.render("monitoring_page.html", periods=["2026"], agency="PEMKAB-BULELENG", national=False,
                       names=Names(DEMO_NAMES)).get_data(as_text=True)
    assert "Your agency: Pemerintah Kabupaten Buleleng" in html and "PEMKAB-BULELENG" not in html

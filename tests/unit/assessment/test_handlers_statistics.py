"""KPI queries, monitoring reports, public statistics and the statistics page on the fake unit of work."""
from datetime import date, timedelta

import pytest

from assessment import handlers
from contract.errors import ApiError
from contract.registry_names import names_of_registry
from tests.fakes.assessment import assessment_units
from tests.fakes.names import with_names
from tests.unit.assessment.test_handlers_events import closed, dispositioned, fold_all, received

NATIONAL = {"role": "national_admin", "official_id": "n1", "agency_code": None}
AG1_ADMIN = {"role": "agency_admin", "official_id": "a1", "agency_code": "AG1"}


def counted(reports=6, agency="AG1", closed_share=4):
    """Units holding ``reports`` received and dispositioned reports, ``closed_share`` of them closed, folded."""
    units = assessment_units()
    events = []
    for i in range(reports):
        tid = f"ID-{i}"
        events += [("report_received", received(tid, f"r{i}", category_code="jalan" if i % 2 else "air")),
                   ("report_dispositioned", dispositioned(tid, f"d{i}", agency))]
        if i < closed_share:
            events.append(("case_closed", closed(tid, f"c{i}", rating=5)))
    fold_all(units, events)
    units.run(handlers.fold_journal, units.read(handlers.pending_journal, 100))
    return units


def test_kpis_of_a_dimension_for_a_period_hub_wide_and_per_agency():
    units = counted()
    hub = units.read(handlers.kpis, "2025-Q1", "category")
    assert hub["scope"] == "*" and hub["months"] == ["2025-01", "2025-02", "2025-03"]
    assert {r["value"]: r["received"] for r in hub["rows"]} == {"jalan": 3, "air": 3}
    assert units.read(handlers.kpis, "2025", "all", "AG1")["rows"][0]["completed_pct"] == pytest.approx(66.7)
    with pytest.raises(ApiError) as refused:
        units.read(handlers.kpis, "2025", "colour")
    assert refused.value.errors[0]["field"] == "by"


def test_an_agency_is_known_by_its_reports_or_by_the_registry_names_else_404():
    units = with_names(counted(), names_of_registry({"agencies": [{"code": "AG7", "name": "Dinas Tujuh"}]}))
    units.read(handlers.require_agency, NATIONAL, "AG1")          # has reports here
    units.read(handlers.require_agency, NATIONAL, "AG7")          # the registry names it
    with pytest.raises(ApiError) as unknown:
        units.read(handlers.require_agency, NATIONAL, "AG9")
    assert unknown.value.status == 404 and unknown.value.errors[0]["field"] == "agency_code"


def test_the_period_and_scope_a_principal_may_see():
    units = counted()
    period, scope = units.read(handlers.period_scope, NATIONAL, {"period": "2025", "agency": None})
    assert (period["period"], period["kind"], scope) == ("2025", "year", "*")
    period, scope = units.read(handlers.period_scope, AG1_ADMIN, {"period": "2025-03", "agency": None})
    assert (period["kind"], scope) == ("month", "AG1")
    with pytest.raises(ApiError) as forbidden:
        units.read(handlers.period_scope, AG1_ADMIN, {"period": "2025", "agency": "AG2"})
    assert forbidden.value.status == 403


def test_the_monitoring_report_has_totals_months_breakdowns_and_the_target():
    units = counted()
    units.run(handlers.set_target, {"agency_code": "AG1", "year": 2025, "target_received": 10,
                                    "target_completed_pct": 80.0, "set_by": "a1"})
    period, _ = units.read(handlers.period_scope, NATIONAL, {"period": "2025", "agency": "AG1"})
    report = units.read(handlers.monitoring_report, period, "AG1")
    assert report["totals"]["received"] == 6 and report["indicator"] == "yellow"   # 50 <= 66.7 % < 80
    assert [m["received"] for m in report["monthly"]][:3] == [0, 0, 6] and len(report["monthly"]) == 12
    assert "agency" not in report["breakdowns"] and report["breakdowns"]["category"]
    assert report["target"]["gap_received"] == -4
    hub = units.read(handlers.monitoring_report, period, "*")
    assert hub["target"] is None and hub["breakdowns"]["agency"][0]["value"] == "AG1"


def test_public_statistics_suppress_small_cells():
    units = counted(reports=6)
    fold_all(units, [("report_received", received("ID-X", "rx")), ("report_dispositioned", dispositioned("ID-X", "dx", "AG2"))])
    units.run(handlers.fold_journal, units.read(handlers.pending_journal, 100))
    stats = units.read(handlers.public_stats, "2025")
    agencies = {a["agency_code"]: a for a in stats["agencies"]}
    assert stats["received"] == 7 and agencies["AG1"]["received"] == 6
    assert agencies["AG2"] == {**agencies["AG2"], "received": None, "suppressed": True, "completed_pct": None}
    assert stats["survey"] == {"respondents": 0, "ikm": None, "grade": None}


def test_counts_exact_for_services_and_suppressed_for_the_public():
    units = counted(reports=3)
    assert units.read(handlers.counts, False)["agencies"] == {"AG1": {"dispositioned": 3}}
    assert units.read(handlers.counts, True)["agencies"] == {"AG1": {"dispositioned": None}}


def test_the_statistics_page_falls_back_to_the_newest_period_offered_and_hides_few_ratings():
    today = date(2025, 5, 2)
    shown = counted(closed_share=5).read(handlers.statistics_page, "not-a-period", today)
    assert shown["options"][0] == "2025" and shown["stats"]["period"] == "2025"
    assert shown["rating_index"] == 100.0 and shown["k"] == 5            # five ratings of 5
    few = counted(closed_share=4).read(handlers.statistics_page, "2025-03", today - timedelta(days=1))
    assert few["stats"]["period"] == "2025-03" and few["rating_index"] is None   # four ratings: fewer than k

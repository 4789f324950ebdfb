import pytest

from assessment import indicators, periods
from contract.errors import ApiError


@pytest.mark.parametrize("text,label,months", [
    ("2024", "2024", 12), ("2024-q2", "2024-Q2", 3), ("2024-05", "2024-05", 1)])
def test_periods_parse(text, label, months):
    parsed = periods.parse(text)
    assert parsed["period"] == label and len(parsed["months"]) == months


@pytest.mark.parametrize("text", [None, "", "24", "2024-13", "2024-Q5", "1999", "2024/05", "May 2024"])
def test_unparseable_periods_are_contract_errors(text):
    with pytest.raises(ApiError) as caught:
        periods.parse(text)
    assert caught.value.errors[0]["field"] == "period" and caught.value.errors[0]["code"] == "invalid"


def test_seed_004_general_information_percentages():
    row = indicators.kpi_row("*", {"received": 52, "completed": 34, "unresolved": 18}, 12)
    assert (row["completed_pct"], row["unresolved_pct"]) == (65.4, 34.6)
    assert indicators.kpi_row("*", {"received": 14, "completed": 13, "unresolved": 1}, 12)["completed_pct"] == 92.9


def test_satisfaction_index_and_colours():
    assert indicators.satisfaction_index(5.0) == 100.0 and indicators.satisfaction_index(3.0) == 50.0
    assert [indicators.colour(p, indicators.DEFAULT_COLOURS) for p in (92.9, 54.5, 46.2, None)] == [
        "green", "yellow", "red", None]


def test_target_gap_as_in_seed_004_table_5():
    target = {"agency_code": "PEMKAB-KOTIM", "year": 2021, "baseline_year": 2020, "baseline_received": 22,
              "baseline_completed_pct": 54.5, "target_received": 25, "target_completed_pct": 80.0}
    view = indicators.target_view(target, {"received": 13, "completed": 6, "completed_pct": 46.2})
    assert (view["gap_received"], view["gap_completed_pct"]) == (-12, -33.8)


def test_public_view_suppresses_small_cells():
    rows = [{"value": "A", "received": 3, "completed": 3, "completed_pct": 100.0},
            {"value": "B", "received": 40, "completed": 20, "completed_pct": 50.0}]
    view = indicators.public_view(rows, [], {"received": 43, "completed_pct": 53.5, "statuses": {"closed": 2}},
                                  {"period": "2024"}, 5, indicators.DEFAULT_COLOURS)
    assert view["agencies"][0] == {"agency_code": "A", "received": None, "completed": None, "completed_pct": None,
                                   "indicator": None, "suppressed": True}
    assert view["agencies"][1]["indicator"] == "yellow" and view["statuses"]["closed"] is None

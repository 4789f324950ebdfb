"""The grouped cell layout: journal moves summed per cell, grouped per document, read back."""
from hypothesis import given, strategies as st

from assessment import cells, kpi
from tests.unit.assessment.test_kpi import EVENTS, folded


@given(st.text(min_size=1))
def test_escaping_round_trips_and_leaves_no_path_separator(value):
    key = cells.escape(value)
    assert cells.unescape(key) == value
    assert "." not in key and not key.startswith("$")


def test_moves_of_many_events_sum_per_cell_and_drop_zeros():
    moves = [[("*|all|*|2024-04", {"received": 1, "unresolved": 1})],
             [("*|all|*|2024-04", {"unresolved": -1, "completed": 1})],
             [("*|unit|-|2024-04", {"received": 1})], [("*|unit|-|2024-04", {"received": -1})]]
    assert cells.sum_moves(moves) == {"*|all|*|2024-04": {"received": 1, "completed": 1}}


def test_one_update_per_group_with_escaped_value_paths():
    groups = cells.group_increments({"*|region|62.02|2024": {"received": 1},
                                     "*|region|6203|2024": {"received": 2, "completed": 1},
                                     "A|unit|U1|2024-04": {"received": 1}})
    assert groups == {"*|region|2024": {"dims.region.62%2E02.received": 1, "dims.region.6203.received": 2,
                                        "dims.region.6203.completed": 1},
                      "A|@|2024-04": {"dims.unit.U1.received": 1}}


def test_a_facts_contributions_survive_the_round_trip_through_group_documents():
    table = kpi.contributions(folded(EVENTS), "Asia/Jakarta")
    docs = cells.group_documents(table)
    assert len(docs) < len(table)  # values of one dimension share a document
    assert cells.cell_table(docs) == {cid: {k: v for k, v in c.items() if v} for cid, c in table.items()}
    gesi = next(d for d in docs if d["_id"] == "*|gesi|2024-04")
    assert sorted(r["value"] for r in cells.rows(gesi, "gesi")) == ["disability", "women"]
    assert [r["received"] for r in cells.rows(gesi, "gesi", "women")] == [1]
    agency = next(d for d in docs if d["_id"] == "PEMKAB-KOTIM|@|2024-04")  # all dimensions of an agency
    assert set(agency["dims"]) == set(kpi.DIMENSIONS)
    assert [r["value"] for r in cells.rows(agency, "unit")] == ["KTM-PUPR"]

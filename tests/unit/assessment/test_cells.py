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


def test_a_group_is_folded_into_a_new_document_and_the_stored_one_is_left_alone():
    increments = {"dims.region.62%2E02.received": 2, "dims.region.62%2E02.completed": 1, "dims.all.*.received": 2}
    how, expect, doc = cells.group_write(None, "*|region|2024", increments)
    assert how == "insert" and expect is None
    assert doc == {"_id": "*|region|2024", "scope": "*", "part": "region", "month": "2024", "rev": 1,
                   "dims": {"region": {"62%2E02": {"received": 2, "completed": 1}}, "all": {"*": {"received": 2}}}}
    stored = {**doc, "dims": {"region": {"62%2E02": {"received": 2, "completed": 1}}}}
    new, changed = cells.fold_group(stored, stored["_id"], {"dims.region.62%2E02.received": -1,
                                                            "dims.region.6203.received": 1})
    assert new["dims"]["region"] == {"62%2E02": {"received": 1, "completed": 1}, "6203": {"received": 1}}
    assert new["rev"] == 2 and changed == {"dims.region.62%2E02": {"received": 1, "completed": 1},
                                           "dims.region.6203": {"received": 1}}
    assert stored["dims"]["region"] == {"62%2E02": {"received": 2, "completed": 1}}  # not changed in place


def test_few_changed_cells_are_set_and_many_replace_the_group_both_guarded_by_the_rev_read():
    stored = {"_id": "A|@|2024", "scope": "A", "part": "@", "month": "2024",
              "dims": {"unit": {f"U{i}": {"received": 1} for i in range(50)}}}  # a rebuild's: no rev yet
    how, expect, update = cells.group_write(stored, stored["_id"], {"dims.unit.U1.received": 1})
    assert (how, expect) == ("set", {"_id": "A|@|2024", "rev": None})
    assert update == {"$set": {"dims.unit.U1": {"received": 2}, "rev": 1}}
    many = {f"dims.unit.U{i}.received": 1 for i in range(cells.SET_CELLS_MAX + 1)}
    how, expect, doc = cells.group_write({**stored, "rev": 4}, stored["_id"], many)
    assert (how, expect) == ("replace", {"_id": "A|@|2024", "rev": 4})
    assert doc["rev"] == 5 and doc["dims"]["unit"]["U0"] == {"received": 2} and doc["dims"]["unit"]["U49"] == {"received": 1}


def test_a_batch_entry_sums_the_moves_of_its_events_in_its_document():
    entry = cells.BatchEntry("r1", "now")
    entry.add({"*|all|*|2024-04": {"received": 1, "unresolved": 1}}, [("hub:ID", {"received": 1})])
    entry.add({"*|all|*|2024-04": {"unresolved": -1, "completed": 1}, "A|unit|U1|2024-04": {"received": 1}}, [])
    assert entry.doc["_id"] == "r1" and entry.doc["events"] == 2
    assert cells.sum_moves([entry.doc["moves"]]) == {"*|all|*|2024-04": {"received": 1, "completed": 1},
                                                     "A|unit|U1|2024-04": {"received": 1}}
    assert entry.doc["legacy"] == [["hub:ID", {"received": 1}]]

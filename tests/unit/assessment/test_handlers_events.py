"""The event handlers and the compactor's handlers on the fake unit of work (no servers)."""
from datetime import datetime, timedelta, timezone

from assessment import handlers
from assessment.service import EVENTS
from tests.fakes.assessment import assessment_units

T0 = datetime(2025, 3, 10, 3, tzinfo=timezone.utc)


def received(tid="ID-A", event_id="r1", at=T0, **extra):
    return {"event_id": event_id, "tracking_id": tid, "occurred_at": at, "received_at": at, "hub": "ID",
            "channel": "web", "classification": "complaint", "category_code": "jalan", "region_code": "62.02",
            "gesi": [], "is_confidential": False, **extra}


def dispositioned(tid="ID-A", event_id="d1", agency="AG1", at=T0 + timedelta(hours=1)):
    return {"event_id": event_id, "tracking_id": tid, "occurred_at": at, "hub": "ID", "queue": "agency",
            "agency_code": agency, "unit_code": None}


def closed(tid="ID-A", event_id="c1", at=T0 + timedelta(days=2), rating=4):
    return {"event_id": event_id, "tracking_id": tid, "occurred_at": at, "on_time": True,
            "first_response_at": T0 + timedelta(hours=5), "rating": rating}


def fold_all(units, events):
    def batch(uow):
        for event_type, event in events:
            handlers.fold_event(uow, event_type, event)
    units.run(batch)


def year_row(units, scope="*"):
    rows = units.read(handlers.kpis, "2025", "all", None if scope == "*" else scope)["rows"]
    return rows[0] if rows else None


def test_every_consumed_event_is_folded_into_the_fact():
    folded = {t: h for t, h in EVENTS.items() if t != "registry_updated"}  # that one: the names copy
    assert set(folded.values()) == {handlers.fold_event} and len(folded) == 12


def test_an_event_folds_into_the_reports_fact_and_journals_its_moves_once_per_unit():
    woken = []
    units = assessment_units()
    units.shared["wake_compactor"] = lambda: woken.append(1)
    fold_all(units, [("report_received", received()), ("report_dispositioned", dispositioned())])
    fact = units.read(lambda uow: uow.facts.get("ID-A"))
    assert fact["agency_code"] == "AG1" and fact["rev"] == 2
    journal = units.state["FakeKpi"]["kpi_journal"]
    assert len(journal) == 1 and next(iter(journal.values()))["events"] == 2  # one entry for the unit's events
    assert woken == [1]                                                        # the compactor woken after the commit
    assert units.read(handlers.journal_pending) == 2
    assert year_row(units) is None                                             # queries lag until the compactor folds


def test_the_compactor_folds_the_journal_into_cells_and_the_exact_counters():
    units = assessment_units()
    fold_all(units, [("report_received", received()), ("report_dispositioned", dispositioned())])
    fold_all(units, [("case_closed", closed())])
    entries = units.read(handlers.pending_journal, 10)
    assert len(entries) == 2
    assert units.run(handlers.fold_journal, entries) == 3
    assert units.read(handlers.journal_pending) == 0 and units.read(handlers.pending_journal, 10) == []
    hub, agency = year_row(units), year_row(units, "AG1")
    assert hub["received"] == agency["received"] == 1 and hub["completed"] == 1 and hub["rating_avg"] == 4
    assert units.read(handlers.counts, False)["hubs"] == {"ID": {"received": 1, "dispositioned": 1}}


def test_an_event_that_moves_nothing_journals_nothing():
    units = assessment_units()
    fold_all(units, [("report_dispositioned", dispositioned())])  # the report itself not received yet: no cell
    units.run(handlers.fold_journal, units.read(handlers.pending_journal, 10))
    before = units.read(handlers.journal_pending)
    fold_all(units, [("case_overdue", {"event_id": "o1", "tracking_id": "ID-X", "occurred_at": T0})])
    assert units.read(handlers.journal_pending) == before == 0


def test_health_counts_facts_and_the_pending_journal():
    units = assessment_units()
    fold_all(units, [("report_received", received()), ("report_received", received("ID-B", "r2"))])
    assert units.read(handlers.health) == {"facts": 2, "events_processed": 0, "kpi_journal_pending": 2}

"""The KPI journal and its compaction on the real store: every applied event is folded into the
grouped cells exactly once, also when two compactors race, and the result is what a rebuild
from the facts gives."""
import random
import threading
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from assessment import handlers, kpi
from assessment.cli import rebuild_cells
from assessment.dependencies import INDEXES, AssessmentUnits, Settings
from assessment.kpi_store import GROUPS, JOURNAL, CellMaintenance, Kpi, compact
from assessment.service import EVENTS
from contract import events as catalogue
from contract.batch import handle_batch

T0 = datetime(2025, 3, 1, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def partial_payloads(monkeypatch):
    """The streams below carry only the fields assessment reads: the consumer takes them as they are."""
    monkeypatch.setattr(catalogue, "load", lambda event_type, payload: payload)


class Store:
    """Assessment's units of work on a fresh database, and its offline maintenance."""

    def __init__(self, mongo_client, db=None, kpi_repository=Kpi):
        self.db = db if db is not None else mongo_client[f"t{uuid.uuid4().hex[:10]}_assessment"]  # dropped later
        for collection, models in INDEXES.items():
            self.db[collection].create_indexes(models)
        store = AssessmentUnits(mongo_client, self.db, Settings())
        store.repositories = {**AssessmentUnits.repositories, "kpi": kpi_repository}
        self.units, self.offline = store.units(), CellMaintenance(self.db)

    def cells(self, *args, **kwargs):
        return self.units.read(lambda uow: uow.kpi.cells(*args, **kwargs))

    def journal_pending(self):
        return self.units.read(handlers.journal_pending)

    def compact(self, limit):
        return compact(self.units, limit)

    def all_kpi_cells(self):
        return self.offline.all_kpi_cells()

    def rebuilt(self):
        return rebuild_cells(self.offline, "Asia/Jakarta", progress=False)


def stream(reports: int, seed: int = 5):
    rnd = random.Random(seed)
    out = []
    for i in range(reports):
        tid, at = f"ID-C{i:05d}", T0 + timedelta(days=rnd.randrange(200))
        out.append(("report_received", {"event_id": f"r{i}", "tracking_id": tid, "occurred_at": at, "received_at": at,
                                        "hub": "ID",
                                        "channel": rnd.choice(["web", "sms"]), "classification": "complaint",
                                        "category_code": rnd.choice(["jalan", "air", "sekolah"]),
                                        "region_code": rnd.choice(["62.02", "6203"]), "gesi": [],
                                        "is_confidential": False}))
        out.append(("report_dispositioned", {"event_id": f"d{i}", "tracking_id": tid, "occurred_at": at,
                                             "agency_code": rnd.choice(["AG1", "AG2"]), "unit_code": None,
                                             "hub": "ID", "queue": "agency"}))
        if rnd.random() < 0.6:
            out.append(("case_closed", {"event_id": f"c{i}", "tracking_id": tid,
                                        "occurred_at": at + timedelta(days=3), "on_time": True,
                                        "first_response_at": at + timedelta(hours=4), "rating": rnd.randint(1, 5)}))
    return out


def apply(store, events):
    """Each event consumed alone (a batch of one); True where it was applied, False for a duplicate."""
    outcomes = [handle_batch(store.units, [(t, e)], EVENTS)[0] for t, e in events]
    assert all(outcome in ("applied", "duplicate") for outcome, _ in outcomes), outcomes
    return [outcome == "applied" for outcome, _ in outcomes]


def apply_batch(store, events):
    """The events consumed as one batch (one unit of work)."""
    outcomes = handle_batch(store.units, events, EVENTS)
    return all(outcome == "applied" for outcome, _ in outcomes)


def test_journal_is_folded_once_by_racing_compactors_and_matches_a_rebuild(mongo_client):
    repo = Store(mongo_client)
    events = stream(60)
    assert all(apply(repo, events))
    assert not any(apply(repo, events[:10]))          # redelivered: no second journal entry
    assert repo.journal_pending() == len(events)
    assert repo.cells("*", "all", ["2025"]) == []      # nothing folded yet: queries lag the journal

    folded, errors = [], []

    def compactor():
        try:
            while (n := repo.compact(limit=7)) > 0:
                folded.append(n)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
    threads = [threading.Thread(target=compactor) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors and sum(folded) == len(events) and repo.journal_pending() == 0

    expected = repo.rebuilt()
    assert repo.all_kpi_cells() == expected
    year = {row["value"]: row for row in repo.cells("*", "all", ["2025"])}
    assert year["*"]["received"] == 60
    regions = {row["value"]: row["received"] for row in repo.cells("*", "region", ["2025"])}
    assert sum(regions.values()) == 60 and "62.02" in regions    # a dotted value survives as a key
    assert [r["value"] for r in repo.cells("*", "region", ["2025"], value="62.02")] == ["62.02"]


def test_check_sees_pending_moves_and_a_rebuild_discards_the_journal_it_includes(mongo_client):
    repo = Store(mongo_client)
    events = stream(20, seed=9)
    apply(repo, events[:30])
    repo.compact(limit=1000)
    apply(repo, events[30:])
    expected = repo.rebuilt()
    assert repo.journal_pending() > 0 and repo.all_kpi_cells() == expected  # cells + pending journal

    repo.db[GROUPS].update_many({"part": "all"}, {"$inc": {"dims.all.*.received": 5}})  # damage
    assert repo.all_kpi_cells() != expected
    written = repo.offline.replace_cells(repo.rebuilt(), discard_journal=repo.offline.journal_ids())
    assert written == len(expected) and repo.db[JOURNAL].count_documents({}) == 0
    assert repo.all_kpi_cells() == expected
    assert repo.units.read(lambda uow: (uow.kpi.agency_seen("AG1"), uow.kpi.agency_seen("AG9"))) == (True, False)


def test_a_batch_inserts_its_new_facts_once_and_journals_one_entry_with_the_summed_moves(mongo_client):
    repo = Store(mongo_client)
    first, second = stream(12, seed=3), stream(12, seed=3)
    second = [(t, e) for t, e in second if t == "case_closed"]  # later events of reports the store already has
    first = [(t, e) for t, e in first if t != "case_closed"]

    assert apply_batch(repo, first) and apply_batch(repo, second)
    assert repo.db[JOURNAL].count_documents({}) == 2                      # one entry per batch
    assert repo.journal_pending() == len(first) + len(second)            # ... counting its events
    assert repo.db.facts.count_documents({}) == 12
    assert repo.compact(limit=1) == len(first) and repo.compact(limit=1) == len(second)
    assert repo.all_kpi_cells() == repo.rebuilt()


class CrashingKpi(Kpi):
    """A compactor that dies after writing the groups, before the journal entries are out (as a
    process killed there would): the transaction never commits."""
    crashes = [1]

    def discard(self, ids):
        if self.crashes[0]:
            self.crashes[0] -= 1
            raise SystemExit("compactor killed mid-fold")
        super().discard(ids)


def test_a_compactor_that_dies_mid_fold_leaves_groups_and_journal_as_they_were(mongo_client):
    repo = Store(mongo_client)
    events = stream(40, seed=21)
    apply(repo, events[:40])
    repo.offline.replace_cells(repo.rebuilt(),  # groups of a rebuild: no rev yet
                               discard_journal=repo.offline.journal_ids())
    apply(repo, events[40:])
    before = list(repo.db[GROUPS].find({}).sort("_id", 1))
    pending = repo.journal_pending()
    assert pending == len(events) - 40 and before

    crashing = Store(mongo_client, repo.db, kpi_repository=CrashingKpi)
    try:
        crashing.compact(limit=1000)
    except SystemExit:
        pass
    else:  # pragma: no cover - the crash must have happened
        raise AssertionError("the compactor did not reach the journal cleanup")
    assert list(repo.db[GROUPS].find({}).sort("_id", 1)) == before   # nothing of the fold committed
    assert repo.journal_pending() == pending

    assert crashing.compact(limit=1000) == pending                     # the restarted compactor folds them once
    assert repo.journal_pending() == 0 and repo.compact(limit=1000) == 0
    assert repo.all_kpi_cells() == repo.rebuilt()


def test_cells_of_the_old_layout_are_migrated_once_at_start_up(start_services, service_config, mongo_client, rpc):
    from assessment.service import AssessmentService
    db = mongo_client[service_config["MONGODB_DATABASE_PREFIX"] + "assessment"]
    repo = CellMaintenance(db)
    events = stream(15, seed=12)
    facts = {}
    for event_type, event in events:
        facts[event["tracking_id"]] = kpi.fold(facts.get(event["tracking_id"]), event_type, event)
    db.facts.insert_many(list(facts.values()))
    old = [{"_id": cid, **kpi.parse_cell_id(cid), **counters}
           for cid, counters in rebuild_cells(repo, "Asia/Jakarta", progress=False).items()]
    db.cells.insert_many(old + [{"_id": "legacy|hub:ID", "received": 15}])  # legacy counters stay

    start_services(AssessmentService)
    assert repo.all_kpi_cells() == rebuild_cells(repo, "Asia/Jakarta", progress=False)
    assert db.cells.count_documents({}) == 1 and db.migrations.find_one()["finished_at"]
    assert rpc.assessment.kpis("2025", "all")["rows"][0]["received"] == 15

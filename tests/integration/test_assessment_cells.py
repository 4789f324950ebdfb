"""The KPI journal and its compaction on the real store: every applied event is folded into the
grouped cells exactly once, also when two compactors race, and the result is what a rebuild
from the facts gives."""
import random
import threading
import uuid
from datetime import datetime, timedelta, timezone

from assessment import kpi
from assessment.cli import rebuild_cells
from assessment.dependencies import GROUPS, JOURNAL, AssessmentRepository, AssessmentStore

T0 = datetime(2025, 3, 1, tzinfo=timezone.utc)


def repository(mongo_client):
    db = mongo_client[f"t{uuid.uuid4().hex[:10]}_assessment"]  # dropped at the next session start
    for collection, models in AssessmentStore.indexes.items():
        db[collection].create_indexes(models)
    return AssessmentRepository(mongo_client, db)


def stream(reports: int, seed: int = 5):
    rnd = random.Random(seed)
    out = []
    for i in range(reports):
        tid, at = f"ID-C{i:05d}", T0 + timedelta(days=rnd.randrange(200))
        out.append(("report_received", {"event_id": f"r{i}", "tracking_id": tid, "occurred_at": at, "received_at": at,
                                        "channel": rnd.choice(["web", "sms"]), "classification": "complaint",
                                        "category_code": rnd.choice(["jalan", "air", "sekolah"]),
                                        "region_code": rnd.choice(["62.02", "6203"]), "gesi": [],
                                        "is_confidential": False}))
        out.append(("report_dispositioned", {"event_id": f"d{i}", "tracking_id": tid, "occurred_at": at,
                                             "agency_code": rnd.choice(["AG1", "AG2"]), "unit_code": None}))
        if rnd.random() < 0.6:
            out.append(("case_closed", {"event_id": f"c{i}", "tracking_id": tid,
                                        "occurred_at": at + timedelta(days=3), "on_time": True,
                                        "first_response_at": at + timedelta(hours=4), "rating": rnd.randint(1, 5)}))
    return out


def apply(repo, events):
    return [repo.apply_fact_event(e["event_id"], e["tracking_id"], lambda old, t=t, e=e: kpi.fold(old, t, e))
            for t, e in events]


def test_journal_is_folded_once_by_racing_compactors_and_matches_a_rebuild(mongo_client):
    repo = repository(mongo_client)
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

    expected = rebuild_cells(repo, "Asia/Jakarta", progress=False)
    assert repo.all_kpi_cells() == expected
    year = {row["value"]: row for row in repo.cells("*", "all", ["2025"])}
    assert year["*"]["received"] == 60
    regions = {row["value"]: row["received"] for row in repo.cells("*", "region", ["2025"])}
    assert sum(regions.values()) == 60 and "62.02" in regions    # a dotted value survives as a key
    assert [r["value"] for r in repo.cells("*", "region", ["2025"], value="62.02")] == ["62.02"]


def test_check_sees_pending_moves_and_a_rebuild_discards_the_journal_it_includes(mongo_client):
    repo = repository(mongo_client)
    events = stream(20, seed=9)
    apply(repo, events[:30])
    repo.compact(limit=1000)
    apply(repo, events[30:])
    expected = rebuild_cells(repo, "Asia/Jakarta", progress=False)
    assert repo.journal_pending() > 0 and repo.all_kpi_cells() == expected  # cells + pending journal

    repo.db[GROUPS].update_many({"part": "all"}, {"$inc": {"dims.all.*.received": 5}})  # damage
    assert repo.all_kpi_cells() != expected
    written = repo.replace_cells(rebuild_cells(repo, "Asia/Jakarta", progress=False),
                                 discard_journal=repo.journal_ids())
    assert written == len(expected) and repo.db[JOURNAL].count_documents({}) == 0
    assert repo.all_kpi_cells() == expected
    assert repo.agency_seen("AG1") and not repo.agency_seen("AG9")


def test_a_batch_inserts_its_new_facts_once_and_journals_one_entry_with_the_summed_moves(mongo_client):
    repo = repository(mongo_client)
    first, second = stream(12, seed=3), stream(12, seed=3)
    second = [(t, e) for t, e in second if t == "case_closed"]  # later events of reports the store already has
    first = [(t, e) for t, e in first if t != "case_closed"]

    def batch(events):
        def work(uow):
            uow.batch = [event for _, event in events]
            return apply(repo, events)
        return repo.unit_of_work(work)

    assert all(batch(first)) and all(batch(second))
    assert repo.db[JOURNAL].count_documents({}) == 2                      # one entry per batch
    assert repo.journal_pending() == len(first) + len(second)            # ... counting its events
    assert repo.db.facts.count_documents({}) == 12
    assert repo.compact(limit=1) == len(first) and repo.compact(limit=1) == len(second)
    assert repo.all_kpi_cells() == rebuild_cells(repo, "Asia/Jakarta", progress=False)


class CrashingRepository(AssessmentRepository):
    """A compactor that dies after writing the groups, before the journal entries are out (as a
    process killed there would): the transaction never commits."""
    crashes = 1

    def discard_folded(self, ids, session):
        if self.crashes:
            self.crashes -= 1
            raise SystemExit("compactor killed mid-fold")
        super().discard_folded(ids, session)


def test_a_compactor_that_dies_mid_fold_leaves_groups_and_journal_as_they_were(mongo_client):
    repo = repository(mongo_client)
    events = stream(40, seed=21)
    apply(repo, events[:40])
    repo.replace_cells(rebuild_cells(repo, "Asia/Jakarta", progress=False),  # groups of a rebuild: no rev yet
                       discard_journal=repo.journal_ids())
    apply(repo, events[40:])
    before = list(repo.db[GROUPS].find({}).sort("_id", 1))
    pending = repo.journal_pending()
    assert pending == len(events) - 40 and before

    crashing = CrashingRepository(repo.client, repo.db)
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
    assert repo.all_kpi_cells() == rebuild_cells(repo, "Asia/Jakarta", progress=False)


def test_cells_of_the_old_layout_are_migrated_once_at_start_up(start_services, service_config, mongo_client, rpc):
    from assessment.service import AssessmentService
    db = mongo_client[service_config["MONGODB_DATABASE_PREFIX"] + "assessment"]
    repo = AssessmentRepository(mongo_client, db)
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

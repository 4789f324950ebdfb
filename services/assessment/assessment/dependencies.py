"""Assessment's storage: report facts, aggregate cells, templates, self-assessments, targets."""
from __future__ import annotations

import logging
import time
import weakref
from pathlib import Path
from typing import Callable, Iterator

import yaml
from nameko.extensions import DependencyProvider
from prometheus_client import Counter, Gauge, Histogram
from pymongo import ASCENDING, DESCENDING, IndexModel, InsertOne, ReplaceOne, UpdateOne
from pymongo.errors import DuplicateKeyError

from assessment import cells, kpi
from contract import unit_of_work
from contract.loop import WakeableLoop
from contract.store import Repository, Store, utcnow

log = logging.getLogger(__name__)

DEFAULT_TEMPLATES_DIR = Path(__file__).resolve().parents[3] / "deploy" / "assessment" / "templates"
FACT_RETRIES = 20

COMPACTION_SECONDS = Histogram(
    "lapor_assessment_kpi_compaction_duration_seconds", "Time to fold one batch of the KPI journal into the cells.",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
COMPACTED_EVENTS = Counter(
    "lapor_assessment_kpi_compacted_events_total", "Applied events whose cell moves were folded into the KPI cells.")
JOURNAL_BACKLOG = Gauge(
    "lapor_assessment_kpi_journal_pending_events", "Applied events whose cell moves are not yet in the KPI cells "
    "(KPI queries lag by these).")


GROUPS = "kpi_cells"     # grouped cells: hub-wide per (dimension, bucket), per agency per bucket
JOURNAL = "kpi_journal"  # cell moves of applied events, not yet folded into the groups


# ids per ``$in`` of the compactor: the local store checks each candidate against the whole list, so
# one ``$in`` of n ids costs n * n (2,000 journal ids: half the compaction; bench/store_update_cost.py);
# pieces of k cost n * k plus a round trip each, least about k = 25
IN_CHUNK = 25


def chunks(ids: list, size: int = IN_CHUNK) -> Iterator[list]:
    for i in range(0, len(ids), size):
        yield ids[i:i + size]


class StaleFact(Exception):
    """Another worker changed the fact between our read and our write; try again."""


class CompactionRace(Exception):
    """Another compactor folded some of the same journal entries first; roll back, try again."""


class AssessmentRepository(Repository):
    timezone = "Asia/Jakarta"
    journal_written: Callable[[], None] | None = None  # set by the store: wakes the compactor

    # -- facts, the journal of cell moves, and the grouped cells (see assessment.cells) ------
    def apply_fact_event(self, event_id: str, tracking_id: str, change: Callable[[dict | None], dict],
                         legacy: list[tuple[str, dict]] = ()) -> bool:
        """Fold one event into a report's fact and journal its cell moves, exactly once per event.

        In a batch's unit of work the facts are read with one query, a fact new to the batch is
        inserted once with the others at the commit (later events of the batch change that pending
        document), a stored one is replaced once at the commit if its ``rev`` is still the one read
        (else the batch runs again), and the batch journals one entry with the summed moves of its
        events."""
        def work(session):
            old = self.read_for_batch("facts", "tracking_id", tracking_id, None, session)
            new = change(old)
            new["rev"] = (old or {}).get("rev", 0) + 1
            moves = kpi.delta(kpi.contributions(old, self.timezone), kpi.contributions(new, self.timezone))
            batch = self._batch_state()
            if batch is not None and tracking_id in batch["new_facts"]:
                pending = batch["new_facts"][tracking_id]  # not stored yet: inserted at the commit
                pending.clear()
                pending.update(new)
                new = pending
            elif old is None and batch is not None:
                self.insert_later("facts", new, session)
                batch["new_facts"][tracking_id] = new
            elif old is None:
                self.db.facts.insert_one(new, session=session)
            elif batch is not None:  # replaced once per batch, with the batch's others in one bulk_write
                self.save_later("facts", new, session, expect={"rev": old.get("rev", 0)})
            elif self.db.facts.replace_one({"_id": tracking_id, "rev": old.get("rev", 0)}, new,
                                           session=session).matched_count != 1:
                raise StaleFact(tracking_id)
            self.remember("facts", new)
            if not (moves or legacy):  # hot counters are moved by the compactor, never by concurrent events
                return
            if batch is None:
                self.insert_later(JOURNAL, {"_id": event_id, "moves": sorted(moves.items()), "events": 1,
                                            "legacy": [list(item) for item in legacy], "at": utcnow()}, session)
                return
            if batch["journal"] is None:
                batch["journal"] = cells.BatchEntry(event_id, utcnow())
                self.insert_later(JOURNAL, batch["journal"].doc, session)  # written at the commit, as it is then
            batch["journal"].add(moves, legacy)
        for _ in range(FACT_RETRIES):
            try:
                applied = self.once(event_id, work)
            except (StaleFact, DuplicateKeyError):
                continue
            if applied and self.journal_written is not None:
                self.after_commit(self.journal_written)
            return applied
        raise StaleFact(tracking_id)

    _batches: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # unit of work -> its facts and entry

    def _batch_state(self) -> dict | None:
        """What this batch's unit of work holds for assessment (None outside one): the facts it
        inserts and its journal entry."""
        uow = unit_of_work.current()
        if uow is None:
            return None
        state = self._batches.get(uow)
        if state is None:
            state = self._batches[uow] = {"new_facts": {}, "journal": None}
        return state

    def compact(self, limit: int = 2000) -> int:
        """Fold up to ``limit`` journal entries into the grouped cells; returns how many events.

        One read of the journal (nothing pending: no transaction), then one transaction reads the
        touched groups with one query, writes each once (``cells.group_write``: guarded by the
        ``rev`` it read) and deletes the entries, so an entry is folded exactly once even with
        several compactors: one that loses the race finds a group changed or fewer entries to
        delete than it read, and rolls back and tries again.
        """
        for _ in range(FACT_RETRIES):
            entries = list(self.db[JOURNAL].find({}, limit=limit))
            if not entries:
                return 0
            try:
                return self.transaction(lambda session: self._fold(entries, session))
            except (CompactionRace, DuplicateKeyError):
                continue
        raise CompactionRace()

    def _fold(self, entries: list[dict], session) -> int:
        """Inside the compactor's transaction: the entries' moves into the groups, then the entries out."""
        groups = cells.group_increments(cells.sum_moves(e["moves"] for e in entries))
        if groups:
            stored = {doc["_id"]: doc for ids in chunks(sorted(groups))
                      for doc in self.db[GROUPS].find({"_id": {"$in": ids}}, session=session)}
            requests, guarded = [], 0
            for gid, increments in sorted(groups.items()):
                how, expect, doc = cells.group_write(stored.get(gid), gid, increments)
                if how == "insert":
                    requests.append(InsertOne(doc))  # a racing compactor's insert: DuplicateKeyError, retried
                    continue
                guarded += 1
                requests.append(UpdateOne(expect, doc) if how == "set" else ReplaceOne(expect, doc))
            if self.db[GROUPS].bulk_write(requests, ordered=False, session=session).matched_count != guarded:
                raise CompactionRace()
        legacy = cells.sum_moves(e.get("legacy") or [] for e in entries)
        if legacy:
            self.db.cells.bulk_write([UpdateOne({"_id": "legacy|" + key}, {"$inc": inc}, upsert=True)
                                      for key, inc in sorted(legacy.items())], ordered=True, session=session)
        self.discard_folded([e["_id"] for e in entries], session)
        return sum(e.get("events", 1) for e in entries)

    def discard_folded(self, ids: list[str], session) -> None:
        """Delete folded journal entries; all of them, or the compaction raced another and rolls back."""
        deleted = sum(self.db[JOURNAL].delete_many({"_id": {"$in": part}}, session=session).deleted_count
                      for part in chunks(ids))
        if deleted != len(ids):
            raise CompactionRace()

    def journal_pending(self) -> int:
        """Applied events whose moves are not folded yet (an entry of a batch counts its events)."""
        result = list(self.db[JOURNAL].aggregate([{"$group": {"_id": None, "n": {"$sum": {"$ifNull": ["$events", 1]}}}}]))
        return result[0]["n"] if result else 0

    def journal_ids(self) -> list[str]:
        return [doc["_id"] for doc in self.db[JOURNAL].find({}, {"_id": 1})]

    def cells(self, scope: str, dim: str, buckets: list[str], value: str | None = None) -> list[dict]:
        """Cells of one scope and dimension for the given months, quarters or years (one group
        document per bucket), as rows ``{scope, dim, value, month, counters...}``."""
        ids = [cells.group_of(scope, dim, bucket) for bucket in buckets]
        query = {"_id": ids[0] if len(ids) == 1 else {"$in": ids}}
        path = f"dims.{dim}" if value is None else f"dims.{dim}.{cells.escape(value)}"
        return [row for doc in self.db[GROUPS].find(query, {"scope": 1, "month": 1, path: 1})
                for row in cells.rows(doc, dim, value)]

    def legacy_counters(self) -> list[dict]:
        return [{**doc, "_id": doc["_id"].split("|", 1)[1]}
                for doc in self.db.cells.find({"_id": {"$regex": "^legacy\\|"}})]

    def fact(self, tracking_id: str) -> dict | None:
        return self.db.facts.find_one({"_id": tracking_id})

    def facts(self, batch_size: int = 2000) -> Iterator[dict]:
        return self.db.facts.find({}, batch_size=batch_size)

    def fact_count(self) -> int:
        return self.db.facts.estimated_document_count()

    def processed_count(self) -> int:
        return self.db.processed_events.estimated_document_count()

    def replace_cells(self, table: dict[str, dict[str, int]], discard_journal: list[str] = ()) -> int:
        """Replace every KPI cell by ``table`` (a rebuild), dropping the journal entries it already
        includes; returns the number of cells written."""
        docs = cells.group_documents(table)
        self.db[GROUPS].delete_many({})
        for i in range(0, len(docs), 50):
            self.db[GROUPS].insert_many(docs[i:i + 50], ordered=False)
        ids = list(discard_journal)
        for i in range(0, len(ids), 5000):
            self.db[JOURNAL].delete_many({"_id": {"$in": ids[i:i + 5000]}})
        return sum(cells.cell_count(doc) for doc in docs)

    def all_kpi_cells(self) -> dict[str, dict[str, int]]:
        """Every cell as the queries will see it once the journal is folded (for ``--check``)."""
        table = cells.cell_table(self.db[GROUPS].find({}))
        kpi.accumulate(table, cells.sum_moves(entry["moves"] for entry in self.db[JOURNAL].find({})))
        return {cid: {k: v for k, v in c.items() if v} for cid, c in table.items() if any(c.values())}

    def agency_seen(self, agency_code: str) -> bool:
        """True once a report held by the agency has been counted (its own scope has cells)."""
        return self.db[GROUPS].find_one({"scope": agency_code}, {"_id": 1}) is not None

    # -- templates -------------------------------------------------------------------------
    def add_template(self, template: dict) -> bool:
        """Store a template; False when its id is taken (templates are never overwritten)."""
        try:
            self.db.templates.insert_one({**template, "_id": template["id"], "created_at": utcnow()})
            return True
        except DuplicateKeyError:
            return False

    def template(self, template_id: str) -> dict | None:
        return self.db.templates.find_one({"_id": template_id}, {"_id": 0})

    def templates(self) -> list[dict]:
        return list(self.db.templates.find({}, {"_id": 0}).sort("id", ASCENDING))

    # -- self-assessments: versions, never overwritten -------------------------------------
    def add_self_assessment(self, doc: dict) -> dict:
        """Insert ``doc`` as the next version for its agency and year."""
        for _ in range(10):
            latest = self.self_assessment(doc["agency_code"], doc["year"])
            version = (latest["version"] if latest else 0) + 1
            record = {**doc, "version": version, "_id": f"{doc['agency_code']}|{doc['year']}|{version}"}
            try:
                self.db.self_assessments.insert_one(record)
                record.pop("_id")
                return record
            except DuplicateKeyError:
                continue
        raise RuntimeError("could not allocate a self-assessment version")

    def self_assessment(self, agency_code: str, year: int, version: int | None = None) -> dict | None:
        query = {"agency_code": agency_code, "year": year}
        if version is not None:
            query["version"] = version
        return self.db.self_assessments.find_one(query, {"_id": 0}, sort=[("version", DESCENDING)])

    def self_assessment_versions(self, agency_code: str, year: int) -> list[dict]:
        return list(self.db.self_assessments.find({"agency_code": agency_code, "year": year}, {"_id": 0})
                    .sort("version", ASCENDING))

    # -- strategic targets -----------------------------------------------------------------
    def set_target(self, doc: dict) -> dict:
        key = {"agency_code": doc["agency_code"], "year": doc["year"]}
        previous = self.db.targets.find_one(key)
        record = {**doc, "updated_at": utcnow(), "revision": (previous or {}).get("revision", 0) + 1}
        self.db.targets.update_one(key, {"$set": record}, upsert=True)
        if previous:
            previous.pop("_id")
            self.db.target_history.insert_one(previous)
        return record

    def target(self, agency_code: str, year: int) -> dict | None:
        return self.db.targets.find_one({"agency_code": agency_code, "year": year}, {"_id": 0})


def load_template_files(directory: Path) -> list[dict]:
    """Templates shipped as data, one YAML file each (questionnaires, surveys)."""
    templates = []
    for path in sorted(directory.glob("*.yml")):
        with open(path) as handle:
            templates.append(yaml.safe_load(handle))
    return templates


class AssessmentStore(Store):
    repository_class = AssessmentRepository
    indexes = {
        GROUPS: [IndexModel([("scope", ASCENDING), ("part", ASCENDING), ("month", ASCENDING)])],
        "facts": [IndexModel([("agency_code", ASCENDING)])],
        "self_assessments": [IndexModel([("agency_code", ASCENDING), ("year", ASCENDING), ("version", DESCENDING)],
                                        unique=True)],
        "targets": [IndexModel([("agency_code", ASCENDING), ("year", ASCENDING)], unique=True)],
    }

    def setup(self):
        super().setup()
        config = self.container.config
        self.repository.timezone = config.get("REPORTING_TIMEZONE") or "Asia/Jakarta"
        # applied events wake the compactor once committed; the interval is only the idle safety net
        self.compact_interval = float(config.get("KPI_COMPACT_INTERVAL_SECONDS") or 15.0)
        self.compact_batch = int(config.get("KPI_COMPACT_BATCH") or 2000)
        self.compactor = WakeableLoop("assessment.kpi_compactor", self.compact_once, self.compact_interval)
        self.repository.journal_written = self.compactor.wake
        directory = Path(config.get("ASSESSMENT_TEMPLATES_DIR") or DEFAULT_TEMPLATES_DIR)
        self.seed_templates(directory)
        self.migrate_cells()

    def migrate_cells(self) -> None:
        """From one document per cell (collection ``cells``) to grouped cells, once, at start-up
        (before any event is consumed): the groups are rebuilt from the facts, the old cells go."""
        db = self.repository.db
        if db[GROUPS].find_one({}, {"_id": 1}) or not db.cells.find_one({"scope": {"$exists": True}}, {"_id": 1}):
            return
        try:
            db.migrations.insert_one({"_id": "grouped_kpi_cells", "started_at": utcnow()})
        except DuplicateKeyError:  # another replica migrates (or a failed attempt: see the log, run the CLI)
            return
        from assessment.cli import rebuild_cells
        table = rebuild_cells(self.repository, self.repository.timezone, progress=False)
        written = self.repository.replace_cells(table, discard_journal=self.repository.journal_ids())
        removed = db.cells.delete_many({"scope": {"$exists": True}}).deleted_count
        db.migrations.update_one({"_id": "grouped_kpi_cells"}, {"$set": {"finished_at": utcnow()}})
        log.info("assessment: KPI cells migrated to groups: %d cells from %d facts, %d old cell documents removed",
                 written, self.repository.fact_count(), removed)

    # -- the compactor: folds the journal into the grouped cells, woken by every applied event
    def start(self):
        self.compactor.start(self.container)

    def stop(self):
        self.compactor.stop()
        super().stop()

    def kill(self):
        self.compactor.stop()
        super().kill()

    def compact_once(self) -> bool:
        """One batch; True when the journal may hold more."""
        started = time.perf_counter()
        folded = self.repository.compact(self.compact_batch)
        if folded:
            COMPACTION_SECONDS.observe(time.perf_counter() - started)
            COMPACTED_EVENTS.inc(folded)
        return folded >= self.compact_batch

    def seed_templates(self, directory: Path) -> None:
        """Load shipped templates that the store does not have yet (validated like API input)."""
        from assessment.schemas import TemplateIn
        from assessment.selfassessment import template_problems
        for raw in load_template_files(directory):
            template = TemplateIn().load(raw)
            problems = template_problems(template)
            if problems:
                raise ValueError(f"template {raw.get('id')}: {problems}")
            if self.repository.add_template(template):
                log.info("assessment: loaded template %s", template["id"])


class Settings(DependencyProvider):
    """Assessment's settings, read and checked once at start-up: bands, cell size, colours."""

    def setup(self):
        from assessment.indicators import DEFAULT_COLOURS
        from assessment.selfassessment import DEFAULT_BANDS, bands_problems
        config = self.container.config
        bands = config.get("ASSESSMENT_BANDS") or DEFAULT_BANDS
        problems = bands_problems(bands)
        if problems:
            raise ValueError(f"ASSESSMENT_BANDS: {'; '.join(problems)}")
        self.values = {
            "bands": bands,
            "min_cell_size": int(config.get("PUBLIC_MIN_CELL_SIZE") or 5),
            "colours": {"green_min_pct": float(config.get("INDICATOR_GREEN_MIN_PCT") or DEFAULT_COLOURS["green_min_pct"]),
                        "yellow_min_pct": float(config.get("INDICATOR_YELLOW_MIN_PCT") or DEFAULT_COLOURS["yellow_min_pct"])},
        }

    def get_dependency(self, worker_ctx):
        return self.values

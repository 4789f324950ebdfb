"""Assessment's store: one unit-of-work provider with its repositories, settings and the KPI compactor.

Repositories of a unit of work (``uow.<name>``): ``facts`` and ``kpi`` (assessment.kpi_store),
``assessments`` (questionnaire templates, self-assessments, targets; below) and ``surveys``
(assessment.survey_store).  The store parses the settings once (``uow.settings``), loads the shipped
templates, migrates old KPI cells at start-up, and runs the compactor that folds the journal of
applied events into the KPI cells (woken after every unit that journalled moves).
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from prometheus_client import Counter, Gauge, Histogram
from pymongo import ASCENDING, DESCENDING, IndexModel, UpdateOne
from pymongo.errors import DuplicateKeyError

from assessment import survey_store
from assessment.kpi_store import GROUPS, CellMaintenance, Facts, Kpi, compact, rebuild_cells
from assessment.survey_store import Surveys, insert_or_rerun, load_template_files
from contract import registry_names
from contract.loop import WakeableLoop
from contract.store import utcnow
from contract.uow import Repository
from contract.unitstore import UnitOfWorkProvider, UnitOfWorkStore

log = logging.getLogger(__name__)

DEFAULT_TEMPLATES_DIR = Path(__file__).resolve().parents[3] / "deploy" / "assessment" / "templates"

COMPACTION_SECONDS = Histogram(
    "lapor_assessment_kpi_compaction_duration_seconds", "Time to fold one batch of the KPI journal into the cells.",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
COMPACTED_EVENTS = Counter(
    "lapor_assessment_kpi_compacted_events_total", "Applied events whose cell moves were folded into the KPI cells.")
JOURNAL_BACKLOG = Gauge(
    "lapor_assessment_kpi_journal_pending_events", "Applied events whose cell moves are not yet in the KPI cells "
    "(KPI queries lag by these).")


@dataclass(frozen=True)
class Settings:
    """Assessment's settings, read and checked once at start-up (``uow.settings``)."""
    bands: list = field(default_factory=list)
    min_cell_size: int = 5
    colours: dict = field(default_factory=dict)
    timezone: str = "Asia/Jakarta"  # the reporting time zone: an event or response counts in its month there
    intake_timeout: float = 5.0     # seconds to wait for intake.verify_reporter
    compact_interval: float = 15.0  # the compactor's idle safety net (applied events wake it)
    compact_batch: int = 2000
    templates_dir: Path = DEFAULT_TEMPLATES_DIR
    surveys_dir: Path = survey_store.DEFAULT_SURVEYS_DIR


def parse_settings(config: dict) -> Settings:
    from assessment.indicators import DEFAULT_COLOURS
    from assessment.selfassessment import DEFAULT_BANDS, bands_problems
    bands = config.get("ASSESSMENT_BANDS") or DEFAULT_BANDS
    problems = bands_problems(bands)
    if problems:
        raise ValueError(f"ASSESSMENT_BANDS: {'; '.join(problems)}")
    return Settings(
        bands=bands, min_cell_size=int(config.get("PUBLIC_MIN_CELL_SIZE") or 5),
        colours={"green_min_pct": float(config.get("INDICATOR_GREEN_MIN_PCT") or DEFAULT_COLOURS["green_min_pct"]),
                 "yellow_min_pct": float(config.get("INDICATOR_YELLOW_MIN_PCT") or DEFAULT_COLOURS["yellow_min_pct"])},
        timezone=config.get("REPORTING_TIMEZONE") or "Asia/Jakarta",
        intake_timeout=float(config.get("INTAKE_RPC_TIMEOUT") or 5),
        compact_interval=float(config.get("KPI_COMPACT_INTERVAL_SECONDS") or 15.0),
        compact_batch=int(config.get("KPI_COMPACT_BATCH") or 2000),
        templates_dir=Path(config.get("ASSESSMENT_TEMPLATES_DIR") or DEFAULT_TEMPLATES_DIR),
        surveys_dir=Path(config.get("ASSESSMENT_SURVEYS_DIR") or survey_store.DEFAULT_SURVEYS_DIR))


class Assessments(Repository):
    """Questionnaire templates (never overwritten), self-assessment versions and strategic targets."""

    # -- templates -------------------------------------------------------------------------
    def add_template(self, template: dict) -> bool:
        """Insert a template in the unit's transaction; False when its id is taken."""
        if self.db.templates.find_one({"_id": template["id"]}, {"_id": 1}, session=self.session):
            return False
        insert_or_rerun(self.db.templates, {**template, "_id": template["id"], "created_at": self.uow.now()},
                        self.session)
        return True

    def template(self, template_id: str) -> dict | None:
        return self.db.templates.find_one({"_id": template_id}, {"_id": 0}, session=self.session)

    def templates(self) -> list[dict]:
        return list(self.db.templates.find({}, {"_id": 0}, session=self.session).sort("id", ASCENDING))

    # -- self-assessments: versions, never overwritten -------------------------------------
    def add_self_assessment(self, doc: dict) -> dict:
        """Insert ``doc`` as the next version for its agency and year (a version taken meanwhile by a
        concurrent unit: this one runs again)."""
        latest = self.self_assessment(doc["agency_code"], doc["year"])
        version = (latest["version"] if latest else 0) + 1
        record = {**doc, "version": version, "_id": f"{doc['agency_code']}|{doc['year']}|{version}"}
        insert_or_rerun(self.db.self_assessments, record, self.session)
        return {k: v for k, v in record.items() if k != "_id"}

    def self_assessment(self, agency_code: str, year: int, version: int | None = None) -> dict | None:
        query = {"agency_code": agency_code, "year": year}
        if version is not None:
            query["version"] = version
        return self.db.self_assessments.find_one(query, {"_id": 0}, sort=[("version", DESCENDING)],
                                                 session=self.session)

    def self_assessment_versions(self, agency_code: str, year: int) -> list[dict]:
        return list(self.db.self_assessments.find({"agency_code": agency_code, "year": year}, {"_id": 0},
                                                  session=self.session).sort("version", ASCENDING))

    # -- strategic targets -----------------------------------------------------------------
    def set_target(self, doc: dict) -> dict:
        """Set an agency's target for a year (the previous one kept in ``target_history``), at the commit."""
        key = {"agency_code": doc["agency_code"], "year": doc["year"]}
        previous = self.db.targets.find_one(key, session=self.session)
        record = {**doc, "updated_at": self.uow.now(), "revision": (previous or {}).get("revision", 0) + 1}
        self.uow.update("targets", [UpdateOne(key, {"$set": record}, upsert=True)])
        if previous:
            previous.pop("_id")
            self.uow.insert("target_history", previous)
        return record

    def target(self, agency_code: str, year: int) -> dict | None:
        return self.db.targets.find_one({"agency_code": agency_code, "year": year}, {"_id": 0}, session=self.session)


REPOSITORIES = {"facts": Facts, "kpi": Kpi, "assessments": Assessments, "surveys": Surveys,
                "names": registry_names.NamesCopy}
INDEXES = {
    GROUPS: [IndexModel([("scope", ASCENDING), ("part", ASCENDING), ("month", ASCENDING)])],
    "facts": [IndexModel([("agency_code", ASCENDING)])],
    "self_assessments": [IndexModel([("agency_code", ASCENDING), ("year", ASCENDING), ("version", DESCENDING)],
                                    unique=True)],
    "targets": [IndexModel([("agency_code", ASCENDING), ("year", ASCENDING)], unique=True)],
    **survey_store.INDEXES,
}


def seed_templates(db, directory: Path) -> None:
    """Store the shipped questionnaire templates the store does not have yet (validated like API
    input); at start-up, before any worker."""
    from assessment.schemas import TemplateIn
    from assessment.selfassessment import template_problems
    for raw in load_template_files(directory):
        template = TemplateIn().load(raw)
        problems = template_problems(template)
        if problems:
            raise ValueError(f"template {raw.get('id')}: {problems}")
        try:
            db.templates.insert_one({**template, "_id": template["id"], "created_at": utcnow()})
        except DuplicateKeyError:
            continue
        log.info("assessment: loaded template %s", template["id"])


def migrate_cells(db, timezone: str) -> None:
    """From one document per cell (collection ``cells``) to grouped cells, once, at start-up
    (before any event is consumed): the groups are rebuilt from the facts, the old cells go."""
    if db[GROUPS].find_one({}, {"_id": 1}) or not db.cells.find_one({"scope": {"$exists": True}}, {"_id": 1}):
        return
    try:
        db.migrations.insert_one({"_id": "grouped_kpi_cells", "started_at": utcnow()})
    except DuplicateKeyError:  # another replica migrates (or a failed attempt: see the log, run the CLI)
        return
    maintenance = CellMaintenance(db)
    table = rebuild_cells(maintenance, timezone, progress=False)
    written = maintenance.replace_cells(table, discard_journal=maintenance.journal_ids())
    removed = db.cells.delete_many({"scope": {"$exists": True}}).deleted_count
    db.migrations.update_one({"_id": "grouped_kpi_cells"}, {"$set": {"finished_at": utcnow()}})
    log.info("assessment: KPI cells migrated to groups: %d cells from %d facts, %d old cell documents removed",
             written, maintenance.fact_count(), removed)


class AssessmentUnits(UnitOfWorkStore):
    """Assessment's units of work without a container (the CLI, tests, benchmarks):
    ``AssessmentUnits(client, db, settings).units()``."""
    repositories = REPOSITORIES


class AssessmentStore(UnitOfWorkProvider):
    repositories = REPOSITORIES
    indexes = INDEXES
    parse_settings = staticmethod(parse_settings)

    def setup(self):
        super().setup()
        # applied events wake the compactor once committed; the interval is only the idle safety net
        self.compactor = WakeableLoop("assessment.kpi_compactor", self.compact_once, self.settings.compact_interval)
        self.shared["wake_compactor"] = self.compactor.wake
        seed_templates(self.db, self.settings.templates_dir)
        survey_store.seed_templates(self.db, self.settings.surveys_dir)
        migrate_cells(self.db, self.settings.timezone)
        registry_names.load_file_at_setup(self, self.container.config, log)

    # -- the compactor: folds the journal into the grouped cells, woken by every applied event
    def start(self):
        super().start()
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
        folded = compact(self.units(), self.settings.compact_batch)
        if folded:
            COMPACTION_SECONDS.observe(time.perf_counter() - started)
            COMPACTED_EVENTS.inc(folded)
        return folded >= self.settings.compact_batch

"""Assessment's storage: report facts, aggregate cells, templates, self-assessments, targets."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable, Iterator

import yaml
from nameko.extensions import DependencyProvider
from pymongo import ASCENDING, DESCENDING, IndexModel, UpdateOne
from pymongo.errors import DuplicateKeyError

from assessment import kpi
from contract.store import Repository, Store, utcnow

log = logging.getLogger(__name__)

DEFAULT_TEMPLATES_DIR = Path(__file__).resolve().parents[3] / "deploy" / "assessment" / "templates"
FACT_RETRIES = 20


class StaleFact(Exception):
    """Another worker changed the fact between our read and our write; try again."""


class AssessmentRepository(Repository):
    timezone = "Asia/Jakarta"

    # -- facts and cells -------------------------------------------------------------------
    def apply_fact_event(self, event_id: str, tracking_id: str, change: Callable[[dict | None], dict],
                         legacy: list[tuple[str, dict]] = ()) -> bool:
        """Fold one event into a report's fact and move the cells, exactly once per event."""
        def work(session):
            old = self.db.facts.find_one({"_id": tracking_id}, session=session)
            new = change(old)
            new["rev"] = (old or {}).get("rev", 0) + 1
            if old is None:
                self.db.facts.insert_one(new, session=session)
            elif self.db.facts.replace_one({"_id": tracking_id, "rev": old.get("rev", 0)}, new,
                                           session=session).matched_count != 1:
                raise StaleFact(tracking_id)
            moves = kpi.delta(kpi.contributions(old, self.timezone), kpi.contributions(new, self.timezone))
            ops = [UpdateOne({"_id": cid}, {"$inc": inc, "$setOnInsert": kpi.parse_cell_id(cid)}, upsert=True)
                   for cid, inc in sorted(moves.items())]
            ops += [UpdateOne({"_id": "legacy|" + key}, {"$inc": inc}, upsert=True) for key, inc in legacy]
            if ops:
                self.db.cells.bulk_write(ops, ordered=True, session=session)
        for _ in range(FACT_RETRIES):
            try:
                return self.once(event_id, work)
            except (StaleFact, DuplicateKeyError):
                continue
        raise StaleFact(tracking_id)

    def cells(self, scope: str, dim: str, buckets: list[str], value: str | None = None) -> list[dict]:
        """Cells of one scope and dimension for the given months, quarters or years."""
        query = {"scope": scope, "dim": dim, "month": buckets[0] if len(buckets) == 1 else {"$in": buckets}}
        if value is not None:
            query["value"] = value
        return list(self.db.cells.find(query))

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

    def replace_cells(self, cells: dict[str, dict[str, int]], batch: int = 5000) -> int:
        """Replace every KPI cell by ``cells`` (legacy counters are kept)."""
        self.db.cells.delete_many({"scope": {"$exists": True}})
        docs = [{"_id": cid, **kpi.parse_cell_id(cid), **dict(values)} for cid, values in cells.items()]
        for i in range(0, len(docs), batch):
            self.db.cells.insert_many(docs[i:i + batch], ordered=False)
        return len(docs)

    def all_kpi_cells(self) -> dict[str, dict[str, int]]:
        return {doc["_id"]: {k: v for k, v in doc.items() if k not in ("_id", "scope", "dim", "value", "month") and v}
                for doc in self.db.cells.find({"scope": {"$exists": True}})}

    def agency_seen(self, agency_code: str) -> bool:
        return self.db.cells.find_one({"scope": "*", "dim": "agency", "value": agency_code}, {"_id": 1}) is not None

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
    """The questionnaire templates shipped as data (one YAML file each)."""
    templates = []
    for path in sorted(directory.glob("*.yml")):
        with open(path) as handle:
            templates.append(yaml.safe_load(handle))
    return templates


class AssessmentStore(Store):
    repository_class = AssessmentRepository
    indexes = {
        "cells": [IndexModel([("scope", ASCENDING), ("dim", ASCENDING), ("month", ASCENDING), ("value", ASCENDING)])],
        "facts": [IndexModel([("agency_code", ASCENDING)])],
        "self_assessments": [IndexModel([("agency_code", ASCENDING), ("year", ASCENDING), ("version", DESCENDING)],
                                        unique=True)],
        "targets": [IndexModel([("agency_code", ASCENDING), ("year", ASCENDING)], unique=True)],
    }

    def setup(self):
        super().setup()
        config = self.container.config
        self.repository.timezone = config.get("REPORTING_TIMEZONE") or "Asia/Jakarta"
        directory = Path(config.get("ASSESSMENT_TEMPLATES_DIR") or DEFAULT_TEMPLATES_DIR)
        self.seed_templates(directory)

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

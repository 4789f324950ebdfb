"""Storage of the satisfaction survey: templates, responses and their running totals.

A response and the totals it moves (agency and hub, month, quarter and year) are written in one
transaction, so the totals never count a response that is not stored, nor miss one that is.
A reporter's response is keyed by a hash of the report's tracking ID: a second submission (or a
retry after a lost reply) fails on that unique key and counts nothing.  Responses are kept for
audit and for ``rebuild_totals``.
"""
from __future__ import annotations

import hashlib
import logging
import uuid
from collections import defaultdict
from pathlib import Path

from prometheus_client import Counter
from pymongo import ASCENDING, DESCENDING, IndexModel, UpdateOne
from pymongo.errors import DuplicateKeyError

from assessment import survey
from assessment.dependencies import load_template_files
from contract.store import Repository, Store, utcnow

log = logging.getLogger(__name__)

DEFAULT_SURVEYS_DIR = Path(__file__).resolve().parents[3] / "deploy" / "assessment" / "surveys"
SUGGESTIONS_SHOWN = 500
TOTALS_RETRIES = 10

RESPONSES = Counter("lapor_assessment_survey_responses_total",
                    "Satisfaction survey responses recorded, by channel (online: a reporter; paper: entered by "
                    "an official).", ["channel"])


def _count(channel: str) -> None:
    try:
        RESPONSES.labels(channel).inc()
    except Exception:  # metrics never make a worker fail
        log.warning("survey metrics failed", exc_info=True)


def report_key(tracking_id: str) -> str:
    """The response key of a reporter's report: one response per report, the ID itself not kept."""
    return "report:" + hashlib.sha256(tracking_id.encode()).hexdigest()


def paper_key(agency_code: str, form_number: str | None) -> str:
    """A paper form's key: its serial number within the agency when given, else a fresh id."""
    return f"paper:{agency_code}:{form_number}" if form_number else f"paper:{uuid.uuid4().hex}"


class SurveyRepository(Repository):
    timezone = "Asia/Jakarta"   # the reporting time zone: a response counts in its month there
    intake_timeout = 5.0        # seconds to wait for intake.verify_reporter

    # -- templates (never overwritten) -----------------------------------------------------
    def add_template(self, template: dict) -> bool:
        try:
            self.db.survey_templates.insert_one({**template, "_id": template["id"], "created_at": utcnow()})
            return True
        except DuplicateKeyError:
            return False

    def template(self, template_id: str) -> dict | None:
        return self.db.survey_templates.find_one({"_id": template_id}, {"_id": 0, "created_at": 0})

    def templates(self, ids: list[str] | None = None) -> list[dict]:
        query = {} if ids is None else {"_id": {"$in": ids}}
        return list(self.db.survey_templates.find(query, {"_id": 0, "created_at": 0}).sort("id", ASCENDING))

    # -- responses and totals --------------------------------------------------------------
    def add_response(self, response: dict) -> bool:
        """Store a response and move its totals in one transaction; False if its key exists."""
        def work(session):
            self.db.survey_responses.insert_one(response, session=session)
            ops = [UpdateOne({"_id": tid}, {"$inc": inc, "$setOnInsert": survey.parse_total_id(tid)}, upsert=True)
                   for tid, inc in sorted(survey.contributions(response).items())]
            self.db.survey_totals.bulk_write(ops, ordered=True, session=session)

        for _ in range(TOTALS_RETRIES):
            try:
                self.transaction(work)
            except DuplicateKeyError:
                if self.db.survey_responses.find_one({"_id": response["_id"]}, {"_id": 1}):
                    return False
                continue  # two first responses raced to create the same totals document
            _count(response["channel"])
            return True
        raise RuntimeError("could not record the survey response")

    def totals(self, scope: str, bucket: str) -> list[dict]:
        """Total documents of one scope (an agency or ``*``) for a month, quarter or year."""
        return list(self.db.survey_totals.find({"bucket": bucket, "scope": scope}))

    def totals_of_agencies(self, bucket: str) -> list[dict]:
        """Every agency's total documents for a month, quarter or year (not the hub's)."""
        return list(self.db.survey_totals.find({"bucket": bucket, "scope": {"$ne": "*"}}))

    def suggestions(self, agency_code: str, months: list[str], limit: int = SUGGESTIONS_SHOWN) -> list[dict]:
        """An agency's suggestions in some months, newest first: the text, month and channel only."""
        query = {"agency_code": agency_code, "month": {"$in": months}, "suggestion": {"$type": "string"}}
        found = self.db.survey_responses.find(query, {"_id": 0, "month": 1, "channel": 1, "suggestion": 1})
        return [{"month": d["month"], "channel": d["channel"], "text": d["suggestion"]}
                for d in found.sort("submitted_at", DESCENDING).limit(limit)]

    def response_count(self) -> int:
        return self.db.survey_responses.estimated_document_count()

    def rebuild_totals(self) -> int:
        """Recompute every total from the stored responses (after damage); returns the documents written."""
        table: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for response in self.db.survey_responses.find({}, batch_size=2000):
            for tid, inc in survey.contributions(response).items():
                for key, value in inc.items():
                    table[tid][key] += value
        self.db.survey_totals.delete_many({})
        docs = [{"_id": tid, **survey.parse_total_id(tid), **values} for tid, values in table.items()]
        if docs:
            self.db.survey_totals.insert_many(docs, ordered=False)
        return len(docs)


class SurveyStore(Store):
    """The survey's collections in assessment's database; shipped templates loaded at start."""
    repository_class = SurveyRepository
    indexes = {
        "survey_totals": [IndexModel([("bucket", ASCENDING), ("scope", ASCENDING), ("template_id", ASCENDING)])],
        "survey_responses": [IndexModel([("agency_code", ASCENDING), ("month", ASCENDING)])],
    }

    def setup(self):
        super().setup()
        config = self.container.config
        self.repository.timezone = config.get("REPORTING_TIMEZONE") or "Asia/Jakarta"
        self.repository.intake_timeout = float(config.get("INTAKE_RPC_TIMEOUT") or 5)
        self.seed_templates(Path(config.get("ASSESSMENT_SURVEYS_DIR") or DEFAULT_SURVEYS_DIR))

    def seed_templates(self, directory: Path) -> None:
        """Store the shipped survey templates the store does not have yet (validated like API input)."""
        from assessment.survey_schemas import SurveyTemplateIn
        for raw in load_template_files(directory):
            template = SurveyTemplateIn().load(raw)
            problems = survey.template_problems(template)
            if problems:
                raise ValueError(f"survey template {raw.get('id')}: {problems}")
            if self.repository.add_template(template):
                log.info("assessment: loaded survey template %s", template["id"])

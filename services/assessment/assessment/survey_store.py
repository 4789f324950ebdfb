"""Storage of the satisfaction survey: templates, responses and their running totals.

A response and the totals it moves (agency and hub, month, quarter and year) are written in one
unit of work, so the totals never count a response that is not stored, nor miss one that is.
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
from pymongo.errors import BulkWriteError, DuplicateKeyError

from assessment import survey
from contract.store import utcnow
from contract.uow import DUPLICATE_KEY, Repository, StaleWrite

log = logging.getLogger(__name__)

DEFAULT_SURVEYS_DIR = Path(__file__).resolve().parents[3] / "deploy" / "assessment" / "surveys"
SUGGESTIONS_SHOWN = 500

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


class Surveys(Repository):
    """The survey's templates (never overwritten), responses and totals (``uow.surveys``)."""

    # -- templates (never overwritten) -----------------------------------------------------
    def add_template(self, template: dict) -> bool:
        """Insert a template in the unit's transaction; False when its id is taken."""
        if self.db.survey_templates.find_one({"_id": template["id"]}, {"_id": 1}, session=self.session):
            return False
        insert_or_rerun(self.db.survey_templates, {**template, "_id": template["id"], "created_at": self.uow.now()},
                        self.session)
        return True

    def template(self, template_id: str) -> dict | None:
        return self.db.survey_templates.find_one({"_id": template_id}, {"_id": 0, "created_at": 0},
                                                 session=self.session)

    def templates(self, ids: list[str] | None = None) -> list[dict]:
        query = {} if ids is None else {"_id": {"$in": ids}}
        return list(self.db.survey_templates.find(query, {"_id": 0, "created_at": 0}, session=self.session)
                    .sort("id", ASCENDING))

    # -- responses and totals --------------------------------------------------------------
    def add_response(self, response: dict) -> bool:
        """Store a response and move its totals in the unit's transaction; False if its key exists.
        Two first responses racing to create the same totals document: the unit runs again."""
        if self.db.survey_responses.find_one({"_id": response["_id"]}, {"_id": 1}, session=self.session):
            return False
        insert_or_rerun(self.db.survey_responses, response, self.session)
        ops = [UpdateOne({"_id": tid}, {"$inc": inc, "$setOnInsert": survey.parse_total_id(tid)}, upsert=True)
               for tid, inc in sorted(survey.contributions(response).items())]
        try:
            self.db.survey_totals.bulk_write(ops, ordered=True, session=self.session)
        except BulkWriteError as exc:
            if any(e.get("code") == DUPLICATE_KEY for e in exc.details.get("writeErrors", [])):
                raise StaleWrite("a survey total") from exc
            raise
        self.uow.after_commit(lambda: _count(response["channel"]))
        return True

    def totals(self, scope: str, bucket: str) -> list[dict]:
        """Total documents of one scope (an agency or ``*``) for a month, quarter or year."""
        return list(self.db.survey_totals.find({"bucket": bucket, "scope": scope}, session=self.session))

    def totals_of_agencies(self, bucket: str) -> list[dict]:
        """Every agency's total documents for a month, quarter or year (not the hub's)."""
        return list(self.db.survey_totals.find({"bucket": bucket, "scope": {"$ne": "*"}}, session=self.session))

    def suggestions(self, agency_code: str, months: list[str], limit: int = SUGGESTIONS_SHOWN) -> list[dict]:
        """An agency's suggestions in some months, newest first: the text, month and channel only."""
        query = {"agency_code": agency_code, "month": {"$in": months}, "suggestion": {"$type": "string"}}
        found = self.db.survey_responses.find(query, {"_id": 0, "month": 1, "channel": 1, "suggestion": 1},
                                              session=self.session)
        return [{"month": d["month"], "channel": d["channel"], "text": d["suggestion"]}
                for d in found.sort("submitted_at", DESCENDING).limit(limit)]


def insert_or_rerun(collection, doc: dict, session) -> None:
    """Insert ``doc`` at once in the unit's transaction; a duplicate key (a concurrent unit committed
    the same key after this one checked) runs the unit again, where the check sees it."""
    try:
        collection.insert_one(doc, session=session)
    except DuplicateKeyError as exc:
        raise StaleWrite(f"a document of {collection.name}") from exc


# -- offline (the CLI): not a unit of work ---------------------------------------------------
def response_count(db) -> int:
    return db.survey_responses.estimated_document_count()


def rebuild_totals(db) -> int:
    """Recompute every total from the stored responses (after damage); returns the documents written."""
    table: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for response in db.survey_responses.find({}, batch_size=2000):
        for tid, inc in survey.contributions(response).items():
            for key, value in inc.items():
                table[tid][key] += value
    db.survey_totals.delete_many({})
    docs = [{"_id": tid, **survey.parse_total_id(tid), **values} for tid, values in table.items()]
    if docs:
        db.survey_totals.insert_many(docs, ordered=False)
    return len(docs)


INDEXES = {
    "survey_totals": [IndexModel([("bucket", ASCENDING), ("scope", ASCENDING), ("template_id", ASCENDING)])],
    "survey_responses": [IndexModel([("agency_code", ASCENDING), ("month", ASCENDING)])],
}


def seed_templates(db, directory: Path) -> None:
    """Store the shipped survey templates the store does not have yet (validated like API input);
    at start-up, before any worker."""
    from assessment.dependencies import load_template_files
    from assessment.survey_schemas import SurveyTemplateIn
    for raw in load_template_files(directory):
        template = SurveyTemplateIn().load(raw)
        problems = survey.template_problems(template)
        if problems:
            raise ValueError(f"survey template {raw.get('id')}: {problems}")
        try:
            db.survey_templates.insert_one({**template, "_id": template["id"], "created_at": utcnow()})
        except DuplicateKeyError:
            continue
        log.info("assessment: loaded survey template %s", template["id"])

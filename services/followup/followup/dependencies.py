"""Follow-up's store: one unit of work per use case (``contract.uow``) with the repositories of
cases, the reports' facts, messages, comments and the SLA calendar (policies and days off)."""
from __future__ import annotations

import logging
import random
from datetime import datetime, timezone
from pathlib import Path

import yaml
from pymongo import ASCENDING, IndexModel, UpdateOne

from contract import registry_names
from contract.uow import Repository
from contract.unitstore import UnitOfWorkProvider
from followup import indicator, settings, sla

log = logging.getLogger(__name__)
POLICIES_ID = "current"
TALLY_SHARDS = 8  # tally documents per unit
REPO_ROOT = Path(__file__).resolve().parents[3]


class Cases(Repository):
    """One case per report (``tracking_id``), and the per-unit tallies of their recorded colours."""

    def get(self, tracking_id: str) -> dict | None:
        """The report's case (in a batch: read with the batch's others, or as this unit saved it)."""
        return self.uow.read("cases", tracking_id, key="tracking_id", field="tracking_id")

    def save(self, before: dict | None, after: dict) -> None:
        """Insert a new case, or replace it if it is still at the version read (else the unit runs
        again); the tallies follow in the same unit."""
        if before is None:
            self.uow.save("cases", {**after, "version": 1})
        else:
            version = before.get("version", 0)
            self.uow.save("cases", {**after, "version": version + 1}, expect={"version": version})
        self._retally([(before, after)])

    def claim(self, claims: list[tuple[dict, list[str], dict]]) -> None:
        """The sweep's (case, alert kinds, changes): each conditional on the case still being in the
        same stage and status with the kinds not yet recorded, so that across restarts and workers
        each (case, stage, kind) is claimed once; one not matching makes the unit run again."""
        if not claims:
            return
        self.uow.update_checked("cases", [
            UpdateOne({"_id": case["_id"], "stage_seq": case.get("stage_seq"), "status": case["status"],
                       "alerts": {"$nin": kinds}}, {"$set": changes, "$inc": {"version": 1}})
            for case, kinds, changes in claims])
        self._retally([(case, {**case, **changes}) for case, _, changes in claims])

    def _retally(self, moves: list[tuple[dict | None, dict]]) -> None:
        """Keep the per-unit tallies of recorded colours in the same unit of work as the cases."""
        deltas: dict[tuple, int] = {}
        for before, after in moves:
            for case, sign in ((before, -1), (after, 1)):
                if case is not None:
                    key = (case.get("agency_code"), case.get("unit_code"), indicator.recorded_colour(case))
                    deltas[key] = deltas.get(key, 0) + sign
        # spread over TALLY_SHARDS documents per unit: concurrent cases of one unit rarely write the
        # same document (write conflicts made transactions retry); the summary sums the shards
        shard = random.randrange(TALLY_SHARDS)
        ops = [UpdateOne({"_id": f"{agency or '-'}|{unit or '-'}|{shard}"},
                         {"$inc": {colour: delta}, "$set": {"agency_code": agency, "unit_code": unit}}, upsert=True)
               for (agency, unit, colour), delta in sorted(deltas.items(), key=str) if delta]
        if ops:
            self.uow.update("tallies", ops)

    def inbox(self, scope: dict, status: str | None, colour: str | None, now: datetime,
              limit: int, offset: int) -> list[dict]:
        query = {**scope, **({"status": status} if status else {}), **colour_query(colour, now)}
        return list(self.db.cases.find(query, {"history": 0, "schedule": 0}, session=self.session).sort(
            [("due_at", ASCENDING), ("_id", ASCENDING)]).skip(offset).limit(limit))

    def summary(self, scope: dict) -> dict:
        """Counts per recorded colour from the tallies: one small indexed read, any store size."""
        counts = dict.fromkeys(indicator.COLOURS, 0)
        for tally in self.db.tallies.find(scope, session=self.session):
            for colour in indicator.COLOURS:
                counts[colour] += tally.get(colour, 0)
        counts["open"] = counts[indicator.GREEN] + counts[indicator.YELLOW] + counts[indicator.RED]
        return counts

    def exact_summary(self, scope: dict, now: datetime) -> dict:
        """Counts per colour at ``now`` from the cases themselves: five index range counts
        (COUNT_SCAN-able on MongoDB; yellow = open - green - red since due_soon_at <= due_at)."""
        def count(query):
            return self.db.cases.count_documents(query, session=self.session)
        counts = {"open": count({**scope, "status": "open"})}
        for colour in (indicator.GREEN, indicator.RED, indicator.CLOSED_ON_TIME, indicator.CLOSED_LATE):
            counts[colour] = count({**scope, **colour_query(colour, now)})
        counts[indicator.YELLOW] = counts["open"] - counts[indicator.GREEN] - counts[indicator.RED]
        return counts

    def open_by_agency(self, now: datetime) -> list[dict]:
        """Open cases per agency and colour, for the Prometheus gauges."""
        return list(self.db.cases.aggregate([
            {"$match": {"status": "open"}},
            {"$group": {"_id": "$agency_code",
                        "red": {"$sum": {"$cond": [{"$lt": ["$due_at", now]}, 1, 0]}},
                        "yellow": {"$sum": {"$cond": [{"$and": [{"$gte": ["$due_at", now]},
                                                                {"$lt": ["$due_soon_at", now]}]}, 1, 0]}},
                        "total": {"$sum": 1}}}], session=self.session))

    def due_for_check(self, now: datetime, limit: int) -> list[dict]:
        """Cases whose ``next_check_at`` has passed (an index range), oldest first."""
        return list(self.db.cases.find({"next_check_at": {"$lt": now}}, session=self.session).sort(
            [("next_check_at", ASCENDING), ("_id", ASCENDING)]).limit(limit))

    def open_count(self) -> int:
        return self.db.cases.count_documents({"status": "open"}, session=self.session)


class Facts(Repository):
    """The report's facts a case needs (from ``report_received``), keyed by tracking ID."""

    def get(self, tracking_id: str) -> dict | None:
        return self.uow.read("report_facts", tracking_id, key="tracking_id")

    def record(self, facts: dict) -> None:
        self.uow.save("report_facts", {"_id": facts["tracking_id"], **facts}, upsert=True)


class Messages(Repository):
    """The conversation on a case: updates, answers, the reporter's replies."""

    def add(self, message: dict) -> None:
        self.uow.insert("messages", message)

    def of_case(self, case_id: str) -> list[dict]:
        return list(self.db.messages.find({"case_id": case_id}, session=self.session).sort(
            [("at", ASCENDING), ("_id", ASCENDING)]))


class Comments(Repository):
    """Public comments on non-confidential reports, and their moderation."""

    def add(self, comment: dict) -> None:
        self.uow.insert("comments", comment)

    def get(self, comment_id: str) -> dict | None:
        return self.uow.read("comments", comment_id)

    def hide(self, before: dict, after: dict) -> None:
        """Replace a comment by its hidden form if it is still shown (else the unit runs again)."""
        self.uow.save("comments", after, expect={"hidden": False})

    def of_case(self, case_id: str, include_hidden: bool) -> list[dict]:
        query = {"case_id": case_id, **({} if include_hidden else {"hidden": False})}
        return list(self.db.comments.find(query, session=self.session).sort([("at", ASCENDING), ("_id", ASCENDING)]))


class Calendar(Repository):
    """The SLA policies and the days off: data, read once per unit of work."""

    def policy_document(self) -> dict | None:
        return self.uow.read("sla_policies", POLICIES_ID)

    def policies(self) -> list[dict]:
        doc = self.policy_document()
        return doc["policies"] if doc else []

    def set_policies(self, policies: list[dict], by: str, now: datetime) -> None:
        self.uow.save("sla_policies", {"_id": POLICIES_ID, "policies": policies, "updated_by": by,
                                       "updated_at": now}, upsert=True)

    def days_off(self) -> list[dict]:
        return self.uow.memo("days_off", lambda: list(
            self.db.days_off.find({}, {"_id": 0}, session=self.session).sort([("date", ASCENDING)])))

    def add_day_off(self, entry: dict) -> None:
        key = f"{entry['date']}:{entry.get('region_code') or 'national'}"
        self.uow.save("days_off", {"_id": key, **entry}, upsert=True)


def colour_query(colour: str | None, now: datetime) -> dict:
    """The store query for cases showing ``colour`` at ``now`` (mirrors indicator.colour)."""
    if colour is None:
        return {}
    return {
        indicator.GREEN: {"status": "open", "due_soon_at": {"$gte": now}},
        indicator.YELLOW: {"status": "open", "due_soon_at": {"$lt": now}, "due_at": {"$gte": now}},
        indicator.RED: {"status": "open", "due_at": {"$lt": now}},
        indicator.CLOSED_ON_TIME: {"status": {"$in": ["answered", "closed", "archived"]}, "on_time": True},
        indicator.CLOSED_LATE: {"status": {"$in": ["answered", "closed", "archived"]}, "on_time": False},
    }[colour]


class CaseStore(UnitOfWorkProvider):
    """Follow-up's store (``self.store.run(handlers.x, message)``); seeds the SLA policies once."""

    repositories = {"cases": Cases, "facts": Facts, "messages": Messages, "comments": Comments,
                    "calendar": Calendar, "names": registry_names.NamesCopy}
    indexes = {
        # every count of the summary is one range on one of these (agency or unit first)
        "cases": [IndexModel([("tracking_id", ASCENDING)], unique=True),
                  IndexModel([("next_check_at", ASCENDING), ("_id", ASCENDING)]),
                  IndexModel([("agency_code", ASCENDING), ("status", ASCENDING), ("due_at", ASCENDING)]),
                  IndexModel([("agency_code", ASCENDING), ("status", ASCENDING), ("due_soon_at", ASCENDING)]),
                  IndexModel([("agency_code", ASCENDING), ("status", ASCENDING), ("on_time", ASCENDING)]),
                  IndexModel([("unit_code", ASCENDING), ("status", ASCENDING), ("due_at", ASCENDING)]),
                  IndexModel([("unit_code", ASCENDING), ("status", ASCENDING), ("due_soon_at", ASCENDING)]),
                  IndexModel([("unit_code", ASCENDING), ("status", ASCENDING), ("on_time", ASCENDING)])],
        "messages": [IndexModel([("case_id", ASCENDING), ("at", ASCENDING), ("_id", ASCENDING)])],
        "comments": [IndexModel([("case_id", ASCENDING), ("hidden", ASCENDING), ("at", ASCENDING)])],
        "days_off": [IndexModel([("date", ASCENDING)])],
        "tallies": [IndexModel([("agency_code", ASCENDING), ("unit_code", ASCENDING)]),
                    IndexModel([("unit_code", ASCENDING)])],
    }

    parse_settings = staticmethod(settings.parse)

    def setup(self):
        super().setup()
        registry_names.load_file_at_setup(self, self.container.config, log)
        path = policy_file(self.settings.policy_file)
        if path is not None:
            with open(path) as handle:
                policies = sla.load_policies(yaml.safe_load(handle) or {"policies": []})
            self.db.sla_policies.update_one({"_id": POLICIES_ID}, {"$setOnInsert": {
                "policies": policies, "updated_by": "seed:" + Path(path).name, "updated_at": datetime.now(timezone.utc)}}, upsert=True)


def policy_file(setting: str) -> Path | None:
    """The policy file; a relative path is taken from the repository root (or the cwd)."""
    if not setting:
        return None
    for candidate in (Path(setting), REPO_ROOT / setting):
        if candidate.is_file():
            return candidate
    log.warning("SLA policy file %s not found; the built-in defaults apply", setting)
    return None

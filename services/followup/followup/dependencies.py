"""Follow-up's storage and clock: cases, messages, comments, SLA policies and days off."""
from __future__ import annotations

import logging
import random
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

import yaml
from nameko.extensions import DependencyProvider
from pymongo import ASCENDING, IndexModel, ReturnDocument, UpdateOne

from contract.store import Repository, Store, utcnow
from followup import indicator, sla

log = logging.getLogger(__name__)
POLICIES_ID = "current"
SWEEP_BATCH = 500
TALLY_SHARDS = 8  # tally documents per unit
REPO_ROOT = Path(__file__).resolve().parents[3]


class _Contended(Exception):
    """Some claims of a batch were taken by another worker."""


class StaleCase(Exception):
    """The case changed between read and write (another worker); the transaction retries."""


class Cases(Repository):
    # --- reports' facts (from report_received) -------------------------------------------
    def record_facts(self, event_id: str, facts: dict) -> bool:
        def work(session):
            self.save_later("report_facts", {"_id": facts["tracking_id"], **facts}, session, upsert=True)
            case = self.case_for_batch(facts["tracking_id"], session)
            if case is not None and case.get("is_confidential") != facts["is_confidential"]:
                self.save_later("cases", {**case, "is_confidential": facts["is_confidential"]}, session,
                                expect={"version": case.get("version", 0)})
        return self.once(event_id, work)

    def facts(self, tracking_id: str, session=None) -> dict | None:
        """The report's facts (in a batch: read with the batch's others, or as the batch saved them)."""
        return self.read_for_batch("report_facts", "tracking_id", tracking_id, None, session)

    def case_for_batch(self, tracking_id: str, session) -> dict | None:
        """The report's case (in a batch: read with the batch's others, or as the batch saved it)."""
        return self.read_for_batch("cases", "tracking_id", tracking_id, None, session, field="tracking_id")

    # --- cases ----------------------------------------------------------------------------
    def apply_event(self, event_id: str, tracking_id: str,
                    decide: Callable[[dict | None, dict | None], tuple[dict | None, list[dict], list[dict]]]) -> bool:
        """Apply a workflow event once: ``decide(case, facts)`` returns (new case or None, events,
        messages to record)."""
        def work(session):
            case = self.case_for_batch(tracking_id, session)
            changed, events, messages = decide(case, self.facts(tracking_id, session))
            if changed is not None:
                self._save(session, case, changed)
            for message in messages:
                self.insert_later("messages", message, session)
            return events
        return self.once(event_id, work)

    def change(self, tracking_id: str, decide: Callable[[dict], tuple[dict, dict | None, list[dict]]],
               record_collection: str = "messages") -> tuple[dict, dict | None]:
        """One user action in one transaction: the case, its record and its events, or nothing."""
        def work(session):
            case = self.db.cases.find_one({"tracking_id": tracking_id}, session=session)
            if case is None:
                raise LookupError(tracking_id)
            changed, record, events = decide(case)
            self._save(session, case, changed)
            if record is not None:
                self.db[record_collection].insert_one(record, session=session)
            self.stage_events(session, events)
            return changed, record
        return self.transaction(work)

    def _save(self, session, before: dict | None, after: dict) -> None:
        """Insert or replace (if still at the version read) a case; in a batch, once at its commit."""
        if before is None:
            self.save_later("cases", {**after, "version": 1}, session)
        else:
            version = before.get("version", 0)
            self.save_later("cases", {**after, "version": version + 1}, session, expect={"version": version},
                            stale=lambda: StaleCase(before["_id"]))
        self._retally(session, [(before, after)])

    def _retally(self, session, moves: list[tuple[dict | None, dict]]) -> None:
        """Keep the per-unit tallies of recorded colours in the same transaction as the cases."""
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
            self.update_later("tallies", ops, session)

    def get(self, tracking_id: str) -> dict | None:
        return self.db.cases.find_one({"tracking_id": tracking_id})

    def inbox(self, scope: dict, status: str | None, colour: str | None, now: datetime,
              limit: int, offset: int) -> list[dict]:
        query = {**scope, **({"status": status} if status else {}), **colour_query(colour, now)}
        return list(self.db.cases.find(query, {"history": 0, "schedule": 0}).sort(
            [("due_at", ASCENDING), ("_id", ASCENDING)]).skip(offset).limit(limit))

    def summary(self, scope: dict) -> dict:
        """Counts per recorded colour from the tallies: one small indexed read, any store size."""
        counts = dict.fromkeys(indicator.COLOURS, 0)
        for tally in self.db.tallies.find(scope):
            for colour in indicator.COLOURS:
                counts[colour] += tally.get(colour, 0)
        counts["open"] = counts[indicator.GREEN] + counts[indicator.YELLOW] + counts[indicator.RED]
        return counts

    def exact_summary(self, scope: dict, now: datetime) -> dict:
        """Counts per colour at ``now`` from the cases themselves: five index range counts
        (COUNT_SCAN-able on MongoDB; yellow = open - green - red since due_soon_at <= due_at)."""
        count = self.db.cases.count_documents
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
                        "total": {"$sum": 1}}}]))

    # --- the sweep ------------------------------------------------------------------------
    def due_for_check(self, now: datetime, limit: int = SWEEP_BATCH, after: Any = None) -> list[dict]:
        query: dict = {"next_check_at": {"$lt": now}}
        if after is not None:
            query["next_check_at"] = {"$lt": now, "$gte": after[0]}
        return list(self.db.cases.find(query).sort([("next_check_at", ASCENDING), ("_id", ASCENDING)]).limit(limit))

    def claim_alerts(self, claims: list[tuple[dict, list[str], dict, list[dict]]]) -> set[str]:
        """Apply a batch of sweep results in one transaction; the ids of the cases claimed.

        Each claim is conditional on the case still being in the same stage and status with
        the alert kinds not yet recorded, so across restarts and several workers each
        (case, stage, kind) is claimed once and its events are staged once.  The fast path is
        one bulk write; if another worker got some of the batch first, the batch is redone
        case by case to learn which claims are ours.
        """
        def claim(case, kinds, changes):
            return ({"_id": case["_id"], "stage_seq": case.get("stage_seq"), "status": case["status"],
                     "alerts": {"$nin": kinds}}, {"$set": changes, "$inc": {"version": 1}})

        def in_bulk(session):
            result = self.db.cases.bulk_write([UpdateOne(*claim(c, k, ch)) for c, k, ch, _ in claims],
                                              ordered=False, session=session)
            if result.modified_count != len(claims):
                raise _Contended()
            self._retally(session, [(c, {**c, **ch}) for c, _, ch, _ in claims])
            self.stage_events(session, [e for *_, emitted in claims for e in emitted])
            return {c["_id"] for c, *_ in claims}

        def one_by_one(session):
            claimed, staged, moves = set(), [], []
            for case, kinds, changes, emitted in claims:
                if self.db.cases.update_one(*claim(case, kinds, changes), session=session).modified_count == 1:
                    claimed.add(case["_id"])
                    staged.extend(emitted)
                    moves.append((case, {**case, **changes}))
            self._retally(session, moves)
            self.stage_events(session, staged)
            return claimed

        if not claims:
            return set()
        try:
            return self.transaction(in_bulk)
        except _Contended:
            return self.transaction(one_by_one)

    # --- messages and comments --------------------------------------------------------------
    def messages(self, case_id: str) -> list[dict]:
        return list(self.db.messages.find({"case_id": case_id}).sort([("at", ASCENDING), ("_id", ASCENDING)]))

    def comments(self, case_id: str, include_hidden: bool) -> list[dict]:
        query = {"case_id": case_id, **({} if include_hidden else {"hidden": False})}
        return list(self.db.comments.find(query).sort([("at", ASCENDING), ("_id", ASCENDING)]))

    def add_comment(self, comment: dict, events: list[dict]) -> None:
        def work(session):
            self.db.comments.insert_one(comment, session=session)
            self.stage_events(session, events)
        self.transaction(work)

    def comment(self, comment_id: str) -> dict | None:
        return self.db.comments.find_one({"_id": comment_id})

    def hide_comment(self, before: dict, after: dict, events: list[dict]) -> bool:
        def work(session):
            done = self.db.comments.find_one_and_replace({"_id": before["_id"], "hidden": False}, after,
                                                         session=session, return_document=ReturnDocument.AFTER)
            if done is None:
                return False
            self.stage_events(session, events)
            return True
        return self.transaction(work)

    # --- SLA policies and days off ----------------------------------------------------------
    def policies(self) -> list[dict]:
        """The SLA policies (read once per batch of events)."""
        doc = self.batch_memo("sla_policies", lambda: self.db.sla_policies.find_one({"_id": POLICIES_ID}))
        return doc["policies"] if doc else []

    def policy_document(self) -> dict | None:
        return self.db.sla_policies.find_one({"_id": POLICIES_ID}, {"_id": 0})

    def set_policies(self, policies: list[dict], by: str, now: datetime, only_if_absent: bool = False) -> None:
        if only_if_absent:
            self.db.sla_policies.update_one({"_id": POLICIES_ID}, {"$setOnInsert": {
                "policies": policies, "updated_by": by, "updated_at": now}}, upsert=True)
        else:
            self.db.sla_policies.replace_one({"_id": POLICIES_ID}, {"policies": policies, "updated_by": by,
                                                                   "updated_at": now}, upsert=True)

    def days_off(self) -> list[dict]:
        """The days off (read once per batch of events)."""
        return self.batch_memo("days_off", lambda: list(self.db.days_off.find({}, {"_id": 0})
                                                        .sort([("date", ASCENDING)])))

    def add_day_off(self, entry: dict) -> None:
        key = f"{entry['date']}:{entry.get('region_code') or 'national'}"
        self.db.days_off.replace_one({"_id": key}, {"_id": key, **entry}, upsert=True)

    def remove_day_off(self, day: str, region_code: str | None) -> int:
        return self.db.days_off.delete_one({"_id": f"{day}:{region_code or 'national'}"}).deleted_count

    def open_count(self) -> int:
        return self.db.cases.count_documents({"status": "open"})


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


class CaseStore(Store):
    repository_class = Cases
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

    def setup(self):
        super().setup()
        path = policy_file(self.container.config.get("SLA_POLICY_FILE") or "")
        if path is not None:
            with open(path) as handle:
                policies = sla.load_policies(yaml.safe_load(handle) or {"policies": []})
            self.repository.set_policies(policies, "seed:" + Path(path).name, utcnow(), only_if_absent=True)


def policy_file(setting: str) -> Path | None:
    """The policy file; a relative path is taken from the repository root (or the cwd)."""
    if not setting:
        return None
    for candidate in (Path(setting), REPO_ROOT / setting):
        if candidate.is_file():
            return candidate
    log.warning("SLA policy file %s not found; the built-in defaults apply", setting)
    return None


class Clock(DependencyProvider):
    """The time, as one narrow verb; tests replace it to drive deadlines without sleeping."""

    def get_dependency(self, worker_ctx):
        return utcnow


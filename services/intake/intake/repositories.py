"""Intake's repositories, built for each unit of work (``uow.reports``, ``uow.registry``, ``uow.limits``,
``uow.api_keys``; the hub network's ``uow.hubs`` is in ``intake.hub_store``).

Every verb reads through the unit's session and writes through the unit (at its commit), or at
once with the unit's session when the use case needs the result (a conditional update, a counter).
"""
from __future__ import annotations

import hashlib
import re
import time
from datetime import datetime, timedelta

from bson import ObjectId
from bson.errors import InvalidId
from gridfs import GridFSBucket
from pymongo import ASCENDING, DESCENDING, UpdateOne

from contract.store import upsert_and_get
from contract.uow import Repository
from intake import duplicates, history, limits, registry as regions_domain
from intake.hub_store import STEP_FIELDS

REGISTRY_TTL_SECONDS = 30.0
PREVIOUS_COUNTS_KEPT = 10_000  # past rate-limit windows remembered (then forgotten all at once)
# hinted: the local store picks a collection scan when a filter has $ne/$in besides the index keys
PUBLIC_INDEX = [("is_confidential", ASCENDING), ("received_at", DESCENDING)]
SENDER_INDEX = [("source.sender_hash", ASCENDING), ("received_at", DESCENDING)]
HISTORY = "history"
HISTORY_INDEX = [("tracking_id", ASCENDING), ("at", ASCENDING)]


def read_attachment(db, tracking_id: str, file_id: str, session=None) -> tuple[dict, bytes] | None:
    """(GridFS metadata, bytes) of one evidence file of a report, or None."""
    try:
        oid = ObjectId(file_id)
    except (InvalidId, TypeError):
        return None
    found = db["evidence.files"].find_one({"_id": oid, "metadata.tracking_id": tracking_id}, session=session)
    if found is None:
        return None
    return found, GridFSBucket(db, bucket_name="evidence").open_download_stream(oid, session=session).read()


class Reports(Repository):
    """Reports, their tracking history and idempotency keys, and their evidence files."""

    def __init__(self, uow):
        super().__init__(uow)
        self.changes: dict[str, dict] = {}  # tracking_id -> what the unit's steps change of it (record_step)
        self.recent_added: dict[str, list[dict]] = {}  # RECENT _id -> entries this unit remembered (unwritten)

    def add(self, report: dict, events: list[dict], idempotency_key: str | None = None) -> None:
        """Store a new report and its events at the unit's commit; its idempotency key at once (a
        key already used raises DuplicateKeyError: this submission fails, not its group)."""
        if idempotency_key:
            self.db.idempotency.insert_one({"_id": idempotency_key, "tracking_id": report["_id"],
                                            "at": report["received_at"]}, session=self.session)
        self.uow.insert("reports", report)
        if report["status"] != "incomplete":
            self.remember_recent(report)
        self.uow.stage(events)

    def remember_recent(self, report: dict) -> None:
        """Keep a complete report as a near-duplicate candidate of its category and region (at the commit;
        until then the unit's later submissions see it through ``recent_added``)."""
        selector, update = duplicates.recent_update(report)
        self.uow.update(duplicates.RECENT, [UpdateOne(selector, update, upsert=True)])
        self.recent_added.setdefault(selector["_id"], []).append(duplicates.recent_entry(report))

    def replayed(self, idempotency_key: str) -> str | None:
        """The tracking ID first stored under an idempotency key, if any.  Read as committed, outside
        the unit's transaction, like ``first_report``: a replay writes nothing and starts no
        transaction (no commit), also when it runs alone after its group (group commit)."""
        doc = self.db.idempotency.find_one({"_id": idempotency_key})
        return doc["tracking_id"] if doc else None

    def first_report(self, tracking_id: str) -> dict | None:
        """The committed report a replay answers with (read outside the unit's transaction)."""
        return self.db.reports.find_one({"_id": tracking_id})

    def complete(self, tracking_id: str, update: dict, entry: dict, events: list[dict],
                 idempotency_key: str | None = None, expect: dict | None = None) -> bool:
        """Apply a reporter's completion to a draft still incomplete (and matching ``expect``:
        a one-time completion code not spent meanwhile); False if it no longer is."""
        result = self.db.reports.update_one({**(expect or {}), "_id": tracking_id, "status": "incomplete"},
                                            {"$set": update, "$push": {"history": entry}}, session=self.session)
        if not result.matched_count:
            return False
        if idempotency_key:
            self.db.idempotency.insert_one({"_id": idempotency_key, "tracking_id": tracking_id,
                                            "at": entry["at"]}, session=self.session)
        self.uow.stage(events)
        return True

    def set_completion_code(self, tracking_id: str, code_hash: str, expires_at: datetime) -> None:
        """A one-time completion code for a draft whose reporter has no secret (social media)."""
        self.uow.update("reports", [UpdateOne({"_id": tracking_id, "status": "incomplete"}, {"$set": {
            "completion_code_hash": code_hash, "completion_code_expires_at": expires_at}})])

    def open_sms_draft(self, sender_hash: str, since: datetime) -> dict | None:
        """The sender's latest SMS draft still incomplete since ``since`` (a next SMS completes it)."""
        found = self.db.reports.find({"source.sender_hash": sender_hash, "received_at": {"$gte": since}},
                                     session=self.session).sort("received_at", DESCENDING).limit(5)
        return next((r for r in found if r["status"] == "incomplete"), None)

    def get(self, tracking_id: str) -> dict | None:
        return self.db.reports.find_one({"_id": tracking_id}, session=self.session)

    def secret_hash(self, tracking_id: str) -> str | None:
        report = self.db.reports.find_one({"_id": tracking_id}, {"secret_hash": 1}, session=self.session)
        return report.get("secret_hash") if report else None

    def by_reporter_ref(self, reporter_ref: str) -> dict | None:
        return self.db.reports.find_one({"reporter_ref": reporter_ref}, session=self.session)

    def by_reporter_refs(self, reporter_refs: list[str]) -> list[dict]:
        """The reports of these reporters, one ``$in`` query (unique index), only what a contact needs."""
        projection = {"reporter_ref": 1, "reporter": 1, "channel": 1, "language": 1, "personal_data_erased_at": 1}
        return list(self.db.reports.find({"reporter_ref": {"$in": reporter_refs}}, projection, session=self.session))

    def recent_similar(self, category_code: str, region_code: str, since: datetime) -> list[dict]:
        """Earlier complete reports of the same category and region since ``since``, newest first:
        one document read (``intake.duplicates``), not a range of reports.  In a group commit, the
        group's documents are read at once for all its submissions (the unit's batch holds their
        commands), and a submission sees those the group's earlier ones remembered (not yet written)."""
        key = duplicates.recent_key(category_code, region_code)
        recent = self.uow.read(duplicates.RECENT, key, key=duplicates.recent_keys)
        return duplicates.candidates(recent, since, self.recent_added.get(key, []))

    def step_view(self, tracking_id: str) -> dict | None:
        """What a tracked event's step needs of its report (read ahead for the batch's events)."""
        return self.uow.read("reports", tracking_id, key="tracking_id", projection=STEP_FIELDS)

    def record_step(self, event_id: str, tracking_id: str, step: dict) -> None:
        """Apply one tracked event: its history document, and its fields and status (``intake.history``)
        gathered with the unit's other steps of the report into one update of it at the commit
        (LookupError: no such report)."""
        report = self.step_view(tracking_id)
        if report is None:
            raise LookupError(tracking_id)
        changes = history.changes_of(report, step)
        if changes is not None:
            if not self.changes:
                self.uow.before_flush(self._write_changes)
            # the report as first read in this unit: the one update's filter
            pending = self.changes.setdefault(tracking_id, {"seen": report, "set": {}, "at": step["at"]})
            pending["set"].update(changes)
            pending["at"] = max(step["at"], pending["at"])
            # what the batch's next steps of this report read
            self.uow.remember("reports", {**report, "status": changes["status"],
                                          "reopened_at": changes.get("reopened_at", report.get("reopened_at"))})
        # one small document per step, with the batch's others in one insert (a report is not rewritten
        # for a step that changes nothing of it: on this store a rewrite of a report, with its indexes,
        # costs more than a step document, bench/timeline_writes.py)
        self.uow.insert(HISTORY, {"_id": event_id, "tracking_id": tracking_id, **step["entry"]})

    def _write_changes(self) -> None:
        """One update per report whose fields the unit's steps changed, in the one ``bulk_write`` of its
        conditional updates of reports: set if the report still has the status read (a batch in flight
        beside this one may move it: StaleWrite, the unit runs again)."""
        self.uow.update_checked("reports", [
            UpdateOne({"_id": tracking_id, "status": pending["seen"]["status"],
                       "reopened_at": pending["seen"].get("reopened_at")},
                      {"$set": pending["set"], "$max": {"updated_at": pending["at"]}})
            for tracking_id, pending in self.changes.items()])

    def with_history(self, tracking_id: str) -> dict | None:
        """The report with its whole timeline: the entries intake wrote itself (on the report) and one
        document per tracked event (one indexed query)."""
        # the steps first, then the report: two reads are no snapshot, and this order shows a status at
        # least as new as the timeline (never a step whose status change is not shown yet)
        steps = list(self.db[HISTORY].find({"tracking_id": tracking_id}, {"_id": 0, "tracking_id": 0},
                                           session=self.session).sort("at", ASCENDING))
        report = self.get(tracking_id)
        if report is not None:
            report["history"] = list(report.get("history") or []) + steps
        return report

    def public_requests(self, ids: list[str] | None, statuses: list[str] | None, service_codes: list[str] | None,
                        start: datetime | None, end: datetime | None, limit: int,
                        region: str | None = None) -> list[dict]:
        """Complete, non-confidential reports for the Open311 listing, newest first (in ``region``
        and the regions under it when given); ``media_url`` is the one source field shown."""
        query: dict = {"is_confidential": False, "status": {"$in": statuses} if statuses else {"$ne": "incomplete"}}
        if ids is not None:
            query["_id"] = {"$in": ids}
        else:
            if service_codes:
                query["category_code"] = {"$in": service_codes}
            window = {k: v for k, v in (("$gte", start), ("$lte", end)) if v is not None}
            if window:
                query["received_at"] = window
            if region:
                query["region_code"] = {"$regex": f"^{re.escape(region)}"}
        projection = {"reporter": 0, "secret_hash": 0, "reporter_ref": 0}
        cursor = self.db.reports.find(query, projection, session=self.session).sort("received_at", DESCENDING)
        docs = list(cursor.limit(limit) if ids is not None else cursor.limit(limit).hint(PUBLIC_INDEX))
        for doc in docs:
            doc["media_url"] = (doc.pop("source", None) or {}).get("media_url")
        return docs

    def public_page(self, filters: dict, skip: int, limit: int) -> list[dict]:
        """Complete, non-confidential reports for the public list, newest first (``limit`` + 1
        read, so the caller knows whether there is a next page)."""
        query: dict = {"is_confidential": False, "status": filters.get("status") or {"$ne": "incomplete"}}
        query.update({k: filters[k] for k in ("category_code", "region_code", "classification") if filters.get(k)})
        projection = {"secret_hash": 0, "source": 0, "reporter_ref": 0, "history": 0, "attachments": 0}
        cursor = self.db.reports.find(query, projection, session=self.session).sort("received_at", DESCENDING)
        return list(cursor.skip(skip).limit(limit + 1).hint(PUBLIC_INDEX))

    def add_attachment(self, report: dict, data: bytes, content_type: str, filename: str, max_count: int,
                       now: datetime) -> dict | None:
        """Store one evidence file in GridFS and list it on the report; None when the report is full."""
        bucket = GridFSBucket(self.db, bucket_name="evidence")
        # the file outside the transaction (GridFS writes two collections); listed on the report in it
        file_id = bucket.upload_from_stream(filename, data, metadata={
            "tracking_id": report["_id"], "content_type": content_type, "uploaded_at": now})
        entry = {"file_id": str(file_id), "content_type": content_type, "size": len(data),
                 "sha256": hashlib.sha256(data).hexdigest(), "uploaded_at": now}
        result = self.db.reports.update_one(
            {"_id": report["_id"], f"attachments.{max_count - 1}": {"$exists": False}},
            {"$push": {"attachments": entry, "history": history.entry("evidence_added", now, {
                "content_type": content_type})}}, session=self.session)
        if not result.modified_count:
            bucket.delete(file_id)  # the report reached its limit meanwhile: keep nothing of this file
            return None
        return entry

    def attachment(self, tracking_id: str, file_id: str) -> tuple[dict, bytes] | None:
        return read_attachment(self.db, tracking_id, file_id, self.session)

    def count(self) -> int:
        return self.db.reports.estimated_document_count()


class Registry(Repository):
    """Intake's copy of the region/category registry (and the hub directory) that routing sends."""

    def current(self) -> dict:
        """Region keyword index and category codes (kept for REGISTRY_TTL_SECONDS by the process, read
        as committed)."""
        cached = self.uow.shared.get("registry")
        if cached and cached[0] > time.monotonic():
            return cached[1]
        # as committed, outside the unit's transaction: the copy is the process's, not the unit's
        doc = self.db.registry.find_one({"_id": "current"}) or {}
        value = {"index": regions_domain.keyword_index(doc.get("regions") or []),
                 "regions": {r["code"] for r in doc.get("regions") or []},
                 "categories": {c["code"] for c in doc.get("categories") or []},
                 "category_docs": list(doc.get("categories") or []),
                 "region_docs": list(doc.get("regions") or []),
                 "loaded_at": doc.get("loaded_at")}
        self.uow.shared["registry"] = (time.monotonic() + REGISTRY_TTL_SECONDS, value)
        return value

    def hub_directory(self) -> list[dict]:
        doc = self.uow.read("registry", "current") or {}
        return list(doc.get("hubs") or [])

    def replace(self, regions: list[dict], categories: list[dict], source: str = "file",
                hubs: list[dict] | None = None) -> dict:
        self.uow.save("registry", {"_id": "current", "regions": regions, "categories": categories,
                                   "hubs": hubs or [], "loaded_at": self.uow.now(), "source": source}, upsert=True)
        self.uow.after_commit(self._forget)
        return {"regions": len(regions), "categories": len(categories)}

    def apply_update(self, regions: list[dict], categories: list[dict], version: str, updated_at,
                     hubs: list[dict] | None = None) -> bool:
        """routing's registry after an import (``registry_updated``); False when the copy is already
        as new or newer (events of two imports may arrive out of order)."""
        stored = self.uow.read("registry", "current")
        if stored is not None and stored.get("updated_at") is not None and stored["updated_at"] >= updated_at:
            return False
        doc = {"_id": "current", "regions": regions, "categories": categories, "hubs": hubs or [],
               "loaded_at": self.uow.now(), "source": "routing", "version": version, "updated_at": updated_at}
        if stored is None:
            self.uow.save("registry", doc, upsert=True)
        else:  # unless another unit changed it meanwhile (then this one runs again)
            self.uow.save("registry", doc, expect={"updated_at": stored.get("updated_at")})
        self.uow.after_commit(self._forget)
        return True

    def source(self) -> str | None:
        doc = self.db.registry.find_one({"_id": "current"}, {"source": 1}, session=self.session)
        return doc.get("source") if doc else None

    def _forget(self) -> None:
        self.uow.shared.pop("registry", None)


class RateLimits(Repository):
    def count(self, key: str, limit: int, window_seconds: int) -> int | None:
        """Count one submission under ``key``; seconds to wait when the sliding-window estimate
        (``limits.retry_after``) is over ``limit`` in the last ``window_seconds`` (up to twice the
        window: the estimate weighs the previous window in); a refused one is not counted."""
        now = time.time()
        window = limits.window_of(now, window_seconds)
        doc = upsert_and_get(
            self.db.rate_limits, {"_id": f"{key}:{window}"},
            {"$inc": {"count": 1}, "$setOnInsert": {"expires_at": self.uow.now() + timedelta(seconds=2 * window_seconds)}},
            session=self.session)
        wait = limits.retry_after(self._previous_count(f"{key}:{window - 1}"), doc["count"], limit, window_seconds, now)
        if wait is not None:  # a refused attempt is not counted: a client waiting as told is not punished
            self.db.rate_limits.update_one({"_id": f"{key}:{window}"}, {"$inc": {"count": -1}}, session=self.session)
        return wait

    def _previous_count(self, window_id: str) -> int:
        """A past window's count, read once per key and window by this process (issue 12: one round trip
        less per submission): a window that has ended changes no more, but for the few submissions in
        flight at its end and refused ones given back (the estimate is off by those at most)."""
        counts = self.uow.shared.get("previous_counts")
        if counts is None or len(counts) > PREVIOUS_COUNTS_KEPT:
            counts = self.uow.shared["previous_counts"] = {}
        if window_id not in counts:
            previous = self.db.rate_limits.find_one({"_id": window_id}, {"count": 1}, session=self.session)
            counts[window_id] = previous["count"] if previous else 0
        return counts[window_id]


class ApiKeys(Repository):
    """Open311 clients' api_keys (only their hashes)."""

    def add(self, key_hash: str, client: str) -> None:
        self.uow.insert("open311_keys", {"_id": key_hash, "client": client, "created_at": self.uow.now(),
                                         "revoked_at": None})

    def valid(self, key_hash: str) -> bool:
        return self.db.open311_keys.count_documents({"_id": key_hash, "revoked_at": None}, limit=1,
                                                    session=self.session) > 0

    def listed(self) -> list[dict]:
        """Every Open311 key issued (client, created_at, revoked_at; never the key or its hash)."""
        return list(self.db.open311_keys.find({}, {"_id": 0, "client": 1, "created_at": 1, "revoked_at": 1},
                                              session=self.session).sort("created_at", ASCENDING))

    def revoke(self, client: str) -> int:
        return self.db.open311_keys.update_many({"client": client, "revoked_at": None},
                                                {"$set": {"revoked_at": self.uow.now()}},
                                                session=self.session).modified_count

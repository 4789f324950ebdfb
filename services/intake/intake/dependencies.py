"""Intake's storage: reports, their tracking history, idempotency keys, rate-limit counters and
intake's copy of the region/category registry, behind domain verbs."""
from __future__ import annotations

import hashlib
import logging
import os
import re
import time
from datetime import datetime, timedelta
from pathlib import Path

import yaml
from bson import ObjectId
from bson.errors import InvalidId
from gridfs import GridFSBucket
from nameko.extensions import DependencyProvider
from pymongo import ASCENDING, DESCENDING, IndexModel, UpdateOne
from pymongo.errors import DuplicateKeyError

from contract.group_commit import GroupCommitStore, GroupCommitted
from contract.store import Repository, upsert_and_get, utcnow
from intake import gateways, history, limits, registry as regions_domain
from intake.hub_store import HubReports

log = logging.getLogger(__name__)
REGISTRY_TTL_SECONDS = 30.0
PREVIOUS_COUNTS_KEPT = 10_000  # past rate-limit windows remembered (then forgotten all at once)
# hinted: the local store picks a collection scan when a filter has $ne/$in besides the index keys
SIMILAR_INDEX = [("category_code", ASCENDING), ("region_code", ASCENDING), ("received_at", DESCENDING)]
PUBLIC_INDEX = [("is_confidential", ASCENDING), ("received_at", DESCENDING)]
SENDER_INDEX = [("source.sender_hash", ASCENDING), ("received_at", DESCENDING)]
HISTORY = "history"
HISTORY_INDEX = [("tracking_id", ASCENDING), ("at", ASCENDING)]


class Reports(HubReports, GroupCommitted, Repository):
    _registry_cache: tuple[float, dict] | None = None

    def add(self, report: dict, events: list[dict], idempotency_key: str | None = None) -> str | None:
        """Store a new report and its events in one transaction (durable before we answer), shared
        with concurrent submissions (``together``: group commit, ``contract.group_commit``).

        With an idempotency key already used, stores nothing and returns the first report's
        tracking ID; returns None when the report was stored.
        """
        def txn(session):
            if idempotency_key:  # at once: a duplicate key fails this submission, not its group
                self.db.idempotency.insert_one({"_id": idempotency_key, "tracking_id": report["_id"],
                                                "at": report["received_at"]}, session=session)
            self.insert_later("reports", report, session)
            self.stage_events(session, events)
        try:
            self.together(lambda: self.transaction(txn))
        except DuplicateKeyError:
            first = self.replayed(idempotency_key) if idempotency_key else None
            if first is None:
                raise
            return first
        return None

    def replayed(self, idempotency_key: str) -> str | None:
        """The tracking ID first stored under an idempotency key, if any."""
        doc = self.db.idempotency.find_one({"_id": idempotency_key})
        return doc["tracking_id"] if doc else None

    def complete(self, tracking_id: str, update: dict, entry: dict, events: list[dict],
                 idempotency_key: str | None = None, expect: dict | None = None) -> bool:
        """Apply a reporter's completion to a draft still incomplete (and matching ``expect``:
        a one-time completion code not spent meanwhile); False if it no longer is."""
        def txn(session):
            result = self.db.reports.update_one({**(expect or {}), "_id": tracking_id, "status": "incomplete"},
                                                {"$set": update, "$push": {"history": entry}}, session=session)
            if result.matched_count:
                if idempotency_key:
                    self.db.idempotency.insert_one({"_id": idempotency_key, "tracking_id": tracking_id,
                                                    "at": entry["at"]}, session=session)
                self.stage_events(session, events)
            return bool(result.matched_count)
        return self.together(lambda: self.transaction(txn))

    def set_completion_code(self, tracking_id: str, code_hash: str, expires_at: datetime) -> None:
        """A one-time completion code for a draft whose reporter has no secret (social media)."""
        self.db.reports.update_one({"_id": tracking_id, "status": "incomplete"}, {"$set": {
            "completion_code_hash": code_hash, "completion_code_expires_at": expires_at}})

    def open_sms_draft(self, sender_hash: str, since: datetime) -> dict | None:
        """The sender's latest SMS draft still incomplete since ``since`` (a next SMS completes it)."""
        found = self.db.reports.find({"source.sender_hash": sender_hash, "received_at": {"$gte": since}}) \
            .sort("received_at", DESCENDING).limit(5).hint(SENDER_INDEX)
        return next((r for r in found if r["status"] == "incomplete"), None)

    def get(self, tracking_id: str) -> dict | None:
        return self.db.reports.find_one({"_id": tracking_id})

    def secret_hash(self, tracking_id: str) -> str | None:
        report = self.db.reports.find_one({"_id": tracking_id}, {"secret_hash": 1})
        return report.get("secret_hash") if report else None

    def by_reporter_ref(self, reporter_ref: str) -> dict | None:
        return self.db.reports.find_one({"reporter_ref": reporter_ref})

    def by_reporter_refs(self, reporter_refs: list[str]) -> list[dict]:
        """The reports of these reporters, one ``$in`` query (unique index), only what a contact needs."""
        projection = {"reporter_ref": 1, "reporter": 1, "channel": 1, "language": 1}
        return list(self.db.reports.find({"reporter_ref": {"$in": reporter_refs}}, projection))

    def recent_similar(self, category_code: str, region_code: str, since: datetime, limit: int = 50) -> list[dict]:
        """Earlier complete reports of the same category and region, newest first."""
        found = self.db.reports.find(
            {"category_code": category_code, "region_code": region_code, "received_at": {"$gte": since}},
            {"tracking_id": 1, "description": 1, "status": 1},
        ).sort("received_at", DESCENDING).limit(limit).hint(SIMILAR_INDEX)
        return [r for r in found if r["status"] != "incomplete"]

    def record_step(self, event_id: str, tracking_id: str, step: dict) -> bool:
        """Apply one tracked event (once per event id): history entry, fields, status."""
        def work(session):
            report = self.read_for_batch("reports", "tracking_id", tracking_id,
                                         {"status": 1, "reopened_at": 1, "hub_delivery.status_at": 1}, session)
            if report is None:
                raise LookupError(tracking_id)
            update = dict(step["set"])
            update["status"] = history.next_status(report["status"], history.proposed_status(step, report),
                                                   step["at"], report.get("reopened_at"), step["reopen"])
            if step["reopen"]:
                update["reopened_at"] = max(step["at"], report.get("reopened_at") or step["at"])
            if update != {"status": report["status"]} or not step["entry"]["step"].startswith("notification_"):
                # a notification step changes nothing of the request itself: its history document is all.
                # Conditional on what was read: a batch in flight beside this one may move the status.
                # Written with the batch's others in one bulk_write at its commit (in order: each
                # filter holds the status the previous step of the same report left).
                seen = {"_id": tracking_id, "status": report["status"], "reopened_at": report.get("reopened_at")}
                self.update_checked_later("reports", [UpdateOne(seen, {"$set": update,
                                                                       "$max": {"updated_at": step["at"]}})], session)
                report.update(status=update["status"], reopened_at=update.get("reopened_at", report.get("reopened_at")))
            # one small document per step (never a growing report rewritten per step)
            self.insert_later(HISTORY, {"_id": event_id, "tracking_id": tracking_id, **step["entry"]}, session)
        return self.once(event_id, work)

    def with_history(self, tracking_id: str) -> dict | None:
        """The report with its whole timeline: the entries intake wrote itself (on the report) and one
        document per tracked event (one indexed query)."""
        # the steps first, then the report: two reads are no snapshot, and this order shows a status at
        # least as new as the timeline (never a step whose status change is not shown yet)
        steps = list(self.db[HISTORY].find({"tracking_id": tracking_id}, {"_id": 0, "tracking_id": 0})
                     .sort("at", ASCENDING).hint(HISTORY_INDEX))
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
        cursor = self.db.reports.find(query, projection).sort("received_at", DESCENDING).limit(limit)
        docs = list(cursor.hint("_id_" if ids is not None else PUBLIC_INDEX))
        for doc in docs:
            doc["media_url"] = (doc.pop("source", None) or {}).get("media_url")
        return docs

    def public_page(self, filters: dict, skip: int, limit: int) -> list[dict]:
        """Complete, non-confidential reports for the public list, newest first (``limit`` + 1
        read, so the caller knows whether there is a next page)."""
        query: dict = {"is_confidential": False, "status": filters.get("status") or {"$ne": "incomplete"}}
        query.update({k: filters[k] for k in ("category_code", "region_code", "classification") if filters.get(k)})
        projection = {"secret_hash": 0, "source": 0, "reporter_ref": 0, "history": 0, "attachments": 0}
        cursor = self.db.reports.find(query, projection).sort("received_at", DESCENDING).skip(skip).limit(limit + 1)
        return list(cursor.hint(PUBLIC_INDEX))

    def rate_limited(self, key: str, limit: int, window_seconds: int) -> int | None:
        """Count one submission under ``key``; seconds to wait when the sliding-window estimate
        (``limits.retry_after``) is over ``limit`` in the last ``window_seconds`` (up to twice the
        window: the estimate weighs the previous window in); a refused one is not counted."""
        now = time.time()
        window = limits.window_of(now, window_seconds)
        doc = upsert_and_get(
            self.db.rate_limits, {"_id": f"{key}:{window}"},
            {"$inc": {"count": 1}, "$setOnInsert": {"expires_at": utcnow() + timedelta(seconds=2 * window_seconds)}})
        wait = limits.retry_after(self._previous_count(f"{key}:{window - 1}"), doc["count"], limit, window_seconds, now)
        if wait is not None:  # a refused attempt is not counted: a client waiting as told is not punished
            self.db.rate_limits.update_one({"_id": f"{key}:{window}"}, {"$inc": {"count": -1}})
        return wait

    _previous_counts: dict[str, int] | None = None

    def _previous_count(self, window_id: str) -> int:
        """A past window's count, read once per key and window by this process (issue 12: one round trip
        less per submission): a window that has ended changes no more, but for the few submissions in
        flight at its end and refused ones given back (the estimate is off by those at most)."""
        if self._previous_counts is None or len(self._previous_counts) > PREVIOUS_COUNTS_KEPT:
            self._previous_counts = {}
        if window_id not in self._previous_counts:
            previous = self.db.rate_limits.find_one({"_id": window_id}, {"count": 1})
            self._previous_counts[window_id] = previous["count"] if previous else 0
        return self._previous_counts[window_id]

    def add_attachment(self, report: dict, data: bytes, content_type: str, filename: str, max_count: int,
                       now: datetime) -> dict | None:
        """Store one evidence file in GridFS and list it on the report; None when the report is full."""
        bucket = GridFSBucket(self.db, bucket_name="evidence")
        file_id = bucket.upload_from_stream(filename, data, metadata={
            "tracking_id": report["_id"], "content_type": content_type, "uploaded_at": now})
        entry = {"file_id": str(file_id), "content_type": content_type, "size": len(data),
                 "sha256": hashlib.sha256(data).hexdigest(), "uploaded_at": now}
        result = self.db.reports.update_one(
            {"_id": report["_id"], f"attachments.{max_count - 1}": {"$exists": False}},
            {"$push": {"attachments": entry, "history": history.entry("evidence_added", now, {
                "content_type": content_type})}})
        if not result.modified_count:
            bucket.delete(file_id)  # the report reached its limit meanwhile: keep nothing of this file
            return None
        return entry

    def attachment(self, tracking_id: str, file_id: str) -> tuple[dict, bytes] | None:
        try:
            oid = ObjectId(file_id)
        except (InvalidId, TypeError):
            return None
        bucket = GridFSBucket(self.db, bucket_name="evidence")
        found = self.db["evidence.files"].find_one({"_id": oid, "metadata.tracking_id": tracking_id})
        if found is None:
            return None
        return found, bucket.open_download_stream(oid).read()

    def add_api_key(self, key_hash: str, client: str) -> None:
        self.db.open311_keys.insert_one({"_id": key_hash, "client": client, "created_at": utcnow(), "revoked_at": None})

    def api_key_valid(self, key_hash: str) -> bool:
        return self.db.open311_keys.count_documents({"_id": key_hash, "revoked_at": None}, limit=1) > 0

    def api_keys(self) -> list[dict]:
        """Every Open311 key issued (client, created_at, revoked_at; never the key or its hash)."""
        return list(self.db.open311_keys.find({}, {"_id": 0, "client": 1, "created_at": 1, "revoked_at": 1})
                    .sort("created_at", ASCENDING))

    def revoke_api_keys(self, client: str) -> int:
        return self.db.open311_keys.update_many({"client": client, "revoked_at": None},
                                                {"$set": {"revoked_at": utcnow()}}).modified_count

    def count(self) -> int:
        return self.db.reports.estimated_document_count()

    def registry(self) -> dict:
        """Intake's registry copy: region keyword index and category codes (cached briefly)."""
        cached = self._registry_cache
        if cached and cached[0] > time.monotonic():
            return cached[1]
        doc = self.db.registry.find_one({"_id": "current"}) or {}
        value = {"index": regions_domain.keyword_index(doc.get("regions") or []),
                 "regions": {r["code"] for r in doc.get("regions") or []},
                 "categories": {c["code"] for c in doc.get("categories") or []},
                 "category_docs": list(doc.get("categories") or []),
                 "region_docs": list(doc.get("regions") or []),
                 "loaded_at": doc.get("loaded_at")}
        self._registry_cache = (time.monotonic() + REGISTRY_TTL_SECONDS, value)
        return value

    def replace_registry(self, regions: list[dict], categories: list[dict], source: str = "file",
                         hubs: list[dict] | None = None) -> dict:
        self.db.registry.replace_one({"_id": "current"}, {"_id": "current", "regions": regions,
                                                          "categories": categories, "hubs": hubs or [],
                                                          "loaded_at": utcnow(), "source": source}, upsert=True)
        self._registry_cache = None
        return {"regions": len(regions), "categories": len(categories)}

    def apply_registry_update(self, regions: list[dict], categories: list[dict], version: str,
                              updated_at, hubs: list[dict] | None = None) -> bool:
        """routing's registry after an import (``registry_updated``); False when the copy is already
        as new or newer (events of two imports may arrive out of order)."""
        newer = {"_id": "current", "$or": [{"updated_at": {"$exists": False}}, {"updated_at": {"$lt": updated_at}}]}
        try:
            self.db.registry.update_one(newer, {"$set": {
                "regions": regions, "categories": categories, "hubs": hubs or [], "loaded_at": utcnow(),
                "source": "routing",
                "version": version, "updated_at": updated_at}}, upsert=True)
        except DuplicateKeyError:  # the copy exists and is not older: nothing to do
            return False
        self._registry_cache = None
        return True

    def registry_source(self) -> str | None:
        doc = self.db.registry.find_one({"_id": "current"}, {"source": 1})
        return doc.get("source") if doc else None


def registry_file(config: dict) -> Path | None:
    """REGISTRY_FILE, else the demo region of a local checkout (LAPOR_ROOT), else none."""
    configured = config.get("REGISTRY_FILE") or ""
    if configured:
        return Path(configured)
    root = os.environ.get("LAPOR_ROOT")
    return Path(root) / "deploy" / "demo" / "region.yml" if root else None


class ReportStore(GroupCommitStore):
    repository_class = Reports
    indexes = {
        "reports": [IndexModel([("reporter_ref", ASCENDING)], unique=True),
                    IndexModel([("status", ASCENDING), ("received_at", ASCENDING)]),
                    IndexModel(SIMILAR_INDEX), IndexModel(PUBLIC_INDEX), IndexModel(SENDER_INDEX)],
        "rate_limits": [IndexModel([("expires_at", ASCENDING)], expireAfterSeconds=0)],
        HISTORY: [IndexModel(HISTORY_INDEX)],
    }

    def setup(self):
        super().setup()
        self.repository.ensure_hub_indexes()
        path = registry_file(self.container.config)
        if path is None or not path.exists():
            return
        if self.repository.registry_source() == "routing":
            log.info("intake: keeping the registry copy routing sent; %s not loaded", path)
            return
        from intake.schemas import RegistryCopyIn  # schemas import nothing of this module
        with open(path) as handle:
            loaded = RegistryCopyIn().load(yaml.safe_load(handle) or {})
        counts = self.repository.replace_registry(loaded["regions"], loaded["categories"], hubs=loaded["hubs"])
        log.info("intake: registry copy loaded from %s: %s", path, counts)


class ChannelGateways(DependencyProvider):
    """``gateway(channel, request)``: the authenticated channel gateway of a request, or None
    (``CHANNEL_GATEWAYS``, read once at setup; see intake.gateways)."""

    def setup(self):
        self.gateways = gateways.parse(self.container.config.get("CHANNEL_GATEWAYS"))

    def get_dependency(self, worker_ctx):
        return self

    def gateway(self, channel: str, request) -> str | None:
        return gateways.authenticate(self.gateways.get(channel, {}), request.headers, request.get_data(cache=True))

"""Intake's storage verbs for the hub network (mixed into ``intake.dependencies.Reports``).

Every hub message is staged in the store outbox in the same transaction as the report change
that causes it (published by the relay to ``lapor.hubs.out`` with the next hop as routing key),
and every received message is applied once per message id.
"""
from __future__ import annotations

import hashlib
from datetime import datetime

from bson import ObjectId
from gridfs import GridFSBucket
from gridfs.errors import FileExists
from pymongo import ASCENDING, IndexModel, UpdateOne
from pymongo.errors import DuplicateKeyError

from contract import hubnet, hubwire, unit_of_work
from contract.store import OUTBOX

DELIVERY_INDEX = [("hub_delivery.state", ASCENDING), ("hub_delivery.since", ASCENDING)]


def hub_entry(message: dict, hop: str) -> dict:
    """An outbox entry publishing ``message`` to the neighbour ``hop``."""
    return {"id": f"hub:{message['message_id']}", "event_type": f"hub_{message['kind']}", "source": "intake",
            "payload": message, "exchange": hubnet.OUT_EXCHANGE, "routing_key": hop,
            "properties": {"message_id": message["message_id"],
                           "type": hubwire.MESSAGE_TYPE.format(kind=message["kind"])}}


def evidence_id(tracking_id: str, sha256: str) -> ObjectId:
    """The same GridFS id for the same file of the same report (a redelivery stores nothing new)."""
    return ObjectId(hashlib.sha256(f"{tracking_id}:{sha256}".encode()).hexdigest()[:24])


class HubReports:
    """Verbs on ``self.db`` (a Repository: ``transaction``, ``once``, ``stage_events``)."""

    def ensure_hub_indexes(self) -> None:
        self.db.reports.create_indexes([IndexModel(DELIVERY_INDEX)])

    def hub_directory(self) -> list[dict]:
        doc = self.db.registry.find_one({"_id": "current"}, {"hubs": 1}) or {}
        return list(doc.get("hubs") or [])

    def send_hub_message(self, tracking_id: str | None, changes: dict, entry: dict | None,
                         messages: list[tuple[dict, str]]) -> None:
        """Change the report (if any) and stage the messages, in the current transaction: a table entry
        of intake's batch consumer, where the event's one processed marker makes this happen once."""
        def work(session):
            if tracking_id and (changes or entry):
                update: dict = {}
                if changes:
                    update["$set"] = changes
                if entry:
                    update["$push"] = {"history": entry}
                # commutative with the batch's history steps (no status): written with them at its commit
                self.update_later("reports", [UpdateOne({"_id": tracking_id}, update)], session)
                uow = unit_of_work.current()
                cached = (uow.read_ahead.get("reports") or {}).get(tracking_id) if uow is not None else None
                if cached is not None and "hub_delivery" in changes:  # what the batch's next steps read
                    cached["hub_delivery"] = {"status_at": changes["hub_delivery"].get("status_at")}
            self.stage_events(session, [hub_entry(message, hop) for message, hop in messages])
        self.transaction(work)

    def store_evidence(self, tracking_id: str, files: list[dict], now: datetime) -> list[dict]:
        """Store a transfer's evidence (idempotent by report and content); the attachment entries."""
        bucket = GridFSBucket(self.db, bucket_name="evidence")
        entries = []
        for item in files:
            file_id = evidence_id(tracking_id, item["sha256"])
            try:
                bucket.upload_from_stream_with_id(file_id, item["filename"], item["bytes"], metadata={
                    "tracking_id": tracking_id, "content_type": item["content_type"], "uploaded_at": now})
            except (FileExists, DuplicateKeyError):
                pass  # stored by an earlier delivery of the same transfer
            entries.append({"file_id": str(file_id), "content_type": item["content_type"], "size": len(item["bytes"]),
                            "sha256": item["sha256"], "uploaded_at": now})
        return entries

    def accept_transfer(self, message_id: str, report: dict, staged: list[dict],
                        messages: list[tuple[dict, str]]) -> str:
        """Store a forwarded-in report once: ``accepted``, ``duplicate`` (same message or same report)."""
        def work(session):
            self.db.reports.insert_one(report, session=session)
            return staged + [hub_entry(message, hop) for message, hop in messages]
        try:
            applied = self.once(f"hubmsg:{message_id}", work)
        except DuplicateKeyError:
            return "duplicate"  # the report is here already (another copy of the transfer)
        return "accepted" if applied else "duplicate"

    def apply_hub_status(self, message_id: str, tracking_id: str, changes: dict, entry: dict,
                         events: list[dict] = ()) -> bool:
        def work(session):
            update: dict = {"$push": {"history": entry}}
            if changes:
                update["$set"] = changes
            self.db.reports.update_one({"_id": tracking_id}, update, session=session)
            return list(events)
        return self.once(f"hubmsg:{message_id}", work)

    def relay_hub_message(self, message_id: str, messages: list[tuple[dict, str]]) -> bool:
        return self.once(f"hubmsg:{message_id}", lambda session: [hub_entry(m, hop) for m, hop in messages])

    def evidence_files(self, report: dict) -> list[tuple[dict, bytes]]:
        """(metadata, bytes) of each evidence file of a report, oldest first."""
        files = []
        for item in report.get("attachments") or []:
            found = self.attachment(report["_id"], item["file_id"])
            if found is not None:
                meta, data = found
                files.append(({"filename": meta.get("filename"), "content_type": item["content_type"],
                               "sha256": item["sha256"]}, data))
        return files

    def undelivered(self) -> tuple[dict[str, int], datetime | None]:
        """Reports sent from here not yet accepted by their owner: counts per hub, oldest send time."""
        counts: dict[str, int] = {}
        oldest = None
        for doc in self.db.reports.find({"hub_delivery.state": "waiting"}, {"hub_delivery": 1}).hint(DELIVERY_INDEX):
            delivery = doc["hub_delivery"]
            counts[delivery["hub"]] = counts.get(delivery["hub"], 0) + 1
            if oldest is None or delivery["since"] < oldest:
                oldest = delivery["since"]
        return counts, oldest

    def outbound_backlog(self) -> dict[str, int]:
        """Hub messages staged and not yet confirmed by the broker, per neighbour."""
        counts: dict[str, int] = {}
        for doc in self.db[OUTBOX].find({"dispatched_at": None, "exchange": hubnet.OUT_EXCHANGE}, {"routing_key": 1}):
            counts[doc["routing_key"]] = counts.get(doc["routing_key"], 0) + 1
        return counts

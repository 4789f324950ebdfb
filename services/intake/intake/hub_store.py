"""Intake's storage verbs for the hub network (``uow.hubs``, a repository of intake's store).

Every hub message is staged in the store outbox in the same unit of work as the report change
that causes it (published by the relay to ``lapor.hubs.out`` with the next hop as routing key),
and every received message is applied once per message id (its processed marker, ``hubmsg:<id>``).
"""
from __future__ import annotations

import hashlib
from datetime import datetime

from bson import ObjectId
from gridfs import GridFSBucket
from gridfs.errors import FileExists
from pymongo import ASCENDING, UpdateOne
from pymongo.errors import DuplicateKeyError

from contract import hubnet, hubwire
from contract.uow import OUTBOX, PROCESSED, Repository

HUB_PARTS = "hub_parts"  # issue 19: the last publication of each (owner, part), as signed by its owner
DELIVERY_INDEX = [("hub_delivery.state", ASCENDING), ("hub_delivery.since", ASCENDING)]
# what a tracked event's step and its hub effect read of its report (read ahead for every event of a batch)
STEP_FIELDS = {"status": 1, "reopened_at": 1, "hub_delivery.status_at": 1, "forwarded_in.from_hub": 1}


def hub_entry(message: dict, hop: str) -> dict:
    """An outbox entry publishing ``message`` to the neighbour ``hop``."""
    return {"id": f"hub:{message['message_id']}", "event_type": f"hub_{message['kind']}", "source": "intake",
            "payload": message, "exchange": hubnet.OUT_EXCHANGE, "routing_key": hop,
            "properties": {"message_id": message["message_id"],
                           "type": hubwire.MESSAGE_TYPE.format(kind=message["kind"])}}


def evidence_id(tracking_id: str, sha256: str) -> ObjectId:
    """The same GridFS id for the same file of the same report (a redelivery stores nothing new)."""
    return ObjectId(hashlib.sha256(f"{tracking_id}:{sha256}".encode()).hexdigest()[:24])


class HubReports(Repository):
    """The hub network's verbs: messages staged with the report changes causing them, messages
    received applied once, this hub's link (its key, the neighbours' queues)."""

    # --- the link (the process's, kept by the store) -------------------------------------------
    def declare(self, directory: list[dict], here: str) -> list[str]:
        """Declare the exchanges and queues for this hub's neighbours (idempotent); the neighbours."""
        return self.uow.shared["hub_link"].declare(directory, here)

    def private_key(self) -> str:
        """This hub's private key; ``sealing.SealError`` if the secrets file is missing or bad."""
        return self.uow.shared["hub_link"].private_key

    def signing_key(self) -> str | None:
        """This hub's signing key (None when ``HUB_SIGNING_KEY_FILE`` is missing or bad)."""
        return self.uow.shared["hub_link"].signing_key

    # --- the registry parts hubs publish (contract.hubregistry) ----------------------------------
    def part(self, owner: str, part: str) -> dict | None:
        """The last publication of ``owner``'s ``part`` believed or sent here (with its owner's signature)."""
        return self.db[HUB_PARTS].find_one({"_id": f"{owner}:{part}"}, session=self.session)

    def directory_parts(self) -> list[dict]:
        """Every directory part kept here (believed, perhaps not yet applied by routing)."""
        return list(self.db[HUB_PARTS].find({"part": "directory"}, session=self.session))

    def keep_part(self, publication: dict) -> None:
        doc = {"_id": f"{publication['owner_hub']}:{publication['part']}", **publication}
        self.uow.save(HUB_PARTS, doc, upsert=True)

    # --- out ---------------------------------------------------------------------------------------
    def send(self, tracking_id: str | None, changes: dict, entry: dict | None,
             messages: list[tuple[dict, str]], events: list[dict] = ()) -> None:
        """Change the report (if any) and stage the messages in the unit (a table entry of intake's
        batch consumer, where the event's one processed marker makes this happen once)."""
        if tracking_id and (changes or entry):
            update: dict = {}
            if changes:
                update["$set"] = changes
            if entry:
                update["$push"] = {"history": entry}
            # commutative with the batch's history steps (no status): written with them at its commit
            self.uow.update("reports", [UpdateOne({"_id": tracking_id}, update)])
            if "hub_delivery" in changes:  # what the batch's next steps of this report read
                seen = self.uow.read("reports", tracking_id, key="tracking_id", projection=STEP_FIELDS)
                if seen is not None:
                    self.uow.remember("reports", {**seen, **({"status": changes["status"]} if "status" in changes
                                                             else {}),
                                                  "hub_delivery": {"status_at": changes["hub_delivery"].get("status_at")}})
        self.uow.stage(list(events) + [hub_entry(message, hop) for message, hop in messages])

    # --- in ----------------------------------------------------------------------------------------
    def claim(self, message_id: str) -> bool:
        """Mark a received message applied in this unit; False when it was applied before."""
        marker = f"hubmsg:{message_id}"
        if marker in self.uow.markers or self.db[PROCESSED].find_one({"_id": marker}, {"_id": 1},
                                                                     session=self.session):
            return False
        return self.uow.mark(marker)

    def accept_transfer(self, message_id: str, report: dict, staged: list[dict],
                        messages: list[tuple[dict, str]]) -> str:
        """Store a forwarded-in report once: ``accepted``, ``duplicate`` (same message or same report)."""
        if self.db.reports.find_one({"_id": report["_id"]}, {"_id": 1}, session=self.session) is not None:
            return "duplicate"  # the report is here already (another copy of the transfer)
        if not self.claim(message_id):
            return "duplicate"
        self.uow.insert("reports", report)
        if report.get("status") != "incomplete":  # a near-duplicate candidate here too (intake.duplicates)
            self.uow.reports.remember_recent(report)
        self.uow.stage(staged + [hub_entry(message, hop) for message, hop in messages])
        return "accepted"

    def apply_status(self, message_id: str, tracking_id: str, changes: dict, entry: dict,
                     events: list[dict] = ()) -> bool:
        if not self.claim(message_id):
            return False
        # updated_at: a status from the owner (closed, archived) starts the retention here (intake.privacy)
        update: dict = {"$push": {"history": entry}, "$max": {"updated_at": entry["at"]}}
        if changes:
            update["$set"] = changes
        self.uow.update("reports", [UpdateOne({"_id": tracking_id}, update)])
        self.uow.stage(list(events))
        return True

    def apply_action(self, action_id: str, tracking_id: str, attachments: list[dict], entry: dict,
                     events: list[dict] = ()) -> bool:
        """A reporter's action relayed from the origin, once per action id (issue 19)."""
        if not self.claim(f"action:{action_id}"):
            return False
        update: dict = {"$push": {"history": entry}}
        if attachments:
            update["$push"]["attachments"] = {"$each": attachments}
        self.uow.update("reports", [UpdateOne({"_id": tracking_id}, update)])
        self.uow.stage(list(events))
        return True

    def relay(self, message_id: str, messages: list[tuple[dict, str]]) -> bool:
        if not self.claim(message_id):
            return False
        self.uow.stage([hub_entry(m, hop) for m, hop in messages])
        return True

    def store_evidence(self, tracking_id: str, files: list[dict], now: datetime) -> list[dict]:
        """Store a transfer's evidence (idempotent by report and content, outside the transaction: a
        unit run again finds it stored); the attachment entries."""
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

    def evidence_files(self, report: dict) -> list[tuple[dict, bytes]]:
        """(metadata, bytes) of each evidence file of a report, oldest first."""
        files = []
        for item in report.get("attachments") or []:
            found = self.uow.reports.attachment(report["_id"], item["file_id"])
            if found is not None:
                meta, data = found
                files.append(({"filename": meta.get("filename"), "content_type": item["content_type"],
                               "sha256": item["sha256"]}, data))
        return files

    # --- gauges ------------------------------------------------------------------------------------
    def undelivered(self) -> tuple[dict[str, int], datetime | None]:
        """Reports sent from here not yet accepted by their owner: counts per hub, oldest send time."""
        counts: dict[str, int] = {}
        oldest = None
        for doc in self.db.reports.find({"hub_delivery.state": "waiting"}, {"hub_delivery": 1},
                                        session=self.session):
            delivery = doc["hub_delivery"]
            counts[delivery["hub"]] = counts.get(delivery["hub"], 0) + 1
            if oldest is None or delivery["since"] < oldest:
                oldest = delivery["since"]
        return counts, oldest

    def unacknowledged(self, before: datetime) -> int:
        """Reports sent from here before ``before`` that no hub has acknowledged (accepted or sent back)."""
        return self.db.reports.count_documents(
            {"hub_delivery.state": {"$in": ["waiting", "sent_on"]}, "hub_delivery.since": {"$lt": before}},
            session=self.session)

    def outbound_backlog(self) -> dict[str, int]:
        """Hub messages staged and not yet confirmed by the broker, per neighbour."""
        counts: dict[str, int] = {}
        for doc in self.db[OUTBOX].find({"dispatched_at": None, "exchange": hubnet.OUT_EXCHANGE},
                                        {"routing_key": 1}, session=self.session):
            counts[doc["routing_key"]] = counts.get(doc["routing_key"], 0) + 1
        return counts

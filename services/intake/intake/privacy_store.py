"""The repository of personal data's lifetime (``uow.privacy``): reports past their retention, the
erasure of a reporter's identity (the report, and the sealed identity in transfers to another hub), and the privacy audit (``privacy_audit``: who erased or exported what, when, why;
never the data itself)."""
from __future__ import annotations

from datetime import datetime

from pymongo import ASCENDING, IndexModel, UpdateMany, UpdateOne

from contract.uow import OUTBOX, Repository
from intake.privacy import FINAL_STATUSES

AUDIT = "privacy_audit"
RETENTION_INDEX = [("status", ASCENDING), ("updated_at", ASCENDING)]
INDEXES = {AUDIT: [IndexModel([("tracking_id", ASCENDING), ("at", ASCENDING)])]}
ERASURE_FIELDS = {"_id": 1, "status": 1, "reporter": 1, "source": 1, "updated_at": 1, "personal_data_erased_at": 1}


class Privacy(Repository):
    def past_retention(self, cutoff: datetime, limit: int) -> list[dict]:
        """Reports closed for good at or before ``cutoff`` whose reporter's data is not erased yet."""
        query = {"status": {"$in": list(FINAL_STATUSES)}, "updated_at": {"$lte": cutoff},
                 "personal_data_erased_at": None}
        return list(self.db.reports.find(query, ERASURE_FIELDS, session=self.session)
                    .sort("updated_at", ASCENDING).limit(limit))

    def erase(self, report: dict, change: dict) -> None:
        """Erase at the commit, if the report is as read (else the unit runs again), with its audit entry;
        a transfer in this hub's outbox (sent or waiting: the relay signs at publishing) keeps no sealed
        identity (one still waiting reaches the owner hub without it)."""
        seen = {"_id": report["_id"], "status": report["status"], "personal_data_erased_at": None}
        update = {"$set": change["set"], **({"$unset": change["unset"]} if change["unset"] else {})}
        self.uow.update_checked("reports", [UpdateOne(seen, update)])
        self.uow.update(OUTBOX, [UpdateMany(
            {"payload.tracking_id": report["_id"], "payload.kind": "transfer",
             "payload.transfer.sealed_reporter": {"$ne": None}},
            {"$set": {"payload.transfer.sealed_reporter": None}})])
        self.uow.insert(AUDIT, change["audit"])

    def audit(self, entry: dict) -> None:
        self.uow.insert(AUDIT, entry)

    def audit_of(self, tracking_id: str) -> list[dict]:
        return list(self.db[AUDIT].find({"tracking_id": tracking_id}, session=self.session).sort("at", ASCENDING))

"""Intake's storage: reports and their tracking history, behind domain verbs."""
from __future__ import annotations

from pymongo import ASCENDING, IndexModel

from contract.store import Repository, Store
from intake import history


class Reports(Repository):
    def add(self, report: dict, events: list[dict]) -> dict:
        """Store a new report and its events in one transaction (durable before we answer)."""
        def txn(session):
            self.db.reports.insert_one(report, session=session)
            self.stage_events(session, events)
        self.transaction(txn)
        return report

    def get(self, tracking_id: str) -> dict | None:
        return self.db.reports.find_one({"_id": tracking_id})

    def secret_hash(self, tracking_id: str) -> str | None:
        report = self.db.reports.find_one({"_id": tracking_id}, {"secret_hash": 1})
        return report.get("secret_hash") if report else None

    def by_reporter_ref(self, reporter_ref: str) -> dict | None:
        return self.db.reports.find_one({"reporter_ref": reporter_ref})

    def record_step(self, event_id: str, tracking_id: str, step: dict) -> bool:
        """Apply one tracked event (once per event id): history entry, fields, status."""
        def work(session):
            report = self.db.reports.find_one({"_id": tracking_id}, {"status": 1, "reopened_at": 1},
                                              session=session)
            if report is None:
                raise LookupError(tracking_id)
            update = dict(step["set"])
            update["status"] = history.next_status(report["status"], step["status"], step["at"],
                                                   report.get("reopened_at"), step["reopen"])
            if step["reopen"]:
                update["reopened_at"] = max(step["at"], report.get("reopened_at") or step["at"])
            self.db.reports.update_one({"_id": tracking_id},
                                       {"$set": update, "$push": {"history": step["entry"]}}, session=session)
        return self.once(event_id, work)

    def count(self) -> int:
        return self.db.reports.estimated_document_count()


class ReportStore(Store):
    repository_class = Reports
    indexes = {
        "reports": [IndexModel([("reporter_ref", ASCENDING)], unique=True),
                    IndexModel([("status", ASCENDING), ("received_at", ASCENDING)])],
    }

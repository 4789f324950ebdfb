"""Follow-up's storage: one case per report."""
from __future__ import annotations

from pymongo import ASCENDING, IndexModel

from contract.store import Repository, Store


class Cases(Repository):
    def open(self, event_id: str, case: dict, events: list[dict]) -> bool:
        def work(session):
            if self.db.cases.find_one({"tracking_id": case["tracking_id"]}, {"_id": 1}, session=session):
                return []  # a case is already open for this report
            self.db.cases.insert_one(case, session=session)
            return events
        return self.once(event_id, work)

    def for_report(self, tracking_id: str) -> dict | None:
        return self.db.cases.find_one({"tracking_id": tracking_id})

    def open_count(self) -> int:
        return self.db.cases.count_documents({"status": "open"})


class CaseStore(Store):
    repository_class = Cases
    indexes = {
        "cases": [IndexModel([("tracking_id", ASCENDING)], unique=True),
                  IndexModel([("status", ASCENDING), ("due_at", ASCENDING)]),
                  IndexModel([("agency_code", ASCENDING), ("status", ASCENDING)])],
    }

"""Notification's storage: the notification outbox (what must be sent, and what was)."""
from __future__ import annotations

from pymongo import ASCENDING, IndexModel

from contract.store import Repository, Store


class Notifications(Repository):
    def queue(self, event_id: str, notifications: list[dict], events: list[dict]) -> bool:
        def work(session):
            self.db.notifications.insert_many(notifications, session=session)
            return events
        return self.once(event_id, work)

    def for_report(self, tracking_id: str) -> list[dict]:
        return list(self.db.notifications.find({"tracking_id": tracking_id}).sort("created_at", ASCENDING))

    def backlog(self) -> int:
        return self.db.notifications.count_documents({"status": "queued"})


class NotificationStore(Store):
    repository_class = Notifications
    indexes = {
        "notifications": [IndexModel([("tracking_id", ASCENDING)]),
                          IndexModel([("status", ASCENDING), ("created_at", ASCENDING)])],
    }

"""Assessment's storage: counters kept from events."""
from __future__ import annotations

from pymongo import UpdateOne

from contract.store import Repository, Store


class Counters(Repository):
    def apply(self, event_id: str, increments: list[tuple[str, dict]]) -> bool:
        def work(session):
            self.db.counters.bulk_write([UpdateOne({"_id": key}, {"$inc": inc}, upsert=True)
                                         for key, inc in increments], session=session)
        return self.once(event_id, work)

    def all(self) -> list[dict]:
        return list(self.db.counters.find())


class CounterStore(Store):
    repository_class = Counters

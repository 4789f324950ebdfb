"""Routing's storage: the organisation registry, rules and dispositions."""
from __future__ import annotations

from pymongo import ASCENDING, IndexModel, ReplaceOne

from contract.store import Repository, Store, utcnow

REGISTRY_COLLECTIONS = ("hubs", "regions", "agencies", "units", "categories", "rules", "officials")


class Registry(Repository):
    def import_registry(self, registry: dict) -> dict:
        """Upsert a whole registry file in one transaction: all of it or nothing."""
        def txn(session):
            counts = {}
            for name in REGISTRY_COLLECTIONS:
                items = registry.get(name) or []
                ops = []
                for item in items:
                    key = item.get("code") or item.get("id") or item.get("official_id")
                    doc = {k: v for k, v in item.items() if k != "id"}
                    ops.append(ReplaceOne({"_id": key}, {"_id": key, **doc}, upsert=True))
                if ops:
                    self.db[name].bulk_write(ops, session=session)
                counts[name] = len(ops)
            return counts
        return self.transaction(txn)

    def known_codes(self) -> dict[str, set[str]]:
        return {name: set(self.db[name].distinct("_id")) for name in REGISTRY_COLLECTIONS}

    def regions(self) -> dict[str, dict]:
        return {r["_id"]: r for r in self.db.regions.find({}, {"parent": 1, "timezone": 1, "hub": 1})}

    def candidate_rules(self, report: dict, chain: list[str]) -> list[dict]:
        return list(self.db.rules.find({
            "classification": {"$in": [None, report["classification"]]},
            "category_code": {"$in": [None, report["category_code"]]},
            "region_code": {"$in": [None, *chain]},
        }))

    def all_rules(self) -> list[dict]:
        return list(self.db.rules.find())

    def exists(self, collection: str, code: str) -> bool:
        return self.db[collection].count_documents({"_id": code}, limit=1) > 0

    def unit(self, code: str) -> dict | None:
        return self.db.units.find_one({"_id": code})

    def agency(self, code: str) -> dict | None:
        return self.db.agencies.find_one({"_id": code})

    def record_disposition(self, event_id: str, report: dict, decision: dict, events: list[dict]) -> bool:
        def work(session):
            self.db.dispositions.insert_one({"_id": report["tracking_id"], **decision,
                                             "region_code": report["region_code"],
                                             "category_code": report["category_code"],
                                             "at": utcnow()}, session=session)
            return events
        return self.once(event_id, work)

    def disposition(self, tracking_id: str) -> dict | None:
        return self.db.dispositions.find_one({"_id": tracking_id})

    def official(self, official_id: str) -> dict | None:
        return self.db.officials.find_one({"_id": official_id})

    def officials_where(self, query: dict) -> list[dict]:
        return list(self.db.officials.find(query))

    def add_token(self, token_doc: dict) -> None:
        self.db.tokens.insert_one(token_doc)

    def token(self, token_hash: str) -> dict | None:
        return self.db.tokens.find_one({"_id": token_hash})

    def revoke_tokens(self, official_id: str) -> int:
        return self.db.tokens.update_many({"official_id": official_id, "revoked_at": None},
                                          {"$set": {"revoked_at": utcnow()}}).modified_count

    def counts(self) -> dict:
        return {name: self.db[name].estimated_document_count() for name in REGISTRY_COLLECTIONS}


class RegistryStore(Store):
    repository_class = Registry
    indexes = {
        "rules": [IndexModel([("category_code", ASCENDING), ("classification", ASCENDING),
                              ("region_code", ASCENDING)])],
        "units": [IndexModel([("agency_code", ASCENDING)])],
        "regions": [IndexModel([("parent", ASCENDING)])],
        "dispositions": [IndexModel([("agency_code", ASCENDING), ("at", ASCENDING)])],
        "tokens": [IndexModel([("official_id", ASCENDING)])],
        "officials": [IndexModel([("agency_code", ASCENDING)]), IndexModel([("unit_code", ASCENDING)])],
    }

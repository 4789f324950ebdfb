"""Officials' browser accounts in routing's store: password hashes (``credentials``, apart from
the registry's ``officials`` so that a registry import never touches them), one-time password
links, sessions and the wrong-password counters. Only hashes of links and session ids are kept."""
from __future__ import annotations

from datetime import datetime

from pymongo import ASCENDING, IndexModel, ReturnDocument

from contract.store import Repository, Store


class Accounts(Repository):

    def official(self, official_id: str) -> dict | None:
        return self.db.officials.find_one({"_id": official_id})

    def add_link(self, link: dict) -> None:
        self.db.password_links.insert_one(link)

    def link(self, hashed: str) -> dict | None:
        return self.db.password_links.find_one({"_id": hashed})

    def set_password(self, hashed_link: str, official_id: str, password_hash: str, now: datetime) -> bool:
        """Use the link once and store the password; every session of the official ends (one
        transaction). False when the link was used or expired meanwhile."""
        def txn(session):
            used = self.db.password_links.find_one_and_update(
                {"_id": hashed_link, "official_id": official_id, "used_at": None, "expires_at": {"$gt": now}},
                {"$set": {"used_at": now}}, session=session)
            if used is None:
                return False
            self.db.credentials.replace_one({"_id": official_id}, {"_id": official_id, "password_hash": password_hash,
                                                                   "set_at": now}, upsert=True, session=session)
            self.db.sessions.delete_many({"official_id": official_id}, session=session)
            return True
        return self.transaction(txn)

    def password_hash(self, official_id: str) -> str | None:
        doc = self.db.credentials.find_one({"_id": official_id})
        return doc["password_hash"] if doc else None

    def replace_password_hash(self, official_id: str, password_hash: str) -> None:
        self.db.credentials.update_one({"_id": official_id}, {"$set": {"password_hash": password_hash}})

    def add_session(self, session: dict) -> None:
        self.db.sessions.insert_one(session)

    def session(self, hashed: str) -> dict | None:
        return self.db.sessions.find_one({"_id": hashed})

    def touch_session(self, hashed: str, now: datetime) -> None:
        self.db.sessions.update_one({"_id": hashed}, {"$set": {"last_seen": now}})

    def end_session(self, hashed: str) -> bool:
        return self.db.sessions.delete_one({"_id": hashed}).deleted_count == 1

    def end_sessions(self, official_id: str) -> int:
        return self.db.sessions.delete_many({"official_id": official_id}).deleted_count

    def counters(self, keys: tuple[str, ...]) -> dict[str, dict]:
        return {c["_id"]: c for c in self.db.signin_failures.find({"_id": {"$in": list(keys)}})}

    def save_counter(self, counter: dict) -> None:
        self.db.signin_failures.find_one_and_replace({"_id": counter["_id"]}, counter, upsert=True,
                                                     return_document=ReturnDocument.AFTER)

    def clear_counter(self, key: str) -> None:
        self.db.signin_failures.delete_one({"_id": key})


class AccountStore(Store):
    repository_class = Accounts
    indexes = {
        "sessions": [IndexModel([("official_id", ASCENDING)]), IndexModel([("expires_at", ASCENDING)])],
        "password_links": [IndexModel([("official_id", ASCENDING)])],
    }

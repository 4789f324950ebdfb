"""Officials' browser accounts in routing's store: password hashes (``credentials``, apart from
the registry's ``officials`` so that a registry import never touches them), one-time password
links, sessions, the wrong-password counters and the audit of officials' credentials
(``account_audit``: who issued, revoked, ended or lifted what for whom). Only hashes of links and
session ids are kept."""
from __future__ import annotations

from datetime import datetime

from pymongo import ASCENDING, IndexModel, UpdateOne

from contract.uow import Repository

ACCOUNT_INDEXES = {
    "sessions": [IndexModel([("official_id", ASCENDING)]), IndexModel([("expires_at", ASCENDING)])],
    "password_links": [IndexModel([("official_id", ASCENDING)])],
    "signin_failures": [IndexModel([("account", ASCENDING)])],
    "account_audit": [IndexModel([("official_id", ASCENDING), ("at", ASCENDING)])],
}


class Accounts(Repository):

    def official(self, official_id: str) -> dict | None:
        return self.db.officials.find_one({"_id": official_id}, session=self.session)

    def add_link(self, link: dict) -> None:
        self.uow.insert("password_links", link)

    def link(self, hashed: str) -> dict | None:
        return self.db.password_links.find_one({"_id": hashed}, session=self.session)

    def set_password(self, hashed_link: str, official_id: str, password_hash: str, now: datetime) -> bool:
        """Use the link once and store the password; every session of the official ends (in the
        unit's transaction). False when the link was used or expired meanwhile."""
        used = self.db.password_links.find_one_and_update(
            {"_id": hashed_link, "official_id": official_id, "used_at": None, "expires_at": {"$gt": now}},
            {"$set": {"used_at": now}}, session=self.session)
        if used is None:
            return False
        self.uow.save("credentials", {"_id": official_id, "password_hash": password_hash, "set_at": now},
                      upsert=True)
        self.db.sessions.delete_many({"official_id": official_id}, session=self.session)
        return True

    def password_hash(self, official_id: str) -> str | None:
        doc = self.db.credentials.find_one({"_id": official_id}, session=self.session)
        return doc["password_hash"] if doc else None

    def replace_password_hash(self, official_id: str, password_hash: str) -> None:
        self.uow.update("credentials", [UpdateOne({"_id": official_id}, {"$set": {"password_hash": password_hash}})])

    def add_session(self, session: dict) -> None:
        self.uow.insert("sessions", session)

    def end_session(self, hashed: str) -> bool:
        return self.db.sessions.delete_one({"_id": hashed}, session=self.session).deleted_count == 1

    def end_sessions(self, official_id: str) -> int:
        return self.db.sessions.delete_many({"official_id": official_id}, session=self.session).deleted_count

    def counters(self, keys: tuple[str, ...]) -> dict[str, dict]:
        return {c["_id"]: c for c in self.db.signin_failures.find({"_id": {"$in": list(keys)}}, session=self.session)}

    def save_counter(self, counter: dict) -> None:
        self.uow.save("signin_failures", counter, upsert=True)

    def clear_counter(self, key: str) -> None:
        self.db.signin_failures.delete_one({"_id": key}, session=self.session)

    def clear_counters_of(self, account: str) -> int:
        """Forget every wrong-password counter of an account (its own, and each client's on it)."""
        return self.db.signin_failures.delete_many({"account": account}, session=self.session).deleted_count

    def record(self, entry: dict) -> None:
        """An audit entry about an official's credentials (committed with the change it records)."""
        self.uow.insert("account_audit", entry)

    def audit_of(self, official_id: str) -> list[dict]:
        return list(self.db.account_audit.find({"official_id": official_id}, session=self.session)
                    .sort([("at", ASCENDING), ("_id", ASCENDING)]))

    def audit_of_agency(self, agency_code: str, official_ids: list[str], limit: int = 200) -> list[dict]:
        """What was done to an agency's units and to its officials (newest first, at most ``limit``)."""
        found = {e["_id"]: e for e in self.db.account_audit.find({"official_id": {"$in": official_ids}},
                                                                 session=self.session)}
        found.update({e["_id"]: e for e in self.db.account_audit.find({"agency_code": agency_code, "official_id": None},
                                                                      session=self.session)})
        return sorted(found.values(), key=lambda e: (e["at"], e["_id"]), reverse=True)[:limit]

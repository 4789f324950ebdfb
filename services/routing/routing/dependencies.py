"""Routing's storage: the organisation registry, the report desk (queues + audit), tokens."""
from __future__ import annotations

import time
import uuid

from nameko.extensions import DependencyProvider
from pymongo import ASCENDING, IndexModel, ReplaceOne, ReturnDocument

from contract import events
from contract.auth import AuthClient, csrf_signer, token_hash
from contract.store import DEFAULT_URI, Repository, Store, acquire_client, database_name, release_client, utcnow
from routing import domain
from routing.domain import signin
from routing.domain import forwarding
from routing.exceptions import StaleState

REGISTRY_COLLECTIONS = domain.COLLECTIONS
VERSION_CHECK_SECONDS = 1.0
META = "registry_meta"
ID_FIELD = {"rules": "id", "officials": "official_id"}  # others: code


class Registry(Repository):
    """The organisation registry and officials' tokens."""

    def __init__(self, client, db):
        super().__init__(client, db)
        self._cache_version: str | None = ""  # never a stored version: the first call loads
        self._checked_until = 0.0  # the stored version is looked at most once a second (a batch: once)
        self._regions: dict[str, dict] = {}
        self._index = domain.RuleIndex([])
        self._agency_hubs: dict[str, str] = {}

    def import_registry(self, registry: dict, hub: str) -> dict:
        """Upsert a whole registry file in one transaction: all of it or nothing; the regions and
        categories as they now stand go out as ``registry_updated`` in the same transaction."""
        self._checked_until = 0.0
        def txn(session):
            counts = {}
            for name in REGISTRY_COLLECTIONS:
                ops = []
                for item in registry.get(name) or []:
                    key = domain.key_of(item)
                    doc = {k: v for k, v in item.items() if k != "id"}
                    ops.append(ReplaceOne({"_id": key}, {"_id": key, **doc}, upsert=True))
                if ops:
                    self.db[name].bulk_write(ops, session=session)
                counts[name] = len(ops)
            # a fresh random version (not a counter, which restarts if the database is recreated)
            version, now = uuid.uuid4().hex, utcnow()
            self.db[META].update_one({"_id": "registry"}, {"$set": {"version": version, "at": now}},
                                     upsert=True, session=session)
            regions = [{"code": r["_id"], "name": r.get("name"), "keywords": r.get("keywords") or []}
                       for r in self.db.regions.find({}, session=session).sort("_id", ASCENDING)]
            categories = [{"code": c["_id"], "name_id": c.get("name_id"), "name_en": c.get("name_en")}
                          for c in self.db.categories.find({}, session=session).sort("_id", ASCENDING)]
            hubs = forwarding.directory_for_event(list(self.db.hubs.find({}, session=session).sort("_id", ASCENDING)))
            self.stage_events(session, [events.build(events.REGISTRY_UPDATED, hub, version=version, updated_at=now,
                                                     regions=regions, categories=categories, hubs=hubs)])
            return counts
        return self.transaction(txn)

    def export(self) -> dict:
        """Every registry collection, as an import file would list it (idempotent round trip)."""
        out = {}
        for name in REGISTRY_COLLECTIONS:
            field = ID_FIELD.get(name, "code")
            out[name] = [{field: d.pop("_id"), **d} for d in self.db[name].find().sort("_id", ASCENDING)]
        return out

    def listing(self, name: str, fields: tuple[str, ...]) -> list[dict]:
        projection = {f: 1 for f in fields}
        return [{"code": d.pop("_id"), **d} for d in self.db[name].find({}, projection).sort("_id", ASCENDING)]

    def _refresh(self) -> None:
        if time.monotonic() < self._checked_until:
            return
        self._checked_until = time.monotonic() + VERSION_CHECK_SECONDS
        meta = self.db[META].find_one({"_id": "registry"}) or {}
        version = meta.get("version")
        if version != self._cache_version:
            self._regions = {r["_id"]: r for r in self.db.regions.find({}, {"parent": 1, "timezone": 1, "hub": 1})}
            self._agency_hubs = {a["_id"]: a["hub"] for a in self.db.agencies.find({}, {"hub": 1}) if a.get("hub")}
            self._index = domain.RuleIndex(self.db.rules.find())
            self._cache_version = version

    def regions(self) -> dict[str, dict]:
        """Regions by code (cached until the next import)."""
        self._refresh()
        return self._regions

    def agency_hubs(self) -> dict[str, str]:
        """The hub each agency belongs to (cached until the next import)."""
        self._refresh()
        return self._agency_hubs

    def rule_index(self) -> domain.RuleIndex:
        """The routing index of every rule (rebuilt after an import, by any process)."""
        self._refresh()
        return self._index

    def known_codes(self) -> dict[str, set[str]]:
        return {name: set(self.db[name].distinct("_id")) for name in REGISTRY_COLLECTIONS}

    def unit_agencies(self) -> dict[str, str]:
        return {u["_id"]: u["agency_code"] for u in self.db.units.find({}, {"agency_code": 1})}

    def hubs(self) -> list[dict]:
        """The hub directory as stored (docs/hubs.md)."""
        return [forwarding.hub_doc(h) for h in self.db.hubs.find().sort("_id", ASCENDING)]

    def all_rules(self) -> list[dict]:
        return list(self.db.rules.find())

    def exists(self, collection: str, code: str) -> bool:
        return self.db[collection].count_documents({"_id": code}, limit=1) > 0

    def unit(self, code: str) -> dict | None:
        return self.db.units.find_one({"_id": code})

    def agency(self, code: str) -> dict | None:
        return self.db.agencies.find_one({"_id": code})

    def official(self, official_id: str) -> dict | None:
        return self.db.officials.find_one({"_id": official_id})

    def officials_where(self, query: dict) -> list[dict]:
        return list(self.db.officials.find(query))

    def add_token(self, token_doc: dict) -> None:
        self.db.tokens.insert_one(token_doc)

    def token(self, hashed: str) -> dict | None:
        return self.db.tokens.find_one({"_id": hashed})

    def revoke_tokens(self, official_id: str) -> int:
        return self.db.tokens.update_many({"official_id": official_id, "revoked_at": None},
                                          {"$set": {"revoked_at": utcnow()}}).modified_count

    def counts(self) -> dict:
        return {name: self.db[name].estimated_document_count() for name in REGISTRY_COLLECTIONS}


class Desk(Repository):
    """Reports in the workflow (one work item each) and their append-only audit trail."""

    def route(self, event_id: str, item: dict, entry: dict, events: list[dict]) -> bool:
        """Record a newly routed report once (a redelivered report_received changes nothing)."""
        def work(session):
            if self.read_for_batch("reports", "tracking_id", item["_id"], None, session):
                return []  # the same report under another event id: already routed, route it once
            self.save_later("reports", item, session)
            self.insert_later("audit", entry, session)
            return events
        return self.once(event_id, work)

    def get(self, tracking_id: str) -> dict | None:
        return self.db.reports.find_one({"_id": tracking_id})

    def hand_back(self, event_id: str, item: dict, changes: dict, entry: dict) -> bool:
        """Once per event: a forwarded report back into triage (if still forwarded), with its audit entry."""
        def work(session):
            current = self.read_for_batch("reports", "tracking_id", item["_id"], None, session)
            if current is not None and current.get("status") == "forwarded":
                self.save_later("reports", {**current, **changes, "version": current["version"] + 1}, session,
                                expect={"version": current["version"]})
                self.insert_later("audit", entry, session)
        return self.once(event_id, work)

    def act(self, item: dict, changes: dict, entry: dict, events: list[dict]) -> dict:
        """Apply an action if the report is still at the version it was read at; else StaleState.

        The change, its audit entry and its event are one transaction: all or nothing.
        """
        def txn(session):
            updated = self.db.reports.find_one_and_update(
                {"_id": item["_id"], "version": item["version"]}, {"$set": changes, "$inc": {"version": 1}},
                return_document=ReturnDocument.AFTER, session=session)
            if updated is None:
                raise StaleState(item["_id"])
            self.db.audit.insert_one(entry, session=session)
            self.stage_events(session, events)
            return updated
        return self.transaction(txn)

    def follow_case(self, event_id: str, tracking_id: str, decide) -> bool:
        """Apply a follow-up case event once: ``decide(item)`` gives (changes, audit entry) or None."""
        def work(session):
            item = self.read_for_batch("reports", "tracking_id", tracking_id, None, session)
            decided = decide(item)
            if decided is not None:
                changes, entry = decided
                # written once at the batch's end, if still at the version read (else the batch runs again)
                self.save_later("reports", {**item, **changes, "version": item["version"] + 1}, session,
                                expect={"version": item["version"]})
                self.insert_later("audit", entry, session)
            return []
        return self.once(event_id, work)

    def history(self, tracking_id: str) -> list[dict]:
        return list(self.db.audit.find({"tracking_id": tracking_id}).sort("seq", ASCENDING))

    def page(self, query: dict, skip: int, limit: int) -> list[dict]:
        return list(self.db.reports.find(query).sort([("queued_at", ASCENDING), ("_id", ASCENDING)])
                    .skip(skip).limit(limit))

    def count(self, query: dict) -> int:
        return self.db.reports.count_documents(query)

    def counts_by(self, field: str, query: dict) -> dict[str, int]:
        rows = self.db.reports.aggregate([{"$match": query}, {"$group": {"_id": f"${field}", "n": {"$sum": 1}}}])
        return {row["_id"]: row["n"] for row in rows}


class RegistryStore(Store):
    repository_class = Registry
    indexes = {
        "rules": [IndexModel([("category_code", ASCENDING), ("classification", ASCENDING),
                              ("region_code", ASCENDING)])],
        "units": [IndexModel([("agency_code", ASCENDING)])],
        "regions": [IndexModel([("parent", ASCENDING)])],
        "tokens": [IndexModel([("official_id", ASCENDING)])],
        "officials": [IndexModel([("agency_code", ASCENDING)]), IndexModel([("unit_code", ASCENDING)])],
    }


class DeskStore(Store):
    repository_class = Desk
    indexes = {
        "reports": [IndexModel([("queue", ASCENDING), ("status", ASCENDING), ("queued_at", ASCENDING)]),
                    IndexModel([("agency_code", ASCENDING), ("queue", ASCENDING), ("queued_at", ASCENDING)]),
                    IndexModel([("unit_code", ASCENDING), ("queue", ASCENDING), ("queued_at", ASCENDING)])],
        "audit": [IndexModel([("tracking_id", ASCENDING), ("seq", ASCENDING)], unique=True)],
    }


class OfficialAuth(DependencyProvider):
    """contract.auth's client, answered from routing's own store rather than over RPC.

    Routing owns the tokens; asking itself over RPC would hold one worker waiting for another
    and could exhaust its worker pool under load.
    """

    def setup(self):
        config = self.container.config
        self.uri = config.get("MONGODB_URI") or DEFAULT_URI
        self.client = acquire_client(self.uri, self.container.service_name)
        self.db = self.client[database_name(config, self.container.service_name)]
        self.ttl = float(config.get("ROUTING_AUTH_CACHE_SECONDS", 5))
        self.idle_minutes = float(config.get("OFFICIAL_SESSION_IDLE_MINUTES", 30))
        self.signer = csrf_signer(config)
        self._cache: dict[str, tuple[float, dict | None, object]] = {}

    def stop(self):
        release_client(self.uri, self.container.service_name)

    def kill(self):
        release_client(self.uri, self.container.service_name)

    def lookup(self, token: str) -> dict | None:
        """The principal of a token; answers are kept ``ROUTING_AUTH_CACHE_SECONDS`` (never past
        the token's expiry), and forgotten at once when this process revokes or imports."""
        key, now = token_hash(token), time.monotonic()
        hit = self._cache.get(key)
        if hit and hit[0] > now and (hit[2] is None or hit[2] > utcnow()):
            return hit[1]
        doc = self.db.tokens.find_one({"_id": key})
        official = self.db.officials.find_one({"_id": doc["official_id"]}) if doc else None
        principal = domain.principal_for(doc, official, utcnow())
        if self.ttl > 0:
            if len(self._cache) > 10000:
                self._cache.clear()
            self._cache[key] = (now + self.ttl, principal, doc["expires_at"] if doc else None)
        return principal

    def lookup_session(self, session_id: str) -> dict | None:
        """The principal of a browser session (never cached: sign-out and idle expiry bite at
        once here); its ``last_seen`` is moved on at most once a minute."""
        key, now = token_hash(session_id), utcnow()
        session = self.db.sessions.find_one({"_id": key})
        official = self.db.officials.find_one({"_id": session["official_id"]}) if session else None
        principal = signin.session_principal(session, official, now, self.idle_minutes)
        if principal is not None and signin.needs_touch(session, now):
            self.db.sessions.update_one({"_id": key}, {"$set": {"last_seen": now}})
        return principal

    def forget(self) -> None:
        self._cache.clear()

    def get_dependency(self, worker_ctx):
        return OfficialAuthClient(self)


class OfficialAuthClient(AuthClient):
    def lookup(self, token: str) -> dict | None:
        """The principal behind a token, or None (unknown, expired or revoked)."""
        return self._provider.lookup(token)

    def lookup_session(self, session_id: str) -> dict | None:
        """The principal behind a session id, or None (unknown, expired, idle or signed out)."""
        return self._provider.lookup_session(session_id)

    def forget(self) -> None:
        """Drop cached answers (after a revocation or an import changed officials)."""
        self._provider.forget()

"""Routing's storage behind one unit-of-work store (``RoutingStore``): the organisation registry
(with a process-wide cache of what routing decides with), the report desk (work items and their
audit trail), officials' browser accounts; and ``OfficialAuth``, contract.auth answered from
routing's own store."""
from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

from nameko.extensions import DependencyProvider
from pymongo import ASCENDING, IndexModel, ReplaceOne, ReturnDocument

from contract import events
from contract.auth import AuthClient, csrf_signer, token_hash
from contract.store import DEFAULT_URI, acquire_client, database_name, release_client, utcnow
from contract.uow import Repository
from contract.unitstore import UnitOfWorkProvider, UnitOfWorkStore
from routing import domain
from routing.accounts import ACCOUNT_INDEXES, Accounts
from routing.domain import forwarding, signin
from routing.exceptions import StaleState

REGISTRY_COLLECTIONS = domain.COLLECTIONS
VERSION_CHECK_SECONDS = 1.0
META = "registry_meta"
HUB_INVITES, HUB_JOINS = "hub_invites", "hub_joins"  # issue 19: join tokens (hashed), and their audit
HUB_LINKS = "hub_links"  # issue 19: a joined child's link passwords, for the link keeper (contract.hubkeeper)
HUB_PARTS = "hub_parts"  # contract.hubregistry: the version of each (owner, part) applied or published here
ID_FIELD = {"rules": "id", "officials": "official_id"}  # others: code


@dataclass(frozen=True)
class Settings:
    """Routing's settings, parsed once from its config (``uow.settings``)."""
    hub_code: str = "ID"
    sla_days: int = 3
    public_base_url: str = ""
    cookie_secure: str = "auto"  # "true", "false" or "auto" (Secure when the front door says https)
    trusted_proxies: str = "127.0.0.1,::1"  # whose X-Forwarded-For is believed (contract.http.client_address)
    link_address: str = ""  # host:port of this hub's broker for its neighbours' shovels (the join's answer)
    signin: signin.SignInSettings = signin.SignInSettings()

    @classmethod
    def from_config(cls, config: dict) -> "Settings":
        return cls(hub_code=str(config.get("HUB_CODE") or "ID"),
                   sla_days=int(config.get("ROUTING_QUEUE_SLA_DAYS", 3)),
                   public_base_url=str(config.get("PUBLIC_BASE_URL") or "").rstrip("/"),
                   cookie_secure=str(config.get("OFFICIAL_COOKIE_SECURE", "auto")).lower(),
                   trusted_proxies=str(config.get("TRUSTED_PROXIES", "127.0.0.1,::1")),
                   link_address=_link_address(config),
                   signin=signin.SignInSettings.from_config(config))


def _link_address(config: dict) -> str:
    """HUB_LINK_ADDRESS, else the host and port of this service's own broker (AMQP_URI)."""
    if config.get("HUB_LINK_ADDRESS"):
        return str(config["HUB_LINK_ADDRESS"])
    parts = urlsplit(str(config.get("AMQP_URI") or ""))
    return f"{parts.hostname}:{parts.port or 5672}" if parts.hostname else ""


class RegistryCache:
    """What routing decides with (regions, agencies' hubs, the rule index), kept per process and
    reloaded when the stored registry version changes (looked at most once a second)."""

    def __init__(self):
        self.version: str | None = ""  # never a stored version: the first call loads
        self.checked_until = 0.0
        self.regions: dict[str, dict] = {}
        self.agency_hubs: dict[str, str] = {}
        self.index = domain.RuleIndex([])


class Registry(Repository):
    """The organisation registry and officials' tokens."""

    def import_registry(self, registry: dict, hub: str) -> dict:
        """Upsert a whole registry file in the unit's transaction: all of it or nothing; the regions
        and categories as they now stand, and every code's name, go out as ``registry_updated`` with it."""
        session, counts = self.session, {}
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
        version, now = uuid.uuid4().hex, self.uow.now()
        self.db[META].update_one({"_id": "registry"}, {"$set": {"version": version, "at": now}},
                                 upsert=True, session=session)
        stored = {name: list(self.db[name].find({}, session=session).sort("_id", ASCENDING))
                  for name in ("regions", "categories", "hubs", "agencies", "units")}
        self.uow.stage([events.build(events.REGISTRY_UPDATED, hub, version=version, updated_at=now,
                                     **domain.registry_updated_fields(stored))])
        self.uow.after_commit(self.expire_cache)
        return counts

    def export(self) -> dict:
        """Every registry collection, as an import file would list it (idempotent round trip)."""
        out = {}
        for name in REGISTRY_COLLECTIONS:
            field = ID_FIELD.get(name, "code")
            out[name] = [{field: d.pop("_id"), **d}
                         for d in self.db[name].find(session=self.session).sort("_id", ASCENDING)]
        return out

    def items(self, name: str, query: dict | None = None) -> list[dict]:
        """One collection's items matching ``query``, as an import file lists them."""
        field = ID_FIELD.get(name, "code")
        return [{field: d.pop("_id"), **d}
                for d in self.db[name].find(query or {}, session=self.session).sort("_id", ASCENDING)]

    # --- the parts of the registry hubs publish (contract.hubregistry) --------------------------
    def hub_part(self, owner: str, part: str) -> dict | None:
        """The version of ``owner``'s ``part`` applied or published here (None: never)."""
        return self.db[HUB_PARTS].find_one({"_id": f"{owner}:{part}"}, session=self.session)

    def record_hub_part(self, owner: str, part: str, version: int, digest: str) -> None:
        self.db[HUB_PARTS].replace_one({"_id": f"{owner}:{part}"},
                                       {"owner": owner, "part": part, "version": int(version), "digest": digest,
                                        "at": self.uow.now()}, upsert=True, session=self.session)

    # --- hubs joining (routing.handlers.hubjoin) -------------------------------------------------
    def add_hub_invite(self, doc: dict) -> None:
        self.uow.insert(HUB_INVITES, doc)

    def hub_invite(self, hashed: str) -> dict | None:
        return self.db[HUB_INVITES].find_one({"_id": hashed}, session=self.session)

    def use_hub_invite(self, hashed: str, at) -> None:
        self.db[HUB_INVITES].update_one({"_id": hashed}, {"$set": {"used_at": at}}, session=self.session)

    def audit_hub_join(self, entry: dict) -> None:
        self.uow.insert(HUB_JOINS, dict(entry))

    def set_hub_link(self, doc: dict) -> None:
        """A joined child's link (its broker address, both link passwords): read by contract.hubkeeper."""
        self.db[HUB_LINKS].replace_one({"_id": doc["_id"]}, doc, upsert=True, session=self.session)

    def remove(self, keys: dict[str, list[str]]) -> None:
        """Delete registry rows (``collection -> keys``) in the unit's transaction."""
        for name, codes in keys.items():
            if name in REGISTRY_COLLECTIONS and codes:
                self.db[name].delete_many({"_id": {"$in": list(codes)}}, session=self.session)

    def listing(self, name: str, fields: tuple[str, ...]) -> list[dict]:
        projection = {f: 1 for f in fields}
        return [{"code": d.pop("_id"), **d}
                for d in self.db[name].find({}, projection, session=self.session).sort("_id", ASCENDING)]

    # --- the process-wide cache of what routing decides with -----------------------------------
    def _cache(self) -> RegistryCache:
        cache = self.uow.shared.get("registry")
        if cache is None:
            cache = self.uow.shared["registry"] = RegistryCache()
        if time.monotonic() < cache.checked_until:
            return cache
        cache.checked_until = time.monotonic() + VERSION_CHECK_SECONDS
        meta = self.db[META].find_one({"_id": "registry"}, session=self.session) or {}
        version = meta.get("version")
        if version != cache.version:
            s = self.session
            cache.regions = {r["_id"]: r for r in self.db.regions.find({}, {"parent": 1, "timezone": 1, "hub": 1},
                                                                       session=s)}
            cache.agency_hubs = {a["_id"]: a["hub"] for a in self.db.agencies.find({}, {"hub": 1}, session=s)
                                 if a.get("hub")}
            cache.index = domain.RuleIndex(self.db.rules.find(session=s))
            cache.version = version
        return cache

    def expire_cache(self) -> None:
        """Look at the stored version at the next use (after this process imported)."""
        cache = self.uow.shared.get("registry")
        if cache is not None:
            cache.checked_until = 0.0

    def regions(self) -> dict[str, dict]:
        """Regions by code (cached until the next import)."""
        return self._cache().regions

    def agency_hubs(self) -> dict[str, str]:
        """The hub each agency belongs to (cached until the next import)."""
        return self._cache().agency_hubs

    def rule_index(self) -> domain.RuleIndex:
        """The routing index of every rule (rebuilt after an import, by any process)."""
        return self._cache().index

    # --- what a registry import is checked against ---------------------------------------------
    def known_codes(self) -> dict[str, set[str]]:
        return {name: set(self.db[name].distinct("_id", session=self.session)) for name in REGISTRY_COLLECTIONS}

    def unit_agencies(self) -> dict[str, str]:
        return {u["_id"]: u["agency_code"] for u in self.db.units.find({}, {"agency_code": 1}, session=self.session)}

    def hubs(self) -> list[dict]:
        """The hub directory as stored (docs/hubs.md)."""
        return [forwarding.hub_doc(h) for h in self.db.hubs.find(session=self.session).sort("_id", ASCENDING)]

    def all_rules(self) -> list[dict]:
        return list(self.db.rules.find(session=self.session))

    def exists(self, collection: str, code: str) -> bool:
        return self.db[collection].count_documents({"_id": code}, limit=1, session=self.session) > 0

    def unit(self, code: str) -> dict | None:
        return self.db.units.find_one({"_id": code}, session=self.session)

    def agency(self, code: str) -> dict | None:
        return self.db.agencies.find_one({"_id": code}, session=self.session)

    def official(self, official_id: str) -> dict | None:
        return self.db.officials.find_one({"_id": official_id}, session=self.session)

    def officials_where(self, query: dict) -> list[dict]:
        return list(self.db.officials.find(query, session=self.session))

    # --- officials' tokens -----------------------------------------------------------------------
    def add_token(self, token_doc: dict) -> None:
        self.uow.insert("tokens", token_doc)

    def revoke_tokens(self, official_id: str) -> int:
        """Revoke every live token of the official now (in the unit's transaction): how many."""
        return self.db.tokens.update_many({"official_id": official_id, "revoked_at": None},
                                          {"$set": {"revoked_at": self.uow.now()}},
                                          session=self.session).modified_count

    def counts(self) -> dict:
        return {name: self.db[name].estimated_document_count() for name in REGISTRY_COLLECTIONS}


class Desk(Repository):
    """Reports in the workflow (one work item each) and their append-only audit trail."""

    def get(self, tracking_id: str) -> dict | None:
        return self.db.reports.find_one({"_id": tracking_id}, session=self.session)

    def for_event(self, tracking_id: str) -> dict | None:
        """The work item an event of the batch is about (read ahead for every event of the batch,
        and what the unit itself saved)."""
        return self.uow.read("reports", tracking_id, key="tracking_id")

    def route(self, item: dict, entry: dict, events: list[dict]) -> bool:
        """Record a newly routed report; False (nothing written) when it is routed already (the same
        report under another event id)."""
        if self.for_event(item["_id"]) is not None:
            return False
        self.uow.save("reports", item)
        self.uow.insert("audit", entry)
        self.uow.stage(events)
        return True

    def move(self, item: dict, changes: dict, entry: dict) -> None:
        """Write ``changes`` to a work item read in this unit, with its audit entry, at the commit,
        if it is still at the version read (else the unit runs again)."""
        self.uow.save("reports", {**item, **changes, "version": item["version"] + 1},
                      expect={"version": item["version"]})
        self.uow.insert("audit", entry)

    def act(self, item: dict, changes: dict, entry: dict, events: list[dict]) -> dict:
        """Apply an action if the report is still at the version it was read at (else StaleState): the
        report after.  The change, its audit entry and its event are one unit: all or nothing."""
        updated = self.db.reports.find_one_and_update(
            {"_id": item["_id"], "version": item["version"]}, {"$set": changes, "$inc": {"version": 1}},
            return_document=ReturnDocument.AFTER, session=self.session)
        if updated is None:
            raise StaleState(item["_id"])
        self.uow.insert("audit", entry)
        self.uow.stage(events)
        return updated

    def history(self, tracking_id: str) -> list[dict]:
        return list(self.db.audit.find({"tracking_id": tracking_id}, session=self.session).sort("seq", ASCENDING))

    def page(self, query: dict, skip: int, limit: int) -> list[dict]:
        return list(self.db.reports.find(query, session=self.session)
                    .sort([("queued_at", ASCENDING), ("_id", ASCENDING)]).skip(skip).limit(limit))

    def count(self, query: dict) -> int:
        return self.db.reports.count_documents(query, session=self.session)

    def counts_by(self, field: str, query: dict) -> dict[str, int]:
        rows = self.db.reports.aggregate([{"$match": query}, {"$group": {"_id": f"${field}", "n": {"$sum": 1}}}],
                                         session=self.session)
        return {row["_id"]: row["n"] for row in rows}


REPOSITORIES = {"registry": Registry, "desk": Desk, "accounts": Accounts}
INDEXES = {
    "rules": [IndexModel([("category_code", ASCENDING), ("classification", ASCENDING),
                          ("region_code", ASCENDING)])],
    "units": [IndexModel([("agency_code", ASCENDING)])],
    "regions": [IndexModel([("parent", ASCENDING)])],
    "tokens": [IndexModel([("official_id", ASCENDING)])],
    "officials": [IndexModel([("agency_code", ASCENDING)]), IndexModel([("unit_code", ASCENDING)])],
    "reports": [IndexModel([("queue", ASCENDING), ("status", ASCENDING), ("queued_at", ASCENDING)]),
                IndexModel([("agency_code", ASCENDING), ("queue", ASCENDING), ("queued_at", ASCENDING)]),
                IndexModel([("unit_code", ASCENDING), ("queue", ASCENDING), ("queued_at", ASCENDING)])],
    "audit": [IndexModel([("tracking_id", ASCENDING), ("seq", ASCENDING)], unique=True)],
    **ACCOUNT_INDEXES,
}


class RoutingStore(UnitOfWorkProvider):
    """Routing's one store: ``uow.registry``, ``uow.desk``, ``uow.accounts`` on routing's database."""
    repositories = REPOSITORIES
    indexes = INDEXES

    @staticmethod
    def parse_settings(config: dict) -> Settings:
        return Settings.from_config(config)


class RoutingUnits(UnitOfWorkStore):
    """Routing's store on a client outside a container (the CLI, tests)."""
    repositories = REPOSITORIES


def store_at(client, db, config: dict | None = None) -> RoutingUnits:
    """Routing's store on ``db``: ``store_at(...).units().run(handler, ...)``."""
    return RoutingUnits(client, db, Settings.from_config(config or {}))


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
        self.ttl = float(config.get("ROUTING_AUTH_CACHE_SECONDS", 1))
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

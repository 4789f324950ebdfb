"""Routing's repositories in memory (the same domain verbs as ``routing.dependencies`` and
``routing.accounts``), for the handlers' unit tests on ``tests.fakes.uow.FakeUnits``.  The three
repositories share one database, as the real ones do."""
from __future__ import annotations

import copy
import uuid

from contract import events
from routing import domain
from routing.dependencies import ID_FIELD, REGISTRY_COLLECTIONS, Settings
from routing.domain import forwarding
from routing.exceptions import StaleState
from tests.fakes.uow import FakeRepository, FakeUnits

OPERATORS = {"$in": lambda v, arg: v in arg, "$lte": lambda v, arg: v is not None and v <= arg,
             "$lt": lambda v, arg: v is not None and v < arg, "$gte": lambda v, arg: v is not None and v >= arg,
             "$gt": lambda v, arg: v is not None and v > arg, "$ne": lambda v, arg: v != arg}


def matches(doc: dict, query: dict) -> bool:
    """The store's filter for the operators routing's queries use."""
    for field, wanted in query.items():
        value = doc.get(field)
        if isinstance(wanted, dict) and wanted and all(k.startswith("$") for k in wanted):
            if not all(OPERATORS[op](value, arg) for op, arg in wanted.items()):
                return False
        elif value != wanted:
            return False
    return True


class RoutingRepository(FakeRepository):
    def __init__(self, uow):
        self.uow = uow
        self.docs = uow.state.setdefault("routing", {})  # one database for the three repositories

    def find(self, name: str, query: dict | None = None) -> list[dict]:
        return [copy.deepcopy(d) for _, d in sorted(self.collection(name).items()) if matches(d, query or {})]

    def write(self, name: str, doc: dict) -> None:
        self.uow._writing()
        self.collection(name)[doc["_id"]] = copy.deepcopy(doc)


class FakeRegistry(RoutingRepository):

    def import_registry(self, registry: dict, hub: str) -> dict:
        counts = {}
        for name in REGISTRY_COLLECTIONS:
            items = registry.get(name) or []
            for item in items:
                key = domain.key_of(item)
                self.write(name, {"_id": key, **{k: v for k, v in item.items() if k != "id"}})
            counts[name] = len(items)
        version, now = uuid.uuid4().hex, self.uow.now()
        self.write("registry_meta", {"_id": "registry", "version": version, "at": now})
        stored = {name: self.find(name) for name in ("regions", "categories", "hubs", "agencies", "units")}
        self.uow.stage([events.build(events.REGISTRY_UPDATED, hub, version=version, updated_at=now,
                                     **domain.registry_updated_fields(stored))])
        return counts

    def export(self) -> dict:
        return {name: [{ID_FIELD.get(name, "code"): d.pop("_id"), **d} for d in self.find(name)]
                for name in REGISTRY_COLLECTIONS}

    def items(self, name: str, query: dict | None = None) -> list[dict]:
        return [{ID_FIELD.get(name, "code"): d.pop("_id"), **d} for d in self.find(name, query)]

    def hub_part(self, owner: str, part: str) -> dict | None:
        return copy.deepcopy(self.collection("hub_parts").get(f"{owner}:{part}"))

    def record_hub_part(self, owner: str, part: str, version: int, digest: str) -> None:
        self.write("hub_parts", {"_id": f"{owner}:{part}", "owner": owner, "part": part, "version": int(version),
                                 "digest": digest, "at": self.uow.now()})

    def add_hub_invite(self, doc: dict) -> None:
        self.write("hub_invites", doc)

    def hub_invite(self, hashed: str) -> dict | None:
        return copy.deepcopy(self.collection("hub_invites").get(hashed))

    def use_hub_invite(self, hashed: str, at) -> None:
        self.write("hub_invites", {**self.collection("hub_invites")[hashed], "used_at": at})

    def audit_hub_join(self, entry: dict) -> None:
        self.write("hub_joins", {"_id": uuid.uuid4().hex, **entry})

    def set_hub_link(self, doc: dict) -> None:
        self.write("hub_links", doc)

    def remove(self, keys: dict[str, list[str]]) -> None:
        self.uow._writing()
        for name, codes in keys.items():
            for code in codes:
                self.collection(name).pop(code, None)

    def listing(self, name: str, fields: tuple[str, ...]) -> list[dict]:
        return [{"code": d["_id"], **{f: d[f] for f in fields if f in d}} for d in self.find(name)]

    def regions(self) -> dict[str, dict]:
        return {r["_id"]: r for r in self.find("regions")}

    def agency_hubs(self) -> dict[str, str]:
        return {a["_id"]: a["hub"] for a in self.find("agencies") if a.get("hub")}

    def rule_index(self) -> domain.RuleIndex:
        return domain.RuleIndex(self.find("rules"))

    def known_codes(self) -> dict[str, set[str]]:
        return {name: set(self.collection(name)) for name in REGISTRY_COLLECTIONS}

    def unit_agencies(self) -> dict[str, str]:
        return {u["_id"]: u["agency_code"] for u in self.find("units")}

    def hubs(self) -> list[dict]:
        return [forwarding.hub_doc(h) for h in self.find("hubs")]

    def all_rules(self) -> list[dict]:
        return self.find("rules")

    def exists(self, collection: str, code: str) -> bool:
        return code in self.collection(collection)

    def unit(self, code: str) -> dict | None:
        return copy.deepcopy(self.collection("units").get(code))

    def agency(self, code: str) -> dict | None:
        return copy.deepcopy(self.collection("agencies").get(code))

    def official(self, official_id: str) -> dict | None:
        return copy.deepcopy(self.collection("officials").get(official_id))

    def officials_where(self, query: dict) -> list[dict]:
        return self.find("officials", query)

    def add_token(self, token_doc: dict) -> None:
        self.write("tokens", token_doc)

    def revoke_tokens(self, official_id: str) -> int:
        live = self.find("tokens", {"official_id": official_id, "revoked_at": None})
        for token in live:
            self.write("tokens", {**token, "revoked_at": self.uow.now()})
        return len(live)

    def counts(self) -> dict:
        return {name: len(self.collection(name)) for name in REGISTRY_COLLECTIONS}


class FakeDesk(RoutingRepository):

    def get(self, tracking_id: str) -> dict | None:
        return copy.deepcopy(self.collection("reports").get(tracking_id))

    def for_event(self, tracking_id: str) -> dict | None:
        return self.get(tracking_id)

    def route(self, item: dict, entry: dict, events: list[dict]) -> bool:
        if self.get(item["_id"]) is not None:
            return False
        self.write("reports", item)
        self.write("audit", {"_id": uuid.uuid4().hex, **entry})
        self.uow.stage(events)
        return True

    def move(self, item: dict, changes: dict, entry: dict) -> None:
        if self.get(item["_id"])["version"] != item["version"]:
            raise StaleState(item["_id"])
        self.write("reports", {**item, **changes, "version": item["version"] + 1})
        self.write("audit", {"_id": uuid.uuid4().hex, **entry})

    def act(self, item: dict, changes: dict, entry: dict, events: list[dict]) -> dict:
        current = self.get(item["_id"])
        if current is None or current["version"] != item["version"]:
            raise StaleState(item["_id"])
        updated = {**current, **changes, "version": current["version"] + 1}
        self.write("reports", updated)
        self.write("audit", {"_id": uuid.uuid4().hex, **entry})
        self.uow.stage(events)
        return copy.deepcopy(updated)

    def history(self, tracking_id: str) -> list[dict]:
        return sorted(self.find("audit", {"tracking_id": tracking_id}), key=lambda e: e["seq"])

    def page(self, query: dict, skip: int, limit: int) -> list[dict]:
        found = sorted(self.find("reports", query), key=lambda d: (d["queued_at"], d["_id"]))
        return found[skip:skip + limit]

    def count(self, query: dict) -> int:
        return len(self.find("reports", query))

    def counts_by(self, field: str, query: dict) -> dict[str, int]:
        counts: dict[str, int] = {}
        for doc in self.find("reports", query):
            counts[doc.get(field)] = counts.get(doc.get(field), 0) + 1
        return counts


class FakeAccounts(RoutingRepository):

    def official(self, official_id: str) -> dict | None:
        return copy.deepcopy(self.collection("officials").get(official_id))

    def add_link(self, link: dict) -> None:
        self.write("password_links", link)

    def link(self, hashed: str) -> dict | None:
        return copy.deepcopy(self.collection("password_links").get(hashed))

    def set_password(self, hashed_link: str, official_id: str, password_hash: str, now) -> bool:
        link = self.link(hashed_link)
        if not link or link["official_id"] != official_id or link["used_at"] is not None or link["expires_at"] <= now:
            return False
        self.write("password_links", {**link, "used_at": now})
        self.write("credentials", {"_id": official_id, "password_hash": password_hash, "set_at": now})
        self.end_sessions(official_id)
        return True

    def password_hash(self, official_id: str) -> str | None:
        doc = self.collection("credentials").get(official_id)
        return doc["password_hash"] if doc else None

    def replace_password_hash(self, official_id: str, password_hash: str) -> None:
        self.write("credentials", {**self.collection("credentials")[official_id], "password_hash": password_hash})

    def add_session(self, session: dict) -> None:
        self.write("sessions", session)

    def end_session(self, hashed: str) -> bool:
        self.uow._writing()
        return self.collection("sessions").pop(hashed, None) is not None

    def end_sessions(self, official_id: str) -> int:
        ended = [s["_id"] for s in self.find("sessions", {"official_id": official_id})]
        for hashed in ended:
            self.end_session(hashed)
        return len(ended)

    def counters(self, keys: tuple[str, ...]) -> dict[str, dict]:
        return {k: copy.deepcopy(self.collection("signin_failures")[k]) for k in keys
                if k in self.collection("signin_failures")}

    def save_counter(self, counter: dict) -> None:
        self.write("signin_failures", counter)

    def clear_counter(self, key: str) -> None:
        self.uow._writing()
        self.collection("signin_failures").pop(key, None)

    def clear_counters_of(self, account: str) -> int:
        self.uow._writing()
        cleared = [k for k, c in self.collection("signin_failures").items() if c.get("account") == account]
        for key in cleared:
            self.collection("signin_failures").pop(key)
        return len(cleared)

    def record(self, entry: dict) -> None:
        self.write("account_audit", entry)

    def audit_of(self, official_id: str) -> list[dict]:
        entries = [copy.deepcopy(e) for e in self.collection("account_audit").values() if e["official_id"] == official_id]
        return sorted(entries, key=lambda e: e["at"])  # in the order recorded within one instant

    def audit_of_agency(self, agency_code: str, official_ids: list[str], limit: int = 200) -> list[dict]:
        entries = [copy.deepcopy(e) for e in self.collection("account_audit").values()
                   if e["official_id"] in official_ids or (e["official_id"] is None
                                                           and e.get("agency_code") == agency_code)]
        return sorted(entries, key=lambda e: (e["at"], e["_id"]), reverse=True)[:limit]


REPOSITORIES = {"registry": FakeRegistry, "desk": FakeDesk, "accounts": FakeAccounts}


def routing_units(hub_code: str = "ID", clock=None, **settings) -> FakeUnits:
    """Routing's units of work in memory."""
    return FakeUnits(REPOSITORIES, settings=Settings(hub_code=hub_code, **settings), clock=clock)

"""The organisation registry: cross-reference checks, officials' tokens, recipient references.

Plain functions on plain dicts: no nameko, pymongo or kombu here.
"""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from contract import i18n, registry_names, webdates
from contract.auth import token_hash
from contract.errors import translated
from routing.domain.forwarding import directory_for_event
from routing.domain.rules import check_rule_ties

TEXTS = i18n.of_service("routing")  # error texts: ``api.*`` (contract.i18n)

COLLECTIONS = ("hubs", "regions", "agencies", "units", "categories", "rules", "officials")
SCOPED_ROLES = {"agency_admin": "agency_code", "supervisor": "agency_code", "liaison": "unit_code"}


def key_of(item: dict) -> str:
    """The stored ``_id`` of a registry item (code, rule id or official id)."""
    return item.get("code") or item.get("id") or item.get("official_id")


def registry_problems(registry: dict, known: dict[str, set[str]], stored_rules: list[dict] = (),
                      unit_agency: dict[str, str] | None = None) -> list[dict]:
    """Cross-reference problems of a registry file, as contract error items (empty when fine).

    ``known`` holds the codes already stored per collection, so that a file may refer to
    agencies, units, categories or regions imported earlier; ``stored_rules`` are checked
    together with the file's rules for ties; ``unit_agency`` maps stored units to agencies.
    """
    codes = {name: set(known.get(name, set())) | {key_of(i) for i in registry.get(name, [])}
             for name in COLLECTIONS}
    units = {**(unit_agency or {}), **{u["code"]: u["agency_code"] for u in registry.get("units", [])}}
    problems: list[dict] = []

    def need(collection, value, field):
        if value is not None and value not in codes[collection]:
            problems.append(translated(field, "not_found", TEXTS, f"api.registry.unknown.{collection}", value=value))

    for i, official in enumerate(registry.get("officials", [])):
        need("hubs", official.get("hub"), f"officials.{i}.hub")
        need("agencies", official.get("agency_code"), f"officials.{i}.agency_code")
        need("units", official.get("unit_code"), f"officials.{i}.unit_code")
        scoped = SCOPED_ROLES.get(official["role"])
        if scoped and not official.get(scoped):
            problems.append(translated(f"officials.{i}.{scoped}", "required", TEXTS, "api.registry.role_scope",
                                       role=official["role"], scoped=scoped))
        unit = official.get("unit_code")
        if unit in units and official.get("agency_code") not in (None, units[unit]):
            problems.append(translated(f"officials.{i}.unit_code", "invalid", TEXTS, "api.registry.unit_agency"))
    for i, region in enumerate(registry.get("regions", [])):
        need("regions", region.get("parent"), f"regions.{i}.parent")
        need("hubs", region.get("hub"), f"regions.{i}.hub")
        parent = region.get("parent")
        if region.get("level") == "district" and (not parent or not region["code"].startswith(parent)):
            problems.append(translated(f"regions.{i}.parent", "invalid", TEXTS, "api.registry.district_parent"))
        zone = webdates.zone_name(region["code"])
        if region.get("timezone") and webdates.zone_name(region["timezone"]) != zone:  # deadlines and pages agree
            problems.append(translated(f"regions.{i}.timezone", "invalid", TEXTS, "api.registry.zone",
                                       region=region["code"], zone=zone, iana=webdates.ZONES[zone]))
    for i, hub in enumerate(registry.get("hubs", [])):
        need("regions", hub.get("region_code"), f"hubs.{i}.region_code")
    for i, agency in enumerate(registry.get("agencies", [])):
        need("hubs", agency.get("hub"), f"agencies.{i}.hub")
        need("regions", agency.get("region_code"), f"agencies.{i}.region_code")
    for i, unit in enumerate(registry.get("units", [])):
        need("agencies", unit.get("agency_code"), f"units.{i}.agency_code")
    for i, rule in enumerate(registry.get("rules", [])):
        need("agencies", rule.get("agency_code"), f"rules.{i}.agency_code")
        need("units", rule.get("unit_code"), f"rules.{i}.unit_code")
        need("categories", rule.get("category_code"), f"rules.{i}.category_code")
        need("regions", rule.get("region_code"), f"rules.{i}.region_code")
        if rule.get("unit_code") in units and units[rule["unit_code"]] != rule.get("agency_code"):
            problems.append(translated(f"rules.{i}.unit_code", "invalid", TEXTS, "api.registry.rule_unit_agency"))
    problems.extend(rule_tie_problems(registry.get("rules", []), stored_rules))
    return problems


def rule_tie_problems(file_rules: list[dict], stored_rules: list[dict] = ()) -> list[dict]:
    """Ties among the file's rules and the stored ones they do not replace."""
    position = {r["id"]: i for i, r in enumerate(file_rules)}
    merged = {r["_id"]: r for r in stored_rules}
    merged.update({r["id"]: {**r, "_id": r["id"]} for r in file_rules})
    problems = []
    for first, second in check_rule_ties(merged.values()):
        if first not in position and second not in position:
            continue  # an old tie is not this file's fault (and cannot be stored: imports refuse ties)
        field = f"rules.{position.get(second, position.get(first))}"
        problems.append(translated(field, "conflict", TEXTS, "api.registry.rule_tie", first=first, second=second))
    return problems


def new_token(official: dict, now: datetime, days: int) -> tuple[str, dict]:
    """A fresh opaque token for an official, and the document that stores only its hash."""
    token = "lpr_" + secrets.token_urlsafe(32)
    return token, {"_id": token_hash(token), "official_id": official["_id"], "issued_at": now,
                   "expires_at": now + timedelta(days=days), "revoked_at": None}


def principal_for(token_doc: dict | None, official: dict | None, now: datetime) -> dict | None:
    """The principal a stored token stands for, or None if unknown, expired or revoked."""
    if not token_doc or not official or token_doc.get("revoked_at") or token_doc["expires_at"] <= now:
        return None
    if official.get("disabled"):  # disabled by an admin: no token or session of theirs works
        return None
    return {"official_id": official["_id"], "name": official.get("name"), "role": official["role"],
            "hub": official["hub"], "agency_code": official.get("agency_code"),
            "unit_code": official.get("unit_code")}


def may_manage_official(principal: dict, official: dict | None) -> bool:
    """National admins manage their hub's officials; agency admins their own agency's."""
    if official is None or official.get("hub") != principal["hub"]:
        return False
    if principal["role"] == "national_admin":
        return True
    return principal["role"] == "agency_admin" and official.get("agency_code") == principal["agency_code"]


def recipients_query(ref: str) -> dict | None:
    """The officials a recipient reference stands for (None for a malformed reference).

    ``unit:CODE`` the unit's liaison officers; ``agency:CODE`` its agency admins;
    ``supervisor:CODE`` the agency's supervisors; ``hub:CODE`` the hub's national admins;
    ``official:ID`` one official.
    """
    kind, _, code = ref.partition(":")
    if not code:
        return None
    return {"unit": {"role": "liaison", "unit_code": code},
            "agency": {"role": "agency_admin", "agency_code": code},
            "supervisor": {"role": "supervisor", "agency_code": code},
            "hub": {"role": "national_admin", "hub": code},
            "official": {"_id": code}}.get(kind)


def registry_updated_fields(stored: dict[str, list[dict]]) -> dict:
    """What ``registry_updated`` carries after an import, from the stored collections (documents
    keyed by ``_id``): regions (with SMS keywords) and categories for intake's copy, the hub
    directory, and every code's name (contract.registry_names: categories, agencies, units, hubs,
    regions; nothing personal: officials, liaisons' contacts and keys are never taken)."""
    regions = [{"code": r["_id"], "name": r.get("name"), "keywords": r.get("keywords") or []}
               for r in stored.get("regions") or []]
    categories = [{"code": c["_id"], "name_id": c.get("name_id"), "name_en": c.get("name_en")}
                  for c in stored.get("categories") or []]
    return {"regions": regions, "categories": categories,
            "hubs": directory_for_event(list(stored.get("hubs") or [])),
            "names": registry_names.names_of_registry({kind: stored.get(kind) or [] for kind in registry_names.KINDS})}


def active(query: dict | None) -> dict | None:
    """A recipients query without the officials an admin disabled."""
    return None if query is None else {**query, "disabled": {"$ne": True}}

"""Routing rules: which authority acts on a report (no wrong door: never nowhere).

Plain functions on plain dicts: no nameko, pymongo or kombu here.
"""
from __future__ import annotations

from contract import events

RULE_FIELDS = ("classification", "category_code", "region_code", "gesi")


def region_chain(region_code: str, regions: dict[str, dict]) -> list[str]:
    """The region and its ancestors, most specific first (district, then province)."""
    chain, code = [], region_code
    while code and code in regions and code not in chain:
        chain.append(code)
        code = regions[code].get("parent")
    return chain or [region_code]


def specificity(rule: dict, chain: list[str]) -> tuple:
    """How specific a matching rule is: how many criteria it sets, then how deep its region is
    (district over province over everywhere), then category, GESI marker, classification."""
    region = rule.get("region_code")
    region_score = 0 if region is None else len(chain) - chain.index(region)
    return (sum(rule.get(f) is not None for f in RULE_FIELDS), region_score,
            rule.get("category_code") is not None, rule.get("gesi") is not None,
            rule.get("classification") is not None)


def matches(rule: dict, report: dict, chain: list[str]) -> bool:
    return ((rule.get("classification") in (None, report["classification"]))
            and (rule.get("category_code") in (None, report["category_code"]))
            and (rule.get("region_code") is None or rule["region_code"] in chain)
            and (rule.get("gesi") is None or rule["gesi"] in report.get("gesi", [])))


def best_rule(rules: list[dict], report: dict, chain: list[str]) -> dict | None:
    """The most specific matching rule, or None (the report then goes to national triage)."""
    candidates = [r for r in rules if matches(r, report, chain)]
    if not candidates:
        return None
    return max(candidates, key=lambda r: (specificity(r, chain), r["_id"]))


def check_rule_ties(rules: list[dict]) -> list[tuple[str, str]]:
    """Pairs of rules with the same match fields: ambiguous, refused at load time."""
    seen, ties = {}, []
    for rule in rules:
        key = tuple(rule.get(f) for f in RULE_FIELDS)
        if key in seen:
            ties.append((seen[key], rule["_id"]))
        else:
            seen[key] = rule["_id"]
    return ties


def decide(report: dict, rule: dict | None) -> dict:
    """The disposition of a report given the best rule (or none)."""
    if rule is None:
        return {"queue": "national_triage", "agency_code": None, "unit_code": None,
                "rule_id": None, "automatic": True}
    unit = rule.get("unit_code") if rule.get("automatic", True) else None
    return {"queue": "unit" if unit else "agency", "agency_code": rule["agency_code"],
            "unit_code": unit, "rule_id": rule["_id"], "automatic": rule.get("automatic", True)}


def dispositioned_event(report: dict, decision: dict, hub: str, timezone: str) -> dict:
    return events.build(
        events.REPORT_DISPOSITIONED, hub=hub, tracking_id=report["tracking_id"],
        origin_hub=report["origin_hub"], actor="system", region_code=report["region_code"],
        category_code=report["category_code"], classification=report["classification"],
        channel=report["channel"], reporter_ref=report["reporter_ref"],
        is_anonymous=report["is_anonymous"], language=report.get("language", "id"),
        region_timezone=timezone, **decision)


def registry_problems(registry: dict, known: dict[str, set[str]]) -> list[dict]:
    """Cross-reference problems of a registry file, as contract error items (empty when fine).

    ``known`` holds the codes already stored per collection, so that a file may refer to
    agencies, units, categories or regions imported earlier.
    """
    from contract.errors import error

    codes = {name: set(known.get(name, set())) | {i.get("code", i.get("id")) for i in registry.get(name, [])}
             for name in ("hubs", "regions", "agencies", "units", "categories", "rules")}
    problems = []

    def need(collection, value, field):
        if value is not None and value not in codes[collection]:
            problems.append(error(field, "not_found", f"Unknown {collection[:-1]} {value!r}.",
                                  f"{collection[:-1]} {value!r} tidak dikenal."))

    for i, official in enumerate(registry.get("officials", [])):
        need("hubs", official.get("hub"), f"officials.{i}.hub")
        need("agencies", official.get("agency_code"), f"officials.{i}.agency_code")
        need("units", official.get("unit_code"), f"officials.{i}.unit_code")
        scoped = {"agency_admin": "agency_code", "supervisor": "agency_code", "liaison": "unit_code"}.get(official["role"])
        if scoped and not official.get(scoped):
            problems.append(error(f"officials.{i}.{scoped}", "required",
                                  f"A {official['role']} needs {scoped}.", f"Peran {official['role']} memerlukan {scoped}."))
    for i, region in enumerate(registry.get("regions", [])):
        need("regions", region.get("parent"), f"regions.{i}.parent")
        need("hubs", region.get("hub"), f"regions.{i}.hub")
    for i, agency in enumerate(registry.get("agencies", [])):
        need("hubs", agency.get("hub"), f"agencies.{i}.hub")
        need("regions", agency.get("region_code"), f"agencies.{i}.region_code")
    for i, unit in enumerate(registry.get("units", [])):
        need("agencies", unit.get("agency_code"), f"units.{i}.agency_code")
    units_by_code = {u["code"]: u for u in registry.get("units", [])}
    for i, rule in enumerate(registry.get("rules", [])):
        need("agencies", rule.get("agency_code"), f"rules.{i}.agency_code")
        need("units", rule.get("unit_code"), f"rules.{i}.unit_code")
        need("categories", rule.get("category_code"), f"rules.{i}.category_code")
        need("regions", rule.get("region_code"), f"rules.{i}.region_code")
        unit = units_by_code.get(rule.get("unit_code"))
        if unit and unit["agency_code"] != rule.get("agency_code"):
            problems.append(error(f"rules.{i}.unit_code", "invalid",
                                  "The unit does not belong to the rule's agency.",
                                  "Unit tidak berada di bawah instansi aturan ini."))
    rules = [{**r, "_id": r["id"]} for r in registry.get("rules", [])]
    for first, second in check_rule_ties(rules):
        problems.append(error("rules", "conflict", f"Rules {first!r} and {second!r} match the same reports.",
                              f"Aturan {first!r} dan {second!r} cocok untuk laporan yang sama."))
    return problems


def new_token(official: dict, now, days: int) -> tuple[str, dict]:
    """A fresh opaque token for an official, and the document that stores only its hash."""
    import secrets
    from datetime import timedelta

    from contract.auth import token_hash

    token = "lpr_" + secrets.token_urlsafe(32)
    return token, {"_id": token_hash(token), "official_id": official["_id"], "issued_at": now,
                   "expires_at": now + timedelta(days=days), "revoked_at": None}


def principal_for(token_doc: dict | None, official: dict | None, now) -> dict | None:
    """The principal a stored token stands for, or None if unknown, expired or revoked."""
    if not token_doc or not official or token_doc.get("revoked_at") or token_doc["expires_at"] <= now:
        return None
    return {"official_id": official["_id"], "name": official.get("name"), "role": official["role"],
            "hub": official["hub"], "agency_code": official.get("agency_code"),
            "unit_code": official.get("unit_code")}


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

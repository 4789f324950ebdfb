"""Who may change what in the registry from the admin pages (issue 21), as plain rules.

The same scope as the admin API's officials' endpoints (``may_manage_official``): a national admin
manages the registry of the hub (agencies, categories, routing rules, units, officials); an agency
admin only the units of their own agency and its liaison officers and supervisors (never another
admin, never themselves). A refusal is ``(status, field, code)``: 403 for a kind the role may not
touch, 404 for an item outside the admin's scope (its existence is not revealed, as in the API),
400 for a field the admin may not set.
"""
from __future__ import annotations

import secrets
from datetime import datetime

from routing.domain.registry import may_manage_official

KINDS_OF_ROLE = {"national_admin": ("agencies", "categories", "rules", "units", "officials"),
                 "agency_admin": ("units", "officials")}
AGENCY_PEOPLE = ("liaison", "supervisor")  # the roles an agency admin gives and takes
KEPT = {"agencies": ("admin",)}  # fields the pages leave as they are
ADMIN_ACTIONS = ("official_invited", "official_saved", "official_disabled", "official_enabled", "unit_saved")


def key_field(kind: str) -> str:
    """The form field that names an item of a collection."""
    return {"rules": "id", "officials": "official_id"}.get(kind, "code")


class Refused(Exception):
    def __init__(self, status: int, field: str | None, code: str):
        super().__init__(status, field, code)
        self.status, self.field, self.code = status, field, code


def scoped_item(principal: dict, kind: str, item: dict, stored: dict | None, stored_unit_agency: str | None = None) -> dict:
    """The item as the admin may save it (agency and hub filled from their scope), or ``Refused``.

    ``stored``: the item as it stands (None for a new one); ``stored_unit_agency``: for a unit, the
    agency it belongs to now."""
    role = principal["role"]
    if kind not in KINDS_OF_ROLE.get(role, ()):
        raise Refused(403, None, "forbidden")
    if kind == "officials":
        return _official(principal, item, stored)
    if kind == "units" and role == "agency_admin":
        if stored is not None and stored_unit_agency != principal["agency_code"]:
            raise Refused(404, "code", "not_found")
        return {**item, "agency_code": principal["agency_code"]}
    return item


def _official(principal: dict, item: dict, stored: dict | None) -> dict:
    item = {**item, "hub": principal["hub"]}
    if stored is not None and not may_manage_official(principal, stored):
        raise Refused(404, "official_id", "not_found")
    if stored is not None and stored.get("official_id", stored.get("_id")) == principal["official_id"]:
        raise Refused(403, "official_id", "forbidden")  # nobody changes their own role or scope
    if principal["role"] == "agency_admin":
        if stored is not None and stored.get("role") not in AGENCY_PEOPLE:
            raise Refused(403, "official_id", "forbidden")  # another admin of the agency
        if item.get("role") not in AGENCY_PEOPLE:
            raise Refused(400, "role", "not_allowed")
        item["agency_code"] = principal["agency_code"]
    if stored is not None and stored.get("disabled"):
        item["disabled"] = True  # editing keeps a disabled official disabled
    if item.get("role") in ("national_admin",):
        item["agency_code"] = None
    if item.get("role") != "liaison":
        item["unit_code"] = None
    return item


def may_switch(principal: dict, official: dict) -> None:
    """Whether an admin may disable or enable an official they manage (``Refused`` otherwise)."""
    if official["_id"] == principal["official_id"]:
        raise Refused(403, "official_id", "forbidden")
    if principal["role"] == "agency_admin" and official.get("role") not in AGENCY_PEOPLE:
        raise Refused(403, "official_id", "forbidden")


def admin_entry(action: str, actor: str, now: datetime, agency_code: str | None, official_id: str | None = None,
                **detail) -> dict:
    """An audit entry of a change an admin made to the people or units of an agency (the same
    collection and shape as the credentials' entries, with the agency it concerns)."""
    assert action in ADMIN_ACTIONS, action
    return {"_id": f"{now:%Y%m%dT%H%M%S%f}-{secrets.token_hex(6)}", "at": now, "action": action, "actor": actor,
            "official_id": official_id, "agency_code": agency_code, "detail": detail}

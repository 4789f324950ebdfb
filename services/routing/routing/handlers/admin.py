"""The admin pages' use cases (issue 21): registry items saved one at a time through the same
validation and import as ``POST /admin/registry`` (``import_registry``), officials invited with
the admin API's one-time password link (``issue_password_link_by``), disabled and enabled, and the
audit trail of what an agency's admins changed. Scope: ``routing.domain.admin``."""
from __future__ import annotations

from marshmallow import ValidationError

from contract import i18n
from contract.errors import ApiError, error, from_validation_error
from routing import schemas
from routing.domain import admin
from routing.handlers.accounts import issue_password_link_by
from routing.handlers.registry import import_registry, managed_official

TEXTS = i18n.of_service("routing")  # refusals: ``admin.refusal.<code>`` (contract.i18n)


def _refusal(exc: admin.Refused) -> ApiError:
    key = f"admin.refusal.{exc.code}"
    return ApiError([error(exc.field, exc.code, TEXTS.text(key, "en"), TEXTS.text(key, "id"))], status=exc.status)


def _stored(uow, kind: str, key: str | None) -> dict | None:
    found = uow.registry.items(kind, {"_id": key}) if key else []
    return found[0] if found else None


def in_scope(uow, principal: dict, kind: str) -> list[dict]:
    """The items of one collection an admin sees on the admin pages (an agency admin: their agency's
    units and officials only; anyone else the role may manage: the hub's)."""
    if kind not in admin.KINDS_OF_ROLE.get(principal["role"], ()) and not (
            kind == "hubs" and principal["role"] == "national_admin"):
        raise _refusal(admin.Refused(403, None, "forbidden"))
    query: dict = {"hub": principal["hub"]} if kind == "officials" else {}
    if principal["role"] == "agency_admin":
        query["agency_code"] = principal["agency_code"]
    return uow.registry.items(kind, query)


def admin_listing(uow, principal: dict, kind: str, editing: str | None = None) -> dict:
    """An admin page's data: the items in scope, the item being edited (404 outside the scope) and
    what each select offers."""
    items = in_scope(uow, principal, kind)
    chosen = None
    if editing:
        chosen = next((i for i in items if i.get(admin.key_field(kind)) == editing), None)
        if chosen is None:
            raise _refusal(admin.Refused(404, admin.key_field(kind), "not_found"))
    registry = uow.registry
    agencies = registry.items("agencies")
    mine = {"agency_code": principal["agency_code"]} if principal["role"] == "agency_admin" else {}
    return {"items": items, "editing": chosen,
            "registry": {"regions": registry.items("regions"), "hubs": registry.items("hubs"), "agencies": agencies,
                         "units": registry.items("units", mine), "categories": registry.items("categories"),
                         "agency_names": {a["code"]: a["name"] for a in agencies}}}


def save_item(uow, principal: dict, kind: str, item: dict, new: bool) -> dict:
    """Create (``new``) or change one registry item within the admin's scope, validated and applied
    as a registry import of that one item; audited when it is an agency's unit or official. Errors
    name the form's fields (``name``, not ``units.0.name``)."""
    if kind not in admin.KINDS_OF_ROLE.get(principal["role"], ()):
        raise _refusal(admin.Refused(403, None, "forbidden"))  # before anything about the item is said
    key = item.get(admin.key_field(kind))
    stored = _stored(uow, kind, key)
    if new and stored is not None:
        raise _refusal(admin.Refused(400, admin.key_field(kind), "exists"))
    if not new and stored is None:
        raise _refusal(admin.Refused(404, admin.key_field(kind), "not_found"))
    if stored is not None:  # what the pages do not edit (an agency's admin contact) stays
        item = {**{k: stored[k] for k in admin.KEPT.get(kind, ()) if k in stored}, **item}
    try:
        scoped = admin.scoped_item(principal, kind, item, stored, (stored or {}).get("agency_code"))
    except admin.Refused as exc:
        if exc.status != 400:
            raise _refusal(exc)
        raise ApiError(_refusal(exc).errors + _form_errors(kind, _schema_errors(kind, item)))  # every field at once
    try:
        import_registry(uow, {kind: [scoped]}, {})
    except ApiError as exc:
        raise ApiError(_form_errors(kind, exc.errors), status=exc.status)
    _audit_change(uow, principal, kind, scoped, stored)
    return scoped


def _schema_errors(kind: str, item: dict) -> list[dict]:
    try:
        schemas.RegistryIn().load({kind: [item]})
    except ValidationError as exc:
        return from_validation_error(exc).errors
    return []


def _form_errors(kind: str, errors: list[dict]) -> list[dict]:
    """Import errors named by the form's fields (``name``, not ``units.0.name``)."""
    return [{**e, "field": (e.get("field") or "").removeprefix(f"{kind}.0").lstrip(".") or None} for e in errors]


def _audit_change(uow, principal: dict, kind: str, item: dict, stored: dict | None) -> None:
    actor, now = principal["official_id"], uow.now()
    if kind == "units":
        uow.accounts.record(admin.admin_entry("unit_saved", actor, now, item["agency_code"], unit_code=item["code"],
                                              created=stored is None))
    elif kind == "officials":
        action = "official_invited" if stored is None else "official_saved"
        uow.accounts.record(admin.admin_entry(action, actor, now, item.get("agency_code"), item["official_id"],
                                              role=item["role"], previous_role=(stored or {}).get("role"),
                                              unit_code=item.get("unit_code")))


def invite_official(uow, principal: dict, item: dict, hours: int) -> dict:
    """A new official of the admin's scope and the one-time link with which they set a password
    (the admin API's link, audited as such): shown to the admin once."""
    save_item(uow, principal, "officials", item, new=True)
    return issue_password_link_by(uow, principal, item["official_id"], hours)


def switch_official(uow, principal: dict, official_id: str, disabled: bool) -> dict:
    """Disable an official (every token revoked, every session ended, no sign-in) or enable them
    again; audited."""
    official = managed_official(uow, principal, official_id)
    try:
        admin.may_switch(principal, official)
    except admin.Refused as exc:
        raise _refusal(exc)
    item = {"official_id": official.pop("_id"), **official, "disabled": disabled}
    import_registry(uow, {"officials": [item]}, {})
    detail = {}
    if disabled:
        detail = {"revoked": uow.registry.revoke_tokens(official_id), "ended": uow.accounts.end_sessions(official_id)}
    uow.accounts.record(admin.admin_entry("official_disabled" if disabled else "official_enabled",
                                          principal["official_id"], uow.now(), item.get("agency_code"), official_id,
                                          **detail))
    return item


def agency_audit(uow, principal: dict, agency_code: str | None) -> list[dict]:
    """What was done to an agency's people and units (newest first): the admin pages' changes and
    the credentials' entries of its officials. An agency admin sees only their own agency."""
    if principal["role"] == "agency_admin":
        agency_code = principal["agency_code"]
    elif principal["role"] != "national_admin":
        raise _refusal(admin.Refused(403, None, "forbidden"))
    if not agency_code or uow.registry.agency(agency_code) is None:
        raise _refusal(admin.Refused(404, "agency_code", "not_found"))
    people = [o["_id"] for o in uow.registry.officials_where({"agency_code": agency_code, "hub": principal["hub"]})]
    return uow.accounts.audit_of_agency(agency_code, people)


def audit_page(uow, principal: dict, agency_code: str | None) -> dict:
    """The audit trail page: the entries (None until a national admin picks an agency) and the names
    of the agencies, people and units they mention."""
    entries = agency_audit(uow, principal, agency_code) if agency_code else None
    registry = uow.registry
    return {"entries": entries, "agencies": [(a["code"], a["name"]) for a in registry.items("agencies")],
            "people": {o["official_id"]: o["name"] for o in registry.items("officials", {"hub": principal["hub"]})},
            "units": {u["code"]: u["name"] for u in registry.items("units")}}

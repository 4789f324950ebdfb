"""What routing's admin pages (``/petugas/admin``, issue 21) read from a form and show: one form per
registry collection (the fields of the registry import's schemas, as form fields), the choices
each select offers, named as people read them. The rules are the handlers' (``handlers.admin``)."""
from __future__ import annotations

from contract import i18n, web
from contract.routes import url_for
from contract.vocab import CLASSIFICATIONS, GESI_MARKERS

# page path -> registry collection
SLUGS = {"instansi": "agencies", "kategori": "categories", "aturan": "rules", "unit": "units",
         "petugas": "officials", "simpul": "hubs"}
PATHS = {kind: url_for("admin_registry", slug=slug) for slug, kind in SLUGS.items()}
SLUG_OF = {kind: slug for slug, kind in SLUGS.items()}

AGENCY_KINDS = ("ministry", "province", "district", "state_enterprise", "agency")
ROLES_OF = {"national_admin": ("national_admin", "agency_admin", "liaison", "supervisor"),
            "agency_admin": ("liaison", "supervisor")}

# collection -> form fields: (name, type, required); a "choice:<list>" type is a select of that list
FORMS = {
    "agencies": [("code", "text", True), ("name", "text", True), ("kind", "choice:agency_kinds", True),
                 ("region_code", "choice:regions", False), ("hub", "choice:hubs", True)],
    "categories": [("code", "text", True), ("name_id", "text", True), ("name_en", "text", True)],
    "rules": [("id", "text", True), ("agency_code", "choice:agencies", True), ("unit_code", "choice:units", False),
              ("category_code", "choice:categories", False), ("region_code", "choice:regions", False),
              ("classification", "choice:classifications", False), ("gesi", "choice:gesi", False),
              ("keywords", "text", False), ("priority", "number", False), ("automatic", "choice:yes_no", True)],
    "units": [("code", "text", True), ("agency_code", "choice:agencies", True), ("name", "text", True),
              ("liaison_official_id", "text", True), ("liaison_name", "text", True), ("liaison_email", "email", False)],
    "officials": [("official_id", "text", True), ("name", "text", True), ("role", "choice:roles", True),
                  ("agency_code", "choice:agencies", False), ("unit_code", "choice:units", False),
                  ("email", "email", False), ("phone", "text", False)],
}
KEY = {"rules": "id", "officials": "official_id"}  # else code
HINTS = {"code": "admin.hint.code", "id": "admin.hint.code", "official_id": "admin.hint.official_id",
         "keywords": "admin.hint.keywords", "priority": "admin.hint.priority", "unit_code": "admin.hint.unit_code",
         "liaison_official_id": "admin.hint.liaison"}
SWITCHES = {"nonaktifkan": True, "aktifkan": False}  # page path -> disabled
NOTICES = ("saved", "nonaktifkan", "aktifkan")
AGENCY_PEOPLE = ("liaison", "supervisor")
# what an agency admin does not choose (their own agency)
SCOPED_FIELDS = {"agency_admin": ("agency_code",)}
COLUMNS = {
    "agencies": ("code", "name", "kind", "region_code", "hub"),
    "categories": ("code", "name_id", "name_en"),
    "rules": ("id", "agency_code", "unit_code", "category_code", "region_code", "priority", "automatic"),
    "units": ("code", "name", "agency_code", "liaison_name"),
    "officials": ("official_id", "name", "role", "unit_code", "disabled"),
    "hubs": ("code", "name", "tier", "parent", "region_code", "public_url"),
}


def path(kind: str, **query) -> str:
    """The admin page of a registry collection, with ``query`` (``notice="saved"``)."""
    return url_for("admin_registry", slug=SLUG_OF[kind], **query)


def form_fields(kind: str, role: str) -> list[tuple[str, str, bool]]:
    """The form's fields for this admin (an agency admin's agency is theirs, not chosen)."""
    hidden = SCOPED_FIELDS.get(role, ())
    return [f for f in FORMS[kind] if f[0] not in hidden]


def item_from_form(kind: str, form, role: str) -> dict:
    """The registry item a form stands for, as the import's schema takes it: a blank required field
    left out (so that the schema says it is required), a blank optional one None."""
    item: dict = {}
    for name, type_, required in form_fields(kind, role):
        value = (form.get(name) or "").strip()
        if not value:
            if not required and name not in ("keywords", "priority"):
                item[name] = None
            continue
        if name == "keywords":
            value = [k.strip() for k in value.split(",") if k.strip()]
        elif name == "automatic":
            value = {"true": True, "false": False}.get(value, value)
        item[name] = value
    if kind == "units":
        liaison = {k.removeprefix("liaison_"): item.pop(k) for k in list(item) if k.startswith("liaison_")}
        item["liaison"] = {k: v for k, v in liaison.items() if v is not None or k == "email"}
    return item


def form_values(kind: str, item: dict | None) -> dict:
    """A stored item as the form's values (to edit it)."""
    if not item:
        return {}
    values = {k: v for k, v in item.items() if not isinstance(v, (dict, list))}
    if kind == "rules":
        values["keywords"] = ", ".join(item.get("keywords") or [])
        values["automatic"] = "true" if item.get("automatic", True) else "false"
    if kind == "units":
        values.update({f"liaison_{k}": v for k, v in (item.get("liaison") or {}).items()})
    return {k: "" if v is None else str(v) for k, v in values.items()}


def choices(page, principal: dict, registry: dict) -> dict[str, list[tuple[str, str]]]:
    """Every select's options, named in the page's language (``registry``: ``handlers.admin_choices``)."""
    _ = page._
    return {
        "agency_kinds": [(k, _(f"admin.agency_kind.{k}")) for k in AGENCY_KINDS],
        "regions": [(r["code"], f"{r['name']} ({r['code']})") for r in registry["regions"]],
        "hubs": [(h["code"], f"{h['name']} ({h['code']})") for h in registry["hubs"]],
        "agencies": [(a["code"], a["name"]) for a in registry["agencies"]],
        "units": [(u["code"], f"{u['name']} · {registry['agency_names'].get(u['agency_code'], u['agency_code'])}")
                  for u in registry["units"]],
        "categories": [(c["code"], i18n.localized(c, page.lang)) for c in registry["categories"]],
        "classifications": [(c, _(f"admin.classification.{c}")) for c in CLASSIFICATIONS],
        "gesi": [(g, _(f"admin.gesi.{g}")) for g in GESI_MARKERS],
        "yes_no": [("true", _("admin.yes")), ("false", _("admin.no"))],
        "roles": [(r, _(f"officials.role.{r}")) for r in ROLES_OF.get(principal["role"], ())],
    }


def shown(value, column: str, page, names: dict) -> str:
    """A cell as people read it: a name for a code where one is known, yes/no, a role's name."""
    if value is None or value == "":
        return "-"
    if column == "role":
        return page._(f"officials.role.{value}")
    if column == "kind":
        return page._(f"admin.agency_kind.{value}")
    if isinstance(value, bool):
        return page._("admin.yes" if value else "admin.no")
    named = names.get(column, {})
    if value in named and column in ("agency_code", "unit_code", "hub", "parent"):
        return named[value]  # the code is in the row's edit form
    return f"{named[value]} ({value})" if value in named else str(value)


def kind_of(slug: str, forms_only: bool = True) -> str:
    """The collection a page path names (404 for any other; the hub directory has no form)."""
    kind = SLUGS.get(slug)
    if kind is None or (forms_only and kind not in FORMS):
        raise web.NotFoundPage()
    return kind


def row_of(item: dict) -> dict:
    """A stored item as a table row (a unit's liaison by name)."""
    return {**item, "liaison_name": (item.get("liaison") or {}).get("name")}


def render(page, principal: dict, kind: str, listing: dict, form=None, errors: dict | None = None, status: int = 200,
           notice: str | None = None, link: dict | None = None):
    """A collection's page: the items in scope, and the form (new, the item being edited, or the
    form sent back with its errors next to each field)."""
    editing = listing["editing"]
    if form is not None:
        values, mode = {k: form.get(k, "") for k in form}, ("edit" if form.get("mode") == "edit" else "new")
    else:
        values, mode = form_values(kind, editing), ("edit" if editing else "new")
    registry = listing["registry"]
    names = {"agency_code": registry["agency_names"], "unit_code": {u["code"]: u["name"] for u in registry["units"]},
             "category_code": dict(choices(page, principal, registry)["categories"]),
             "region_code": {r["code"]: r["name"] for r in registry["regions"]},
             "hub": {h["code"]: h["name"] for h in registry["hubs"]}}
    names["parent"] = names["hub"]
    return page.render("admin_registry.html", status=status, kind=kind, path=PATHS[kind], slug=SLUG_OF[kind], key=KEY.get(kind, "code"),
                       rows=[row_of(i) for i in listing["items"]], columns=COLUMNS[kind], names=names, shown=shown,
                       fields=form_fields(kind, principal["role"]) if kind in FORMS else [], hints=HINTS,
                       values=values, mode=mode, errors=errors or {}, choices=choices(page, principal, registry),
                       notice=notice if notice in NOTICES else None, link=link, principal=principal,
                       agency_people=AGENCY_PEOPLE)

"""Follow-up's admin pages (``/petugas/admin/sla``, ``/petugas/admin/libur``; issue 21): what they read
from a form and show. The rules are the admin API's handlers (``handlers.save_sla_policy`` validates
the whole policy set as ``PUT /cases/admin/sla-policies`` does; ``handlers.add_day_off`` as
``POST /cases/admin/days-off``)."""
from __future__ import annotations

from contract import web, webdates
from contract.vocab import CHANNELS, CLASSIFICATIONS
from followup import sla

URGENCIES = ("low", "normal", "high", "urgent")
DAY_KINDS = ("cuti_bersama", "regional_holiday", "other")
NOTICES = ("saved",)


def policy_from_form(form) -> dict:
    """One policy as the policy document holds it (blank match keys and stages left out)."""
    value = {k: (form.get(k) or "").strip() for k in form}
    policy = {"id": value.get("id", ""), "description": value.get("description") or None,
              "match": {k: value[f"match_{k}"] for k in sla.MATCH_KEYS if value.get(f"match_{k}")},
              "stages": {s: value[s] for s in sla.STAGES if value.get(s)}}
    if value.get("priority"):
        policy["priority"] = value["priority"]
    return policy


def chosen(policies: list[dict], policy_id: str | None) -> dict | None:
    """The policy being edited (``?ubah=ID``; not found for an unknown one), or None."""
    found = next((p for p in policies if p["id"] == policy_id), None)
    if policy_id and found is None:
        raise web.NotFoundPage()
    return found


def policy_values(policy: dict | None) -> dict:
    """A stored policy as the form's values (to edit it)."""
    if not policy:
        return {}
    values = {"id": policy["id"], "description": policy.get("description") or "",
              "priority": str(policy.get("priority", 0))}
    values.update({f"match_{k}": v for k, v in (policy.get("match") or {}).items()})
    values.update({s: str(d) for s, d in (policy.get("stages") or {}).items()})
    return values


def policy_errors(found: dict) -> dict:
    """Field errors named as the form's fields (``stages_verification_value`` -> ``verification``)."""
    out = {}
    for field, message in found.items():
        stage = next((s for s in sla.STAGES if field.startswith(f"stages_{s}")), None)
        out.setdefault(stage or ("form" if field.startswith("stages") or field == "policies" else field), message)
    return out


def day_from_form(form) -> dict:
    """A day off as the API's body holds it: the date typed as the page asks (dd/mm/yyyy) sent as ISO."""
    value = {k: (form.get(k) or "").strip() for k in ("date", "name", "kind", "region_code")}
    entry = {k: v for k, v in value.items() if v}
    if "date" in entry:
        typed = webdates.parse_typed_date(entry["date"])
        entry["date"] = typed.isoformat() if typed else entry["date"]
    entry.setdefault("region_code", None)
    return entry


def registry_now(names, lang: str) -> tuple[dict, dict[str, str]]:
    """Names of categories and agencies (in ``lang``) and of regions, from this service's copy of the
    registry's names (``contract.registry_names``, kept by ``registry_updated``: a category an admin just
    added is offered once routing's event has arrived, within a second)."""
    return ({"categories": names.table("categories", lang), "agencies": names.table("agencies", lang)},
            names.table("regions", lang))


def choices(page, names: dict, regions: dict) -> dict[str, list[tuple[str, str]]]:
    """The selects' options, named in the page's language."""
    _ = page._
    return {"classification": [(c, _(f"admin.classification.{c}")) for c in CLASSIFICATIONS],
            "category_code": sorted(names.get("categories", {}).items(), key=lambda i: i[1]),
            "agency_code": sorted(names.get("agencies", {}).items(), key=lambda i: i[1]),
            "urgency": [(u, _(f"admin.urgency.{u}")) for u in URGENCIES],
            "region_code": [(c, f"{n} ({c})") for c, n in sorted(regions.items())],
            "channel": [(c, _(f"admin.channel.{c}")) for c in CHANNELS],
            "kind": [(k, _(f"admin.day_kind.{k}")) for k in DAY_KINDS]}


def match_text(policy: dict, page, names: dict, regions: dict) -> str:
    """What a policy applies to, as people read it."""
    parts = []
    for key, value in (policy.get("match") or {}).items():
        if key in ("classification", "urgency", "channel"):
            shown = page._(f"admin.{key}.{value}")
        else:
            shown = {"category_code": names.get("categories", {}), "agency_code": names.get("agencies", {}),
                     "region_code": regions}.get(key, {}).get(value, value)
        parts.append(f"{page._('admin.f.match_' + key)}: {shown}")
    return "; ".join(parts) or page._("admin.sla.everything")


def render_sla(page, policies: list[dict], names: dict, regions: dict, values: dict, found: dict, notice, editing: bool,
               status: int = 200):
    return page.render("admin_sla.html", status=status, policies=policies, values=values, errors=found,
                       editing=editing, choices=choices(page, names, regions),
                       match_text=lambda p: match_text(p, page, names, regions),
                       notice=notice if notice in NOTICES else None)


def render_days_off(page, days: list[dict], regions: dict, values: dict, found: dict, notice, status: int = 200):
    return page.render("admin_days_off.html", status=status, days=days, values=values, errors=found, regions=regions,
                       choices=choices(page, {}, regions), notice=notice if notice in NOTICES else None)

"""How cases are shown: the indicator added at read time, scopes of officials, labels."""
from __future__ import annotations

from datetime import datetime

from contract import journey
from contract.registry_names import Names, name_of
from contract.routes import url_for
from followup import domain, indicator, schemas
from followup.calendar import zone


def localised(case: dict) -> dict:
    """Times in the region's own zone (WIB/WITA/WIT), as officials and reporters read them."""
    local = zone(case.get("timezone"))
    shown = {k: (v.astimezone(local) if isinstance(v, datetime) else v) for k, v in case.items()}
    shown["verified_at_unit"] = domain.in_liaison_hands(case)  # also for cases stored before the flag
    return shown


def case_out(case: dict, now: datetime, lang: str = "id") -> dict:
    colour = indicator.colour(case, now)
    return schemas.CaseOut().dump({**localised(case), "indicator": colour, "indicator_label": indicator.label(colour, lang),
                                   "overall_indicator": indicator.overall_colour(case, now)})


def case_view(case: dict, now: datetime, lang: str = "id") -> dict:
    """The public view: deadlines, indicator and history, never people or text."""
    history = [{"step": h["step"], "at": h["at"], "label": journey.step_label(h["step"], lang),
                "detail": {k: (v.astimezone(zone(case.get("timezone"))).isoformat() if isinstance(v, datetime) else v) for k, v in h["detail"].items()
                           if k in ("stage", "due_at", "level", "until", "rating")}}
               for h in case.get("history", [])]
    colour = indicator.colour(case, now)
    return schemas.CaseViewOut().dump({**localised(case), "history": history, "indicator": colour,
                                       "indicator_label": indicator.label(colour, lang),
                                       "overall_indicator": indicator.overall_colour(case, now)})


def reporter_journey(report: dict, names: Names, lang: str) -> dict:
    """The reporter's timeline (names, not codes; no bookkeeping) and next step, for /lacak."""
    return {"timeline": journey.reporter_timeline(report.get("history") or [], lang, names),
            "next_step": journey.next_step(report["status"], lang)}


ELSEWHERE = ("waiting", "sent_on", "accepted")  # intake's delivery states of a report held at another hub


def holder_elsewhere(report: dict, names: Names, lang: str = "id") -> dict | None:
    """Who holds a report filed here and sent to another hub (None when it is handled here): the
    owner hub's code and name, the agency and unit by name when the owner's steps carry them, and
    the owner hub's page for this report (where the reporter replies, adds evidence, rates and
    reopens), from the hub directory's ``public_url`` (both from the registry's names)."""
    delivery = report.get("delivery") or {}
    if delivery.get("state") not in ELSEWHERE or not delivery.get("hub"):
        return None
    hub = str(delivery["hub"])
    holder = {"hub": hub, "hub_name": name_of(names, "hubs", hub, lang), "state": delivery["state"],
              "agency_code": None, "unit_code": None, "url": None}
    for entry in report.get("history") or []:  # oldest first: the latest step naming a holder wins
        detail = entry.get("detail") or {}
        if str(entry.get("step", "")).startswith("hub_") and detail.get("agency_code"):
            holder.update(agency_code=detail["agency_code"], unit_code=detail.get("unit_code"))
    holder["agency_name"] = name_of(names, "agencies", holder["agency_code"], lang) or None
    holder["unit_name"] = name_of(names, "units", holder["unit_code"], lang) or None
    base = names.hub_url(hub)
    if base:
        holder["url"] = base + url_for("tracking", tracking_id=report["tracking_id"])
    return holder


def scope_of(principal: dict) -> dict:
    """Which cases an official's inbox holds."""
    if principal["role"] == "liaison":
        return {"unit_code": principal.get("unit_code") or "-"}
    if principal["role"] in ("agency_admin", "supervisor"):
        return {"agency_code": principal.get("agency_code") or "-"}
    return {}


def summary_scope(principal: dict, query: dict) -> dict | None:
    """The scope a summary may cover for this official (None: not allowed)."""
    wanted = {k: v for k, v in query.items() if v and k in ("agency_code", "unit_code")}
    own = scope_of(principal)
    if principal["role"] == "national_admin":
        return wanted
    if principal["role"] == "liaison":
        return own if wanted in ({}, own) else None
    if wanted.get("agency_code", own["agency_code"]) != own["agency_code"]:
        return None
    return {**own, "unit_code": wanted["unit_code"]} if "unit_code" in wanted else own


def public_comment(comment: dict) -> dict:
    """A hidden comment keeps its place and reason, not its text."""
    return {**comment, "body": None, "name": None} if comment["hidden"] else comment

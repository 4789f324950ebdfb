"""Routing's part of the hub network: the directory a registry import leaves, and forwarding a
report by hand to another hub (Bukan Wewenang across hubs).

Plain functions on plain dicts: no nameko, pymongo or kombu here.
"""
from __future__ import annotations

import re
from datetime import date, datetime

from contract import events, hubnet, hubpath, i18n
from contract.errors import error, translated
from contract.ids import new_event_id
from routing.domain import workflow

TEXTS = i18n.of_service("routing")  # error texts: ``api.*`` (contract.i18n)

_HUB_IN_PROBLEM = re.compile(r"^hub (\S+?):")


def hub_doc(item: dict) -> dict:
    """A stored or imported hub as a directory entry (``level`` was ``tier``'s first name)."""
    code = item.get("code") or item.get("_id")
    return {"code": str(code), "name": item.get("name"), "tier": item.get("tier") or item.get("level"),
            "parent": item.get("parent"), "region_code": item.get("region_code"),
            "public_url": item.get("public_url"), "public_key": item.get("public_key"),
            "signing_key": item.get("signing_key"), "message_version": item.get("message_version")}


def merged_directory(file_hubs: list[dict], stored_hubs: list[dict]) -> list[dict]:
    """The directory as it will stand after an import: the file's hubs replace stored ones."""
    merged = {h["code"]: h for h in map(hub_doc, stored_hubs)}
    merged.update({h["code"]: h for h in map(hub_doc, file_hubs)})
    return list(merged.values())


def directory_problems(file_hubs: list[dict], stored_hubs: list[dict]) -> list[dict]:
    """Contract error items when the directory after the import is not a tree of tiers."""
    if not file_hubs:
        return []
    position = {str(h["code"]): i for i, h in enumerate(file_hubs)}
    items = []
    for problem in hubnet.validate_directory(merged_directory(file_hubs, stored_hubs)):
        match = _HUB_IN_PROBLEM.match(problem)
        index = position.get(match.group(1)) if match else None
        field = f"hubs.{index}.parent" if index is not None else "hubs"
        items.append(translated(field, "invalid", TEXTS, "api.forward.directory", problem=problem))
    return items


def directory_for_event(stored_hubs: list[dict]) -> list[dict]:
    """The directory as ``registry_updated`` carries it (no credentials are ever stored)."""
    return [{k: v for k, v in hub_doc(h).items() if k != "region_code"} for h in stored_hubs
            if (h.get("tier") or h.get("level"))]


def path_of(item: dict, own_hub: str) -> list[str]:
    """The hubs the report has been at, ending with this one (``hub_path`` of its report_received)."""
    path = [str(h) for h in item.get("hub_path") or []]
    return path if path and path[-1] == own_hub else [*path, own_hub]


def forward_target_problem(target_hub: str, own_hub: str, directory: list[dict],
                           path: list[str] | None = None) -> dict | None:
    """Why a report that came along ``path`` cannot be forwarded to ``target_hub`` (None when it
    can): an error item whose code names why (``not_found``: not in the directory; ``this_hub``,
    ``visited``, ``no_key``, ``no_route``: a hub that could not take it)."""
    problem = hubpath.refusal(list(map(hub_doc, directory)), own_hub, target_hub, path or [own_hub])
    if problem is None:
        return None
    code = "not_found" if problem.code == "unknown_hub" else problem.code
    return error("target_hub", code, problem.en, problem.id)


def forward_targets(directory: list[dict], own_hub: str, item: dict) -> list[dict]:
    """The hubs an official may forward this report to: only hubs that can take it."""
    return hubpath.targets(list(map(hub_doc, directory)), own_hub, path_of(item, own_hub))


FORWARDING_ROLES = ("national_admin", "agency_admin")


def may_forward(principal: dict, item: dict) -> bool:
    """Could ``principal`` forward ``item`` to some hub now (their queue, open, a forwarding role)?"""
    return (principal["role"] in FORWARDING_ROLES and workflow.owns_queue(principal, item)
            and item["status"] in workflow.OPEN_STATUSES)


def actions_for(principal: dict, item: dict, directory: list[dict], own_hub: str) -> list[str]:
    """Every action the API accepts from ``principal`` on ``item`` now: the workflow's, and
    ``forward`` when a hub of the directory can take the report (what ``POST …/forward`` checks)."""
    actions = workflow.actions_for(principal, item)
    if may_forward(principal, item) and forward_targets(directory, own_hub, item):
        actions.append("forward")
    return actions


def check_manual_forward(principal: dict, item: dict, target_hub: str, own_hub: str, directory: list[dict]) -> None:
    """Raise ActionRefused unless ``principal`` may send ``item`` to ``target_hub`` now
    (Bukan Wewenang across hubs: the owner of the report's queue, while it is open here)."""
    if principal["role"] not in FORWARDING_ROLES or not workflow.owns_queue(principal, item):
        raise workflow.ActionRefused("forbidden",
                                     translated("tracking_id", "forbidden", TEXTS, "api.forward.not_in_queue"))
    if item["status"] not in workflow.OPEN_STATUSES:
        raise workflow.ActionRefused("conflict", translated("action", "conflict", TEXTS, "api.forward.not_forwardable",
                                                            status=item["status"]))
    problem = forward_target_problem(target_hub, own_hub, directory, path_of(item, own_hub))
    if problem:  # an unknown hub is a bad request; a hub that cannot take the report, a conflict
        kind = "invalid" if problem["code"] == "not_found" else "conflict"
        raise workflow.ActionRefused(kind, problem, reason=problem["code"] if kind == "conflict" else None)


def manual_forward(item: dict, principal: dict, target_hub: str, reason: str, own_hub: str,
                   now: datetime) -> tuple[dict, dict, dict]:
    """(changes, audit entry, ``report_forwarded`` event) of an official's forward to another hub."""
    target = {"queue": "forwarded", "agency_code": None, "unit_code": None, "status": "forwarded"}
    changes = {**target, "target_hub": target_hub, "postponed_until": None, "queued_at": now, "updated_at": now}
    entry = workflow.audit_entry(item, principal, "forward", target, now, f"hub {target_hub}: {reason}")
    report = {k: item.get(k) for k in workflow.REPORT_FIELDS}
    report.update(event_id=new_event_id(), schema_version=events.SCHEMA_VERSION, occurred_at=now, hub=own_hub,
                  tracking_id=item["_id"], target_hub=own_hub,
                  incident_date=date.fromisoformat(item["incident_date"]) if item.get("incident_date") else None)
    event = events.build(events.REPORT_FORWARDED, hub=own_hub, tracking_id=item["_id"], origin_hub=item["origin_hub"],
                         target_hub=target_hub, reason=reason, report=report, manual=True,
                         actor=principal["official_id"])
    return changes, entry, event


def handed_back(item: dict, event: dict, now: datetime) -> tuple[dict, dict] | None:
    """(changes, audit entry) putting a report that came back from the hub network into the
    national admin's triage as ``returned``; None when it is not (or no longer) forwarded."""
    if item is None or item.get("status") != "forwarded":
        return None
    target = {"queue": "national_triage", "agency_code": None, "unit_code": None, "status": "returned"}
    changes = {**target, "target_hub": None, "queued_at": now, "updated_at": now}
    if event["from_hub"] == event.get("hub"):
        reason = f"could not be sent to hub {event.get('target_hub')}" + (
            f": {event['reason']}" if event.get("reason") else "")
    else:
        reason = f"hub {event['from_hub']} sent it back" + (f": {event['reason']}" if event.get("reason") else "")
    entry = {"tracking_id": item["_id"], "seq": item["version"] + 1, "action": "handed_back", "actor": "system",
             "actor_role": "system", "actor_name": None, "at": now, "from": workflow.position(item), "to": target,
             "reason": reason[:500], "until": None}
    return changes, entry

"""Routing's use cases on the desk: routing received reports, following cases, the officials'
workflow actions and what the inbox and a report's page show.  Plain functions of a unit of work."""
from __future__ import annotations

import time

from contract import errors, i18n, registry_names
from contract.errors import ApiError
from contract.ids import parse_tracking_id
from routing import domain, exceptions, observability
from routing.domain import case_state, forwarding, inbox as inboxes, workflow
from routing.exceptions import StaleState

TEXTS = i18n.of_service("routing")  # error texts: ``api.*`` (contract.i18n)

# --- events --------------------------------------------------------------------------------------


def route_report(uow, event_type: str, report: dict) -> None:
    """Decide the authority for a received report and put it in the workflow (once per report)."""
    started = time.perf_counter()
    registry = uow.registry
    routed = domain.route(report, registry.regions(), registry.rule_index(), uow.settings.hub_code, uow.now(),
                          registry.agency_hubs(), directory=registry.hubs)
    seconds = time.perf_counter() - started
    uow.after_commit(lambda: observability.decided(routed["outcome"], seconds))
    uow.desk.route(routed["item"], routed["entry"], [routed["event"]])


def follow_case(uow, event_type: str, event: dict) -> None:
    """The work item follows the report's case (answered: no more actions; closed: out of the
    queues; reopened: back in the liaison's hands); a case event for an unknown report is refused."""
    item = uow.desk.for_event(event["tracking_id"])
    decided = case_state.follow_case(item, event_type, event, uow.now())
    if decided is not None:
        uow.desk.move(item, *decided)


def handed_back(uow, event_type: str, event: dict) -> None:
    """A forwarded report came back "not ours either": into the national admin's triage."""
    item = uow.desk.for_event(event["tracking_id"])
    moved = forwarding.handed_back(item, event, uow.now())
    if moved:
        uow.desk.move(item, *moved)


# --- the officials' workflow -------------------------------------------------------------------------


def readable(uow, principal: dict, tracking_id: str) -> dict:
    """The report if it is in the official's read scope; 404 otherwise (existence not revealed)."""
    item = uow.desk.get(parse_tracking_id(tracking_id) or tracking_id)  # as typed: "#id-k7m4x-..." too
    if item is None or not workflow.can_read(principal, item):
        raise exceptions.report_not_found()
    return item


def report(uow, principal: dict, item: dict) -> dict:
    """What the official sees of a report: its state, the actions allowed them, its history."""
    view = inboxes.report_view(item, principal, uow.now(), uow.settings.sla_days)
    view["history"] = [inboxes.audit_view(e) for e in uow.desk.history(item["_id"])]
    here, directory = uow.settings.hub_code, uow.registry.hubs()
    view["allowed_actions"] = forwarding.actions_for(principal, item, directory, here)
    view["hub_path"] = forwarding.path_of(item, here) if item.get("hub_path") else []
    view["forward_targets"] = []
    if forwarding.may_forward(principal, item):  # only hubs that can take it (issue 18)
        view["forward_targets"] = [h["code"] for h in forwarding.forward_targets(directory, here, item)]
    return view


def allowed_actions(uow, principal: dict, item: dict | None) -> list[str]:
    """Every action the API would accept from ``principal`` on ``item`` now (forward included):
    what GET shows and what a refusal's 409 carries."""
    if item is None:
        return []
    return forwarding.actions_for(principal, item, uow.registry.hubs(), uow.settings.hub_code)


def report_by_id(uow, principal: dict, tracking_id: str) -> dict:
    return report(uow, principal, readable(uow, principal, tracking_id))


def inbox(uow, principal: dict, filters: dict) -> dict:
    """One page of the official's inbox (``schemas.InboxQuery`` loaded) with counts per status."""
    if filters["category_code"] and not uow.registry.exists("categories", filters["category_code"]):
        raise ApiError([errors.translated("category_code", "invalid", TEXTS, "api.workflow.unknown_category")])
    now, sla = uow.now(), uow.settings.sla_days
    query = inboxes.inbox_query(principal, filters, now, sla)
    skip = (filters["page"] - 1) * filters["per_page"]
    directory, here = uow.registry.hubs(), uow.settings.hub_code
    items = [{**inboxes.report_view(i, principal, now, sla),
              "allowed_actions": forwarding.actions_for(principal, i, directory, here)}
             for i in uow.desk.page(query, skip, filters["per_page"])]
    return {"items": items, "page": filters["page"], "per_page": filters["per_page"],
            "total": uow.desk.count(query), "counts": uow.desk.counts_by("status", inboxes.counts_query(query))}


def act(uow, principal: dict, tracking_id: str, action: str, body: dict) -> dict:
    """A workflow action (verify, postpone, return, disposition, redisposition, archive) on a report
    the official may read, checked against the state machine and the version the official saw;
    written with its audit entry and event: the report after."""
    item = readable(uow, principal, tracking_id)
    try:
        workflow.check(principal, item, action)
        if body.get("version") not in (None, item["version"]):
            raise StaleState(item["_id"])
        now = uow.now()
        until = workflow.postpone_until(body["until"], item["timezone"], now) if action == "postpone" else None
        target = workflow.target_of(principal, item, action, body, uow.registry)
        entry = workflow.audit_entry(item, principal, action, target, now, body.get("reason"), until)
        event = workflow.action_event(item, principal, action, target, uow.settings.hub_code, body.get("reason"),
                                      until)
        updated = uow.desk.act(item, workflow.moved(action, target, item, now, until), entry, [event])
    except workflow.ActionRefused as exc:
        observability.refused(action, exc.kind)
        raise exceptions.refused(exc, allowed_actions(uow, principal, item))
    except StaleState:
        observability.refused(action, "stale")
        raise exceptions.stale(allowed_actions(uow, principal, uow.desk.get(item["_id"]) or item))
    uow.after_commit(lambda: observability.acted(action, principal["role"]))
    return updated


def forward(uow, principal: dict, tracking_id: str, body: dict) -> dict:
    """An official's forward of a report to another hub (Bukan Wewenang across hubs): the same
    ``report_forwarded`` as a rule's forward, with the reason audited; the report after."""
    item = readable(uow, principal, tracking_id)
    here = uow.settings.hub_code
    try:
        forwarding.check_manual_forward(principal, item, body["target_hub"], here, uow.registry.hubs())
    except workflow.ActionRefused as exc:
        observability.refused("forward", exc.kind)
        raise exceptions.refused(exc, allowed_actions(uow, principal, item))
    if body.get("version") not in (None, item["version"]):
        raise exceptions.stale(allowed_actions(uow, principal, item))
    changes, entry, event = forwarding.manual_forward(item, principal, body["target_hub"], body["reason"], here,
                                                      uow.now())
    try:
        updated = uow.desk.act(item, changes, entry, [event])
    except StaleState:
        raise exceptions.stale(allowed_actions(uow, principal, uow.desk.get(item["_id"]) or item))
    uow.after_commit(lambda: observability.acted("forward", principal["role"]))
    return updated


def disposition(uow, tracking_id: str) -> dict | None:
    """Where a report stands now (queue, agency, unit, status), or None."""
    item = uow.desk.get(tracking_id)
    return None if item is None else {k: item.get(k) for k in (
        "queue", "status", "agency_code", "unit_code", "rule_id", "automatic", "suggested_unit_code",
        "target_hub", "version")}


def history(uow, tracking_id: str) -> list[dict]:
    """The report's audit trail (oldest first)."""
    return [inboxes.audit_view(e) for e in uow.desk.history(tracking_id)]


def open_per_queue(uow) -> dict[str, int]:
    """Open reports per queue (the queue-size gauges)."""
    return uow.desk.counts_by("queue", {"status": {"$in": list(workflow.OPEN_STATUSES)}})


# --- what the officials' pages show besides the API's answers ------------------------------------


def names(uow) -> registry_names.Names:
    """The registry's names (routing's own registry), for showing codes as people read them."""
    return registry_names.Names(registry_names.names_of_registry(
        {kind: uow.registry.listing(kind, ("name", "name_id", "name_en", "public_url"))
         for kind in registry_names.KINDS}))


def report_page(uow, principal: dict, item: dict, lang: str) -> dict:
    """A report's page: its view, and the choices its action forms offer (agencies, the agency's
    units, other hubs) where the official may use them."""
    view = report(uow, principal, item)
    agencies, units = [], []
    if {"disposition", "redisposition", "return"} & set(view["allowed_actions"]):
        agencies = [(a["code"], a["name"]) for a in uow.registry.listing("agencies", ("name",))]
        if principal["role"] == "agency_admin":
            units = [(u["code"], u["name"]) for u in uow.registry.listing("units", ("name", "agency_code"))
                     if u.get("agency_code") == principal["agency_code"]]
    shown = names(uow)
    hubs = [(code, registry_names.name_of(shown, "hubs", code, lang, hint=True)) for code in view["forward_targets"]]
    blocked_by = None
    if (not hubs and view["hub_path"] and principal["role"] in forwarding.FORWARDING_ROLES
            and view["allowed_actions"] and item["status"] in workflow.OPEN_STATUSES):
        blocked_by = view["hub_path"]  # say why there is no forward form
    return {"view": view, "agencies": agencies, "units": units, "hubs": hubs, "names": shown,
            "timezone": item.get("timezone"), "hub_path": blocked_by}

"""Intake's tracking: what each report-related event does to the report, the registry copy, and
the queries that show a report (the API's tracking view, followup's pages, notification's contacts).
"""
from __future__ import annotations

from contract import registry_names
from contract.consumer import RejectEvent
from contract.ids import hub_of, parse_tracking_id
from contract.routes import url_for
from intake import domain, exceptions, history, schemas, transfer, web_forms
from intake.handlers import hub_relay


# --- events -----------------------------------------------------------------------------------------

def record_step(uow, event_type: str, event: dict) -> None:
    """A tracked event: append its history entry and move the status (see ``intake.history``)."""
    step = history.step_from_event(event_type, event)
    try:
        uow.reports.record_step(event["event_id"], event["tracking_id"], step)
    except LookupError:
        raise RejectEvent(f"no report {event['tracking_id']} at this hub")


def registry_updated(uow, event_type: str, event: dict) -> None:
    """routing imported a registry: refresh the copy that reports are checked against."""
    loaded = schemas.RegistryCopyIn().load({"regions": event["regions"], "categories": event["categories"],
                                            "hubs": event["hubs"]})
    uow.registry.apply_update(loaded["regions"], loaded["categories"], event["version"], event["updated_at"],
                              hubs=loaded["hubs"])
    registry_names.registry_updated(uow, event_type, event)  # the names Open311 shows


def load_registry(uow, registry: dict) -> dict:
    """Replace intake's copy of regions (with SMS keywords) and categories (``RegistryCopyIn``
    loaded); the counts."""
    return uow.registry.replace(registry["regions"], registry["categories"], source="rpc")


# --- queries ----------------------------------------------------------------------------------------

def elsewhere(uow, tracking_id: str, route: str = "api_report") -> str | None:
    """The tracking URL (``/reports/<id>`` of the API, or the page ``/lacak/<id>``: ``route``) at the hub
    that issued ``tracking_id`` (None: this hub, or a hub the directory does not know)."""
    hub = hub_of(tracking_id)
    entry = transfer.hub_entry(uow.registry.hub_directory(), hub) if hub != uow.settings.hub_code else None
    if not entry or not entry.get("public_url"):
        return None
    return entry["public_url"].rstrip("/") + url_for(route, tracking_id=tracking_id)


def track_report(uow, query: dict) -> dict:
    """The API's tracking view of ``tracking_id`` in ``language``: ``{"view"}``, or ``{"elsewhere": url}``
    for a report of another hub; 400/404 otherwise."""
    canonical = parse_tracking_id(query["tracking_id"])
    if canonical is None:
        raise exceptions.invalid_tracking_id()
    report = uow.reports.with_history(canonical)
    if report is None and (url := elsewhere(uow, canonical)):
        return {"tracking_id": canonical, "elsewhere": url}
    if report is None:
        raise exceptions.report_not_found()
    return {"view": domain.tracking_view(report, query.get("language", "id"), uow.names.current())}


def tracking_page_elsewhere(uow, tracking_id) -> str | None:
    """For the tracking page of a report this hub does not hold: its page at the issuing hub."""
    return elsewhere(uow, tracking_id, "tracking") if isinstance(tracking_id, str) else None


def report_view(uow, tracking_id: str) -> dict | None:
    """The tracking view of a report (RPC ``get_report``), or None."""
    report = uow.reports.with_history(tracking_id)
    return None if report is None else domain.tracking_view(report, names=uow.names.current())


def verify_reporter(uow, query: dict) -> bool:
    """True when ``secret`` is the reporter secret issued with ``tracking_id`` (for followup)."""
    tracking_id = query["tracking_id"]
    canonical = parse_tracking_id(tracking_id) if isinstance(tracking_id, str) else None
    stored = uow.reports.secret_hash(canonical) if canonical else None
    return domain.secret_matches(stored, query["secret"])


def reporter_contact(uow, reporter_ref: str) -> dict | None:
    """For the notification service at send time; identity never travels in events."""
    report = uow.reports.by_reporter_ref(reporter_ref)
    return None if report is None else {**domain.reporter_contact(report),
                                        "tracking_url": tracking_page_elsewhere(uow, report["_id"])}


def reporter_contacts(uow, reporter_refs: list[str]) -> list[dict]:
    """``reporter_contact`` for a batch (the courier's claim): one query; unknown refs are left out."""
    reports = uow.reports.by_reporter_refs(sorted(set(reporter_refs))) if reporter_refs else []
    return [{**domain.reporter_contact(r), "tracking_url": tracking_page_elsewhere(uow, r["_id"])} for r in reports]


def page_view(uow, query: dict) -> dict | None:
    """A report as followup's tracking and public pages show it (``PageViewOut``), or None."""
    tracking_id = query["tracking_id"]
    canonical = parse_tracking_id(tracking_id) if isinstance(tracking_id, str) else None
    report = uow.reports.with_history(canonical) if canonical else None
    if report is None:
        return None
    lang = query.get("lang", "id")
    registry = uow.registry.current()
    categories = web_forms.names(web_forms.category_options(registry["category_docs"], lang))
    regions = web_forms.names(web_forms.region_options(registry["region_docs"]))
    verified = domain.secret_matches(report.get("secret_hash"), query.get("secret"))
    public = not report["is_confidential"] and report["status"] != "incomplete"
    item = web_forms.public_item(report)
    view = {**domain.tracking_view(report, lang, uow.names.current()), "reporter_verified": verified, "is_public": public,
            "category_name": categories.get(report.get("category_code")),
            "region_name": regions.get(report.get("region_code")),
            "attachment_count": len(report.get("attachments") or []),
            "reporter_name": item["reporter"] if public else None,
            "contact_erased": verified and report.get("personal_data_erased_at") is not None,
            "hub_case": hub_relay.case_view(uow, report, verified)}
    if verified or public:
        view.update({k: report.get(k) for k in ("description", "location_text", "incident_date")},
                    full_title=report.get("title"))
    return view


def report_count(uow) -> int:
    return uow.reports.count()

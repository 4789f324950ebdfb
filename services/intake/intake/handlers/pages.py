"""What intake's citizen pages read: a report by its tracking ID, the registry for the forms, the
public list (submissions, completions and uploads go through the same handlers as the API)."""
from __future__ import annotations

from contract import web as weblayer
from contract.ids import parse_tracking_id
from intake import completeness


def page_report(uow, tracking_id: str) -> dict:
    """The report a page is about (the 404 page when there is none)."""
    canonical = parse_tracking_id(tracking_id)
    report = uow.reports.get(canonical) if canonical else None
    if report is None:
        raise weblayer.NotFoundPage()
    return report


def form_registry(uow) -> dict:
    """The registry copy the report form offers (categories, regions)."""
    return uow.registry.current()


def receipt(uow, tracking_id: str) -> dict:
    """The receipt page's report, what it still misses, and the registry for the completion form."""
    report = page_report(uow, tracking_id)
    registry = uow.registry.current()
    missing = []
    if report["status"] == "incomplete":
        missing = completeness.missing_items(report, report["channel"], registry["categories"])
    return {"report": report, "missing": missing, "registry": registry}


def public_list(uow, query: dict) -> dict:
    """A page of the public list (``filters``, ``skip``, ``size``): the reports (one more than asked:
    is there a next page) and the registry for the filters."""
    found = uow.reports.public_page(query["filters"], query["skip"], query["size"])
    return {"found": found, "registry": uow.registry.current()}

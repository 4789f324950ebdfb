"""The citizen's tracking page and what it needs from intake (plumbing of followup's entrypoints):
intake's view of the report, the reporter's action relayed to the hub holding the report (issue 19),
and the page drawn from both and from this service's case. ``service`` is the entrypoint's worker
(its ``store``, ``intake`` proxy and settings)."""
from __future__ import annotations

import eventlet

from contract import registry_names
from contract.web import NotFoundPage, UnavailablePage
from followup import handlers, hub_case, views, web_pages
from followup.settings import case_not_found


def report_view(service, tracking_id: str, lang: str, secret: str | None) -> dict:
    """intake's view of the report (status, timeline, names; text when allowed)."""
    try:
        with eventlet.Timeout(service.store.settings.intake_timeout):
            report = service.intake.page_view(tracking_id, lang, secret)
    except eventlet.Timeout:
        raise UnavailablePage()
    if report is None:
        raise NotFoundPage()
    return report


def relay(service, page, tracking_id: str, action: str, form: dict) -> str | None:
    """The reporter's action sent to the hub holding the report (through intake); why not, or None."""
    try:
        with eventlet.Timeout(service.store.settings.intake_timeout):
            outcome = service.intake.relay_reporter_action(
                tracking_id, action, {k: v for k, v in form.items() if k != "secret"}, form["secret"])
    except eventlet.Timeout:
        raise UnavailablePage()
    if outcome.get("relayed"):
        return None
    if outcome["refused"] == "not_forwarded":  # handled here and no case yet: as before
        raise case_not_found()
    names = service.store.read(registry_names.current_names)
    return page._(f"relay.{outcome['refused']}", hub=registry_names.name_of(names, "hubs", outcome["hub"], page.lang))


def tracking(service, page, tracking_id: str, field_errors: dict, values=None, status: int = 200):
    report = report_view(service, tracking_id, page.lang, page.reporter_key(tracking_id))
    shown = service.store.read(handlers.tracking_page, tracking_id, page.lang, report["reporter_verified"])
    names = service.store.read(registry_names.current_names)
    holder = views.holder_elsewhere(report, names, page.lang)
    shown.update(views.reporter_journey(report, names, page.lang))
    if holder:  # the owner hub's case, kept here; the reporter's actions go there (issue 19)
        shown.update(hub_case.shown(report, page.lang))
    shown = {"can_add_evidence": False, "relay_blocked_by": None, **shown}
    error = page.request.args.get("error")
    return page.render("tracking.html", status=status, report=report, **shown, holder=holder,
                       names=names,
                       verified=report["reporter_verified"], errors=field_errors, values=values or {},
                       notice=web_pages.notice(page), error=error if error in web_pages.ERRORS else None)

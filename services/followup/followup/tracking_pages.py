"""The citizen's tracking page and what it needs from intake (plumbing of followup's entrypoints):
intake's view of the report, the reporter's action relayed to the hub holding the report (issue 19),
and the page drawn from both and from this service's case. ``service`` is the entrypoint's worker
(its ``store``, ``intake`` proxy and settings)."""
from __future__ import annotations

from contract import hubaction, registry_names
from contract.http import UPSTREAM_FAILURES, json_response, read_json, unavailable, upstream_failed
from contract.rpc import call_within
from contract.web import NotFoundPage, UnavailablePage, language_of
from followup import handlers, hub_case, schemas, views, web_pages
from followup.settings import case_not_found, wrong_secret


def report_view(service, tracking_id: str, lang: str, secret: str | None) -> dict:
    """intake's view of the report (status, timeline, names; text when allowed)."""
    report = ask_intake(service, UnavailablePage, "page_view", tracking_id, lang, secret)
    if report is None:
        raise NotFoundPage()
    return report


def ask_intake(service, unavailable, method: str, *args):
    """intake's answer to RPC ``method`` within the configured time (``contract.rpc.call_within``);
    ``unavailable()`` raised when intake does not answer in time, is not there at all (its RPC queue
    unknown to the broker) or the broker is gone, and also when intake fails (its ``RemoteError``,
    a reply the contract refuses): the reporter's request was loaded by followup's own schema and
    checked against the contract before it was sent, so intake's failure is not the reporter's to
    fix: a 503 to try again (the page's or the API's), never a 500, with intake's failure logged as
    an error naming it (``contract.http.upstream_failed``)."""
    try:
        return call_within(service.store.settings.intake_timeout, service.intake, f"intake.{method}", *args)
    except UPSTREAM_FAILURES as exc:
        upstream_failed(exc, f"intake.{method}")
        raise unavailable() from exc


def _relayed(service, tracking_id: str, action: str, form: dict, unavailable) -> dict:
    """intake's outcome of sending the reporter's action to the hub holding the report."""
    return ask_intake(service, unavailable, "relay_reporter_action", tracking_id, action,
                      {k: v for k, v in form.items() if k != "secret"}, form["secret"])


def relay(service, page, tracking_id: str, action: str, form: dict) -> str | None:
    """The reporter's action sent to the hub holding the report (through intake); why not, or None."""
    outcome = _relayed(service, tracking_id, action, form, UnavailablePage)
    if outcome.get("relayed"):
        return None
    if outcome["refused"] == "not_forwarded":  # handled here and no case yet: as before
        raise case_not_found()
    names = service.store.read(registry_names.current_names)
    return page._(f"relay.{outcome['refused']}", hub=registry_names.hub_name(names, outcome["hub"], page.lang))


def reporter_api(service, request, tracking_id: str, action: str, schema):
    """A reporter's reply (201, the message), rating or reopening (200, the case) over the API; for a
    report held at another hub, sent there as the page sends it (202, issue 19)."""
    form, lang = schema().load(read_json(request)), language_of(request)
    if relayed := relay_for_api(service, tracking_id, action, form, lang):
        return json_response(202, relayed)
    service._verify_reporter(service.store.read(handlers.find_case, tracking_id)["tracking_id"], form["secret"])
    done = service.store.run(handlers.REPORTER_ACTIONS[action], {"tracking_id": tracking_id, "form": form, "lang": lang})
    return json_response(201, schemas.MessageOut().dump(done)) if action == "reply" else json_response(200, done)


def relay_for_api(service, tracking_id: str, action: str, form: dict, lang: str) -> dict | None:
    """The API's reply, rating or reopening (``form`` loaded by its schema) of a report this hub has
    no case for: None when it has one (the caller applies it here); else sent, as the page sends it,
    to the hub holding the report: ``{"relayed_to", "action_id"}`` (202). 404 for a report unknown
    here or handled here without a case yet, 403 for a wrong secret, 409 ``relay_<why>`` naming the
    hub when the holder cannot take it now, 503 when intake does not answer."""
    canonical = handlers.canonical(tracking_id)
    if service.store.read(handlers.case_for_report, canonical) is not None:
        return None
    report = ask_intake(service, unavailable, "page_view", canonical, lang, form["secret"])
    if report is None:
        raise case_not_found()
    if not report["reporter_verified"]:
        raise wrong_secret()
    outcome = _relayed(service, canonical, action, form, unavailable)
    if outcome.get("relayed"):
        return {"relayed_to": outcome["hub"], "action_id": outcome["action_id"]}
    if outcome["refused"] == "not_forwarded":
        raise case_not_found()
    names = service.store.read(registry_names.current_names)
    raise hubaction.relay_refused(outcome["refused"], outcome["hub"], web_pages.ACTION_FIELDS[action], names)


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

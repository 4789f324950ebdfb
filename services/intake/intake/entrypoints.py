"""Intake's entrypoint decorators: errors mapped where nameko sees them.

- ``georeport(method, url)``: an Open311 entrypoint; errors answered as the standard's list of
  ``{code, description}`` in the format the path asks for (``.json`` or ``.xml``).
- ``citizen_page(method, url)``: a citizen's page (``contract.web.page``) whose error page is
  rendered with the service's ``web`` pages (intake also has the officials' pages).
- ``counted(channel)``: count a submission entrypoint's refusals (4xx) and 429s.
"""
from __future__ import annotations

import functools
import logging

from marshmallow import ValidationError
from pymongo.errors import DuplicateKeyError
from werkzeug.wrappers import Response

from contract import errors
from contract.http import UPSTREAM_FAILURES, error_response, json_response, read_json, upstream_unavailable
from contract.rpc import call_within
from contract.store import store_fault
from contract.webserver import RequestMappedEntrypoint
from intake import handlers, metrics, open311, pages, schemas
from intake.exceptions import Open311Error

log = logging.getLogger(__name__)
EXPECTED = (errors.ApiError, ValidationError, Open311Error)


def respond(kind: str, body, fmt: str, status: int = 200, headers: dict | None = None) -> Response:
    data, content_type = open311.render(kind, body, fmt)
    return Response(data, status=status, content_type=content_type, headers=headers)


def format_of(request) -> str:
    return "xml" if request.path.endswith(".xml") else "json"


def georeport_error(exc: BaseException, fmt: str) -> Response:
    """The Open311 answer to an exception: the standard's error list with its status."""
    if isinstance(exc, Open311Error):
        return respond("errors", open311.error_list([(exc.status, d) for d in exc.descriptions]), fmt, exc.status)
    if isinstance(exc, ValidationError):
        items = [(400, f"{e['field'] or 'request'}: {e['message']}")
                 for e in errors.from_validation_error(exc).errors]
        return respond("errors", open311.error_list(items), fmt, 400)
    if isinstance(exc, errors.ApiError):
        items = [(exc.status, e["message"]) for e in exc.errors]
        return respond("errors", open311.error_list(items), fmt, exc.status, getattr(exc, "headers", None))
    fault = store_fault(exc)
    if fault is not None:
        items = [(503, e["message"]) for e in fault.errors]
        return respond("errors", open311.error_list(items), fmt, 503, fault.headers)
    log.error("open311: unhandled error", exc_info=exc)
    return respond("errors", open311.error_list([(500, errors.standard_messages("internal", "")[0])]), fmt, 500)


class GeoReportEntrypoint(RequestMappedEntrypoint):
    """An Open311 entrypoint: the exception reaches nameko (``worker_result``, the error metrics),
    then is answered in the request's format."""

    def __init__(self, method, url, expected_exceptions=EXPECTED, **kwargs):
        super().__init__(method, url, expected_exceptions=expected_exceptions, **kwargs)

    def answer_error(self, request, exc: BaseException) -> Response:
        return georeport_error(exc, format_of(request))


georeport = GeoReportEntrypoint.decorator


def counted(channel: str, answer=lambda exc, request: error_response(exc, "counted")):
    """Count an HTTP entrypoint's 4xx answers as rejections (by their first error code) and its
    429s as rate-limited submissions; ``answer(exc, request)``: the response an error becomes."""
    def decorate(handler):
        @functools.wraps(handler)
        def wrapper(self, request, *args, **kwargs):
            try:
                response = handler(self, request, *args, **kwargs)
            except EXPECTED as exc:
                refused(channel, answer(exc, request))
                raise
            refused(channel, response)
            return response
        return wrapper
    return decorate


def counted_open311(handler):
    return counted("open311", lambda exc, request: georeport_error(exc, format_of(request)))(handler)


def refused(channel: str, response) -> None:
    if response.status_code == 429:
        metrics.rate_limited(channel)
    elif 400 <= response.status_code < 500:
        metrics.rejected(channel, response)


# --- plumbing the entrypoints share -------------------------------------------------------------

def wants_a_page(request) -> bool:
    """A browser asking for HTML rather than JSON (``Accept: text/html``); curl and API clients,
    sending ``*/*`` or ``application/json``, get JSON."""
    return request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html"


def receipt_response(status: int, receipt: dict):
    body = schemas.ReceiptOut().dump(receipt)
    return json_response(status, body, {"Location": body["tracking_url"]})


def channel_body(request) -> dict:
    """JSON, or a form-encoded body as SMS gateways often post it."""
    if request.mimetype == "application/x-www-form-urlencoded":
        return request.form.to_dict()
    return read_json(request)


def submitted(store, handler, command):
    """``handler`` committed with concurrent submissions (group commit).  A submission whose
    idempotency key a concurrent one stored first runs again: it is then that one's replay."""
    try:
        return store.together(handler, command)
    except DuplicateKeyError:
        return store.together(handler, command)


NOTIFICATION_TIMEOUT = 5.0  # seconds a data-subject export waits for notification.for_report


def notifications_of(notification, tracking_id: str) -> list[dict]:
    """What notification holds about a report (RPC ``notification.for_report``, ``contract.rpc.call_within``),
    or 503 when it does not answer in time or fails (its ``RemoteError``, a reply the contract refuses:
    logged as an error naming it, ``contract.http.upstream_unavailable``): an export is complete or
    not given, and notification's failure is not the admin's request's fault, so never a 500."""
    try:
        return list(call_within(NOTIFICATION_TIMEOUT, notification, "notification.for_report", tracking_id) or [])
    except UPSTREAM_FAILURES as exc:
        raise upstream_unavailable(exc, f"notification.for_report, a data-subject export of {tracking_id}") from exc


def evidence_from_page(store, request, report: dict) -> str | None:
    """The evidence a reporter uploads on a report's page, stored (or relayed to the hub holding the
    report): None, or the error code the page shows (``evidence_invalid``, ``evidence_too_many``,
    ``relay_<why>`` when the holding hub cannot take it now, issue 19)."""
    try:
        files = pages.uploads(request, report["is_anonymous"], store.settings.evidence_max_files, required=True)
        relayed = store.run(handlers.add_evidence_files, {"tracking_id": report["_id"], "files": files})
    except errors.ApiError as exc:
        return "evidence_too_many" if exc.status == 409 or "too many" in str(exc.errors) else "evidence_invalid"
    if relayed and relayed.get("refused"):
        return f"relay_{relayed['refused']}"
    return None

"""HTTP helpers for nameko ``@http`` entrypoints: JSON in and out, one error format."""
from __future__ import annotations

import ipaddress
import json
import logging
import re
from datetime import date, datetime

from marshmallow import ValidationError
from nameko.exceptions import RemoteError
from werkzeug.wrappers import Response

from contract import admission, errors, i18n, inputs, metrics, progress, webserver
from contract.rpc import ReplyRefused, Unavailable
from contract.store import store_fault


log = logging.getLogger(__name__)


def _default(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def json_response(status: int, body, headers: dict | None = None) -> Response:
    return Response(json.dumps(body, default=_default, ensure_ascii=False), status=status,
                    headers=headers, content_type="application/json; charset=utf-8")


_UNSAFE_IN_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


def safe_filename(name: str | None, default: str = "file") -> str:
    """A file name reduced to letters, digits, ``.``, ``_`` and ``-`` (at most 100 characters, no
    leading dot): what a user or another hub sent never reaches a header or a path as it is."""
    cleaned = re.sub("_+", "_", _UNSAFE_IN_FILENAME.sub("_", name or "")).strip("._")[:100].strip("._")
    return cleaned or default


def attachment(filename: str | None, default: str = "file") -> str:
    """A ``Content-Disposition`` value for a download named (safely) ``filename``."""
    return f'attachment; filename="{safe_filename(filename, default)}"'


def csv_response(body: str, filename: str) -> Response:
    """A CSV download (UTF-8) named ``filename``.csv."""
    return Response(body, status=200, content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": attachment(f"{filename}.csv")})


def _trusted(address: str, networks: list) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def trusted_networks(trusted_proxies: str | None) -> list:
    """The networks of a comma-separated list of addresses or networks (what does not parse is left out)."""
    networks = []
    for item in (p.strip() for p in (trusted_proxies or "").split(",")):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            continue
    return networks


def client_address(request, trusted_proxies: str | None) -> str:
    """The caller's address. ``X-Forwarded-For`` is believed only from a trusted proxy (the front
    door; ``trusted_proxies`` lists addresses or networks, comma-separated, e.g.
    ``127.0.0.1,10.0.0.0/8``): then the nearest hop that is not itself a trusted proxy. From
    anyone else the header is ignored: it is the caller's to forge."""
    networks = trusted_networks(trusted_proxies)
    remote = request.remote_addr or ""
    if not _trusted(remote, networks):
        return remote
    hops = [h.strip() for h in request.headers.get("X-Forwarded-For", "").split(",") if h.strip()]
    return next((hop for hop in reversed(hops) if not _trusted(hop, networks)), remote)


def is_json(request) -> bool:
    mimetype = (request.mimetype or "").lower()
    return mimetype == "application/json" or (mimetype.startswith("application/") and mimetype.endswith("+json"))


def read_json(request) -> dict:
    """The request body as a JSON object, or an ApiError naming the problem (not sent as JSON: 415,
    so that a cross-site form, which can only send text/plain or form encodings, files nothing; not
    JSON, nested too deep, text that cannot be stored: see ``contract.inputs``)."""
    if not is_json(request):
        raise errors.ApiError([errors.error("Content-Type", "unsupported_media_type")], status=415)
    body = inputs.loads_json(request.get_data(cache=True))
    if not isinstance(body, dict):
        raise errors.ApiError([errors.translated(None, "invalid_json", i18n.common(), "api.body_not_object")])
    return body


UNAVAILABLE_RETRY_SECONDS = 5  # what a 503 of the API asks a client to wait, unless it says otherwise


UPSTREAM_FAILURES = (Unavailable, RemoteError, ReplyRefused)  # another service's, not the caller's


def unavailable() -> errors.ApiError:
    """The API's 503 "try again later" (``error_response`` adds Retry-After to every 503)."""
    return errors.ApiError([errors.error(None, "unavailable")], status=503)


def upstream_failed(exc: BaseException, where: str) -> None:
    """Log another service's failure to answer ``where``: not answering (``contract.rpc.Unavailable``)
    as a warning; failing (its own error, a ``RemoteError``, or a reply the contract refuses,
    ``ReplyRefused``) as an error naming it, so that the other service's bug is seen."""
    if isinstance(exc, Unavailable):
        log.warning("%s: %s", where, exc)
    else:
        log.error("%s: the other service failed: %s: %s", where, type(exc).__name__, exc)


def upstream_unavailable(exc: BaseException, where: str) -> errors.ApiError:
    """The API's 503 (Retry-After added by ``error_response``) for a service it needs that did not
    answer or failed (``UPSTREAM_FAILURES``, logged by ``upstream_failed``): the client, who can do
    nothing but try again, gets 503, never a 500 for another service's failure. Raise it ``from exc``."""
    upstream_failed(exc, where)
    return unavailable()


def error_response(exc: BaseException, where: str) -> Response:
    """The contract's error format for an exception an API entrypoint raised: ApiError as it says,
    a ValidationError as 400 naming the fields, a store outage as 503 with Retry-After, anything
    else as a 500 that leaks no traceback."""
    if isinstance(exc, errors.ApiError):
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status == 503:  # unavailable: every 503 says when to try again
            headers.setdefault("Retry-After", str(UNAVAILABLE_RETRY_SECONDS))
        return json_response(exc.status, exc.to_dict(), headers or None)
    if isinstance(exc, ValidationError):
        err = errors.from_validation_error(exc)
        return json_response(err.status, err.to_dict())
    fault = store_fault(exc)
    if fault is not None:  # the store is down: say so, and when to try again
        log.warning("store unreachable in %s: %s", where, type(exc).__name__)
        return json_response(fault.status, fault.to_dict(), fault.headers)
    log.error("unhandled error in %s", where, exc_info=exc)
    return json_response(500, {"errors": [errors.error(None, "internal")]})


class ApiEntrypoint(webserver.HttpEntrypoint):
    """``@endpoint(method, url)``: an HTTP entrypoint of the JSON API whose errors are mapped where
    nameko sees them (``response_from_exception``, as nameko-examples' gateway does), so an
    exception still rolls the unit of work back and reaches ``worker_result`` and the metrics.

    ``admission=True`` (issue 23, ``contract.admission``): before any work (no worker, no body read),
    a request the service's group committer cannot commit within its admission budget is refused,
    503 + Retry-After (the requests of this entrypoint already admitted and not yet answered count as
    ahead of it: those still waiting for a worker are in no queue yet); its arrival is the front door's
    ``X-Request-Start`` when it came from a trusted proxy (``TRUSTED_PROXIES``), and the worker's group
    commit counts its deadline from there."""

    def __init__(self, method, url, expected_exceptions=(errors.ApiError, ValidationError), admission=False,
                 **kwargs):
        super().__init__(method, url, expected_exceptions=expected_exceptions, **kwargs)
        self.admission = admission
        self.admitted = 0  # requests admitted and not yet answered

    def setup(self):
        super().setup()
        self.proxies = trusted_networks(self.container.config.get("TRUSTED_PROXIES", "127.0.0.1,::1"))

    def handle_request(self, request):
        if self.admission:
            header = request.headers.get("X-Request-Start")
            arrived = request.environ[admission.ARRIVED] = admission.arrival(
                request.environ, header, bool(header) and _trusted(request.remote_addr or "", self.proxies))
            try:
                admission.admit(self.container.service_name, arrived, self.admitted)
            except admission.Overloaded as refused:
                return self.response_from_exception(refused)
            self.admitted += 1
            try:
                return super().handle_request(request)
            finally:
                self.admitted -= 1
        return super().handle_request(request)

    def response_from_exception(self, exc):
        return error_response(exc, self.method_name)


endpoint = ApiEntrypoint.decorator


def metrics_response() -> Response:
    body, content_type = metrics.exposition()
    return Response(body, status=200, content_type=content_type)


class HealthAndMetrics:
    """Mixin for a service class: ``GET /health`` (its ``health`` RPC) and ``GET /metrics``
    (Prometheus) on the service's own HTTP port.

    A service whose gauges are computed at scrape time overrides ``refresh_metrics``; a failure
    there is logged and the scrape still answers.
    """

    def refresh_metrics(self) -> None:
        """Update gauges that are computed at scrape time (none by default)."""

    @webserver.http("GET", "/health")
    def health_http(self, request):
        """200 with the service's health, or 503 naming the background parts that stopped making
        progress (``contract.progress``: group commit, outbox relay, event consumer, other loops)."""
        parts = progress.stuck(self.name)
        if parts:
            return json_response(503, {"service": self.name, "status": "stuck", "stuck": parts},
                                 {"Retry-After": "30"})
        return json_response(200, self.health())

    @webserver.http("GET", "/metrics")
    def metrics_http(self, request):
        progress.stuck(self.name)  # lapor_component_stuck, as of this scrape
        try:
            self.refresh_metrics()
        except Exception:  # a scrape must answer even when the store does not
            log.warning("could not refresh scrape-time metrics", exc_info=True)
        return metrics_response()

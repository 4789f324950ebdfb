"""Every response of a service passes here (``secured``: nosniff everywhere, the pages' security
headers on whatever a browser renders). Routing misses (unknown path: 404; known path, other
method: 405 with ``Allow``) are answered in the contract's error format instead of werkzeug's HTML
page, by every service; so are nameko's plain-text "Error: <type>: <value>" answers (never the
exception's text).

nameko's ``WebServer`` turns a werkzeug routing exception into its HTML page before any
entrypoint runs, so no entrypoint decorator can see it. Every HTTP entrypoint of the services
(``contract.http.endpoint``, ``contract.web.page``, the officials' pages, Open311, ``/health``,
``/metrics``, ``/assets``) shares this module's ``WebServer``, whose WSGI app renders those in the
documented format: ``{"errors": [...]}``, or the Open311 error
list (JSON or XML, by the path's extension) under ``/open311/``.
"""
from __future__ import annotations

import json
import time
from xml.sax.saxutils import escape

from functools import partial

from eventlet.event import Event
from nameko.web import server as nameko_server
from nameko.web.handlers import HttpRequestHandler
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Request, Response

from contract import errors
from contract.admission import ARRIVED

CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                           "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
                           "base-uri 'none'; object-src 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
RENDERED = ("text/html", "application/xhtml+xml", "image/svg+xml")

_CODES = {404: "not_found", 405: "method_not_allowed", 413: "too_large", 414: "too_large", 431: "too_large",
          500: "internal", 503: "unavailable"}


def error_response(status: int, path: str, headers: list[tuple[str, str]] | None = None) -> Response:
    """The error body a client of ``path`` reads, for an HTTP ``status`` no entrypoint produced."""
    item = errors.error(None, _CODES.get(status, "bad_request"))
    kept = [(k, v) for k, v in headers or [] if k.lower() not in ("content-type", "content-length")]
    if path.startswith("/open311/"):
        if path.endswith(".xml"):
            body = (f'<?xml version="1.0" encoding="utf-8"?><errors><error><code>{status}</code>'
                    f'<description>{escape(item["message"])}</description></error></errors>')
            return Response(body, status=status, headers=kept, content_type="text/xml; charset=utf-8")
        body = json.dumps([{"code": status, "description": item["message"]}])
    else:
        body = json.dumps({"errors": [item]}, ensure_ascii=False)
    return Response(body, status=status, headers=kept, content_type="application/json; charset=utf-8")


class JsonErrorsWsgiApp(nameko_server.WsgiApp):
    """nameko's WsgiApp, with routing errors in the contract's format."""

    def __call__(self, environ, start_response):
        environ.setdefault(ARRIVED, time.monotonic())  # when this process first saw it (contract.admission)
        request = Request(environ, shallow=True)
        adapter = self.url_map.bind_to_environ(environ)
        try:
            provider, values = adapter.match()
            request.path_values = values
            response = provider.handle_request(request)
        except HTTPException as exc:
            response = error_response(exc.code or 400, request.path, exc.get_headers(environ))
        if response.status_code >= 400 and response.mimetype == "text/plain":
            # nameko's own "Error: <type>: <value>" answer (an entrypoint without contract.http.api,
            # a worker that could not run): the error format, without the exception's text
            response = error_response(response.status_code, request.path)
        return secured(response)(environ, start_response)


def secured(response: Response) -> Response:
    """Every answer of every service: ``nosniff`` (a browser never guesses a type, e.g. JSON or an
    upload as HTML), and on anything a browser renders (pages, printable reports) the pages'
    security headers, where the handler set none of its own."""
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    if (response.mimetype or "") in RENDERED:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
    return response


class WebServer(nameko_server.WebServer):
    """nameko's shared web server answering through ``JsonErrorsWsgiApp`` (as nameko's docs suggest:
    a subclass overriding ``get_wsgi_app``). Every HTTP entrypoint of a service must use it (one
    server per port): ``HttpEntrypoint`` and its subclasses do."""

    def get_wsgi_app(self):
        return JsonErrorsWsgiApp(self)


class HttpEntrypoint(HttpRequestHandler):
    """nameko's ``@http`` on the contract's web server (routing misses in the error format, every
    answer ``secured``)."""
    server = WebServer()


http = HttpEntrypoint.decorator


class RequestMappedEntrypoint(HttpEntrypoint):
    """An HTTP entrypoint whose errors are answered with the request at hand (a page in the reader's
    language, an Open311 list in the path's format): as nameko's own ``handle_request``, the
    exception reaches ``worker_result`` and the metrics first; ``answer_error(request, exc)`` then
    makes the answer."""

    def handle_request(self, request):
        request.shallow = False
        try:
            context_data = self.server.context_data_from_headers(request)
            args, kwargs = self.get_entrypoint_parameters(request)
            self.check_signature(args, kwargs)
            event = Event()
            self.container.spawn_worker(self, args, kwargs, context_data=context_data,
                                        handle_result=partial(self.handle_result, event))
            return self.response_from_result(event.wait())
        except Exception as exc:
            return self.answer_error(request, exc)

    def answer_error(self, request, exc: BaseException) -> Response:
        raise NotImplementedError

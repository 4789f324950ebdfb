"""The shared web layer for every service that renders pages (see docs/web.md).

- ``Catalogue`` (``contract.i18n``, the one translation mechanism): bilingual messages (Bahasa
  Indonesia + English) from YAML files, the contract's common file first, then the service's own.
- ``WebPages``: a DependencyProvider giving a service a ``Web`` (Jinja2 environment with
  autoescape, the service's templates before the contract's base layout, the catalogue and the
  CSRF signer).
- ``Page``: one request's view: language (``?lang=`` -> cookie -> ``Accept-Language`` -> ``id``),
  font size (``?size=`` -> cookie), CSRF token; it renders templates and redirects
  (POST-redirect-GET) and sets its cookies and the security headers on every response.
- ``html``: decorator for ``@http`` page handlers: a bad CSRF token answers 403, ``NotFoundPage``
  404, anything unexpected a 500 page (never a traceback), all as HTML with the headers.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import secrets
from pathlib import Path
from urllib.parse import urlencode

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined
from nameko.extensions import DependencyProvider
from marshmallow import ValidationError
from werkzeug.wrappers import Response

from contract import errors, i18n, registry_names, routes, webdates
from contract.i18n import COMMON_MESSAGES, DEFAULT_LANG, LANGS, Catalogue  # noqa: F401  (the one mechanism)

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
SIZES = ("normal", "large", "xlarge")
LANG_COOKIE, SIZE_COOKIE, CSRF_COOKIE = "lapor_lang", "lapor_size", "lapor_csrf"
REPORTER_KEY_COOKIE = "lapor_key_"  # + tracking ID: the reporter's secret for this browser session
CSRF_FIELD = "csrf_token"
MESSAGE_KEY = re.compile(r"""\b_\(\s*["']([A-Za-z0-9_.]+)["']\s*[,)]""")
YEAR = 365 * 24 * 3600

from contract.webserver import CONTENT_SECURITY_POLICY, SECURITY_HEADERS  # noqa: E402,F401  (one set)
from contract.webserver import RequestMappedEntrypoint, http  # noqa: E402


class CsrfSigner:
    """Signed double-submit tokens: ``nonce.hmac(secret, nonce[|binding])`` in a cookie and the
    same value in every form; a POST passes only when both are present, equal and signed by us.
    ``binding`` (e.g. an official's session id) ties a token to a session."""

    def __init__(self, secret: bytes):
        self.secret = secret

    def _sign(self, nonce: str, binding: str) -> str:
        return hmac.new(self.secret, f"{nonce}|{binding}".encode(), hashlib.sha256).hexdigest()[:32]

    def new(self, binding: str = "") -> str:
        nonce = secrets.token_urlsafe(18)
        return f"{nonce}.{self._sign(nonce, binding)}"

    def valid(self, token: str | None, binding: str = "") -> bool:
        if not token or token.count(".") != 1:
            return False
        nonce, signature = token.split(".")
        return hmac.compare_digest(signature, self._sign(nonce, binding))


class CsrfError(Exception):
    """A form came without a valid CSRF token (answered 403)."""


class NotFoundPage(Exception):
    """The page's subject does not exist (answered 404 with the page layout)."""


UNAVAILABLE_RETRY_SECONDS = 5


class UnavailablePage(Exception):
    """Another service the page needs did not answer in time (answered 503)."""


def new_form_id() -> str:
    """A random id for one rendering of a form (an idempotency key: a form sent twice counts once)."""
    return "form-" + secrets.token_urlsafe(16)


def html_response(body: str, status: int = 200, headers: dict | None = None) -> Response:
    """An HTML response carrying the security headers (and never cached: pages hold tokens)."""
    response = Response(body, status=status, content_type="text/html; charset=utf-8", headers=headers)
    return secure(response)


def secure(response: Response) -> Response:
    """Add the security headers to any response a page handler returns."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def local_path(location: str) -> str:
    """``location`` if it is a path on this origin, else ``/`` (no open redirects)."""
    if not location.startswith("/") or location.startswith("//") or "\\" in location:
        return "/"
    return location


def redirect(location: str, status: int = 303) -> Response:
    """POST-redirect-GET: 303 to a local path, with the security headers."""
    response = Response("", status=status, headers={"Location": local_path(location)})
    return secure(response)


ASSET_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
               ".svg": "image/svg+xml", ".png": "image/png", ".ico": "image/x-icon"}


def asset_version(name: str) -> str:
    """A short content hash of a static asset, for cache-busting URLs."""
    return hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:10]


def static_response(name: str) -> Response:
    """A file of the contract's static folder (``/assets/<name>``); 404 for anything else."""
    path = (STATIC / name).resolve()
    if path.parent != STATIC.resolve() or not path.is_file() or path.suffix not in ASSET_TYPES:
        return secure(Response("not found", status=404, content_type="text/plain; charset=utf-8"))
    response = Response(path.read_bytes(), status=200, content_type=ASSET_TYPES[path.suffix])
    response.headers["Cache-Control"] = "public, max-age=86400"
    return secure(response)


class Web:
    """A service's page renderer: templates (the service's, then the contract's) and messages."""

    def __init__(self, templates: Path | str | None = None, messages: Path | str | None = None,
                 secret: bytes | None = None):
        folders = [str(templates)] if templates else []
        self.env = Environment(loader=ChoiceLoader([FileSystemLoader(folders + [str(TEMPLATES)])]),
                               autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
        self.env.filters.update(day=webdates.day, moment=webdates.moment, typed_date=webdates.typed_date)
        self.env.globals.update(date_pattern=webdates.DATE_PATTERN, date_hint=webdates.DATE_HINT,
                                url_for=routes.url_for)  # every link from the one route table
        registry_names.register(self.env)  # ``code|named(kind)``: the one way a code becomes a name
        self.catalogue = Catalogue(*([COMMON_MESSAGES] + ([messages] if messages else [])))
        self.csrf = CsrfSigner(secret or secrets.token_bytes(32))
        self.assets = {name: asset_version(name) for name in os.listdir(STATIC)}

    def page(self, request, binding: str = "") -> "Page":
        return Page(self, request, binding)

    def missing_messages(self) -> list[tuple[str, str]]:
        """(template, key) of every literal ``_("key")`` in the templates that the catalogue
        lacks (keys built at render time, ``_("a." ~ x)``, are the tests' business)."""
        missing = []
        for folder in self.env.loader.loaders[0].searchpath:
            for path in sorted(Path(folder).rglob("*.html")):
                for key in MESSAGE_KEY.findall(path.read_text(encoding="utf-8")):
                    if key not in self.catalogue:
                        missing.append((str(path), key))
        return missing


def choose_language(request) -> tuple[str, bool]:
    """(language, chosen now): ``?lang=`` switch, then the cookie, then ``Accept-Language``, then id."""
    asked = request.args.get("lang")
    if asked in LANGS:
        return asked, True
    remembered = request.cookies.get(LANG_COOKIE)
    if remembered in LANGS:
        return remembered, False
    best = request.accept_languages.best_match(LANGS) if request.accept_languages else None
    return best or DEFAULT_LANG, False


def language_of(request) -> str:
    """The one language negotiation, for pages and APIs alike: ``?lang=``, the cookie the language
    switch set, ``Accept-Language`` (``en-US`` is English), else Bahasa Indonesia."""
    return choose_language(request)[0]


def choose_size(request) -> tuple[str, bool]:
    asked = request.args.get("size")
    if asked in SIZES:
        return asked, True
    remembered = request.cookies.get(SIZE_COOKIE)
    return (remembered if remembered in SIZES else SIZES[0]), False


class Page:
    """One request's view of the site; collects the cookies its response must set."""

    def __init__(self, web: Web, request, binding: str = ""):
        self.web, self.request, self.binding = web, request, binding
        self.lang, self._lang_chosen = choose_language(request)
        self.size, self._size_chosen = choose_size(request)
        token = request.cookies.get(CSRF_COOKIE)
        self._new_token = not web.csrf.valid(token, binding)
        self.csrf_token = web.csrf.new(binding) if self._new_token else token
        self._set: list[tuple[str, str]] = []
        self._forget: list[str] = []

    def _(self, key: str, **values) -> str:
        return self.web.catalogue.text(key, self.lang, **values)

    def url_with(self, **params) -> str:
        """The current path with query parameters replaced (None removes one)."""
        query = {k: v for k, v in self.request.args.items() if k not in params}
        query.update({k: v for k, v in params.items() if v is not None})
        return self.request.path + (f"?{urlencode(query)}" if query else "")

    def asset(self, name: str) -> str:
        return routes.url_for("asset", name=name, v=self.web.assets.get(name, "0"))

    def field_errors(self, exc) -> dict[str, str]:
        """An ApiError or ValidationError as {field: message in this page's language}; nested
        fields are named as form fields are (``reporter.email`` -> ``reporter_email``)."""
        if isinstance(exc, ValidationError):
            exc = errors.from_validation_error(exc)
        found: dict[str, str] = {}
        for item in exc.errors:
            text = i18n.localized(item, self.lang, "message_id", "message")
            field = (item.get("field") or "form").replace(".", "_")
            found.setdefault(field, text or item.get("code", ""))
        return found

    def reporter_key(self, tracking_id: str) -> str | None:
        """The secret this browser holds for a report (set at submission or by unlocking)."""
        return self.request.cookies.get(REPORTER_KEY_COOKIE + tracking_id) or None

    def remember_reporter_key(self, tracking_id: str, secret: str) -> None:
        """Keep the reporter's secret for this browser session (HttpOnly, not sent cross-site)."""
        self._set.append((REPORTER_KEY_COOKIE + tracking_id, secret))

    def forget_reporter_key(self, tracking_id: str) -> None:
        self._forget.append(REPORTER_KEY_COOKIE + tracking_id)

    def check_csrf(self) -> None:
        """Refuse a POST whose form token is missing, differs from the cookie, or is not ours."""
        sent = self.request.form.get(CSRF_FIELD)
        cookie = self.request.cookies.get(CSRF_COOKIE)
        if not sent or sent != cookie or not self.web.csrf.valid(sent, self.binding):
            raise CsrfError()

    def render(self, template: str, status: int = 200, **context) -> Response:
        body = self.web.env.get_template(template).render(page=self, _=self._, lang=self.lang, **context)
        return self.finish(html_response(body, status=status))

    def redirect(self, location: str) -> Response:
        return self.finish(redirect(location))

    def finish(self, response: Response) -> Response:
        """Set the remembered choices and the CSRF cookie on ``response``."""
        secure_cookie = self.request.scheme == "https" or self.request.headers.get("X-Forwarded-Proto") == "https"
        common = {"path": "/", "secure": secure_cookie, "samesite": "Lax"}
        if self._lang_chosen:
            response.set_cookie(LANG_COOKIE, self.lang, max_age=YEAR, **common)
        if self._size_chosen:
            response.set_cookie(SIZE_COOKIE, self.size, max_age=YEAR, **common)
        if self._new_token:
            response.set_cookie(CSRF_COOKIE, self.csrf_token, httponly=True, **common)
        for name, value in self._set:
            response.set_cookie(name, value, httponly=True, **common)
        for name in self._forget:
            response.delete_cookie(name, path="/", secure=secure_cookie, samesite="Lax", httponly=True)
        vary = response.headers.get("Vary")
        response.headers["Vary"] = ", ".join(filter(None, [vary, "Accept-Language, Cookie"]))
        return response


def error_page(web: "Web | None", request, exc: BaseException, where: str) -> Response:
    """The HTML answer to an exception a page raised: CSRF -> 403, ``NotFoundPage`` -> 404,
    ``UnavailablePage`` or a store outage -> 503, anything else -> 500, in the page's language."""
    from contract.store import store_fault
    if isinstance(exc, CsrfError):
        status, reason = 403, "csrf"
    elif isinstance(exc, NotFoundPage):
        status, reason = 404, "not_found"
    elif isinstance(exc, UnavailablePage) or store_fault(exc) is not None:
        status, reason = 503, "unavailable"
    else:
        log.error("unhandled error in page %s", where, exc_info=exc)
        status, reason = 500, "internal"
    try:
        response = web.page(request).render("error.html", status=status, reason=reason)
    except Exception:
        log.exception("the error page failed too")
        response = html_response("<!doctype html><title>Error</title><p>Terjadi kesalahan / An error occurred.",
                                 status=status)
    if status == 503:  # a passing fault: the browser (and a crawler) may try again
        response.headers["Retry-After"] = str(UNAVAILABLE_RETRY_SECONDS)
    return response


class PageEntrypoint(RequestMappedEntrypoint):
    """``@page(method, url)``: an HTML page whose errors are mapped where nameko sees them (the
    exception still rolls the unit of work back and reaches ``worker_result`` and the metrics).
    The error page is rendered with the service's ``WebPages`` dependency."""

    def __init__(self, method, url, expected_exceptions=(CsrfError, NotFoundPage), **kwargs):
        super().__init__(method, url, expected_exceptions=expected_exceptions, **kwargs)

    def answer_error(self, request, exc: BaseException) -> Response:
        return error_page(self._web(), request, exc, self.method_name)

    pages_class: type | None = None  # the WebPages class whose templates render the error page

    def _web(self) -> "Web | None":
        """The citizens' pages (the dependency named ``web``, else a plain ``WebPages``): a service
        may also have the officials' pages, a subclass, which must not render a citizen's error."""
        wanted = self.pages_class or WebPages
        candidates = [d for d in self.container.dependencies if isinstance(d, wanted)]
        chosen = next((d for d in candidates if self.pages_class is None and getattr(d, "attr_name", None) == "web"),
                      None) or next((d for d in candidates if type(d) is wanted), None) or \
            next(iter(candidates), None)
        return chosen.web if chosen is not None else None


page = PageEntrypoint.decorator


class WebPages(DependencyProvider):
    """Gives a service its ``Web``; ``WEB_SECRET`` (config, from ``LAPOR_WEB_SECRET``) signs the
    CSRF tokens and must be the same for every service of a stack (the cookie is shared by the
    origin). Without it a random per-process secret is used, which is fine for one process only."""

    def __init__(self, templates: Path | str | None = None, messages: Path | str | None = None):
        self.templates, self.messages = templates, messages
        self.web: Web | None = None

    def setup(self):
        secret = str(self.container.config.get("WEB_SECRET") or os.environ.get("LAPOR_WEB_SECRET") or "")
        if not secret:
            log.warning("WEB_SECRET is not set: CSRF tokens are signed with a per-process secret")
        self.web = Web(self.templates, self.messages, secret.encode() or None)

    def get_dependency(self, worker_ctx):
        return self.web


class WebAssets:
    """Mixin for a service class: ``GET /assets/<name>`` serves the contract's static files (the
    front door serves the same folder itself; this keeps a service usable on its own port)."""

    @http("GET", "/assets/<string:name>")
    def assets_http(self, request, name):
        return static_response(name)

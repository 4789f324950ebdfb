"""Officials' pages on top of the shared web layer (``contract.web``): one decorator that every
service's official page uses, so sign-in, roles, CSRF and errors are handled the same way.

- ``OfficialPages``: the service's ``WebPages`` for official pages, with the officials' layout
  (``officials_layout.html``: the officials' menu and sign-out) and messages (``officials.yml``).
- ``official_page(roles)``: a visitor without a session (or token) is sent to the sign-in page
  and back; the page's CSRF token is bound to the session; a POST needs it; the official must
  belong to the service's hub and have one of ``roles``; the API's errors (``ApiError`` from the
  same scope checks the JSON API uses) become pages: 404 "not found" for a report outside the
  official's scope, 403, 409 and 400 with the API's message, 503 "busy".
"""
from __future__ import annotations

import functools
import logging
from pathlib import Path

from jinja2 import ChoiceLoader, FileSystemLoader
from urllib.parse import quote

from contract import i18n, routes, web, webdates
from contract.auth import ROLES, SESSION_COOKIE, session_id
from contract.errors import ApiError

log = logging.getLogger(__name__)

OFFICIAL_MESSAGES = Path(__file__).parent / "officials.yml"
OFFICIAL_TEMPLATES = Path(__file__).parent / "officials_templates"
SIGN_IN = routes.url_for("sign_in")
HOME = routes.url_for("officials_home")


class OfficialPages(web.WebPages):
    """``WebPages`` for officials' pages: the officials' templates and messages (contract) after
    the service's own templates and before the service's messages."""

    def setup(self):
        super().setup()
        officials_web(self.web, self.templates, self.messages)


def officials_web(pages: web.Web, templates=None, messages=None) -> web.Web:
    """Give a ``Web`` the officials' layout and messages (also used by the unit tests). The
    officials' ``error.html`` comes before the citizens' one, so every error of an official page
    (404, 403, 503, 500 from ``web.error_page``) keeps the officials' layout and menu."""
    folders = ([str(templates)] if templates else []) + [str(OFFICIAL_TEMPLATES), str(web.TEMPLATES)]
    pages.env.loader = ChoiceLoader([FileSystemLoader(folders)])
    pages.env.filters["local_time"] = webdates.official_moment  # the one time zone rule
    pages.catalogue = web.Catalogue(web.COMMON_MESSAGES, OFFICIAL_MESSAGES, *([messages] if messages else []))
    return pages


def sign_in_redirect(page: web.Page, request) -> object:
    target = request.full_path.rstrip("?") if request.method == "GET" else HOME
    return page.redirect(f"{SIGN_IN}?next={quote(target, safe='/')}")


def problem_page(page: web.Page, exc: ApiError):
    """The page for an API error: its first message in the page's language (404/503 generic)."""
    if exc.status == 404:
        return page.render("error.html", status=404, reason="not_found")
    if exc.status == 503:
        return page.render("error.html", status=503, reason="unavailable")
    if exc.status == 403 and exc.errors and exc.errors[0].get("code") == "csrf":
        return page.render("error.html", status=403, reason="csrf")
    messages = [i18n.localized(e, page.lang, "message_id", "message") or e.get("code") for e in exc.errors]
    return page.render("officials_problem.html", status=exc.status, messages=messages)


def official_page(roles: tuple[str, ...] = ROLES, signed_in: bool = True):
    """Decorate ``handler(self, request, page, principal, *args)`` of a service that has
    ``official_web = OfficialPages(...)``, ``auth = Auth()`` (or routing's) and ``config``.
    ``signed_in=False`` for the sign-in pages themselves: ``principal`` may be None there."""

    def decorate(handler):
        @functools.wraps(handler)
        def wrapper(self, request, *args, **kwargs):
            pages = self.official_web
            page = pages.page(request, binding=session_id(request) or "")
            page.official = None
            try:
                principal = self.auth.optional_principal(request)
                if principal is None and not signed_in:
                    if request.method not in ("GET", "HEAD"):
                        page.check_csrf()
                    return handler(self, request, page, None, *args, **kwargs)
                if principal is None:
                    response = sign_in_redirect(page, request)
                    if request.cookies.get(SESSION_COOKIE):  # expired or signed out elsewhere
                        response.delete_cookie(SESSION_COOKIE, path="/")
                    return response
                principal = {"via": "token", **principal}  # routing answers tokens from its own store
                hub = (getattr(self, "config", None) or {}).get("HUB_CODE")
                if (hub and principal["hub"] != hub) or principal["role"] not in roles:
                    page.official = principal
                    return page.render("officials_problem.html", status=403, official=principal,
                                       messages=[page._("officials.forbidden")])
                page.official = principal
                if request.method not in ("GET", "HEAD"):
                    page.check_csrf()
                return handler(self, request, page, principal, *args, **kwargs)
            except web.CsrfError:
                return page.render("error.html", status=403, reason="csrf")
            except web.NotFoundPage:
                return page.render("error.html", status=404, reason="not_found")
            except ApiError as exc:
                return problem_page(page, exc)
            # anything else propagates: it rolls the unit of work back, reaches worker_result and the
            # error metrics, and ``official_http`` renders the officials' error page
        return wrapper
    return decorate


class OfficialPageEntrypoint(web.PageEntrypoint):
    """``@official_http(method, url)`` with ``@official_page(...)``: an officials' page whose errors
    are mapped where nameko sees them, rendered with the officials' templates."""

    pages_class = OfficialPages


official_http = OfficialPageEntrypoint.decorator

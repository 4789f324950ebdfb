"""The one table of routes from which every internal link is built (issue 24).

``ROUTES`` names every page and API path that a person, a page or a message links to, with the
service that serves it and its pattern in the entrypoints' own syntax (``<string:tracking_id>``).
``url_for(name, **params)`` builds a link: the pattern's parameters are filled in (each quoted, a
``/`` too), the other parameters become the query string (in the order given; ``None`` left out),
``_anchor`` the fragment. Templates have it as the Jinja global ``url_for`` (``contract.web``), for
the citizens' and the officials' pages alike; redirects, ``Location`` headers, the links in
notifications and on the timelines call it in Python.

The entrypoint decorators keep their own path strings; ``tests/unit/contract/test_routes.py``
checks that every route here is served by an entrypoint of its service with the same pattern,
that the front door sends it to that service, and that no template writes an internal path.
"""
from __future__ import annotations

import re
from typing import NamedTuple
from urllib.parse import quote, urlencode


class Route(NamedTuple):
    service: str
    pattern: str


# name -> (service, pattern); grouped by the service that serves the path
ROUTES: dict[str, Route] = {
    # intake: the citizens' home, report form, receipt, public list; the API a receipt names
    "home": Route("intake", "/"),
    "report_form": Route("intake", "/lapor"),
    "receipt": Route("intake", "/lapor/<string:tracking_id>"),
    "evidence_upload": Route("intake", "/lapor/<string:tracking_id>/bukti"),
    "erase_contact": Route("intake", "/lapor/<string:tracking_id>/hapus-kontak"),
    "public_list": Route("intake", "/publik"),
    "asset": Route("intake", "/assets/<string:name>"),
    "official_evidence": Route("intake", "/petugas/bukti/<string:tracking_id>"),
    "api_report": Route("intake", "/reports/<string:tracking_id>"),
    "api_attachment": Route("intake", "/reports/<string:tracking_id>/attachments/<string:file_id>"),
    "open311_keys": Route("intake", "/channels/open311/keys"),  # Open311 discovery's key service
    # followup: the reporter's tracking page and its forms, the public report, the officials' cases
    "lookup": Route("followup", "/lacak"),
    "tracking": Route("followup", "/lacak/<string:tracking_id>"),
    "tracking_unlock": Route("followup", "/lacak/<string:tracking_id>/kunci"),
    "tracking_forget": Route("followup", "/lacak/<string:tracking_id>/lupakan"),
    "tracking_reply": Route("followup", "/lacak/<string:tracking_id>/balas"),
    "tracking_rating": Route("followup", "/lacak/<string:tracking_id>/nilai"),
    "tracking_reopen": Route("followup", "/lacak/<string:tracking_id>/buka-kembali"),
    "public_report": Route("followup", "/laporan/<string:tracking_id>"),
    "public_comment": Route("followup", "/laporan/<string:tracking_id>/komentar"),
    "official_case": Route("followup", "/petugas/kasus/<string:tracking_id>"),
    "official_case_action": Route("followup", "/petugas/kasus/<string:tracking_id>/<string:kind>"),
    "official_comment_hide": Route("followup",
                                   "/petugas/kasus/<string:tracking_id>/komentar/<string:comment_id>/sembunyikan"),
    "dashboard": Route("followup", "/petugas/dasbor"),
    "admin_sla": Route("followup", "/petugas/admin/sla"),
    "admin_days_off": Route("followup", "/petugas/admin/libur"),
    # routing: the officials' sign-in, inbox, a report's workflow, the admin pages
    "officials_home": Route("routing", "/petugas"),
    "officials_home_slash": Route("routing", "/petugas/"),
    "sign_in": Route("routing", "/petugas/masuk"),
    "sign_out": Route("routing", "/petugas/keluar"),
    "password": Route("routing", "/petugas/sandi/<string:token>"),
    "official_report": Route("routing", "/petugas/laporan/<string:tracking_id>"),
    "official_report_action": Route("routing", "/petugas/laporan/<string:tracking_id>/<string:action>"),
    "admin": Route("routing", "/petugas/admin"),
    "admin_audit": Route("routing", "/petugas/admin/jejak"),
    "admin_registry": Route("routing", "/petugas/admin/<string:slug>"),
    "admin_official_switch": Route("routing", "/petugas/admin/petugas/<string:official_id>/<string:switch>"),
    # assessment: the public statistics and their downloads, the officials' monitoring
    "statistics": Route("assessment", "/statistik"),
    "stats_public": Route("assessment", "/stats/public"),
    "monitoring": Route("assessment", "/petugas/pemantauan"),
    "monitoring_report": Route("assessment", "/assessments/reports/monitoring"),
}

PARAMETER = re.compile(r"<(?:(?P<converter>[a-z]+)(?:\([^)]*\))?:)?(?P<name>[A-Za-z_][A-Za-z0-9_]*)>")


class RouteError(LookupError):
    """An unknown route, or a route's parameter missing (a bug in the caller, never a user's input)."""


def parameters(name: str) -> list[str]:
    """The names of a route's path parameters, in order."""
    return [m.group("name") for m in PARAMETER.finditer(_route(name).pattern)]


def _route(name: str) -> Route:
    try:
        return ROUTES[name]
    except KeyError:
        raise RouteError(f"no route named {name!r}") from None


def path_template(name: str) -> str:
    """The route's path with each parameter as ``<name>``, for a link completed later
    (``/lapor/<tracking_id>``)."""
    return PARAMETER.sub(lambda m: f"<{m.group('name')}>", _route(name).pattern)


def prefix(name: str) -> str:
    """The route's path up to its first parameter (``/petugas/laporan/``): the base a configured
    address of another origin puts before a tracking ID."""
    return _route(name).pattern.split("<", 1)[0]


def url_for(route: str, /, _anchor: str | None = None, **params) -> str:
    """The path of ``route`` with its parameters quoted in, the rest as the query string."""
    pattern = _route(route).pattern

    def fill(match) -> str:
        key = match.group("name")
        if params.get(key) is None:
            raise RouteError(f"route {route!r} needs {key!r}")
        return quote(str(params.pop(key)), safe="")

    path = PARAMETER.sub(fill, pattern)
    query = {k: v for k, v in params.items() if v is not None}
    return path + (f"?{urlencode(query)}" if query else "") + (f"#{quote(_anchor, safe='')}" if _anchor else "")

"""The one table of routes from which every internal link is built (issue 24).

``ROUTES`` names every page and API path that a person, a page or a message links to, with the
service that serves it and its pattern in the entrypoints' own syntax (``<string:tracking_id>``).
``url_for(name, **params)`` builds a link: the pattern's parameters are filled in (each quoted, a
``/`` too), the other parameters become the query string (in the order given; ``None`` left out),
``_anchor`` the fragment. Templates have it as the Jinja global ``url_for`` (``contract.web``), for
the citizens' and the officials' pages alike; redirects, ``Location`` headers, the links in
notifications and on the timelines call it in Python.

The JSON API's paths are routes too: each service's OpenAPI document (``<service>.openapi_doc``
and the modules it reads) writes its paths with ``openapi_path(name)`` (``/reports/{tracking_id}``),
so a path renamed here moves the document with it.

The entrypoint decorators keep their own path strings; ``tests/unit/contract/test_routes.py``
checks that every route here is served by an entrypoint of its service with the same pattern,
that the front door sends it to that service, and that no template writes an internal path;
``tests/unit/contract/test_openapi_routes.py`` that every documented path is a route of its service
and every JSON API entrypoint is documented.
"""
from __future__ import annotations

import re
from typing import NamedTuple
from urllib.parse import quote, urlencode

from contract.ids import TRACKING_ID_PATTERN

# path parameters every service documents the same way (path_parameter)
SHARED_PATH_PARAMETERS = {
    "tracking_id": {"schema": {"type": "string", "pattern": TRACKING_ID_PATTERN}, "example": "ID-K7M4X-9XQ2B"},
}


class Route(NamedTuple):
    service: str
    pattern: str
    # (entrypoint's name, document's name) of a path parameter the API's standard names otherwise
    # (Open311 GeoReport v2: ``format``, ``service_request_id``)
    documented_as: tuple[tuple[str, str], ...] = ()


OPEN311 = (("fmt", "format"),)  # the Open311 entrypoints' ``fmt`` is the standard's ``{format}``


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
    # --- the JSON API: the paths of each service's OpenAPI document ------------------------------------
    # intake: reports, channels, Open311 (api_report, api_attachment and open311_keys above)
    "api_reports": Route("intake", "/reports"),
    "api_attachments": Route("intake", "/reports/<string:tracking_id>/attachments"),
    "api_erasure": Route("intake", "/reports/<string:tracking_id>/erasure"),
    "api_personal_data": Route("intake", "/reports/<string:tracking_id>/personal-data"),
    "channel_sms": Route("intake", "/channels/sms"),
    "channel_social": Route("intake", "/channels/social"),
    "channel_manual": Route("intake", "/channels/manual"),
    "open311_client_keys": Route("intake", "/channels/open311/keys/<string:client>"),
    "open311_services": Route("intake", "/open311/v2/services.<any(json,xml):fmt>", OPEN311),
    "open311_service": Route("intake", "/open311/v2/services/<string:service_code>.<any(json,xml):fmt>", OPEN311),
    "open311_requests": Route("intake", "/open311/v2/requests.<any(json,xml):fmt>", OPEN311),
    "open311_request": Route("intake", "/open311/v2/requests/<string:request_id>.<any(json,xml):fmt>",
                             (("request_id", "service_request_id"), *OPEN311)),
    "open311_token": Route("intake", "/open311/v2/tokens/<string:token>.<any(json,xml):fmt>", OPEN311),
    # routing: the officials' workflow and accounts, the registry, hubs
    "api_inbox": Route("routing", "/admin/inbox"),
    "api_official_report": Route("routing", "/admin/reports/<string:tracking_id>"),
    "api_report_action": Route("routing", "/admin/reports/<string:tracking_id>/<string:action>"),
    "api_report_forward": Route("routing", "/admin/reports/<string:tracking_id>/forward"),
    "api_official_tokens": Route("routing", "/admin/officials/<string:official_id>/tokens"),
    "api_official_password_links": Route("routing", "/admin/officials/<string:official_id>/password-links"),
    "api_official_sessions": Route("routing", "/admin/officials/<string:official_id>/sessions"),
    "api_official_signin_limits": Route("routing", "/admin/officials/<string:official_id>/signin-limits"),
    "api_official_audit": Route("routing", "/admin/officials/<string:official_id>/audit"),
    "api_registry": Route("routing", "/admin/registry"),
    "api_registry_list": Route("routing", "/registry/<string:kind>"),
    "api_hubs_join": Route("routing", "/hubs/join"),
    # followup: cases, the conversation, comments, the SLA settings
    "api_cases_inbox": Route("followup", "/cases/inbox"),
    "api_cases_summary": Route("followup", "/cases/summary"),
    "api_case": Route("followup", "/cases/<string:tracking_id>"),
    "api_case_messages": Route("followup", "/cases/<string:tracking_id>/messages"),
    "api_case_updates": Route("followup", "/cases/<string:tracking_id>/updates"),
    "api_case_answer": Route("followup", "/cases/<string:tracking_id>/answer"),
    "api_case_replies": Route("followup", "/cases/<string:tracking_id>/replies"),
    "api_case_rating": Route("followup", "/cases/<string:tracking_id>/rating"),
    "api_case_reopen": Route("followup", "/cases/<string:tracking_id>/reopen"),
    "api_case_comments": Route("followup", "/cases/<string:tracking_id>/comments"),
    "api_case_comment_hide": Route("followup", "/cases/<string:tracking_id>/comments/<string:comment_id>/hide"),
    "api_sla_policies": Route("followup", "/cases/admin/sla-policies"),
    "api_days_off": Route("followup", "/cases/admin/days-off"),
    # notification: dead letters, subscriptions, preferences, digests
    "api_dead_letters": Route("notification", "/notifications/dead-letters"),
    "api_dead_letters_retry": Route("notification", "/notifications/dead-letters/retry"),
    "api_dead_letter_retry": Route("notification", "/notifications/dead-letters/<string:notification_id>/retry"),
    "api_report_notifications": Route("notification", "/notifications/reports/<string:tracking_id>"),
    "api_subscriptions": Route("notification", "/notifications/subscriptions"),
    "api_subscription": Route("notification", "/notifications/subscriptions/<string:subscription_id>"),
    "api_preferences": Route("notification", "/notifications/preferences/<string:recipient_ref>"),
    "api_digests": Route("notification", "/notifications/digests"),
    # assessment: statistics, self-assessment, targets, KPIs, the satisfaction survey (stats_public and
    # monitoring_report above)
    "api_stats_counts": Route("assessment", "/stats/counts"),
    "api_templates": Route("assessment", "/assessments/templates"),
    "api_template": Route("assessment", "/assessments/templates/<template_id>"),
    "api_self_assessment": Route("assessment", "/assessments/agencies/<agency_code>/self-assessments/<year>"),
    "api_self_assessment_history": Route("assessment",
                                         "/assessments/agencies/<agency_code>/self-assessments/<year>/history"),
    "api_self_assessment_priorities": Route("assessment",
                                            "/assessments/agencies/<agency_code>/self-assessments/<year>/priorities"),
    "api_targets": Route("assessment", "/assessments/agencies/<agency_code>/targets/<year>"),
    "api_kpis": Route("assessment", "/assessments/kpis"),
    "api_survey_templates": Route("assessment", "/assessments/surveys/templates"),
    "api_survey_template": Route("assessment", "/assessments/surveys/templates/<template_id>"),
    "api_survey_responses": Route("assessment", "/assessments/surveys/responses"),
    "api_paper_responses": Route("assessment", "/assessments/agencies/<agency_code>/surveys/paper-responses"),
    "api_agency_surveys": Route("assessment", "/assessments/agencies/<agency_code>/surveys"),
    "api_surveys": Route("assessment", "/assessments/surveys"),
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


def path_parameter(name: str, schema: dict | None = None, **extra) -> dict:
    """An OpenAPI path parameter: ``{name}`` of a documented path. A parameter every service names the
    same (``tracking_id``: its shape and an example) is described here once; others give their schema."""
    if name in SHARED_PATH_PARAMETERS and schema is None:
        return {"name": name, "in": "path", "required": True, **SHARED_PATH_PARAMETERS[name], **extra}
    return {"name": name, "in": "path", "required": True, "schema": schema or {"type": "string"}, **extra}


def openapi_path(route: str, /, **fixed) -> str:
    """The route's path as its OpenAPI document writes it: each parameter as ``{name}`` (the API
    standard's name where the table gives one, ``documented_as``), those given in ``fixed`` written
    in as they are: one documented path per value of a generic route (routing's
    ``/admin/reports/{tracking_id}/verify``, ``/registry/categories``)."""
    found = _route(route)
    renamed = dict(found.documented_as)
    unknown = set(fixed) - set(parameters(route))
    if unknown:
        raise RouteError(f"route {route!r} has no parameter {sorted(unknown)[0]!r}")

    def fill(match) -> str:
        key = match.group("name")
        return str(fixed[key]) if key in fixed else f"{{{renamed.get(key, key)}}}"

    return PARAMETER.sub(fill, found.pattern)

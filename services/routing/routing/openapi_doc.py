"""Routing's part of the public OpenAPI document (read by deploy/local/openapi.py): every HTTP
endpoint behind the front door and the schemas it names."""
from __future__ import annotations

from contract.routes import openapi_path, path_parameter
from routing.schemas import (REGISTRY_KINDS, AccountAuditOut, AgencyOut, ArchiveIn, AuditEntryOut, CategoryOut,
                             DispositionIn, ExportQuery, ForwardIn, InboxOut, InboxQuery, JoinIn, PasswordLinkIn,
                             PasswordLinkOut, PostponeIn, RegionOut, RegistryIn, ReportOut, ReturnIn, TokenIn,
                             TokenOut, UnitOut, VerifyIn)

OPENAPI_SCHEMAS = {
    "RoutingReport": ReportOut, "RoutingInbox": InboxOut, "RoutingAuditEntry": AuditEntryOut,
    "VerifyIn": VerifyIn, "PostponeIn": PostponeIn, "ReturnIn": ReturnIn, "DispositionIn": DispositionIn,
    "ArchiveIn": ArchiveIn, "ForwardIn": ForwardIn, "TokenIn": TokenIn, "TokenOut": TokenOut, "CategoryOut": CategoryOut,
    "RegionOut": RegionOut, "AgencyOut": AgencyOut, "UnitOut": UnitOut, "JoinIn": JoinIn, "RegistryIn": RegistryIn,
    "PasswordLinkIn": PasswordLinkIn, "PasswordLinkOut": PasswordLinkOut, "AccountAuditOut": AccountAuditOut,
}

# Officials send ``Authorization: Bearer <token>`` (contract.auth): the ``bearerAuth`` scheme the
# other services name too, and said in each description.
BEARER = [{"bearerAuth": []}]
AUTH = "Officials only: send `Authorization: Bearer <token>`; 401 without a valid token, 403 outside your role."
ERRORS = {"400": {"$ref": "#/components/responses/BadRequest"},
          "401": {"description": "No valid official token"}, "403": {"description": "Role or scope does not allow it"},
          "404": {"$ref": "#/components/responses/NotFound"}}
TRACKING = path_parameter("tracking_id")
OFFICIAL = path_parameter("official_id")


def _json(schema: str) -> dict:
    return {"content": {"application/json": {"schema": schema}}}


def _query(name: str, kind: str, description: str, **extra) -> dict:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": {"type": kind, **extra}}


ACTION_DOCS = {
    "verify": ("VerifyIn", "Verify (Verifikasi) a report in your queue."),
    "postpone": ("PostponeIn", "Postpone (Tunda) until a date."),
    "return": ("ReturnIn", "Not our authority (Bukan Wewenang): back up one tier, or to the agency named."),
    "disposition": ("DispositionIn", "Disposition (Disposisi): national admin to an agency, agency admin to a "
                                     "unit of their own agency."),
    "redisposition": ("DispositionIn", "Re-disposition a report that was returned to your queue."),
    "archive": ("ArchiveIn", "Archive (Arsipkan) with a reason."),
    "forward": ("ForwardIn", "Not this hub's authority (Bukan Wewenang): send the report to another hub with a "
                             "reason (docs/hubs.md); the reporter keeps the same tracking ID."),
}


def _action_path(action: str) -> str:
    """A workflow action's path: forwarding to another hub has its own entrypoint, the others share one."""
    return openapi_path("api_report_forward") if action == "forward" else openapi_path("api_report_action", action=action)


BODY_REQUIRED = ("PostponeIn", "ReturnIn", "ArchiveIn", "ForwardIn")  # a field of theirs is required

OPENAPI_PATHS = {
    openapi_path("api_inbox"): {"get": {
        "summary": "The official's inbox: their queue, filtered and paginated, with counts per status",
        "description": AUTH, "security": BEARER,
        "parameters": [{"in": "query", "schema": InboxQuery}],  # the schema that loads them
        "responses": {"200": {"description": "The inbox", **_json("RoutingInbox")}, **ERRORS}}},
    openapi_path("api_official_report"): {"get": {
        "summary": "A report in your scope with its audit trail and the actions open to you",
        "description": AUTH, "security": BEARER, "parameters": [TRACKING],
        "responses": {"200": {"description": "The report", **_json("RoutingReport")}, **ERRORS}}},
    **{_action_path(action): {"post": {
        "summary": summary, "description": AUTH, "security": BEARER, "parameters": [TRACKING],
        "requestBody": {"required": body in BODY_REQUIRED, **_json(body)},
        "responses": {"200": {"description": "The report after the action", **_json("RoutingReport")}, **ERRORS,
                      "409": {"description": "Not allowed in the report's state; body lists allowed_actions",
                              **_json("Errors")}}}}
       for action, (body, summary) in ACTION_DOCS.items()},
    openapi_path("api_official_tokens"): {
        "post": {"summary": "Issue a token for an official (national admin: the hub's; agency admin: the agency's)",
                 "description": AUTH, "security": BEARER, "parameters": [OFFICIAL], "requestBody": {"required": False, **_json("TokenIn")},
                 "responses": {"201": {"description": "The token, shown once", **_json("TokenOut")}, **ERRORS}},
        "delete": {"summary": "Revoke every token of an official", "description": AUTH, "security": BEARER, "parameters": [OFFICIAL],
                   "responses": {"200": {"description": "How many tokens were revoked"}, **ERRORS}}},
    openapi_path("api_official_password_links"): {
        "post": {"summary": "Issue a one-time link for an official to set a password and sign in in the browser "
                            "(national admin: the hub's officials; agency admin: the agency's)",
                 "description": AUTH + " The link works once, until `expires_at`; only its hash is stored.",
                 "security": BEARER, "parameters": [OFFICIAL],
                 "requestBody": {"required": False, **_json("PasswordLinkIn")},
                 "responses": {"201": {"description": "The link", **_json("PasswordLinkOut")}, **ERRORS}}},
    openapi_path("api_official_sessions"): {
        "delete": {"summary": "Sign an official out everywhere (end every browser session)", "description": AUTH,
                   "security": BEARER, "parameters": [OFFICIAL],
                   "responses": {"200": {"description": "How many sessions ended"}, **ERRORS}}},
    openapi_path("api_official_signin_limits"): {
        "delete": {"summary": "Lift an official's sign-in limit after too many wrong passwords (national admin: the "
                              "hub's officials; agency admin: the agency's); audited",
                   "description": AUTH, "security": BEARER, "parameters": [OFFICIAL],
                   "responses": {"200": {"description": "How many wrong-password counters were cleared"}, **ERRORS}}},
    openapi_path("api_official_audit"): {
        "get": {"summary": "Who issued, revoked, ended or lifted what for an official, oldest first (never the "
                           "credential itself)",
                "description": AUTH, "security": BEARER, "parameters": [OFFICIAL],
                "responses": {"200": {"description": "The entries", "content": {"application/json": {"schema": {
                    "type": "object", "properties": {"items": {"type": "array", "items": {
                        "$ref": "#/components/schemas/AccountAuditOut"}}}}}}}, **ERRORS}}},
    openapi_path("api_registry"): {
        "get": {"summary": "Export the registry (national admin): YAML, JSON, or CSV of one collection",
                "description": AUTH, "security": BEARER,
                "parameters": [{"in": "query", "schema": ExportQuery}],  # kind: required for csv
                "responses": {"200": {"description": "The registry",
                                      "content": {"application/yaml": {}, "text/csv": {}, "application/json": {}}},
                              **ERRORS}},
        "post": {"summary": "Import a registry file (national admin): all of it or nothing; bad rows by line",
                 "description": AUTH, "security": BEARER,
                 "parameters": [_query("kind", "string", "the collection a CSV body holds (required for CSV)",
                                       enum=list(REGISTRY_KINDS))],
                 "requestBody": {"required": True, "content": {
                     "application/yaml": {"schema": "RegistryIn"}, "application/json": {"schema": "RegistryIn"},
                     "text/csv": {"schema": {"type": "string", "description": "one collection, a header row of "
                                                                              "its field names"}}}},
                 "responses": {"200": {"description": "Items upserted per collection"}, **ERRORS}}},
    **{openapi_path("api_registry_list", kind=kind): {"get": {
        "summary": f"Public list of {kind} (names in Bahasa Indonesia; categories also in English)",
        "responses": {"200": {"description": kind, "content": {"application/json": {"schema": {
            "type": "object", "properties": {"items": {"type": "array", "items": {
                "$ref": f"#/components/schemas/{schema}"}}}}}}}}}}
       for kind, schema in (("categories", "CategoryOut"), ("regions", "RegionOut"), ("agencies", "AgencyOut"),
                            ("units", "UnitOut"))},
    openapi_path("api_hubs_join"): {"post": {
        "summary": "A hub joins this one as its child with a one-time token its operator was given "
                   "(routing.cli hub-invite CODE; docs/hubs.md, \"A hub joins\")",
        "requestBody": {"required": True, **_json({"$ref": "#/components/schemas/JoinIn"})},
        "responses": {"201": {"description": "Joined: the new hub's directory entry (published to every hub), "
                                             "its neighbours, the directory, and the registry this hub holds "
                                             "(officials left out) for the new hub to start from"},
                      "400": ERRORS["400"], "403": {"description": "Wrong token, or a token for another hub"},
                      "409": {"description": "Token already used, or the code is already in the directory"},
                      "410": {"description": "Token expired"}}}},
}

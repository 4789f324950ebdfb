"""Intake's part of the public OpenAPI document: every HTTP endpoint behind the front door."""
from intake.channel_schemas import ManualIn, SmsIn, SmsReplyOut, SocialIn, SocialReplyOut
from intake import privacy_schemas
from contract.routes import openapi_path, path_parameter
from intake.open311_schemas import Open311QueryIn
from intake.schemas import REPORT_ITEMS, CompletionIn, ReceiptOut, ReportIn, TrackingOut

TRACKING_ID_PARAM = path_parameter("tracking_id")
# A report keeps nothing unless its title or description has more than white space (acceptance.accept_report)
_NOT_BLANK = {"type": "string", "pattern": "[^\\s\\x1c-\\x1f]"}
SOMETHING_TO_KEEP = {"anyOf": [{"required": [name], "properties": {name: _NOT_BLANK}} for name in ("title", "description")]}


def _ref(name: str, **rules) -> dict:
    return {"allOf": [{"$ref": f"#/components/schemas/{name}"}], **rules}

IDEMPOTENCY_PARAM = {"name": "Idempotency-Key", "in": "header", "required": False,
                     "schema": {"type": "string", "minLength": 1, "maxLength": 100, "pattern": "^[!-~]+$"},
                     "description": "A retry with the same key returns the first report (200) and stores nothing."}
RATE_LIMITED = {"description": "Too many reports from this sender; see Retry-After",
                "headers": {"Retry-After": {"schema": {"type": "integer"}}},
                "content": {"application/json": {"schema": "Errors"}}}

# loaded as the endpoints load them: a report lacking REPORT_ITEMS is kept as a draft (202), not refused
OPENAPI_SCHEMAS = {"ReportIn": ReportIn(partial=REPORT_ITEMS), "Completion": CompletionIn(partial=True), "Receipt": ReceiptOut,
                   "Tracking": TrackingOut, "SmsIn": SmsIn, "SmsReply": SmsReplyOut, "SocialIn": SocialIn,
                   "SocialReply": SocialReplyOut, "ManualIn": ManualIn(partial=REPORT_ITEMS), **privacy_schemas.OPENAPI_SCHEMAS}
ERRORS = {"content": {"application/json": {"schema": "Errors"}}}
GATEWAY_HEADERS = [
    {"name": "X-Lapor-Gateway", "in": "header", "required": False, "schema": {"type": "string", "maxLength": 40},
     "description": "The gateway's id in CHANNEL_GATEWAYS (with X-Lapor-Timestamp and X-Lapor-Signature)"},
    {"name": "X-Lapor-Timestamp", "in": "header", "required": False, "schema": {"type": "string"}},
    {"name": "X-Lapor-Signature", "in": "header", "required": False, "schema": {"type": "string"},
     "description": "sha256=<hex HMAC-SHA256(secret, \"<timestamp>.<raw body>\")>; or send "
                    "Authorization: Bearer <the gateway's secret>"}]
SMS_BODY = _ref("SmsIn", oneOf=[{"required": ["text"]}, {"required": ["parts"]}])  # text or parts, not both
SMS_FORM = _ref("SmsIn", required=["text"], **{"not": {"required": ["parts"]}})  # a form has no list of parts
UNAUTHENTICATED_GATEWAY = {"description": "Not from a configured gateway (no or a wrong signature or secret)",
                           **ERRORS}
KEY_CLIENT = {"type": "object", "required": ["client"], "additionalProperties": False,
              "properties": {"client": {"type": "string", "minLength": 1, "maxLength": 100,
                                        "pattern": "^[A-Za-z0-9][A-Za-z0-9 ._@-]{0,99}$"}}}

# Open311 GeoReport v2: the standard's documents, as JSON arrays or XML
FORMAT = {"name": "format", "in": "path", "required": True, "schema": {"type": "string", "enum": ["json", "xml"]}}
LANG = {"name": "lang", "in": "query", "required": False, "schema": {"type": "string"},
        "description": "id or en (any other value: Bahasa Indonesia, as on every page; or Accept-Language)"}
POST_FIELDS = ("api_key", "jurisdiction_id", "service_code", "lat", "long", "address_string", "address_id", "email",
               "device_id", "account_id", "first_name", "last_name", "phone", "description", "media_url",
               "attribute[classification]", "attribute[is_anonymous]", "attribute[is_confidential]",
               "attribute[gesi][]")
OPEN311_BODY = {"application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
                "text/xml": {"schema": {"type": "string"}}}


def _path(name: str) -> dict:
    return path_parameter(name, {"type": "string", "maxLength": 60})


def _open311(summary: str, parameters: list, missing: bool = False, post: bool = False) -> dict:
    errors = {"description": "The standard's error list [{code, description}]", "content": OPEN311_BODY}
    responses = {("201" if post else "200"): {"description": "OK", "content": OPEN311_BODY}, "400": errors}
    if missing:
        responses["404"] = errors
    if post:
        responses.update({"200": {"description": "Redelivered: the first request", "content": OPEN311_BODY},
                          "403": errors, "429": RATE_LIMITED})
    return {"summary": f"Open311 GeoReport v2: {summary}", "tags": ["open311"],
            "parameters": [FORMAT, *parameters], "responses": responses}


def _answers(schema: str, created: str) -> dict:
    return {"201": {"description": created, "content": {"application/json": {"schema": schema}}},
            "202": {"description": "Incomplete: kept as a draft; `missing` lists each item",
                    "content": {"application/json": {"schema": schema}}},
            "200": {"description": "Redelivery of the same message/post/key: the first report, nothing stored",
                    "content": {"application/json": {"schema": schema}}},
            "400": {"$ref": "#/components/responses/BadRequest"}}

OPENAPI_PATHS = {
    openapi_path("api_reports"): {"post": {
        "summary": "File a report (web or mobile app)",
        "parameters": [IDEMPOTENCY_PARAM],
        "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("ReportIn", **SOMETHING_TO_KEEP)}}},
        "responses": {"201": {"description": "Complete: recorded durably, tracking ID and secret issued",
                              "content": {"application/json": {"schema": "Receipt"}}},
                      "202": {"description": "Incomplete: kept as a draft; `missing` lists each item (id/en)",
                              "content": {"application/json": {"schema": "Receipt"}}},
                      "200": {"description": "Idempotent replay: the first report's receipt (no secret)",
                              "content": {"application/json": {"schema": "Receipt"}}},
                      "400": {"$ref": "#/components/responses/BadRequest"},
                      "429": RATE_LIMITED}}},
    openapi_path("api_report"): {
        "get": {
            "summary": "Track a report by its tracking ID",
            "parameters": [TRACKING_ID_PARAM],
            "responses": {"200": {"description": "Status and history",
                                  "content": {"application/json": {"schema": "Tracking"}}},
                          "303": {"description": "A browser (Accept: text/html) is sent to the tracking page "
                                                 "/lacak/{tracking_id}", "headers": {"Location": {
                                                     "schema": {"type": "string"}}}},
                          "400": {"$ref": "#/components/responses/BadRequest"},
                          "404": {"$ref": "#/components/responses/NotFound"}}},
        "patch": {
            "summary": "Complete an incomplete report (draft) with the secret from its receipt (or a social "
                       "draft's one-time completion_code)",
            "parameters": [TRACKING_ID_PARAM],
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ref(
                "Completion", anyOf=[{"required": ["secret"]}, {"required": ["completion_code"]}])}}},
            "responses": {"200": {"description": "Now complete: routed from here on",
                                  "content": {"application/json": {"schema": "Receipt"}}},
                          "202": {"description": "Still incomplete; `missing` lists what is left",
                                  "content": {"application/json": {"schema": "Receipt"}}},
                          "400": {"$ref": "#/components/responses/BadRequest"},
                          "403": {"description": "Wrong secret", "content": {"application/json": {"schema": "Errors"}}},
                          "404": {"$ref": "#/components/responses/NotFound"},
                          "409": {"$ref": "#/components/responses/Conflict"}}}},
    openapi_path("channel_sms"): {"post": {
        "summary": "SMS-gateway webhook: `<REGION> <text>` to 1708; answers the reply SMS (<= 160 chars)",
        "parameters": GATEWAY_HEADERS, "security": [{"bearerAuth": []}, {}],
        "requestBody": {"required": True, "content": {"application/json": {"schema": SMS_BODY},
                                                      "application/x-www-form-urlencoded": {"schema": SMS_FORM}}},
        "responses": {**_answers("SmsReply", "Recorded; reply carries the tracking ID and secret"),
                      "401": UNAUTHENTICATED_GATEWAY, "429": RATE_LIMITED}}},
    openapi_path("channel_social"): {"post": {
        "summary": "Social-media webhook: a post mentioning @LAPOR1708 or #lapor (one report per post id)",
        "parameters": GATEWAY_HEADERS, "security": [{"bearerAuth": []}, {}],
        "requestBody": {"required": True, "content": {"application/json": {"schema": "SocialIn"}}},
        "responses": {**_answers("SocialReply", "Recorded; reply is the public answer to post (a draft's reply "
                                                "carries a one-time completion link)"),
                      "401": UNAUTHENTICATED_GATEWAY, "429": RATE_LIMITED}}},
    openapi_path("open311_keys"): {
        "get": {"summary": "Open311 clients' api_keys: client, issued, revoked (national admin; never the keys)",
                "security": [{"bearerAuth": []}],
                "responses": {"200": {"description": "The keys issued", "content": {"application/json": {
                    "schema": {"type": "object"}}}},
                    "401": {"description": "No valid official token", **ERRORS},
                    "403": {"description": "Not a national admin", **ERRORS}}},
        "post": {"summary": "Issue an Open311 api_key for a client (shown once; stored hashed)",
                 "security": [{"bearerAuth": []}],
                 "requestBody": {"required": True, "content": {"application/json": {"schema": KEY_CLIENT}}},
                 "responses": {"201": {"description": "The key, shown once", "content": {"application/json": {
                     "schema": {"type": "object"}}}},
                     "400": {"$ref": "#/components/responses/BadRequest"},
                     "401": {"description": "No valid official token", **ERRORS},
                     "403": {"description": "Not a national admin", **ERRORS}}}},
    openapi_path("open311_client_keys"): {"delete": {
        "summary": "Revoke every api_key of an Open311 client", "security": [{"bearerAuth": []}],
        "parameters": [{"name": "client", "in": "path", "required": True,
                        "schema": KEY_CLIENT["properties"]["client"]}],
        "responses": {"200": {"description": "How many keys were revoked", "content": {"application/json": {
            "schema": {"type": "object"}}}},
            "400": {"$ref": "#/components/responses/BadRequest"},
            "401": {"description": "No valid official token", **ERRORS},
            "403": {"description": "Not a national admin", **ERRORS},
            "404": {"$ref": "#/components/responses/NotFound"}}}},
    openapi_path("channel_manual"): {"post": {
        "summary": "Manual entry by a liaison officer of a report received offline (Bearer token, role liaison)",
        "parameters": [IDEMPOTENCY_PARAM],
        "security": [{"bearerAuth": []}],
        "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("ManualIn", **SOMETHING_TO_KEEP)}}},
        "responses": {**_answers("Receipt", "Recorded with the officer and the original channel"),
                      "401": {"description": "No valid official token", **ERRORS},
                      "403": {"description": "Not a liaison officer", **ERRORS}}}},
    **{path: ops for path, ops in (
        (openapi_path("open311_services"), {"get": _open311("List the services (categories)", [LANG])}),
        (openapi_path("open311_service"), {"get": _open311(
            "A service definition (attributes: classification, is_anonymous, is_confidential, gesi)",
            [_path("service_code")], missing=True)}),
        (openapi_path("open311_requests"), {
            "get": _open311("List public service requests (never confidential, never drafts, no reporter fields)",
                            [{"in": "query", "schema": Open311QueryIn}, LANG]),
            "post": {**_open311("Create a service request (form-encoded, api_key required)", [], post=True),
                     "requestBody": {"required": True, "content": {"application/x-www-form-urlencoded": {
                         "schema": {"type": "object", "required": ["api_key", "service_code", "description"],
                                    "properties": {k: {"type": "string"} for k in POST_FIELDS}}}}}}}),
        (openapi_path("open311_request"), {"get": _open311(
            "One public service request", [_path("service_request_id"), LANG], missing=True)}),
        (openapi_path("open311_token"), {"get": _open311(
            "The service request behind a token (tokens are the tracking IDs)", [_path("token")], missing=True)}),
    )},
    openapi_path("api_attachments"): {
        "post": {
            "summary": "Attach evidence (JPEG, PNG or PDF, at most 5 MB and 5 files; type read from the bytes; "
                       "location metadata removed for anonymous reports)",
            "parameters": [TRACKING_ID_PARAM],
            "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                "type": "object", "required": ["secret", "file"],
                "properties": {"secret": {"type": "string"}, "file": {"type": "string", "format": "binary"}}}}}},
            "responses": {"201": {"description": "Stored", "content": {"application/json": {"schema": {
                "type": "object", "properties": {"file_id": {"type": "string"}, "content_type": {"type": "string"},
                                                 "size": {"type": "integer"}}}}}},
                          "202": {"description": "The report is held at another hub: sent there (issue 19)",
                                  "content": {"application/json": {"schema": {"type": "object", "properties": {
                                      "relayed_to": {"type": "string"}, "action_id": {"type": "string"}}}}}},
                          "400": {"$ref": "#/components/responses/BadRequest"},
                          "403": {"description": "Wrong secret", **ERRORS},
                          "404": {"$ref": "#/components/responses/NotFound"},
                          "409": {"description": "The report has the most attachments already, or is held at another "
                                                 "hub that cannot take it now (relay_<why>)", **ERRORS}}},
        "get": {
            "summary": "List a report's evidence (officials handling the report)",
            "security": [{"bearerAuth": []}], "parameters": [TRACKING_ID_PARAM],
            "responses": {"200": {"description": "The attachments"}, "401": {"description": "No token", **ERRORS},
                          "403": {"description": "Not handling this report", **ERRORS},
                          "404": {"$ref": "#/components/responses/NotFound"}}}},
    openapi_path("api_attachment"): {"get": {
        "summary": "Download one evidence file (officials handling the report)",
        "security": [{"bearerAuth": []}],
        "parameters": [TRACKING_ID_PARAM, {"name": "file_id", "in": "path", "required": True,
                                           "schema": {"type": "string", "maxLength": 40}}],
        "responses": {"200": {"description": "The file, as stored"}, "401": {"description": "No token", **ERRORS},
                      "403": {"description": "Not handling this report", **ERRORS},
                      "404": {"$ref": "#/components/responses/NotFound"}}}},
    **privacy_schemas.OPENAPI_PATHS,  # personal data: erasure on request, data-subject export
}

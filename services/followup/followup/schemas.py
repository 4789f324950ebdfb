"""What enters and leaves follow-up over HTTP and RPC, and its part of the public OpenAPI."""
from __future__ import annotations

from marshmallow import RAISE, fields, validate

from contract.schema import Schema

from contract.inputs import HTTP_URL_PATTERN
from contract.routes import openapi_path, path_parameter
from followup.indicator import COLOURS
from followup.sla import PolicySetIn

STATUSES = ("open", "answered", "closed", "archived")


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE


class AttachmentIn(StrictSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    url = fields.Url(required=True, require_tld=False, schemes={"https", "http"}, metadata={"pattern": HTTP_URL_PATTERN})
    content_type = fields.String(load_default=None, validate=validate.Length(max=100))
    size_bytes = fields.Integer(load_default=None, validate=validate.Range(min=0, max=25 * 1024 * 1024))


class MessageIn(StrictSchema):
    """An official's interim update or final answer."""
    body = fields.String(required=True, validate=validate.Length(min=5, max=10000))
    attachments = fields.List(fields.Nested(AttachmentIn), load_default=list, validate=validate.Length(max=10))


class ReporterIn(StrictSchema):
    """What proves the reporter: the secret printed on the receipt with the tracking ID."""
    secret = fields.String(required=True, validate=validate.Length(min=4, max=200), load_only=True)


class ReplyIn(ReporterIn):
    body = fields.String(required=True, validate=validate.Length(min=1, max=10000))
    attachments = fields.List(fields.Nested(AttachmentIn), load_default=list, validate=validate.Length(max=10))


class RatingIn(ReporterIn):
    rating = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=5))
    comment = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class ReopenIn(ReporterIn):
    reason = fields.String(required=True, validate=validate.Length(min=5, max=2000))


class CommentIn(StrictSchema):
    name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=80))
    body = fields.String(required=True, validate=validate.Length(min=2, max=2000))


class HideIn(StrictSchema):
    reason = fields.String(required=True, validate=validate.Length(min=3, max=500))


class InboxQuery(StrictSchema):
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))
    indicator = fields.String(load_default=None, validate=validate.OneOf(COLOURS))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=100000))


class SummaryQuery(StrictSchema):
    agency_code = fields.String(load_default=None, validate=validate.Length(min=1, max=60))
    unit_code = fields.String(load_default=None, validate=validate.Length(min=1, max=60))
    exact = fields.Boolean(load_default=False)


class DayOffIn(StrictSchema):
    """A day off added by an operator: cuti bersama (national) or a regional holiday."""
    date = fields.Date(required=True)
    name = fields.String(required=True, validate=validate.Length(min=2, max=120))
    kind = fields.String(required=True, validate=validate.OneOf(("cuti_bersama", "regional_holiday", "other")))
    region_code = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(r"^\d{2}(\d{2})?$"))


class DayOffOut(Schema):
    date = fields.String()
    name = fields.String()
    kind = fields.String()
    region_code = fields.String(allow_none=True)


class CaseOut(Schema):
    """A case as officials and the tracking page see it (no reporter identity, no text)."""
    case_id = fields.String(attribute="_id")
    tracking_id = fields.String()
    agency_code = fields.String(allow_none=True)
    unit_code = fields.String(allow_none=True)
    queue = fields.String()
    stage = fields.String()
    status = fields.String()
    indicator = fields.String(metadata={"enum": list(COLOURS)})
    indicator_label = fields.String()
    overall_indicator = fields.String()
    sla_working_days = fields.Integer()
    sla_policy_id = fields.String()
    region_code = fields.String(allow_none=True)
    timezone = fields.String()
    opened_at = fields.AwareDateTime()
    stage_started_at = fields.AwareDateTime()
    due_soon_at = fields.AwareDateTime()
    due_at = fields.AwareDateTime()
    overall_due_at = fields.AwareDateTime()
    postponed_until = fields.AwareDateTime(allow_none=True)
    first_response_at = fields.AwareDateTime(allow_none=True)
    answered_at = fields.AwareDateTime(allow_none=True)
    closed_at = fields.AwareDateTime(allow_none=True)
    reopen_until = fields.AwareDateTime(allow_none=True)
    auto_close_at = fields.AwareDateTime(allow_none=True)
    escalation_level = fields.Integer()
    reopen_count = fields.Integer()
    rating = fields.Integer(allow_none=True)
    verified_at_unit = fields.Boolean(dump_default=False, metadata={
        "description": "The unit's liaison has verified the report (routing): only then can it be answered."})


class HistoryOut(Schema):
    step = fields.String()
    at = fields.AwareDateTime()
    label = fields.String()
    detail = fields.Dict()


class CaseViewOut(CaseOut):
    history = fields.List(fields.Nested(HistoryOut))


class AttachmentOut(Schema):
    name = fields.String()
    url = fields.String()
    content_type = fields.String(allow_none=True)
    size_bytes = fields.Integer(allow_none=True)


class MessageOut(Schema):
    message_id = fields.String(attribute="_id")
    kind = fields.String(metadata={"enum": ["update", "answer", "reply"]})
    author_role = fields.String()
    body = fields.String()
    attachments = fields.List(fields.Nested(AttachmentOut))
    at = fields.AwareDateTime()


class CommentOut(Schema):
    comment_id = fields.String(attribute="_id")
    name = fields.String(allow_none=True)
    body = fields.String(allow_none=True)
    at = fields.AwareDateTime()
    hidden = fields.Boolean()
    hidden_reason = fields.String(allow_none=True)


class SummaryOut(Schema):
    scope = fields.Dict()
    at = fields.AwareDateTime()
    exact = fields.Boolean(metadata={"description": "false: as of the last sweep (tallies); true: counted now"})
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())


class RelayedOut(Schema):
    """A reporter's action on a report held at another hub, sent there (issue 19)."""
    relayed_to = fields.String(metadata={"description": "the code of the hub holding the report"})
    action_id = fields.String()


def _op(summary, tag, *, body=None, response=None, status=200, auth=False, params=(), errors=(400, 404),
        relayed=False):
    op = {"summary": summary, "tags": [tag], "parameters": [
        path_parameter(p) if isinstance(p, str)
        else {"in": "query", "schema": p} for p in params],  # a query schema: the one that loads them
        "responses": {str(status): {"description": "OK", **({"content": {"application/json": {"schema": response}}}
                                                              if response else {})}}}
    if body:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    if auth:
        op["description"] = "Requires an official's token: Authorization: Bearer <token>."
        op["security"] = [{"bearerAuth": []}]  # the scheme deploy/local/openapi.py declares
        op["responses"]["401"] = {"description": "No valid official token"}
        op["responses"]["403"] = {"description": "Role or scope does not allow this"}
    if relayed:  # the reporter's action on a report held at another hub (issue 19)
        op["responses"]["202"] = {"description": "The report is held at another hub: sent there", "content": {
            "application/json": {"schema": "FollowupRelayed"}}}
        op["responses"]["403"] = {"description": "Wrong secret"}
    for code in errors:
        op["responses"][str(code)] = {"$ref": {400: "#/components/responses/BadRequest",
                                               404: "#/components/responses/NotFound",
                                               409: "#/components/responses/Conflict"}[code]}
    return op


OPENAPI_SCHEMAS = {"FollowupCase": CaseOut, "FollowupCaseView": CaseViewOut, "FollowupMessageIn": MessageIn,
                   "FollowupMessage": MessageOut, "FollowupReplyIn": ReplyIn, "FollowupRatingIn": RatingIn,
                   "FollowupReopenIn": ReopenIn, "FollowupCommentIn": CommentIn, "FollowupComment": CommentOut,
                   "FollowupHideIn": HideIn, "FollowupSummary": SummaryOut, "FollowupDayOffIn": DayOffIn,
                   "FollowupSlaPolicies": PolicySetIn, "FollowupRelayed": RelayedOut}
T = "follow-up"
OPENAPI_PATHS = {
    openapi_path("api_cases_inbox"): {"get": _op("Officials' cases in scope, with the indicator", T, auth=True,
                                params=(InboxQuery,))},
    openapi_path("api_cases_summary"): {"get": _op("Counts per indicator colour for an agency or unit", T, auth=True,
                                  response="FollowupSummary", params=(SummaryQuery,))},
    openapi_path("api_case"): {"get": _op("A case's deadline, indicator and history", T, response="FollowupCaseView",
                                        params=("tracking_id",))},
    openapi_path("api_case_messages"): {"get": _op("The conversation (official token or X-Reporter-Secret)", T,
                                                 params=("tracking_id",))},
    openapi_path("api_case_updates"): {"post": _op("Liaison's interim update", T, auth=True, body="FollowupMessageIn",
                                                 response="FollowupMessage", status=201, params=("tracking_id",),
                                                 errors=(400, 404, 409))},
    openapi_path("api_case_answer"): {"post": _op("Final answer (stops the clock)", T, auth=True,
                                                body="FollowupMessageIn", response="FollowupMessage", status=201,
                                                params=("tracking_id",), errors=(400, 404, 409))},
    openapi_path("api_case_replies"): {"post": _op("Reporter's reply (tracking ID + secret)", T, body="FollowupReplyIn",
                                                 response="FollowupMessage", status=201, params=("tracking_id",),
                                                 errors=(400, 404, 409), relayed=True)},
    openapi_path("api_case_rating"): {"post": _op("Reporter rates the answer 1-5; closes the case", T,
                                                body="FollowupRatingIn", response="FollowupCase",
                                                params=("tracking_id",), errors=(400, 404, 409), relayed=True)},
    openapi_path("api_case_reopen"): {"post": _op("Reporter reopens within the window", T, body="FollowupReopenIn",
                                                response="FollowupCase", params=("tracking_id",),
                                                errors=(400, 404, 409), relayed=True)},
    openapi_path("api_case_comments"): {
        "get": _op("Public comments (hidden ones show only the reason)", T, params=("tracking_id",)),
        "post": _op("Post a public comment (non-confidential reports)", T, body="FollowupCommentIn",
                    response="FollowupComment", status=201, params=("tracking_id",), errors=(400, 404, 409))},
    openapi_path("api_case_comment_hide"): {
        "post": _op("Agency hides a comment with a reason (kept for audit)", T, auth=True, body="FollowupHideIn",
                    response="FollowupComment", params=("tracking_id", "comment_id"), errors=(400, 404, 409))},
    openapi_path("api_sla_policies"): {
        "get": _op("The SLA policies in force", T, auth=True),
        "put": _op("Replace the SLA policies (national admin; policy ids unique)", T, auth=True,
                   body="FollowupSlaPolicies")},
    openapi_path("api_days_off"): {
        "get": _op("Operator days off (cuti bersama, regional holidays)", T, auth=True),
        "post": _op("Add a day off (national admin)", T, auth=True, body="FollowupDayOffIn", status=201)},
}

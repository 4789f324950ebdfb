"""Follow-up's part of the public OpenAPI document (read by deploy/local/openapi.py): every HTTP
endpoint behind the front door and the schemas it names."""
from __future__ import annotations

from contract.routes import openapi_path, path_parameter
from followup.sla import PolicySetIn
from followup.schemas import (CaseOut, CaseViewOut, CommentIn, CommentOut, DayOffIn, HideIn, InboxQuery,
                              MessageIn, MessageOut, RatingIn, RelayedOut, ReopenIn, ReplyIn, SummaryOut,
                              SummaryQuery)


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

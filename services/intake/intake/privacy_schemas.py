"""What enters and leaves intake's personal-data endpoints (intake.privacy): a reporter's erasure
request and its answer, an admin's data-subject export; and their part of the OpenAPI document."""
from __future__ import annotations

from marshmallow import RAISE, fields, validate

from contract.routes import openapi_path, path_parameter
from contract.schema import Schema


class ErasureIn(Schema):
    """A reporter asks to erase their identity and contact details: the secret from the receipt."""

    class Meta:
        unknown = RAISE

    secret = fields.String(required=True, validate=validate.Length(min=4, max=64))


class ErasureOut(Schema):
    tracking_id = fields.String()
    erased_at = fields.DateTime()
    reason = fields.String(metadata={"description": "request (the reporter) or retention (after closure)"})
    already = fields.Boolean(metadata={"description": "true: erased before; nothing changed now"})
    hubs = fields.List(fields.String(), metadata={"description": "the other hubs holding a copy of the report, "
                                                                 "asked to erase theirs (each acknowledges it)"})
    hubs_not_reached = fields.List(fields.String(), metadata={
        "description": "hubs holding a copy that cannot be asked over the links (a hub on the way reads only "
                       "message version 1)"})


class PersonalDataExportOut(Schema):
    """Everything this hub holds about one report, for a data-subject request."""

    tracking_id = fields.String()
    report = fields.Dict(metadata={"description": "The stored report (without the secret's hash)"})
    history = fields.List(fields.Dict())
    contacts = fields.Dict(metadata={"description": "Which identity and contact fields are held (their values "
                                                    "only with the reporter's secret), or when and why they "
                                                    "were erased"})
    evidence = fields.List(fields.Dict())
    notifications = fields.List(fields.Dict(), metadata={"description": "What notification queued and sent"})
    privacy_audit = fields.List(fields.Dict(), metadata={"description": "Erasures and exports of this report"})


ERRORS = {"content": {"application/json": {"schema": "Errors"}}}
TRACKING_ID = path_parameter("tracking_id")
OPENAPI_SCHEMAS = {"ErasureIn": ErasureIn, "Erasure": ErasureOut, "PersonalDataExport": PersonalDataExportOut}
OPENAPI_PATHS = {
    openapi_path("api_erasure"): {"post": {
        "summary": "The reporter erases their identity and contact details (name, email, phone, handle) with "
                   "the secret; the report, its history and statistics stay; no message reaches them after",
        "parameters": [TRACKING_ID],
        "requestBody": {"required": True, "content": {"application/json": {"schema": "ErasureIn"}}},
        "responses": {"200": {"description": "Erased (or erased before: already true)",
                              "content": {"application/json": {"schema": "Erasure"}}},
                      "400": {"$ref": "#/components/responses/BadRequest"},
                      "403": {"description": "Wrong secret", **ERRORS},
                      "404": {"$ref": "#/components/responses/NotFound"}}}},
    openapi_path("api_personal_data"): {"get": {
        "summary": "Data-subject export: everything held about one report (national admin; agency admin for "
                   "its agency's reports); audited",
        "security": [{"bearerAuth": []}], "parameters": [TRACKING_ID, {
            "name": "X-Reporter-Secret", "in": "header", "required": False, "schema": {"type": "string"},
            "description": "The reporter's secret, handed over with their request: only then are the contact "
                           "values in the export (officials never see a reporter's identity otherwise)"}],
        "responses": {"200": {"description": "The export",
                              "content": {"application/json": {"schema": "PersonalDataExport"}}},
                      "400": {"$ref": "#/components/responses/BadRequest"},
                      "401": {"description": "No valid official token", **ERRORS},
                      "403": {"description": "Not a national admin, nor the report's agency admin; or a wrong "
                                             "X-Reporter-Secret", **ERRORS},
                      "404": {"$ref": "#/components/responses/NotFound"},
                      "503": {"description": "The notification service did not answer", **ERRORS}}}},
}

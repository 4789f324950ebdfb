"""What enters and leaves intake: the report form, the receipt, the tracking view."""
from __future__ import annotations

import re
from datetime import date, timedelta

from marshmallow import RAISE, Schema, ValidationError, fields, post_load, validate, validates

from contract.vocab import CLASSIFICATIONS, GESI_MARKERS, LANGUAGES, STATUSES

REGION_CODE = re.compile(r"^\d{2}(\.?\d{2})?$")
CATEGORY_CODE = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,39}$")
PHONE = re.compile(r"^\+?[0-9][0-9 -]{6,18}[0-9]$")


class ReporterIn(Schema):
    class Meta:
        unknown = RAISE

    name = fields.String(validate=validate.Length(min=1, max=120))
    phone = fields.String(validate=validate.Regexp(PHONE, error="Not a valid phone number."))
    email = fields.Email(validate=validate.Length(max=254))


class ReportIn(Schema):
    """A report filed through the web or the mobile app."""

    class Meta:
        unknown = RAISE

    title = fields.String(required=True, validate=validate.Length(min=5, max=150))
    description = fields.String(required=True, validate=validate.Length(min=20, max=10000),
                                metadata={"description": "What happened, in order (chronology)."})
    classification = fields.String(required=True, validate=validate.OneOf(CLASSIFICATIONS))
    category_code = fields.String(required=True, validate=validate.Regexp(
        CATEGORY_CODE, error="Not a valid category code."))
    region_code = fields.String(required=True, validate=validate.Regexp(
        REGION_CODE, error="Not a valid region code (BPS code, e.g. 51.08 or 5108)."))
    location_text = fields.String(validate=validate.Length(max=300))
    incident_date = fields.Date(required=True)
    reporter = fields.Nested(ReporterIn, load_default=dict)
    is_anonymous = fields.Boolean(load_default=False)
    is_confidential = fields.Boolean(load_default=False)
    language = fields.String(load_default="id", validate=validate.OneOf(LANGUAGES))
    gesi = fields.List(fields.String(validate=validate.OneOf(GESI_MARKERS)), load_default=list,
                       validate=validate.Length(max=len(GESI_MARKERS)))
    channel = fields.String(load_default="web", validate=validate.OneOf(("web", "mobile")))

    @validates("incident_date")
    def _not_in_future(self, value: date, **_):
        # one day of slack: the reporter's local date (WIT) runs ahead of UTC
        if value > date.today() + timedelta(days=1):
            raise ValidationError("Cannot be in the future.")

    @post_load
    def _normalise(self, data, **_):
        data["region_code"] = data["region_code"].replace(".", "")
        data["gesi"] = sorted(set(data["gesi"]))
        return data


class ReceiptOut(Schema):
    tracking_id = fields.String()
    secret = fields.String(metadata={"description": "Reporter secret, shown once: needed to complete, reply or rate."})
    status = fields.String()
    received_at = fields.AwareDateTime()
    tracking_url = fields.String()


class HistoryEntryOut(Schema):
    at = fields.AwareDateTime()
    step = fields.String()
    label = fields.String()
    detail = fields.Dict()


class AssignmentOut(Schema):
    queue = fields.String()
    agency_code = fields.String(allow_none=True)
    unit_code = fields.String(allow_none=True)


class CaseOut(Schema):
    case_id = fields.String()
    stage = fields.String()
    due_at = fields.AwareDateTime()
    sla_working_days = fields.Integer()


class TrackingOut(Schema):
    """What anyone holding the tracking ID sees: no identity, no text of confidential reports."""
    tracking_id = fields.String()
    status = fields.String(validate=validate.OneOf(STATUSES))
    status_label = fields.String()
    classification = fields.String()
    category_code = fields.String()
    region_code = fields.String()
    channel = fields.String()
    title = fields.String(allow_none=True)
    is_anonymous = fields.Boolean()
    is_confidential = fields.Boolean()
    received_at = fields.AwareDateTime()
    assignment = fields.Nested(AssignmentOut, allow_none=True)
    case = fields.Nested(CaseOut, allow_none=True)
    history = fields.List(fields.Nested(HistoryEntryOut))


class ContactOut(Schema):
    """A reporter's contact, for the notification service at send time only."""
    reporter_ref = fields.String()
    name = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    channel = fields.String()
    language = fields.String()


OPENAPI_SCHEMAS = {"ReportIn": ReportIn, "Receipt": ReceiptOut, "Tracking": TrackingOut}
OPENAPI_PATHS = {
    "/reports": {"post": {
        "summary": "File a report (web or mobile app)",
        "requestBody": {"required": True, "content": {"application/json": {"schema": "ReportIn"}}},
        "responses": {"201": {"description": "Recorded durably; tracking ID issued",
                              "content": {"application/json": {"schema": "Receipt"}}},
                      "400": {"$ref": "#/components/responses/BadRequest"}}}},
    "/reports/{tracking_id}": {"get": {
        "summary": "Track a report by its tracking ID",
        "parameters": [{"name": "tracking_id", "in": "path", "required": True,
                        "schema": {"type": "string"}, "example": "ID-K7M4X-9XQ2A"}],
        "responses": {"200": {"description": "Status and history",
                              "content": {"application/json": {"schema": "Tracking"}}},
                      "400": {"$ref": "#/components/responses/BadRequest"},
                      "404": {"$ref": "#/components/responses/NotFound"}}}},
}

"""What enters and leaves follow-up over HTTP and RPC, and its part of the public OpenAPI."""
from __future__ import annotations

from marshmallow import RAISE, fields, validate

from contract.schema import Schema

from contract.inputs import HTTP_URL_PATTERN
from followup.indicator import COLOURS

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

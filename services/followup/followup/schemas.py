"""What leaves follow-up."""
from marshmallow import Schema, fields


class CaseOut(Schema):
    case_id = fields.String(attribute="_id")
    tracking_id = fields.String()
    agency_code = fields.String(allow_none=True)
    unit_code = fields.String(allow_none=True)
    stage = fields.String()
    status = fields.String()
    sla_working_days = fields.Integer()
    timezone = fields.String()
    opened_at = fields.AwareDateTime()
    due_at = fields.AwareDateTime()

"""What leaves notification (never a contact)."""
from marshmallow import Schema, fields


class NotificationOut(Schema):
    notification_id = fields.String(attribute="_id")
    tracking_id = fields.String()
    recipient_kind = fields.String()
    recipient_ref = fields.String()
    channel = fields.String()
    template = fields.String()
    language = fields.String()
    status = fields.String()
    created_at = fields.AwareDateTime()

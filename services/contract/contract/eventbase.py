"""The envelope every event payload carries (``contract.events``): ``event_id`` (the idempotency
key), ``schema_version``, ``occurred_at`` and ``hub`` (the hub whose stack emitted it)."""
from __future__ import annotations

from datetime import timezone

from marshmallow import EXCLUDE, fields, validate

from contract.schema import Schema


class EventSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    event_id = fields.String(required=True)
    schema_version = fields.Integer(required=True, validate=validate.Range(min=1))
    occurred_at = fields.AwareDateTime(required=True, default_timezone=timezone.utc)
    hub = fields.String(required=True)

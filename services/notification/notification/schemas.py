"""What enters and leaves notification's admin API and RPC (never a contact, never a secret
except once, when a subscription is created)."""
from __future__ import annotations

import re

from marshmallow import RAISE, fields, validate

from contract.rpcschemas import NotificationOut  # the contract's (RPC notification.for_report), also the API's
from contract.schema import Schema

from contract.inputs import HTTP_URL_PATTERN
from notification.domain import CHANNELS, CONSUMED

RECIPIENT_REF_PATTERN = r"^(unit|agency|supervisor|hub|official):[A-Za-z0-9_.-]{1,64}$"
RECIPIENT_REF = re.compile(RECIPIENT_REF_PATTERN)
AGENCY_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{1,39}$")


class NotificationList(Schema):
    notifications = fields.List(fields.Nested(NotificationOut))


class DeadLetterQuery(Schema):
    class Meta:
        unknown = RAISE

    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    channel = fields.String(validate=validate.OneOf(CHANNELS))
    template = fields.String(validate=validate.Length(min=1, max=64))


class RetryAllIn(Schema):
    class Meta:
        unknown = RAISE

    channel = fields.String(validate=validate.OneOf(CHANNELS))
    template = fields.String(validate=validate.Length(min=1, max=64))
    limit = fields.Integer(load_default=500, validate=validate.Range(min=1, max=5000))


class RetriedOut(Schema):
    retried = fields.Integer()


class SubscriptionIn(Schema):
    class Meta:
        unknown = RAISE

    url = fields.Url(required=True, schemes={"http", "https"}, require_tld=False,
                     validate=validate.Length(max=500), metadata={"pattern": HTTP_URL_PATTERN})
    events = fields.List(fields.String(validate=validate.OneOf(CONSUMED)), load_default=list,
                         metadata={"description": "Event names; empty means every event."})
    agency_code = fields.String(load_default=None, allow_none=True,
                                validate=validate.Regexp(AGENCY_CODE, error="Not a valid agency code."))
    description = fields.String(load_default="", validate=validate.Length(max=200))
    secret = fields.String(load_default=None, validate=validate.Length(min=16, max=200), load_only=True,
                           metadata={"description": "HMAC key; generated when omitted."})


class SubscriptionOut(Schema):
    subscription_id = fields.String(attribute="_id")
    url = fields.String()
    events = fields.List(fields.String())
    agency_code = fields.String(allow_none=True)
    description = fields.String()
    active = fields.Boolean()
    created_at = fields.AwareDateTime()
    created_by = fields.String()


class SubscriptionCreated(SubscriptionOut):
    secret = fields.String(metadata={"description": "Shown once: the HMAC-SHA256 key for X-Lapor-Signature."})


class SubscriptionList(Schema):
    subscriptions = fields.List(fields.Nested(SubscriptionOut))


class PreferenceIn(Schema):
    class Meta:
        unknown = RAISE

    digest = fields.Boolean(required=True, metadata={"description": "true: one daily digest instead of each message."})


class PreferenceOut(Schema):
    recipient_ref = fields.String(attribute="_id")
    digest = fields.Boolean()
    updated_by = fields.String()
    updated_at = fields.AwareDateTime()


class DigestsOut(Schema):
    digests = fields.Integer()

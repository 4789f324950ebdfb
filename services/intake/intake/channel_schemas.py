"""What the SMS gateway, the social-media webhook and the liaison's manual form send and get."""
from __future__ import annotations

import re

from marshmallow import RAISE, ValidationError, fields, validate, validates_schema

from contract.errors import translated
from contract.schema import Schema
from contract.vocab import LANGUAGES, OFFLINE_CHANNELS
from intake.exceptions import TEXTS
from intake.schemas import PHONE, MissingItemOut, ReportIn

HANDLE = re.compile(r"^@?[A-Za-z0-9_]{1,30}$")
# also the OpenAPI document's pattern: no flags, so that every regex engine reads the letters alike
# (the same rule as a case-insensitive "(@lapor1708|#lapor)" then a word boundary)
MENTION_PATTERN = r"(@[Ll][Aa][Pp][Oo][Rr]1708|#[Ll][Aa][Pp][Oo][Rr])(?!\w)"
MENTIONS = re.compile(MENTION_PATTERN)


class SmsPartIn(Schema):
    class Meta:
        unknown = RAISE

    seq = fields.Integer(required=True, validate=validate.Range(min=1, max=20))
    text = fields.String(required=True, validate=validate.Length(max=1600))


class SmsIn(Schema):
    """One message from the SMS gateway (JSON or form-encoded); multipart as ``parts``."""

    class Meta:
        unknown = RAISE

    message_id = fields.String(required=True, validate=validate.Regexp(r"^[!-~]{1,100}$"),
                               metadata={"description": "Gateway message id: a redelivery makes no new report."})
    sender = fields.String(required=True, data_key="from", validate=validate.Regexp(
        PHONE, error="Not a valid phone number."))
    text = fields.String(validate=validate.Length(max=1600))
    parts = fields.List(fields.Nested(SmsPartIn), validate=validate.Length(min=1, max=20))
    lang = fields.String(validate=validate.OneOf(LANGUAGES))

    @validates_schema
    def _text_or_parts(self, data, **_):
        if ("text" in data) == ("parts" in data):
            raise ValidationError("Give either text or parts.", "text")


class SmsReplyOut(Schema):
    tracking_id = fields.String()
    status = fields.String()
    region_code = fields.String(metadata={"description": "00: no keyword recognised (national triage)."})
    reply = fields.String(metadata={"description": "The SMS to send back (at most 160 characters)."})
    missing = fields.List(fields.Nested(MissingItemOut))


class SocialIn(Schema):
    """A post mentioning @LAPOR1708 or #lapor, as a Twitter/X-style webhook delivers it."""

    class Meta:
        unknown = RAISE

    post_id = fields.String(required=True, validate=validate.Regexp(r"^[!-~]{1,64}$"))
    author_handle = fields.String(required=True, validate=validate.Regexp(HANDLE, error="Not a valid handle."))
    text = fields.String(required=True, validate=validate.Length(min=1, max=2000),
                         metadata={"pattern": MENTION_PATTERN, "description": "Mentions @LAPOR1708 or #lapor."})
    lang = fields.String(validate=validate.OneOf(LANGUAGES))

    @validates_schema
    def _mentions_lapor(self, data, **_):
        if "text" in data and not MENTIONS.search(data["text"]):
            raise ValidationError(translated(None, "not_a_mention", TEXTS, "api.not_a_mention"), "text")


class SocialReplyOut(Schema):
    tracking_id = fields.String()
    status = fields.String()
    reply = fields.String(metadata={"description": "The public reply to post: no secret (posts are public); a new draft's reply carries a "
                                          "one-time completion link (7 days), spent on first use."})
    missing = fields.List(fields.Nested(MissingItemOut))


class ResolutionIn(Schema):
    class Meta:
        unknown = RAISE

    answer = fields.String(required=True, validate=validate.Length(min=10, max=5000))
    resolved_at = fields.AwareDateTime(required=True)


class ManualIn(ReportIn):
    """A report a liaison officer enters from an offline channel (SOP seed 003)."""

    original_channel = fields.String(required=True, validate=validate.OneOf(OFFLINE_CHANNELS))
    received_on = fields.Date(required=True, metadata={"description": "When the unit received it offline."})
    resolution = fields.Nested(ResolutionIn, load_default=None, allow_none=True,
                               metadata={"description": "Already resolved by the unit: the answer given."})
    channel = fields.String(validate=validate.OneOf(("manual",)), load_default="manual")

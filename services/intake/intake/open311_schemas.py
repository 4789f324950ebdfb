"""What Open311 GeoReport v2 clients send: a form-encoded request, and list filters."""
from __future__ import annotations

import re
from datetime import datetime, timezone

from marshmallow import EXCLUDE, RAISE, ValidationError, fields, validate, validates_schema

from contract.schema import Schema
from contract.vocab import CLASSIFICATIONS, GESI_MARKERS
from intake.schemas import CATEGORY_CODE, PHONE, REGION_CODE

_ATTRIBUTE = re.compile(r"^attribute\[(\w{1,40})\](\[\])?$")
_BOOL = validate.OneOf(("true", "false"))
# list filters: a date the listing can step back from (its default window) without overflowing
_IN_RANGE = validate.Range(min=datetime(1970, 1, 1, tzinfo=timezone.utc), max=datetime(9000, 1, 1, tzinfo=timezone.utc),
                           error="Must be a date between 1970 and 9000.")


class AttributesIn(Schema):
    class Meta:
        unknown = EXCLUDE

    classification = fields.String(load_default="complaint", validate=validate.OneOf(CLASSIFICATIONS))
    is_anonymous = fields.String(load_default="false", validate=_BOOL)
    is_confidential = fields.String(load_default="false", validate=_BOOL)
    gesi = fields.List(fields.String(validate=validate.OneOf(GESI_MARKERS)), load_default=list)


class Open311RequestIn(Schema):
    """POST requests: the standard's fields; ``jurisdiction_id`` is the BPS region code."""

    class Meta:
        unknown = EXCLUDE  # the standard lets clients send fields a server does not use

    api_key = fields.String(required=True, validate=validate.Length(min=1, max=200))
    jurisdiction_id = fields.String(validate=validate.Regexp(REGION_CODE, error="Not a valid region code."))
    service_code = fields.String(required=True, validate=validate.Regexp(CATEGORY_CODE, error="Unknown service_code."))
    lat = fields.Float(validate=validate.Range(min=-11.5, max=6.5), allow_nan=False)
    long = fields.Float(validate=validate.Range(min=94.5, max=141.5), allow_nan=False)
    address_string = fields.String(validate=validate.Length(min=1, max=300))
    address_id = fields.String(validate=validate.Length(max=100))
    email = fields.Email(validate=validate.Length(max=254))
    device_id = fields.String(validate=validate.Length(max=200))
    account_id = fields.String(validate=validate.Length(max=200))
    first_name = fields.String(validate=validate.Length(max=60))
    last_name = fields.String(validate=validate.Length(max=60))
    phone = fields.String(validate=validate.Regexp(PHONE, error="Not a valid phone number."))
    description = fields.String(required=True, validate=validate.Length(min=1, max=4000))
    media_url = fields.Url(validate=validate.Length(max=1000))
    attribute = fields.Nested(AttributesIn, load_default=lambda: AttributesIn().load({}))

    @validates_schema
    def _location(self, data, **_):
        if ("lat" in data) != ("long" in data):
            raise ValidationError("lat and long go together.", "long" if "lat" in data else "lat")
        if "lat" not in data and not data.get("address_string") and not data.get("address_id"):
            raise ValidationError("A location is required: lat and long, address_string or address_id.", "lat")


def form_body(form) -> dict:
    """A form-encoded body as a dict, ``attribute[code]`` (and ``attribute[code][]``) nested."""
    body, attributes = {}, {}
    for key in form:
        match = _ATTRIBUTE.match(key)
        if match:
            values = form.getlist(key)
            attributes[match.group(1)] = values if match.group(2) or match.group(1) == "gesi" else values[-1]
        else:
            body[key] = form.get(key)
    if attributes:
        body["attribute"] = attributes
    return body


class Open311QueryIn(Schema):
    """GET requests filters (comma lists for ids, service codes and statuses)."""

    class Meta:
        unknown = EXCLUDE

    service_request_id = fields.String(validate=validate.Length(max=2100), metadata={
        "description": "comma-separated tracking IDs (other filters then ignored)"})
    service_code = fields.String(validate=validate.Length(max=2000),
                                 metadata={"description": "comma-separated category codes"})
    start_date = fields.AwareDateTime(default_timezone=None, validate=_IN_RANGE, metadata={
        "description": "ISO 8601 with its offset, 1970 to 9000 (default: 90 days ago)"})
    end_date = fields.AwareDateTime(default_timezone=None, validate=_IN_RANGE,
                                    metadata={"description": "ISO 8601 with its offset, 1970 to 9000"})
    status = fields.String(validate=validate.Regexp(r"^(open|closed)(,(open|closed))*$",
                                                    error="status is open, closed or both."))
    jurisdiction_id = fields.String(validate=validate.Regexp(REGION_CODE, error="Not a valid region code."), metadata={
        "description": "BPS region code: that region and the regions under it (00: all)"})

    @validates_schema
    def _range(self, data, **_):
        if data.get("start_date") and data.get("end_date") and data["start_date"] > data["end_date"]:
            raise ValidationError("start_date is after end_date.", "start_date")


class ApiKeyIn(Schema):
    """An Open311 client to issue a key for (or whose keys to revoke)."""

    class Meta:
        unknown = RAISE

    client = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9 ._@-]{0,99}$",
                                                                      error="1 to 100 letters, digits, . _ @ - or spaces."))


class ApiKeyOut(Schema):
    client = fields.String()
    created_at = fields.DateTime()
    revoked_at = fields.DateTime(allow_none=True)

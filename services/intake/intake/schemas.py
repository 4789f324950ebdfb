"""What enters and leaves intake: the report form, the receipt, the tracking view."""
from __future__ import annotations

import re
from datetime import date, timedelta

from marshmallow import EXCLUDE, RAISE, ValidationError, fields, post_load, pre_load, validate, validates

from contract.rpcschemas import CONTACTS_MAX, TrackingOut  # noqa: F401 (the contract's RPC schemas; the HTTP API's tracking view)
from contract.schema import Schema
from contract.vocab import CLASSIFICATIONS, GESI_MARKERS, LANGUAGES

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
    """A report filed through the web or the mobile app.

    Loaded with ``partial=True``: a submission lacking required items is kept as an incomplete
    draft (202) listing what is missing; the ``required`` marks describe a complete report.
    """

    class Meta:
        unknown = RAISE

    title = fields.String(required=True, allow_none=True, validate=validate.Length(max=150))
    description = fields.String(required=True, allow_none=True, validate=validate.Length(max=10000),
                                metadata={"description": "What happened, in order (chronology): "
                                          "at least 25 characters and 4 words."})
    classification = fields.String(required=True, allow_none=True, validate=validate.OneOf(CLASSIFICATIONS))
    category_code = fields.String(required=True, allow_none=True, validate=validate.Regexp(
        CATEGORY_CODE, error="Not a valid category code."))
    region_code = fields.String(required=True, allow_none=True, validate=validate.Regexp(
        REGION_CODE, error="Not a valid region code (BPS code, e.g. 51.08 or 5108)."))
    location_text = fields.String(allow_none=True, validate=validate.Length(max=300),
                                  metadata={"description": "The place; or give latitude and longitude."})
    latitude = fields.Float(allow_none=True, validate=validate.Range(min=-11.5, max=6.5), allow_nan=False)
    longitude = fields.Float(allow_none=True, validate=validate.Range(min=94.5, max=141.5), allow_nan=False)
    incident_date = fields.Date(required=True, allow_none=True)
    reporter = fields.Nested(ReporterIn, load_default=dict)
    is_anonymous = fields.Boolean(load_default=False)
    is_confidential = fields.Boolean(load_default=False)
    language = fields.String(load_default="id", validate=validate.OneOf(LANGUAGES))
    gesi = fields.List(fields.String(validate=validate.OneOf(GESI_MARKERS)), load_default=list,
                       validate=validate.Length(max=len(GESI_MARKERS)),
                       metadata={"description": "GESI markers: the report concerns women, children, "
                                 "people with disabilities, elderly or marginalised groups."})
    channel = fields.String(load_default="web", validate=validate.OneOf(("web", "mobile")))

    @validates("incident_date")
    def _not_in_future(self, value: date, **_):
        # one day of slack: the reporter's local date (WIT) runs ahead of UTC
        if value is not None and value > date.today() + timedelta(days=1):
            raise ValidationError("Cannot be in the future.")

    @post_load
    def _normalise(self, data, **_):
        if data.get("region_code"):
            data["region_code"] = data["region_code"].replace(".", "")
        if "gesi" in data:
            data["gesi"] = sorted(set(data["gesi"]))
        return data


REPORT_DEFAULTS = {"reporter": {}, "is_anonymous": False, "is_confidential": False, "language": "id",
                   "gesi": [], "channel": "web"}


REPORT_ITEMS = ("title", "description", "classification", "category_code", "region_code", "incident_date")


def load_report(body: dict, schema: type[Schema] = ReportIn) -> dict:
    """A submission loaded leniently (a report's items may be missing: it becomes a draft)."""
    return {**REPORT_DEFAULTS, **schema().load(body, partial=REPORT_ITEMS)}


class CompletionIn(ReportIn):
    """The reporter completes a draft: the secret from the receipt plus any missing items."""

    secret = fields.String(required=True, validate=validate.Length(min=4, max=64))
    completion_code = fields.String(validate=validate.Length(min=4, max=64), metadata={
        "description": "Instead of the secret: the one-time code of a social-media draft's completion link; "
                       "spent on use, and the answer carries the reporter's own secret."})
    channel = fields.String(validate=validate.OneOf(("web", "mobile")))
    # no defaults here: what the reporter does not send stays as it was in the draft
    reporter = fields.Nested(ReporterIn)
    is_anonymous = fields.Boolean()
    is_confidential = fields.Boolean()
    language = fields.String(validate=validate.OneOf(LANGUAGES))
    gesi = fields.List(fields.String(validate=validate.OneOf(GESI_MARKERS)),
                       validate=validate.Length(max=len(GESI_MARKERS)))


class MissingItemOut(Schema):
    field = fields.String()
    code = fields.String()
    message = fields.String(metadata={"description": "English text."})
    message_id = fields.String(metadata={"description": "Bahasa Indonesia text."})


class ReceiptOut(Schema):
    tracking_id = fields.String()
    secret = fields.String(metadata={"description": "Reporter secret, shown once: needed to complete, reply or rate."})
    status = fields.String()
    received_at = fields.AwareDateTime()
    tracking_url = fields.String()
    missing = fields.List(fields.Nested(MissingItemOut),
                          metadata={"description": "What the report still lacks (empty when complete)."})


class RegionCopyIn(Schema):
    class Meta:
        unknown = EXCLUDE

    code = fields.String(required=True, validate=validate.Regexp(REGION_CODE))
    name = fields.String(load_default=None, allow_none=True)
    keywords = fields.List(fields.String(validate=validate.Length(min=2, max=60)), load_default=list)


class CategoryCopyIn(Schema):
    class Meta:
        unknown = EXCLUDE

    code = fields.String(required=True, validate=validate.Regexp(CATEGORY_CODE))
    name_id = fields.String(load_default=None, allow_none=True)
    name_en = fields.String(load_default=None, allow_none=True)


class HubCopyIn(Schema):
    """One hub of the directory (docs/hubs.md): where its tracking pages are, its sealing key."""

    class Meta:
        unknown = EXCLUDE

    code = fields.String(required=True, validate=validate.Regexp(r"^[A-Z0-9]{2,8}$"))
    name = fields.String(load_default=None, allow_none=True)
    tier = fields.String(required=True)
    parent = fields.String(load_default=None, allow_none=True)
    public_url = fields.String(load_default=None, allow_none=True)
    public_key = fields.String(load_default=None, allow_none=True)
    signing_key = fields.String(load_default=None, allow_none=True)  # Ed25519, checks its messages
    message_version = fields.Integer(load_default=None, allow_none=True)  # the hub message version it reads

    @pre_load
    def older_spelling(self, data, **kwargs):
        if isinstance(data, dict) and "level" in data and "tier" not in data:
            data = {("tier" if k == "level" else k): v for k, v in data.items()}
        return data


class RegistryCopyIn(Schema):
    """The part of the registry intake keeps: regions with their SMS keywords, and categories."""

    class Meta:
        unknown = EXCLUDE

    regions = fields.List(fields.Nested(RegionCopyIn), load_default=list)
    categories = fields.List(fields.Nested(CategoryCopyIn), load_default=list)
    hubs = fields.List(fields.Nested(HubCopyIn), load_default=list)

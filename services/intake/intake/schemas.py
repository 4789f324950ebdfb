"""What enters and leaves intake: the report form, the receipt, the tracking view."""
from __future__ import annotations

import re
from datetime import date, timedelta

from marshmallow import EXCLUDE, RAISE, ValidationError, fields, post_load, pre_load, validate, validates

from contract.schema import Schema
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


class DeliveryOut(Schema):
    """A report sent to the hub in charge of it (docs/hubs.md)."""
    hub = fields.String()
    state = fields.String(metadata={"description": "waiting, sent_on, accepted, returned or undeliverable"})
    since = fields.AwareDateTime(allow_none=True)
    label = fields.String()


class TrackingOut(Schema):
    """What anyone holding the tracking ID sees: no identity, no text of confidential reports."""
    tracking_id = fields.String()
    status = fields.String(validate=validate.OneOf(STATUSES))
    status_label = fields.String()
    classification = fields.String(allow_none=True)
    category_code = fields.String(allow_none=True)
    region_code = fields.String(allow_none=True)
    channel = fields.String()
    title = fields.String(allow_none=True)
    missing = fields.List(fields.String(), metadata={"description": "Fields an incomplete report still lacks."})
    is_anonymous = fields.Boolean()
    is_confidential = fields.Boolean()
    received_at = fields.AwareDateTime()
    assignment = fields.Nested(AssignmentOut, allow_none=True)
    case = fields.Nested(CaseOut, allow_none=True)
    delivery = fields.Nested(DeliveryOut, allow_none=True)
    history = fields.List(fields.Nested(HistoryEntryOut))


class HubCaseMessageOut(Schema):
    kind = fields.String()
    author_role = fields.String()
    body = fields.String()
    at = fields.DateTime()


class HubCaseOut(Schema):
    """The owner hub's case of a forwarded report, as its origin keeps it (issue 19,
    ``intake.hub_case``); the conversation only for the reporter (secret)."""
    hub = fields.String()
    case_status = fields.String(allow_none=True, dump_default=None)
    stage = fields.String(allow_none=True, dump_default=None)
    due_at = fields.DateTime(allow_none=True, dump_default=None)
    overall_due_at = fields.DateTime(allow_none=True, dump_default=None)
    indicator = fields.String(allow_none=True, dump_default=None)
    reopen_until = fields.DateTime(allow_none=True, dump_default=None)
    rating = fields.String(allow_none=True, dump_default=None)
    relay_blocked_by = fields.String(allow_none=True, dump_default=None)  # a version-1 hub on the way
    messages = fields.List(fields.Nested(HubCaseMessageOut), dump_default=list)


class RelayActionIn(Schema):
    """``intake.relay_reporter_action``: the reporter's action (its form loaded by followup's schema)."""
    class Meta:
        unknown = RAISE
    tracking_id = fields.String(required=True)
    action = fields.String(required=True, validate=validate.OneOf(("reply", "rate", "reopen")))
    form = fields.Dict(required=True)
    secret = fields.String(required=True, validate=validate.Length(max=64))


class PageViewOut(TrackingOut):
    """The tracking view for the web pages (RPC ``intake.page_view``): names from the registry;
    the report's text only for its reporter (secret) or when it is public; the reporter's first
    name only on a public, non-anonymous report."""
    category_name = fields.String(allow_none=True)
    region_name = fields.String(allow_none=True)
    reporter_verified = fields.Boolean()
    is_public = fields.Boolean()
    # hidden from anyone without the secret on a report that is not public: always sent, as null,
    # so a page never meets a missing field (a confidential report's page was a 500: issue 20)
    full_title = fields.String(allow_none=True, dump_default=None)
    description = fields.String(allow_none=True, dump_default=None)
    location_text = fields.String(allow_none=True, dump_default=None)
    incident_date = fields.String(allow_none=True, dump_default=None)
    reporter_name = fields.String(allow_none=True, dump_default=None)
    attachment_count = fields.Integer()
    # for the reporter (secret): their identity and contact details were erased (intake.privacy)
    contact_erased = fields.Boolean(dump_default=False)
    hub_case = fields.Nested(HubCaseOut, allow_none=True, dump_default=None)  # held at another hub (issue 19)


class ContactOut(Schema):
    """A reporter's contact, for the notification service at send time only."""
    reporter_ref = fields.String()
    name = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    handle = fields.String(allow_none=True)
    channel = fields.String()
    language = fields.String()
    erased = fields.Boolean()  # the reporter's data was erased (intake.privacy): send them nothing
    # the tracking page where the reporter filed, for a report filed at another hub (issue 19)
    tracking_url = fields.String(allow_none=True, dump_default=None)


CONTACTS_MAX = 200  # reporters per reporter_contacts call (the courier claims 50 at a time by default)


class CompletionLinkIn(Schema):
    """Notification's request for a social draft's one-time completion link, for one direct message."""
    class Meta:
        unknown = RAISE

    reporter_ref = fields.String(required=True, validate=validate.Length(min=1, max=64))
    notification_id = fields.String(required=True, validate=validate.Length(min=1, max=64))


class ContactsIn(Schema):
    """The reporters whose contacts the notification service asks for, in one call."""
    class Meta:
        unknown = RAISE

    reporter_refs = fields.List(fields.String(validate=validate.Length(min=1, max=64)), required=True,
                                validate=validate.Length(max=CONTACTS_MAX))


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


def __getattr__(name: str):
    """OPENAPI_PATHS and OPENAPI_SCHEMAS (read by deploy/local/openapi.py) live in openapi_doc,
    which imports the channel schemas: resolved on first use to avoid an import cycle."""
    if name in ("OPENAPI_PATHS", "OPENAPI_SCHEMAS"):
        from intake import openapi_doc
        return getattr(openapi_doc, name)
    raise AttributeError(name)

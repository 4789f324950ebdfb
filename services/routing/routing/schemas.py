"""What enters and leaves routing: the registry (YAML/CSV import, admin RPC), workflow actions,
inbox queries and the views officials get."""
from __future__ import annotations

import re

from marshmallow import EXCLUDE, RAISE, ValidationError, fields, pre_load, validate, validates_schema

from contract.auth import ROLES
from contract.hubnet import TIERS
from contract.routes import url_for
from contract.hubwire import READ_VERSIONS
from contract.inputs import HTTP_URL_PATTERN
from contract.schema import Schema
from contract.vocab import CLASSIFICATIONS, GESI_MARKERS

CODE = validate.Regexp(re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"), error="Not a valid code.")
REGION = validate.Regexp(re.compile(r"^\d{2}(\d{2})?$"), error="Not a valid BPS region code.")
TIMEZONES = ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura")
REGISTRY_KINDS = ("hubs", "regions", "agencies", "units", "categories", "rules", "officials")


class Strict(Schema):
    class Meta:
        unknown = RAISE


class HubIn(Strict):
    """One hub of the directory (docs/hubs.md). Codes are strings: quote "5108" in YAML."""
    code = fields.String(required=True, validate=validate.Regexp(r"^[A-Z0-9]{2,8}$"))
    name = fields.String(required=True)
    tier = fields.String(required=True, validate=validate.OneOf(TIERS))
    parent = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(r"^[A-Z0-9]{2,8}$"))
    region_code = fields.String(load_default=None, allow_none=True, validate=REGION)
    public_url = fields.Url(load_default=None, allow_none=True, require_tld=False, schemes={"http", "https"})
    public_key = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(
        r"^[A-Za-z0-9+/]{43}=$", error="Not a base64 X25519 public key (44 characters)."))
    signing_key = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(
        r"^[A-Za-z0-9+/]{43}=$", error="Not a base64 Ed25519 public key (44 characters)."))
    message_version = fields.Integer(load_default=None, allow_none=True, validate=validate.OneOf(READ_VERSIONS))

    @pre_load
    def older_spelling(self, data, **kwargs):
        """``level`` was the field's first name; a file may use either, not both."""
        if isinstance(data, dict) and "level" in data and "tier" not in data:
            data = {("tier" if k == "level" else k): v for k, v in data.items()}
        return data


class JoinLinkIn(Strict):
    """The joining hub's side of the link (docs/hubs.md, "A hub joins"): its broker's address for the
    parent's shovel, and the password of the parent's link user there (never logged or audited)."""
    amqp_address = fields.String(required=True, validate=validate.Regexp(
        r"^[A-Za-z0-9.-]{1,253}:[0-9]{1,5}$", error="host:port of the joining hub's broker expected."))
    password = fields.String(required=True, validate=validate.Regexp(
        r"^[A-Za-z0-9_-]{24,128}$", error="24 to 128 of A-Z a-z 0-9 _ - expected."))


class JoinIn(Strict):
    """A hub joining this one as its child (POST /hubs/join, issue 19): the one-time token its
    parent's operator issued (``routing.cli hub-invite CODE``), its code, name, address and keys."""
    token = fields.String(required=True, validate=validate.Length(min=10, max=200))
    code = fields.String(required=True, validate=validate.Regexp(r"^[A-Z0-9]{2,8}$"))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    public_url = fields.Url(required=True, require_tld=False, schemes={"http", "https"},
                            metadata={"pattern": HTTP_URL_PATTERN})
    public_key = fields.String(required=True, validate=validate.Regexp(
        r"^[A-Za-z0-9+/]{43}=$", error="Not a base64 X25519 public key (44 characters)."))
    signing_key = fields.String(required=True, validate=validate.Regexp(
        r"^[A-Za-z0-9+/]{43}=$", error="Not a base64 Ed25519 public key (44 characters)."))
    message_version = fields.Integer(load_default=None, allow_none=True, validate=validate.OneOf(READ_VERSIONS))
    link = fields.Nested(JoinLinkIn, load_default=None, allow_none=True)


class RegionIn(Strict):
    code = fields.String(required=True, validate=REGION)
    name = fields.String(required=True)
    level = fields.String(required=True, validate=validate.OneOf(("province", "district")))
    parent = fields.String(load_default=None, allow_none=True, validate=REGION)
    timezone = fields.String(required=True, validate=validate.OneOf(TIMEZONES))
    hub = fields.String(required=True)
    keywords = fields.List(fields.String(), load_default=list)


class LiaisonIn(Strict):
    official_id = fields.String(required=True, validate=CODE)
    name = fields.String(required=True)
    email = fields.Email(load_default=None, allow_none=True)
    phone = fields.String(load_default=None, allow_none=True)


class AgencyIn(Strict):
    code = fields.String(required=True, validate=CODE)
    name = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(("ministry", "province", "district", "state_enterprise", "agency")))
    region_code = fields.String(load_default=None, allow_none=True, validate=REGION)
    hub = fields.String(required=True)
    admin = fields.Nested(LiaisonIn, load_default=None, allow_none=True)


class UnitIn(Strict):
    code = fields.String(required=True, validate=CODE)
    agency_code = fields.String(required=True, validate=CODE)
    name = fields.String(required=True)
    liaison = fields.Nested(LiaisonIn, required=True)


class CategoryIn(Strict):
    code = fields.String(required=True, validate=validate.Regexp(r"^[a-z0-9][a-z0-9_.-]{1,39}$"))
    name_id = fields.String(required=True)
    name_en = fields.String(required=True)


class RuleIn(Strict):
    id = fields.String(required=True, validate=CODE)
    classification = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(CLASSIFICATIONS))
    category_code = fields.String(load_default=None, allow_none=True)
    region_code = fields.String(load_default=None, allow_none=True, validate=REGION)
    gesi = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(GESI_MARKERS))
    keywords = fields.List(fields.String(validate=validate.Length(min=2, max=60)), load_default=list)
    priority = fields.Integer(load_default=0, validate=validate.Range(min=0, max=1000))
    agency_code = fields.String(required=True, validate=CODE)
    unit_code = fields.String(load_default=None, allow_none=True, validate=CODE)
    automatic = fields.Boolean(load_default=True)


class OfficialIn(Strict):
    official_id = fields.String(required=True, validate=CODE)
    name = fields.String(required=True)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    hub = fields.String(required=True)
    agency_code = fields.String(load_default=None, allow_none=True, validate=CODE)
    unit_code = fields.String(load_default=None, allow_none=True, validate=CODE)
    email = fields.Email(load_default=None, allow_none=True)
    phone = fields.String(load_default=None, allow_none=True)
    disabled = fields.Boolean(metadata={"description": "Disabled by an admin: no token or session works."})


class RegistryIn(Strict):
    hubs = fields.List(fields.Nested(HubIn), load_default=list)
    regions = fields.List(fields.Nested(RegionIn), load_default=list)
    agencies = fields.List(fields.Nested(AgencyIn), load_default=list)
    units = fields.List(fields.Nested(UnitIn), load_default=list)
    categories = fields.List(fields.Nested(CategoryIn), load_default=list)
    rules = fields.List(fields.Nested(RuleIn), load_default=list)
    officials = fields.List(fields.Nested(OfficialIn), load_default=list)


# --- the tiered workflow: action bodies, inbox queries, views -------------------------------------

class ActionIn(Strict):
    """Common to every action: an optional reason and the version the official acted on."""
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=2000))
    version = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1),
                             metadata={"description": "The report version you read; a stale one answers 409."})


class VerifyIn(ActionIn):
    pass


class PostponeIn(ActionIn):
    until = fields.Date(required=True, metadata={"description": "Postponed until this date (in the future)."})


class ReturnIn(ActionIn):
    """Not our authority: back up one tier, or to the agency named."""
    reason = fields.String(required=True, validate=validate.Length(min=5, max=2000))
    agency_code = fields.String(load_default=None, allow_none=True, validate=CODE)


class ForwardIn(ActionIn):
    """Bukan Wewenang across hubs: send the report to the hub in charge, with the reason."""
    target_hub = fields.String(required=True, validate=validate.Regexp(r"^[A-Z0-9]{2,8}$", error="Not a hub code."))
    reason = fields.String(required=True, validate=validate.Length(min=5, max=1000))


class DispositionIn(ActionIn):
    agency_code = fields.String(load_default=None, allow_none=True, validate=CODE,
                                metadata={"description": "National admin: the agency."})
    unit_code = fields.String(load_default=None, allow_none=True, validate=CODE,
                              metadata={"description": "Agency admin: a unit of their own agency."})


class ArchiveIn(ActionIn):
    reason = fields.String(required=True, validate=validate.Length(min=5, max=2000))


ACTION_BODIES = {"verify": VerifyIn, "postpone": PostponeIn, "return": ReturnIn, "disposition": DispositionIn,
                 "redisposition": DispositionIn, "archive": ArchiveIn}
QUEUES = ("national_triage", "agency", "unit", "archive", "forwarded", "closed")
STATUSES = ("new", "verified", "postponed", "returned", "answered", "closed", "archived", "forwarded")


class InboxQuery(Strict):
    queue = fields.String(load_default=None, validate=validate.OneOf(QUEUES))
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))
    category_code = fields.String(load_default=None, validate=validate.Length(max=40))
    min_age_days = fields.Integer(load_default=None, validate=validate.Range(min=0, max=3650))
    max_age_days = fields.Integer(load_default=None, validate=validate.Range(min=0, max=3650))
    indicator = fields.String(load_default=None, validate=validate.OneOf(("green", "yellow", "red")))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class Position(Schema):
    queue = fields.String(allow_none=True)
    agency_code = fields.String(allow_none=True)
    unit_code = fields.String(allow_none=True)
    status = fields.String(allow_none=True)


class AuditEntryOut(Schema):
    seq = fields.Integer()
    action = fields.String(metadata={"description": "route, forward, handed_back, verify, postpone, return, disposition, "
                                                    "redisposition or archive; case_answered, case_closed or "
                                                    "case_reopened when follow-up's case moved it"})
    actor = fields.String(metadata={"description": "official id, or 'system' for the rules"})
    actor_role = fields.String()
    actor_name = fields.String(allow_none=True)
    at = fields.AwareDateTime()
    from_ = fields.Nested(Position, data_key="from", attribute="from", allow_none=True)
    to = fields.Nested(Position)
    reason = fields.String(allow_none=True)
    until = fields.AwareDateTime(allow_none=True)


class ReportOut(Schema):
    """A report as an official sees it: never the reporter's identity or reference."""
    tracking_id = fields.String()
    title = fields.String()
    description = fields.String()
    location_text = fields.String(allow_none=True)
    incident_date = fields.String(allow_none=True)
    classification = fields.String()
    category_code = fields.String()
    region_code = fields.String()
    channel = fields.String()
    is_anonymous = fields.Boolean()
    is_confidential = fields.Boolean()
    gesi = fields.List(fields.String())
    language = fields.String()
    received_at = fields.AwareDateTime()
    origin_hub = fields.String()
    queue = fields.String()
    status = fields.String()
    agency_code = fields.String(allow_none=True)
    unit_code = fields.String(allow_none=True)
    suggested_unit_code = fields.String(allow_none=True)
    rule_id = fields.String(allow_none=True)
    automatic = fields.Boolean(allow_none=True)
    postponed_until = fields.AwareDateTime(allow_none=True)
    queued_at = fields.AwareDateTime()
    target_hub = fields.String(allow_none=True)
    version = fields.Integer()
    indicator = fields.String(allow_none=True)
    age_days = fields.Integer()
    allowed_actions = fields.List(fields.String())
    forward_targets = fields.List(fields.String(), metadata={
        "description": "Hubs this official may forward the report to now: only hubs that can take it (never this "
                       "hub, a hub already on its path or beyond one, or a hub without a key)."})
    hub_path = fields.List(fields.String(), metadata={
        "description": "The hubs a report forwarded in has been at, ending with this one (empty for one filed here)."})
    history = fields.List(fields.Nested(AuditEntryOut))


class InboxOut(Schema):
    items = fields.List(fields.Nested(ReportOut(exclude=("history", "description"))))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(),
                         metadata={"description": "Reports per status in this inbox (before the status filter)."})


class ExportQuery(Strict):
    format = fields.String(load_default="yaml", validate=validate.OneOf(("yaml", "csv", "json")))
    kind = fields.String(load_default=None, validate=validate.OneOf(REGISTRY_KINDS))

    @validates_schema
    def csv_needs_kind(self, data, **kwargs):
        if data["format"] == "csv" and not data["kind"]:
            raise ValidationError({"kind": ["Missing data for required field."]})


class TokenIn(Strict):
    days = fields.Integer(load_default=30, validate=validate.Range(min=1, max=365))


class TokenOut(Schema):
    token = fields.String(metadata={"description": "Shown once; only its hash is stored."})
    official_id = fields.String()
    expires_at = fields.String()


class CategoryOut(Schema):
    code = fields.String()
    name_id = fields.String()
    name_en = fields.String()
    name = fields.String(metadata={"description": "In the language asked for (Accept-Language)."})


class RegionOut(Schema):
    code = fields.String()
    name = fields.String()
    level = fields.String()
    parent = fields.String(allow_none=True)
    timezone = fields.String()
    hub = fields.String()


class AgencyOut(Schema):
    code = fields.String()
    name = fields.String()
    kind = fields.String()
    region_code = fields.String(allow_none=True)
    hub = fields.String()


class UnitOut(Schema):
    code = fields.String()
    name = fields.String()
    agency_code = fields.String()


PUBLIC_LISTINGS = {"categories": CategoryOut, "regions": RegionOut, "agencies": AgencyOut, "units": UnitOut}

class PasswordLinkIn(Strict):
    hours = fields.Integer(load_default=48, validate=validate.Range(min=1, max=168),
                           metadata={"description": "How long the link works (it works once)."})


class PasswordLinkOut(Schema):
    official_id = fields.String()
    url = fields.String(metadata={"description": "Give it to the official; it works once, until expires_at."})
    expires_at = fields.DateTime()


class SignInForm(Schema):
    """The sign-in page's form (the CSRF field is checked by the page, unknown fields ignored)."""
    class Meta:
        unknown = EXCLUDE

    official_id = fields.String(required=True, validate=validate.Length(min=1, max=100))
    password = fields.String(required=True, validate=validate.Length(min=1, max=200))
    next = fields.String(load_default=url_for("officials_home_slash"), validate=validate.Length(max=500))


class SetPasswordForm(Schema):
    class Meta:
        unknown = EXCLUDE

    password = fields.String(required=True, validate=validate.Length(min=1, max=200))
    confirm = fields.String(required=True, validate=validate.Length(min=1, max=200))


class AccountAuditOut(Schema):
    """Who did what to an official's credentials (never the credential itself)."""
    at = fields.AwareDateTime()
    action = fields.String(metadata={"description": "token_issued, tokens_revoked, password_link_issued, "
                                                    "sessions_ended, signin_limit_lifted, or from the admin pages "
                                                    "official_invited, official_saved, official_disabled, "
                                                    "official_enabled"})
    actor = fields.String(metadata={"description": "The admin's official ID, or operator (the CLI)."})
    official_id = fields.String()
    detail = fields.Dict(metadata={"description": "days, hours, expires_at, revoked, ended or cleared"})

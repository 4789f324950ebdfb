"""The organisation registry as it enters routing (YAML/CSV import, admin RPC)."""
from __future__ import annotations

import re

from marshmallow import RAISE, Schema, fields, validate

from contract.auth import ROLES
from contract.vocab import CLASSIFICATIONS, GESI_MARKERS

CODE = validate.Regexp(re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"), error="Not a valid code.")
REGION = validate.Regexp(re.compile(r"^\d{2}(\d{2})?$"), error="Not a valid BPS region code.")
TIMEZONES = ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura")


class Strict(Schema):
    class Meta:
        unknown = RAISE


class HubIn(Strict):
    code = fields.String(required=True, validate=validate.Regexp(r"^[A-Z0-9]{2,8}$"))
    name = fields.String(required=True)
    level = fields.String(required=True, validate=validate.OneOf(("national", "province", "district")))
    region_code = fields.String(load_default=None, allow_none=True, validate=REGION)


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


class RegistryIn(Strict):
    hubs = fields.List(fields.Nested(HubIn), load_default=list)
    regions = fields.List(fields.Nested(RegionIn), load_default=list)
    agencies = fields.List(fields.Nested(AgencyIn), load_default=list)
    units = fields.List(fields.Nested(UnitIn), load_default=list)
    categories = fields.List(fields.Nested(CategoryIn), load_default=list)
    rules = fields.List(fields.Nested(RuleIn), load_default=list)
    officials = fields.List(fields.Nested(OfficialIn), load_default=list)

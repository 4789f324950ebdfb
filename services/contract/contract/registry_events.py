"""The payloads of the registry's events (``contract.events``): ``registry_updated`` (regions,
categories, the hub directory and every code's name, for the other services' copies) and the
registry parts a hub publishes to its neighbours (``hub_part_published`` / ``hub_part_received``,
``contract.hubregistry``)."""
from __future__ import annotations

from datetime import timezone

from marshmallow import EXCLUDE, fields, validate

from contract.eventbase import EventSchema
from contract.schema import Schema


class RegistryRegion(Schema):
    class Meta:
        unknown = EXCLUDE

    code = fields.String(required=True)
    name = fields.String(load_default=None, allow_none=True)
    keywords = fields.List(fields.String(), load_default=list)


class RegistryCategory(Schema):
    class Meta:
        unknown = EXCLUDE

    code = fields.String(required=True)
    name_id = fields.String(load_default=None, allow_none=True)
    name_en = fields.String(load_default=None, allow_none=True)


class RegistryHub(Schema):
    """One hub of the directory (docs/hubs.md); codes are strings."""
    class Meta:
        unknown = EXCLUDE

    code = fields.String(required=True)
    name = fields.String(load_default=None, allow_none=True)
    tier = fields.String(required=True)
    parent = fields.String(load_default=None, allow_none=True)
    public_url = fields.String(load_default=None, allow_none=True)
    public_key = fields.String(load_default=None, allow_none=True)
    signing_key = fields.String(load_default=None, allow_none=True)
    message_version = fields.Integer(load_default=None, allow_none=True)


class RegistryName(Schema):
    """One code's name in both languages (a hub's public URL with it); see contract.registry_names."""
    class Meta:
        unknown = EXCLUDE

    code = fields.String(required=True)
    id = fields.String(required=True)
    en = fields.String(required=True)
    url = fields.String(load_default=None, allow_none=True)


class RegistryNames(Schema):
    """The names pages and messages show (contract.registry_names): nothing personal."""
    class Meta:
        unknown = EXCLUDE

    categories = fields.List(fields.Nested(RegistryName), load_default=list)
    agencies = fields.List(fields.Nested(RegistryName), load_default=list)
    units = fields.List(fields.Nested(RegistryName), load_default=list)
    hubs = fields.List(fields.Nested(RegistryName), load_default=list)
    regions = fields.List(fields.Nested(RegistryName), load_default=list)


class RegistryUpdated(EventSchema):
    """After an import: the whole list of regions (with SMS keywords) and categories, which other
    services keep copies of (intake accepts reports against it while routing is down).
    ``updated_at`` orders updates: a consumer ignores one older than its copy."""
    version = fields.String(required=True)
    updated_at = fields.AwareDateTime(required=True, default_timezone=timezone.utc)
    regions = fields.List(fields.Nested(RegistryRegion), required=True)
    categories = fields.List(fields.Nested(RegistryCategory), required=True)
    hubs = fields.List(fields.Nested(RegistryHub), load_default=list)  # issue 14: the hub directory
    names = fields.Nested(RegistryNames, load_default=None)  # issue 21: every code's name, id and en


class HubPart(EventSchema):
    """A part of the directory or the registry and its owner's version (contract.hubregistry):
    routing -> intake when this hub's own part changed (intake signs it and sends it to the
    neighbours); intake -> routing when a neighbour brought another hub's part (routing applies it)."""
    owner_hub = fields.String(required=True)
    part = fields.String(required=True, validate=validate.OneOf(("directory", "registry")))
    version = fields.Integer(required=True, validate=validate.Range(min=1))
    published_at = fields.AwareDateTime(required=True, default_timezone=timezone.utc)
    document = fields.Dict(keys=fields.String(), values=fields.List(fields.Dict()), required=True)


# event name -> (source service, payload schema)

"""The messages hubs send each other over the shovel links (``docs/hubs.md``, wire format).

Two kinds, one envelope: a ``transfer`` hands a report to the hub that owns it (the reporter's
identity sealed for that hub, see ``contract.sealing``); a ``status`` carries the owner's steps
back to the origin hub. ``hops`` (the hubs visited, in order) travels with every message so a
message never visits a hub twice. Loaded strictly: an unknown field, kind or ``schema_version``
is refused (the receiver dead-letters it).

Versions (docs/hubs.md, "Mixed versions"): ``SCHEMA_VERSION`` 2 is version 1 with the sending
hub's ``signature`` (``contract.hubsign``). A hub reads both (``READ_VERSIONS``) and writes to each
neighbour the version the directory declares for it (``message_version``, :func:`for_neighbour`),
so a network is upgraded one hub at a time; whether an unsigned version-1 message is believed is
the receiver's trust rule (intake.hub_trust), not the format's.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

from marshmallow import RAISE, ValidationError, fields, validate, validates_schema

from contract import hubaction, hubsign
from contract.ids import HUB_CODE, parse_tracking_id
from contract.schema import Schema
from contract.vocab import CHANNELS, CLASSIFICATIONS, GESI_MARKERS, LANGUAGES

SCHEMA_VERSION = 2
PREVIOUS_VERSION = 1
READ_VERSIONS = (PREVIOUS_VERSION, SCHEMA_VERSION)
# action: a reporter's, from the origin (contract.hubaction); erasure: the reporter's personal data, from
# the origin to each hub holding a copy, acknowledged by an ``erased`` status (intake.handlers.hub_erasure)
KINDS = ("transfer", "status", "action", "erasure")
STEPS = ("accepted", "dispositioned", "case_opened", "answered", "closed", "archived", "not_ours",
         *hubaction.CASE_STEPS, "erased")
ERASURE_REASONS = ("request", "retention")  # intake.privacy.REASONS
MAX_EVIDENCE_BYTES = 5 * 1024 * 1024
MESSAGE_TYPE = "lapor.hub.{kind}"

_HUB = fields.String(required=True, validate=validate.Regexp(HUB_CODE))


def _hub(**kwargs):
    return fields.String(validate=validate.Regexp(HUB_CODE), **kwargs)


class Strict(Schema):
    class Meta:
        unknown = RAISE


class ReportBody(Strict):
    """What the owner needs to handle the report (no identity: that is sealed)."""
    title = fields.String(required=True, validate=validate.Length(max=500))
    description = fields.String(required=True, validate=validate.Length(max=20000))
    classification = fields.String(required=True, validate=validate.OneOf(CLASSIFICATIONS))
    category_code = fields.String(required=True, validate=validate.Length(min=1, max=64))
    region_code = fields.String(required=True, validate=validate.Regexp(r"^\d{2}(\d{2})?$"))
    location_text = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))
    incident_date = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(r"^\d{4}-\d{2}-\d{2}$"))
    latitude = fields.Float(load_default=None, allow_none=True, validate=validate.Range(-90, 90))
    longitude = fields.Float(load_default=None, allow_none=True, validate=validate.Range(-180, 180))
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    language = fields.String(load_default="id", validate=validate.OneOf(LANGUAGES))
    gesi = fields.List(fields.String(validate=validate.OneOf(GESI_MARKERS)), load_default=list)
    is_anonymous = fields.Boolean(required=True)
    is_confidential = fields.Boolean(required=True)
    received_at = fields.AwareDateTime(required=True, default_timezone=timezone.utc)


class EvidenceBody(Strict):
    filename = fields.String(required=True, validate=validate.Length(min=1, max=200))
    content_type = fields.String(required=True, validate=validate.OneOf(("image/jpeg", "image/png", "application/pdf")))
    sha256 = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{64}$"))
    data = fields.String(required=True, validate=validate.Length(max=MAX_EVIDENCE_BYTES * 4 // 3 + 8))


class TransferBody(Strict):
    report = fields.Nested(ReportBody, required=True)
    evidence = fields.List(fields.Nested(EvidenceBody), load_default=list, validate=validate.Length(max=10))
    sealed_reporter = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=8000))
    reason = fields.String(required=True, validate=validate.Length(max=1000))
    forwarded_by = fields.String(required=True, validate=validate.Length(min=1, max=64))
    manual = fields.Boolean(load_default=False)


class StatusBody(Strict):
    step = fields.String(required=True, validate=validate.OneOf(STEPS))
    at = fields.AwareDateTime(required=True, default_timezone=timezone.utc)
    owner_hub = _hub(required=True)
    detail = fields.Dict(keys=fields.String(), values=fields.String(allow_none=True), load_default=dict)


class ErasureBody(Strict):
    """Erase the reporter's identity and contact details held with the report (issue 20, across hubs)."""
    erasure_id = fields.String(required=True, validate=validate.Regexp(r"^[a-f0-9]{32}$"))
    reason = fields.String(required=True, validate=validate.OneOf(ERASURE_REASONS))
    at = fields.AwareDateTime(required=True, default_timezone=timezone.utc)


class HubMessage(Strict):
    schema_version = fields.Integer(required=True, validate=validate.OneOf(READ_VERSIONS))
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    message_id = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_.:-]{8,100}$"))
    tracking_id = fields.String(required=True)
    origin_hub = _hub(required=True)
    source_hub = _hub(required=True)
    target_hub = _hub(required=True)
    hops = fields.List(_hub(), required=True, validate=validate.Length(min=1, max=16))
    sent_at = fields.AwareDateTime(required=True, default_timezone=timezone.utc)
    transfer = fields.Nested(TransferBody, load_default=None, allow_none=True)
    status = fields.Nested(StatusBody, load_default=None, allow_none=True)
    action = fields.Nested(hubaction.ActionBody, load_default=None, allow_none=True)
    erasure = fields.Nested(ErasureBody, load_default=None, allow_none=True)

    @validates_schema
    def check(self, data, **kwargs):
        if parse_tracking_id(data["tracking_id"]) != data["tracking_id"]:
            raise ValidationError("Not a canonical tracking ID.", "tracking_id")
        if not data["tracking_id"].startswith(data["origin_hub"] + "-"):
            raise ValidationError("The origin hub must be the tracking ID's hub.", "origin_hub")
        if data["kind"] == "transfer" and not data.get("transfer"):
            raise ValidationError("A transfer needs its body.", "transfer")
        if data["kind"] == "status" and not data.get("status"):
            raise ValidationError("A status needs its body.", "status")
        if data["kind"] == "action" and not data.get("action"):
            raise ValidationError("An action needs its body.", "action")
        if data["kind"] == "erasure" and not data.get("erasure"):
            raise ValidationError("An erasure needs its body.", "erasure")
        if len(set(data["hops"])) != len(data["hops"]):
            raise ValidationError("A hub appears twice in the hop chain.", "hops")


def load(body) -> dict:
    """A received message, validated (``ValidationError`` when malformed or of a version this hub
    does not read); its signature (version 2) is left out: the receiver's trust rules check it
    on the body as received (a missing one is a bad signature there)."""
    if not isinstance(body, dict):
        raise ValidationError("A hub message is a JSON object.")
    if body.get("schema_version") == PREVIOUS_VERSION and hubsign.SIGNATURE_FIELD in body:
        raise ValidationError("Unknown field.", hubsign.SIGNATURE_FIELD)  # version 1 had none
    if not isinstance(body.get(hubsign.SIGNATURE_FIELD, ""), str):
        raise ValidationError("Not a valid string.", hubsign.SIGNATURE_FIELD)
    return HubMessage().load({k: v for k, v in body.items() if k != hubsign.SIGNATURE_FIELD})


def declared_version(entry) -> int:
    """The message version a hub's directory entry declares (``message_version``; the current one
    when it says nothing or something this hub does not read)."""
    try:
        version = int((entry or {}).get("message_version") or SCHEMA_VERSION)
    except (TypeError, ValueError):
        return SCHEMA_VERSION
    return version if version in READ_VERSIONS else SCHEMA_VERSION


def for_neighbour(message: dict, version: int, private_key: str | None) -> dict:
    """The body to put on the link to a neighbour that reads ``version``: version 2 signed with
    this hub's key (``hubsign.SignError`` without one), version 1 as it was (no signature)."""
    unsigned = {k: v for k, v in message.items() if k != hubsign.SIGNATURE_FIELD}
    if version == PREVIOUS_VERSION:
        return {**unsigned, "schema_version": PREVIOUS_VERSION}
    if not private_key:
        raise hubsign.SignError("this hub has no signing key (LAPOR_HUB_SIGNING_KEY_FILE)")
    return hubsign.sign({**unsigned, "schema_version": SCHEMA_VERSION}, private_key)


def dump(message: dict) -> dict:
    """A message ready to publish (validated: a bad message is refused at the sender)."""
    dumped = HubMessage().dump(message)
    for field in ("action", "erasure"):
        if dumped.get(field) is None:
            dumped.pop(field, None)  # a version-1 reader does not know the field
    HubMessage().load(dumped)
    return dumped


def new_message(kind: str, tracking_id: str, origin_hub: str, source_hub: str, target_hub: str,
                hops: list[str], now: datetime, **body) -> dict:
    return {"schema_version": SCHEMA_VERSION, "kind": kind, "message_id": uuid.uuid4().hex,
            "tracking_id": tracking_id, "origin_hub": origin_hub, "source_hub": source_hub,
            "target_hub": target_hub, "hops": list(hops), "sent_at": now, **body}

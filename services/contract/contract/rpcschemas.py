"""The schemas of the RPC surface: for every method a service calls (``contract.rpc.METHODS`` with
callers), what its arguments are and what its reply is, like the events' payloads.

Both ends use them through ``contract.rpc``: the answering method is decorated with
``@typed("<service>.<method>")`` under ``@rpc`` (its arguments are loaded, bad ones refused with
a ``ValidationError`` naming the field; its reply is dumped through the reply schema), and the
caller holds a ``TypedRpcProxy`` (or wraps a proxy in ``TypedProxy``), which dumps the arguments and
loads the reply (``ReplyRefused`` when it breaks the schema; fields the contract does not promise
are dropped), so no caller reads a shape the contract does not promise.

An argument schema lists the method's parameters in their order (the call is positional); a reply
schema describes one item, with ``many`` for a list and ``nullable`` for "None: nothing found".
Times travel as ISO 8601 text and stay text for the caller (``Instant``): the pages format them
with ``contract.webdates.local_time``.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass

from marshmallow import EXCLUDE, RAISE, fields, pre_dump, validate

from contract.schema import Schema
from contract.vocab import LANGUAGES, STATUSES

ROLES = ("national_admin", "agency_admin", "liaison", "supervisor")
CONTACTS_MAX = 200  # reporters per reporter_contacts call (the courier claims 50 at a time by default)
TRACKING_ID = validate.Length(min=1, max=64)
REF = validate.Length(min=1, max=64)
SECRET = validate.Length(min=1, max=200)


class Instant(fields.AwareDateTime):
    """An aware time: dumped as ISO 8601, loaded (checked) back to the same ISO text."""

    def _deserialize(self, value, attr, data, **kwargs):
        super()._deserialize(value, attr, data, **kwargs)  # a ValidationError if it is not one
        return value


class Arguments(Schema):
    """An RPC method's arguments, in the order of its parameters."""
    class Meta:
        unknown = RAISE


class Reply(Schema):
    """An RPC reply: the caller keeps what the contract promises and drops the rest."""
    class Meta:
        unknown = EXCLUDE


# --- intake --------------------------------------------------------------------------------------

class HistoryEntryOut(Reply):
    at = Instant(required=True)
    step = fields.String(required=True)
    label = fields.String()
    detail = fields.Dict()


class AssignmentOut(Reply):
    queue = fields.String()
    agency_code = fields.String(allow_none=True)
    unit_code = fields.String(allow_none=True)


class CaseOut(Reply):
    case_id = fields.String()
    stage = fields.String()
    due_at = Instant()
    sla_working_days = fields.Integer()


class DeliveryOut(Reply):
    """A report sent to the hub in charge of it (docs/hubs.md)."""
    hub = fields.String()
    state = fields.String(metadata={"description": "waiting, sent_on, accepted, returned or undeliverable"})
    since = Instant(allow_none=True)
    label = fields.String()


class TrackingOut(Reply):
    """What anyone holding the tracking ID sees: no identity, no text of confidential reports."""
    tracking_id = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    status_label = fields.String()
    classification = fields.String(allow_none=True)
    category_code = fields.String(allow_none=True)
    region_code = fields.String(allow_none=True)
    channel = fields.String()
    title = fields.String(allow_none=True)
    missing = fields.List(fields.String(), metadata={"description": "Fields an incomplete report still lacks."})
    is_anonymous = fields.Boolean()
    is_confidential = fields.Boolean()
    received_at = Instant()
    assignment = fields.Nested(AssignmentOut, allow_none=True)
    case = fields.Nested(CaseOut, allow_none=True)
    delivery = fields.Nested(DeliveryOut, allow_none=True)
    history = fields.List(fields.Nested(HistoryEntryOut))


class HubCaseMessageOut(Reply):
    kind = fields.String()
    author_role = fields.String()
    body = fields.String()
    at = Instant()


class HubCaseOut(Reply):
    """The owner hub's case of a forwarded report, as its origin keeps it (issue 19,
    ``intake.hub_case``); the conversation only for the reporter (secret)."""
    hub = fields.String()
    case_status = fields.String(allow_none=True, dump_default=None)
    stage = fields.String(allow_none=True, dump_default=None)
    due_at = Instant(allow_none=True, dump_default=None)
    overall_due_at = Instant(allow_none=True, dump_default=None)
    indicator = fields.String(allow_none=True, dump_default=None)
    reopen_until = Instant(allow_none=True, dump_default=None)
    rating = fields.String(allow_none=True, dump_default=None)
    relay_blocked_by = fields.String(allow_none=True, dump_default=None)  # a version-1 hub on the way
    messages = fields.List(fields.Nested(HubCaseMessageOut), dump_default=list)


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


class ContactOut(Reply):
    """A reporter's contact, for the notification service at send time only."""
    reporter_ref = fields.String(required=True)
    name = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    handle = fields.String(allow_none=True)
    channel = fields.String()
    language = fields.String()
    erased = fields.Boolean()  # the reporter's data was erased (intake.privacy): send them nothing
    # the tracking page where the reporter filed, for a report filed at another hub (issue 19)
    tracking_url = fields.String(allow_none=True, dump_default=None)


class CompletionLinkOut(Reply):
    """A social draft's fresh one-time completion link (for one direct message)."""
    tracking_id = fields.String(required=True)
    url = fields.String(required=True)
    valid_days = fields.Integer(required=True)


class ReporterIn(Arguments):
    tracking_id = fields.String(required=True, validate=TRACKING_ID)
    secret = fields.String(required=True, allow_none=True, validate=SECRET)  # None: no secret, not theirs


class PageViewIn(Arguments):
    tracking_id = fields.String(required=True, validate=TRACKING_ID)
    lang = fields.String(load_default="id", validate=validate.OneOf(LANGUAGES))
    secret = fields.String(load_default=None, allow_none=True, validate=SECRET)


class TrackingIdIn(Arguments):
    tracking_id = fields.String(required=True, validate=TRACKING_ID)


class ContactIn(Arguments):
    reporter_ref = fields.String(required=True, validate=REF)


class ContactsIn(Arguments):
    """The reporters whose contacts the notification service asks for, in one call."""
    reporter_refs = fields.List(fields.String(validate=REF), required=True, validate=validate.Length(max=CONTACTS_MAX))


class RelayActionIn(Arguments):
    """``intake.relay_reporter_action``: the reporter's action (its form loaded by followup's schema)."""
    tracking_id = fields.String(required=True)
    action = fields.String(required=True, validate=validate.OneOf(("reply", "rate", "reopen")))
    form = fields.Dict(required=True)
    secret = fields.String(required=True, validate=validate.Length(max=64))


class RelayOutcomeOut(Reply):
    """Whether the reporter's action went to the hub holding the report: ``relayed`` with its
    ``action_id``, or ``refused`` with why (issue 19, intake.handlers.hub_relay)."""
    relayed = fields.Boolean()
    refused = fields.String()
    hub = fields.String(allow_none=True)
    action_id = fields.String()


class CompletionLinkIn(Arguments):
    """Notification's request for a social draft's one-time completion link, for one direct message."""
    reporter_ref = fields.String(required=True, validate=REF)
    notification_id = fields.String(required=True, validate=REF)


# --- routing -------------------------------------------------------------------------------------

class Principal(Reply):
    """The official behind a token or a browser session (``routing.authenticate*``)."""
    official_id = fields.String(required=True)
    name = fields.String(load_default=None, allow_none=True)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    hub = fields.String(required=True)
    agency_code = fields.String(load_default=None, allow_none=True)
    unit_code = fields.String(load_default=None, allow_none=True)
    via = fields.String(load_default="token", validate=validate.OneOf(("token", "session")))


class OfficialContactOut(Reply):
    """An official to notify, with their work contacts (``contract.rpc.PERSONAL_DATA``: notification only)."""
    official_id = fields.String(required=True)
    name = fields.String(allow_none=True)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)


class DispositionOut(Reply):
    """Where a report stands now at routing (what ``contract.scope`` reads)."""
    queue = fields.String(allow_none=True)
    status = fields.String(allow_none=True)
    agency_code = fields.String(allow_none=True)
    unit_code = fields.String(allow_none=True)
    rule_id = fields.String(allow_none=True)
    automatic = fields.Boolean(allow_none=True)
    suggested_unit_code = fields.String(allow_none=True)
    target_hub = fields.String(allow_none=True)
    version = fields.Integer(allow_none=True)


class TokenIn(Arguments):
    token = fields.String(required=True, validate=SECRET)


class SessionIn(Arguments):
    session_id = fields.String(required=True, validate=SECRET)


class RecipientRefIn(Arguments):
    ref = fields.String(required=True, validate=validate.Length(min=1, max=200))


# --- notification --------------------------------------------------------------------------------

class NotificationOut(Reply):
    """A notification as notification holds it (a data-subject export lists them)."""
    notification_id = fields.String(required=True)
    tracking_id = fields.String(allow_none=True)
    source_event = fields.String()
    recipient_kind = fields.String()
    recipient_ref = fields.String()
    channel = fields.String()
    delivered_channel = fields.String(allow_none=True)
    template = fields.String()
    language = fields.String()
    status = fields.String()
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    created_at = Instant()
    next_attempt_at = Instant(allow_none=True)
    sent_at = Instant(allow_none=True)
    dead_at = Instant(allow_none=True)
    manual_retries = fields.Integer(load_default=0)

    @pre_dump
    def _stored_id(self, notification, **_):
        """A stored notification's ``_id`` is its ``notification_id`` on the wire."""
        if "_id" in notification and "notification_id" not in notification:
            notification = {**notification, "notification_id": notification["_id"]}
        return notification


# --- the table -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Signature:
    """What a method takes and gives: ``reply`` is one item's schema (or a field for a plain value);
    ``many``: a list of them; ``nullable``: None means nothing found."""
    arguments: type[Arguments]
    reply: type[Reply] | fields.Field
    many: bool = False
    nullable: bool = False

    def reply_field(self) -> fields.Field:
        """The reply as one marshmallow field (the envelope both ends dump and load it through)."""
        if isinstance(self.reply, type):
            item = fields.Nested(self.reply, required=not self.many, allow_none=self.nullable and not self.many)
        else:
            item = copy.copy(self.reply)
            item.required, item.allow_none = not self.many, self.nullable and not self.many
        return fields.List(item, required=True) if self.many else item


SIGNATURES: dict[str, Signature] = {
    "intake.verify_reporter": Signature(ReporterIn, fields.Boolean(truthy={True}, falsy={False})),
    "intake.page_view": Signature(PageViewIn, PageViewOut, nullable=True),
    "intake.tracking_page_elsewhere": Signature(TrackingIdIn, fields.Url(
        require_tld=False, schemes={"http", "https"}), nullable=True),
    "intake.reporter_contact": Signature(ContactIn, ContactOut, nullable=True),
    "intake.reporter_contacts": Signature(ContactsIn, ContactOut, many=True),
    "intake.completion_link": Signature(CompletionLinkIn, CompletionLinkOut, nullable=True),
    "intake.relay_reporter_action": Signature(RelayActionIn, RelayOutcomeOut),
    "routing.authenticate": Signature(TokenIn, Principal, nullable=True),
    "routing.authenticate_session": Signature(SessionIn, Principal, nullable=True),
    "routing.recipients": Signature(RecipientRefIn, OfficialContactOut, many=True),
    "routing.disposition": Signature(TrackingIdIn, DispositionOut, nullable=True),
    "notification.for_report": Signature(TrackingIdIn, NotificationOut, many=True),
}

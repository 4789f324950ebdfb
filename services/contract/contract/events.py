"""The event catalogue: names, source services, and one payload schema per event.

Every payload carries ``event_id`` (idempotency key), ``schema_version`` and ``occurred_at``.
Report events also carry ``origin_hub`` (the hub that issued the tracking ID) and ``hub``
(the hub whose stack emitted the event), so that a report can be forwarded between hubs.
Consumers load with ``unknown=EXCLUDE`` so that adding a field is not a breaking change;
removing or retyping one means a new ``schema_version``.
"""
from __future__ import annotations

from datetime import datetime, timezone

from marshmallow import ValidationError, fields, validate, validates_schema

from contract.eventbase import EventSchema  # noqa: F401  (the envelope; events.EventSchema)
from contract.ids import hub_of, new_event_id, parse_tracking_id
from contract.registry_events import HubPart, RegistryUpdated
from contract.vocab import CHANNELS, CLASSIFICATIONS, GESI_MARKERS, LANGUAGES

SCHEMA_VERSION = 1

# intake
REPORT_RECEIVED = "report_received"
REPORT_DRAFT_SAVED = "report_draft_saved"
REPORTER_ACTION_RELAYED = "reporter_action_relayed"  # issue 19: the reporter's action, taken at the origin hub
REPORT_HANDED_BACK = "report_handed_back"  # issue 14: a report sent to another hub came back "not ours either"
# routing (tiered admin workflow)
REPORT_DISPOSITIONED = "report_dispositioned"
REPORT_VERIFIED = "report_verified"
REPORT_POSTPONED = "report_postponed"
REPORT_RETURNED = "report_returned"
REPORT_ARCHIVED = "report_archived"
REPORT_FORWARDED = "report_forwarded"
# routing (organisation registry)
REGISTRY_UPDATED = "registry_updated"
HUB_PART_PUBLISHED = "hub_part_published"  # issue 19: a part of the registry this hub owns, to sign and send
# intake (issue 19: a part of the registry another hub published, believed and to be applied)
HUB_PART_RECEIVED = "hub_part_received"
# followup
CASE_OPENED = "case_opened"
CASE_DUE_SOON = "case_due_soon"
CASE_OVERDUE = "case_overdue"
CASE_ESCALATED = "case_escalated"
CASE_UPDATED = "case_updated"
CASE_ANSWERED = "case_answered"
REPORTER_REPLIED = "reporter_replied"
CASE_RATED = "case_rated"
CASE_REOPENED = "case_reopened"
CASE_CLOSED = "case_closed"
COMMENT_POSTED = "comment_posted"
COMMENT_HIDDEN = "comment_hidden"
# notification
NOTIFICATION_QUEUED = "notification_queued"
NOTIFICATION_SENT = "notification_sent"
NOTIFICATION_DEAD_LETTERED = "notification_dead_lettered"


class ReportEventSchema(EventSchema):
    tracking_id = fields.String(required=True)
    origin_hub = fields.String(required=True)

    @validates_schema
    def _issued_by_origin_hub(self, data, **kwargs):
        """A report event names a tracking ID some hub could have issued (check symbol), and that
        hub is its ``origin_hub``: an event forged with a made-up ID is refused by every consumer."""
        tracking_id, origin = data.get("tracking_id"), data.get("origin_hub")
        if tracking_id is None or origin is None:
            return
        if parse_tracking_id(tracking_id) != tracking_id:
            raise ValidationError("Not a tracking ID any hub issued (format or check symbol).", "tracking_id")
        if hub_of(tracking_id) != origin:
            raise ValidationError(f"The tracking ID was issued by hub {hub_of(tracking_id)}, not {origin}.",
                                  "origin_hub")


class ReportReceived(ReportEventSchema):
    """A complete report was recorded by intake. Carries no reporter identity."""
    target_hub = fields.String(required=True)
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    classification = fields.String(required=True, validate=validate.OneOf(CLASSIFICATIONS))
    category_code = fields.String(required=True)
    region_code = fields.String(required=True)
    title = fields.String(required=True)
    description = fields.String(required=True)
    location_text = fields.String(load_default=None, allow_none=True)
    incident_date = fields.Date(load_default=None, allow_none=True)
    is_anonymous = fields.Boolean(required=True)
    is_confidential = fields.Boolean(required=True)
    reporter_ref = fields.String(required=True)  # pseudonymous; contact resolved via intake RPC
    language = fields.String(load_default="id", validate=validate.OneOf(LANGUAGES))
    gesi = fields.List(fields.String(validate=validate.OneOf(GESI_MARKERS)), load_default=list)
    received_at = fields.AwareDateTime(required=True, default_timezone=timezone.utc)
    # optional, added by issue 3 (intake channels)
    latitude = fields.Float(load_default=None, allow_none=True)
    longitude = fields.Float(load_default=None, allow_none=True)
    original_channel = fields.String(load_default=None, allow_none=True)  # offline channel of a manual entry
    entered_by = fields.String(load_default=None, allow_none=True)        # official id of the entering liaison
    resolution = fields.String(load_default=None, allow_none=True)        # answer when the unit already resolved it
    resolved_at = fields.AwareDateTime(load_default=None, allow_none=True, default_timezone=timezone.utc)
    possible_duplicate_of = fields.String(load_default=None, allow_none=True)  # earlier tracking id, to confirm
    # optional, added by issue 14 (hubs): the hub this report was forwarded in from. It was counted
    # as received at its origin hub already: national totals count it once, there.
    forwarded_from = fields.String(load_default=None, allow_none=True)
    # optional, added by issue 18: every hub the report has been at (relays included), ending with
    # this one; a report is never sent to a hub on it (contract.hubpath)
    hub_path = fields.List(fields.String(), load_default=list)


class ReportDispositioned(ReportEventSchema):
    """The report was assigned to an agency (and unit), by a rule or by an official."""
    agency_code = fields.String(required=True, allow_none=True)
    unit_code = fields.String(load_default=None, allow_none=True)
    queue = fields.String(required=True, validate=validate.OneOf(("national_triage", "agency", "unit")))
    rule_id = fields.String(load_default=None, allow_none=True)
    automatic = fields.Boolean(required=True)
    actor = fields.String(required=True)  # "system" or an official id
    region_code = fields.String(required=True)
    category_code = fields.String(required=True)
    classification = fields.String(required=True)
    channel = fields.String(required=True)
    reporter_ref = fields.String(required=True)
    is_anonymous = fields.Boolean(required=True)
    language = fields.String(load_default="id")
    region_timezone = fields.String(load_default="Asia/Jakarta")
    urgency = fields.String(load_default=None, allow_none=True)  # optional (issue 5): low/normal/high/urgent, for SLA policies


class ReportDraftSaved(ReportEventSchema):
    """An incomplete submission was kept as a draft (not routed); the reporter must complete it."""
    reporter_ref = fields.String(required=True)
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    language = fields.String(load_default="id", validate=validate.OneOf(LANGUAGES))
    missing = fields.List(fields.String(), required=True)  # field names still missing
    saved_at = fields.AwareDateTime(required=True, default_timezone=timezone.utc)


class OfficialActionSchema(ReportEventSchema):
    """An official's action on a report in the tiered workflow (who, role, where it stands)."""
    actor = fields.String(required=True)            # official id
    actor_role = fields.String(required=True)
    agency_code = fields.String(load_default=None, allow_none=True)  # holder after the action
    unit_code = fields.String(load_default=None, allow_none=True)
    queue = fields.String(required=True, validate=validate.OneOf(("national_triage", "agency", "unit", "archive")))
    reason = fields.String(load_default=None, allow_none=True)
    reporter_ref = fields.String(load_default=None, allow_none=True)
    language = fields.String(load_default="id")
    region_code = fields.String(load_default=None, allow_none=True)  # its times are read in this region's zone


class ReportVerified(OfficialActionSchema):
    pass


class ReportPostponed(OfficialActionSchema):
    until = fields.AwareDateTime(required=True, default_timezone=timezone.utc)


class ReportReturned(OfficialActionSchema):
    """Returned as not our authority: back up one tier, or to the agency the returner named."""
    from_agency_code = fields.String(load_default=None, allow_none=True)
    from_unit_code = fields.String(load_default=None, allow_none=True)


class ReportArchived(OfficialActionSchema):
    pass


class ReportHandedBack(ReportEventSchema):
    """A report this hub forwarded came back from the hub network as "not ours either" (a loop
    or an unreachable hub): routing puts it back into the national admin's triage."""
    from_hub = fields.String(required=True)
    target_hub = fields.String(load_default=None, allow_none=True)
    reason = fields.String(load_default=None, allow_none=True)


class ReporterActionRelayed(ReportEventSchema):
    """Issue 19: the reporter's reply, rating or reopening of a forwarded-in report, taken at the
    hub where they filed (which checked the secret) and carried here: followup applies it once."""
    action_id = fields.String(required=True)
    action = fields.String(required=True, validate=validate.OneOf(("reply", "rate", "reopen")))
    from_hub = fields.String(required=True)
    body = fields.String(load_default=None, allow_none=True)
    rating = fields.Integer(load_default=None, allow_none=True)
    comment = fields.String(load_default=None, allow_none=True)
    reason = fields.String(load_default=None, allow_none=True)


class ReportForwarded(ReportEventSchema):
    """The report belongs to another hub and is handed over with everything it needs."""
    target_hub = fields.String(required=True)
    reason = fields.String(required=True)
    report = fields.Nested(ReportReceived, required=True)
    # optional, added by issue 14: an official's Bukan Wewenang to another hub (else a rule's)
    manual = fields.Boolean(load_default=False)
    actor = fields.String(load_default="system")


class CaseOpened(ReportEventSchema):
    case_id = fields.String(required=True)
    agency_code = fields.String(required=True, allow_none=True)
    unit_code = fields.String(load_default=None, allow_none=True)
    stage = fields.String(required=True)
    sla_working_days = fields.Integer(required=True)
    due_at = fields.AwareDateTime(required=True, default_timezone=timezone.utc)
    opened_at = fields.AwareDateTime(required=True, default_timezone=timezone.utc)
    region_code = fields.String(load_default=None, allow_none=True)


class CaseEventSchema(ReportEventSchema):
    case_id = fields.String(required=True)
    agency_code = fields.String(load_default=None, allow_none=True)
    unit_code = fields.String(load_default=None, allow_none=True)
    stage = fields.String(load_default=None, allow_none=True)
    reporter_ref = fields.String(load_default=None, allow_none=True)
    language = fields.String(load_default="id")
    region_code = fields.String(load_default=None, allow_none=True)  # its times are read in this region's zone
    # issue 19: the case as it is after the event (carried to a forwarded report's origin hub)
    case_status = fields.String(load_default=None, allow_none=True)
    case_due_at = fields.AwareDateTime(load_default=None, allow_none=True, default_timezone=timezone.utc)
    reopen_until = fields.AwareDateTime(load_default=None, allow_none=True, default_timezone=timezone.utc)


class CaseDeadline(CaseEventSchema):
    """case_due_soon / case_overdue: once per case and stage."""
    due_at = fields.AwareDateTime(required=True, default_timezone=timezone.utc)
    indicator = fields.String(required=True, validate=validate.OneOf(("green", "yellow", "red")))


class CaseEscalated(CaseEventSchema):
    level = fields.Integer(required=True)            # 1 = agency admin, 2 = supervisor, ...
    escalated_to_role = fields.String(required=True)
    escalated_to = fields.String(required=True)      # official id or scope reference
    due_at = fields.AwareDateTime(required=True, default_timezone=timezone.utc)


class CaseMessage(CaseEventSchema):
    """case_updated (interim update), case_answered (final answer), reporter_replied."""
    message_id = fields.String(required=True)
    author_role = fields.String(required=True)       # liaison, agency_admin, reporter, ...
    excerpt = fields.String(load_default=None, allow_none=True)  # at most 140 characters
    has_attachments = fields.Boolean(load_default=False)
    body = fields.String(load_default=None, allow_none=True)  # an official's whole message (issue 19)


class CaseRated(CaseEventSchema):
    rating = fields.Integer(required=True, validate=validate.Range(min=1, max=5))
    comment = fields.String(load_default=None, allow_none=True)


class CaseReopened(CaseEventSchema):
    reason = fields.String(load_default=None, allow_none=True)


class CaseClosed(CaseEventSchema):
    closed_by = fields.String(required=True)         # reporter, system (auto-close), official id
    on_time = fields.Boolean(required=True)
    opened_at = fields.AwareDateTime(required=True, default_timezone=timezone.utc)
    first_response_at = fields.AwareDateTime(load_default=None, allow_none=True, default_timezone=timezone.utc)
    rating = fields.Integer(load_default=None, allow_none=True)


class CommentEvent(CaseEventSchema):
    """comment_posted / comment_hidden on a public report."""
    comment_id = fields.String(required=True)
    reason = fields.String(load_default=None, allow_none=True)


class NotificationQueued(ReportEventSchema):
    notification_id = fields.String(required=True)
    recipient_kind = fields.String(required=True, validate=validate.OneOf(("reporter", "liaison", "agency_admin", "national_admin", "supervisor")))
    recipient_ref = fields.String(required=True)  # reporter_ref or an official/unit code, never a contact
    channel = fields.String(required=True)
    template = fields.String(required=True)
    language = fields.String(required=True)


class NotificationOutcome(ReportEventSchema):
    """notification_sent / notification_dead_lettered."""
    notification_id = fields.String(required=True)
    recipient_kind = fields.String(required=True)
    channel = fields.String(required=True)
    template = fields.String(required=True)
    attempts = fields.Integer(required=True)
    error = fields.String(load_default=None, allow_none=True)


CATALOGUE = {
    REPORT_RECEIVED: ("intake", ReportReceived),
    REPORT_DRAFT_SAVED: ("intake", ReportDraftSaved),
    REPORT_HANDED_BACK: ("intake", ReportHandedBack),
    REPORTER_ACTION_RELAYED: ("intake", ReporterActionRelayed),
    REPORT_DISPOSITIONED: ("routing", ReportDispositioned),
    REPORT_VERIFIED: ("routing", ReportVerified),
    REPORT_POSTPONED: ("routing", ReportPostponed),
    REPORT_RETURNED: ("routing", ReportReturned),
    REPORT_ARCHIVED: ("routing", ReportArchived),
    REPORT_FORWARDED: ("routing", ReportForwarded),
    REGISTRY_UPDATED: ("routing", RegistryUpdated),
    HUB_PART_PUBLISHED: ("routing", HubPart),
    HUB_PART_RECEIVED: ("intake", HubPart),
    CASE_OPENED: ("followup", CaseOpened),
    CASE_DUE_SOON: ("followup", CaseDeadline),
    CASE_OVERDUE: ("followup", CaseDeadline),
    CASE_ESCALATED: ("followup", CaseEscalated),
    CASE_UPDATED: ("followup", CaseMessage),
    CASE_ANSWERED: ("followup", CaseMessage),
    REPORTER_REPLIED: ("followup", CaseMessage),
    CASE_RATED: ("followup", CaseRated),
    CASE_REOPENED: ("followup", CaseReopened),
    CASE_CLOSED: ("followup", CaseClosed),
    COMMENT_POSTED: ("followup", CommentEvent),
    COMMENT_HIDDEN: ("followup", CommentEvent),
    NOTIFICATION_QUEUED: ("notification", NotificationQueued),
    NOTIFICATION_SENT: ("notification", NotificationOutcome),
    NOTIFICATION_DEAD_LETTERED: ("notification", NotificationOutcome),
}


def source_of(event_type: str) -> str:
    return CATALOGUE[event_type][0]


def build(event_type: str, hub: str, **fields_) -> dict:
    """An outbox entry for ``event_type``: the payload validated and dumped by its schema.

    Raises ``marshmallow.ValidationError`` if the payload breaks the contract, so a bad event
    is refused at the source rather than at every consumer.
    """
    source, schema_cls = CATALOGUE[event_type]
    payload = {"event_id": new_event_id(), "schema_version": SCHEMA_VERSION,
               "occurred_at": datetime.now(timezone.utc), "hub": hub, **fields_}
    schema = schema_cls()
    dumped = schema.dump(payload)
    schema.load(dumped)  # validate: raises on a contract violation
    return {"event_type": event_type, "source": source, "payload": dumped}


def load(event_type: str, payload: dict) -> dict:
    """A received payload, validated against its schema (unknown fields dropped)."""
    return CATALOGUE[event_type][1]().load(payload)

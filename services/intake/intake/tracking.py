"""Intake's tracking entrypoints: one handler per report-related event of the catalogue.

Each handler validates the payload against the contract, then appends the event's history
entry and moves the status (see ``intake.history``), exactly once per event id.
"""
from __future__ import annotations

from nameko.events import event_handler

from contract import events
from contract.consumer import RejectEvent, consume
from intake import history


class TrackingEntrypoints:
    """Mixed into IntakeService; needs ``self.reports`` and ``self.metrics``."""

    @event_handler("routing", events.REPORT_DISPOSITIONED, requeue_on_error=True)
    def on_report_dispositioned(self, payload):
        self._record(events.REPORT_DISPOSITIONED, payload)

    @event_handler("routing", events.REPORT_VERIFIED, requeue_on_error=True)
    def on_report_verified(self, payload):
        self._record(events.REPORT_VERIFIED, payload)

    @event_handler("routing", events.REPORT_POSTPONED, requeue_on_error=True)
    def on_report_postponed(self, payload):
        self._record(events.REPORT_POSTPONED, payload)

    @event_handler("routing", events.REPORT_RETURNED, requeue_on_error=True)
    def on_report_returned(self, payload):
        self._record(events.REPORT_RETURNED, payload)

    @event_handler("routing", events.REPORT_ARCHIVED, requeue_on_error=True)
    def on_report_archived(self, payload):
        self._record(events.REPORT_ARCHIVED, payload)

    @event_handler("routing", events.REPORT_FORWARDED, requeue_on_error=True)
    def on_report_forwarded(self, payload):
        self._record(events.REPORT_FORWARDED, payload)

    @event_handler("followup", events.CASE_OPENED, requeue_on_error=True)
    def on_case_opened(self, payload):
        self._record(events.CASE_OPENED, payload)

    @event_handler("followup", events.CASE_DUE_SOON, requeue_on_error=True)
    def on_case_due_soon(self, payload):
        self._record(events.CASE_DUE_SOON, payload)

    @event_handler("followup", events.CASE_OVERDUE, requeue_on_error=True)
    def on_case_overdue(self, payload):
        self._record(events.CASE_OVERDUE, payload)

    @event_handler("followup", events.CASE_ESCALATED, requeue_on_error=True)
    def on_case_escalated(self, payload):
        self._record(events.CASE_ESCALATED, payload)

    @event_handler("followup", events.CASE_UPDATED, requeue_on_error=True)
    def on_case_updated(self, payload):
        self._record(events.CASE_UPDATED, payload)

    @event_handler("followup", events.CASE_ANSWERED, requeue_on_error=True)
    def on_case_answered(self, payload):
        self._record(events.CASE_ANSWERED, payload)

    @event_handler("followup", events.REPORTER_REPLIED, requeue_on_error=True)
    def on_reporter_replied(self, payload):
        self._record(events.REPORTER_REPLIED, payload)

    @event_handler("followup", events.CASE_RATED, requeue_on_error=True)
    def on_case_rated(self, payload):
        self._record(events.CASE_RATED, payload)

    @event_handler("followup", events.CASE_REOPENED, requeue_on_error=True)
    def on_case_reopened(self, payload):
        self._record(events.CASE_REOPENED, payload)

    @event_handler("followup", events.CASE_CLOSED, requeue_on_error=True)
    def on_case_closed(self, payload):
        self._record(events.CASE_CLOSED, payload)

    @event_handler("followup", events.COMMENT_POSTED, requeue_on_error=True)
    def on_comment_posted(self, payload):
        self._record(events.COMMENT_POSTED, payload)

    @event_handler("followup", events.COMMENT_HIDDEN, requeue_on_error=True)
    def on_comment_hidden(self, payload):
        self._record(events.COMMENT_HIDDEN, payload)

    @event_handler("notification", events.NOTIFICATION_QUEUED, requeue_on_error=True)
    def on_notification_queued(self, payload):
        self._record(events.NOTIFICATION_QUEUED, payload)

    @event_handler("notification", events.NOTIFICATION_SENT, requeue_on_error=True)
    def on_notification_sent(self, payload):
        self._record(events.NOTIFICATION_SENT, payload)

    @event_handler("notification", events.NOTIFICATION_DEAD_LETTERED, requeue_on_error=True)
    def on_notification_dead_lettered(self, payload):
        self._record(events.NOTIFICATION_DEAD_LETTERED, payload)

    def _record(self, event_type: str, payload: dict) -> None:
        def apply(event):
            step = history.step_from_event(event_type, event)
            try:
                return self.reports.record_step(event["event_id"], event["tracking_id"], step)
            except LookupError:
                raise RejectEvent(f"no report {event['tracking_id']} at this hub")
        consume(self.metrics, event_type, payload, apply)

"""Intake's tracking: what each report-related event of the catalogue does to the report.

``record`` is the handler of every tracked event in intake's event table (``intake.service``):
the batch consumer has validated the payload and applies it once per event id; it appends the
event's history entry and moves the status (see ``intake.history``).
"""
from __future__ import annotations

from contract.consumer import RejectEvent
from intake import history


def record(service, event_type: str, event: dict) -> None:
    """Append the event's history entry and move the status (a table entry of intake's consumer)."""
    step = history.step_from_event(event_type, event)
    try:
        service.reports.record_step(event["event_id"], event["tracking_id"], step)
    except LookupError:
        raise RejectEvent(f"no report {event['tracking_id']} at this hub")

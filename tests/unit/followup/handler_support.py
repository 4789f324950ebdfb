"""What follow-up's handler tests share: a driven clock, the fake units, and cases made through
the handlers themselves (a dispositioned report, verified at the unit)."""
from __future__ import annotations

from datetime import datetime

from contract import events
from followup import handlers
from tests.fakes.followup import followup_units

from .factories import dispositioned, utc

MONDAY = utc(2026, 11, 16, 3)  # 10:00 WIB
TRACKING_ID = "ID-AAAAA-AAAAM"
FORM = {"body": "Perbaikan dijadwalkan minggu depan.", "attachments": []}


class Clock:
    def __init__(self, now: datetime = MONDAY):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def units_with_case(verified: bool = True, confidential: bool | None = False, **event):
    """(units, clock) holding one open case for TRACKING_ID, in the unit liaison's hands if ``verified``."""
    clock = Clock()
    units = followup_units(clock)
    if confidential is not None:
        units.run(handlers.record_facts, events.REPORT_RECEIVED, received(is_confidential=confidential))
    units.run(handlers.workflow_event, events.REPORT_DISPOSITIONED, dispositioned(**event))
    if verified:
        units.run(handlers.workflow_event, events.REPORT_VERIFIED,
                  dispositioned(event_id="ev2", actor="lo-bll-pupr", **event))
    return units, clock


def received(**overrides) -> dict:
    event = {"event_id": "rcv1", "tracking_id": TRACKING_ID, "is_confidential": False, "received_at": utc(2026, 11, 16, 2),
             "channel": "web", "resolution": None, "resolved_at": None, "entered_by": None}
    event.update(overrides)
    return event


def stored_case(units) -> dict:
    return units.read(lambda uow: uow.cases.get(TRACKING_ID))

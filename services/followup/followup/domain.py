"""Follow-up rules: cases and their deadlines in working days.

Working days skip Saturdays, Sundays and Indonesian national public holidays; the deadline is
the end of the last working day in the region's own time zone (WIB, WITA or WIT).
"""
from __future__ import annotations

import secrets
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from contract import events


@lru_cache(maxsize=64)
def national_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.Indonesia(years=year).keys())


def is_working_day(day: date, extra_holidays: frozenset[date] = frozenset()) -> bool:
    return day.weekday() < 5 and day not in national_holidays(day.year) and day not in extra_holidays


def add_working_days(start: datetime, days: int, tz: str = "Asia/Jakarta",
                     extra_holidays: frozenset[date] = frozenset()) -> datetime:
    """The end (23:59:59 local) of the ``days``-th working day after ``start``.

    The day of ``start`` itself does not count: a report received on Friday with 1 working day
    is due at the end of Monday (or of the next working day after a holiday).
    """
    zone = ZoneInfo(tz)
    day = start.astimezone(zone).date()
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if is_working_day(day, extra_holidays):
            counted += 1
    return datetime.combine(day, time(23, 59, 59), tzinfo=zone)


def stage_for(queue: str) -> str:
    """Reports in an admin's queue wait for verification; a unit's queue means follow-up."""
    return "follow_up" if queue == "unit" else "verification"


def open_case(dispositioned: dict, sla_days: dict[str, int], now: datetime) -> dict:
    stage = stage_for(dispositioned["queue"])
    days = sla_days[stage]
    return {
        "_id": "case_" + secrets.token_hex(8),
        "tracking_id": dispositioned["tracking_id"],
        "origin_hub": dispositioned["origin_hub"],
        "agency_code": dispositioned.get("agency_code"),
        "unit_code": dispositioned.get("unit_code"),
        "stage": stage,
        "sla_working_days": days,
        "timezone": dispositioned.get("region_timezone", "Asia/Jakarta"),
        "opened_at": now,
        "due_at": add_working_days(now, days, dispositioned.get("region_timezone", "Asia/Jakarta")),
        "status": "open",
    }


def case_opened_event(case: dict, hub: str) -> dict:
    return events.build(events.CASE_OPENED, hub=hub, tracking_id=case["tracking_id"],
                        origin_hub=case["origin_hub"], case_id=case["_id"], agency_code=case["agency_code"],
                        unit_code=case["unit_code"], stage=case["stage"],
                        sla_working_days=case["sla_working_days"], due_at=case["due_at"],
                        opened_at=case["opened_at"])

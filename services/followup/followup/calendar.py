"""Working days: weekends, Indonesian public holidays, cuti bersama and regional holidays.

National public holidays and the government's collective leave days (cuti bersama, category
``government`` of the ``holidays`` package) come from the package; an operator adds further
collective leave and regional holidays (per BPS region code) as data.  Deadlines end at
23:59:59 of the last working day in the region's own time zone (WIB, WITA, WIT).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

END_OF_DAY = time(23, 59, 59)
ZONES = {"WIB": "Asia/Jakarta", "WITA": "Asia/Makassar", "WIT": "Asia/Jayapura"}


@lru_cache(maxsize=128)
def package_holidays(year: int, with_cuti_bersama: bool = True) -> frozenset[date]:
    """Indonesia's public holidays of ``year`` (and the official cuti bersama days)."""
    categories = ("public", "government") if with_cuti_bersama else ("public",)
    return frozenset(holidays.Indonesia(years=year, categories=categories).keys())


def zone(name: str | None) -> ZoneInfo:
    """The time zone for an IANA name or WIB/WITA/WIT (WIB when unknown)."""
    name = ZONES.get(name or "", name or "Asia/Jakarta")
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):
        return ZoneInfo("Asia/Jakarta")


@dataclass(frozen=True)
class WorkCalendar:
    """Days off beyond weekends: the package's holidays plus operator-added days."""

    extra: frozenset[date] = frozenset()                          # national cuti bersama etc.
    regional: dict[str, frozenset[date]] = field(default_factory=dict)  # region code -> days off
    with_cuti_bersama: bool = True

    @classmethod
    def from_entries(cls, entries: list[dict], with_cuti_bersama: bool = True) -> "WorkCalendar":
        """Build from operator entries ``{date, region_code (None = national)}``."""
        extra: set[date] = set()
        regional: dict[str, set[date]] = {}
        for entry in entries:
            day = entry["date"] if isinstance(entry["date"], date) else date.fromisoformat(entry["date"])
            if isinstance(day, datetime):
                day = day.date()
            if entry.get("region_code"):
                regional.setdefault(entry["region_code"], set()).add(day)
            else:
                extra.add(day)
        return cls(frozenset(extra), {k: frozenset(v) for k, v in regional.items()}, with_cuti_bersama)

    def days_off(self, region_code: str | None) -> frozenset[date]:
        """Operator days off that apply to a region: national ones, its own and its province's."""
        days = set(self.extra)
        if region_code:
            for code, regional in self.regional.items():
                if region_code == code or region_code.startswith(code):
                    days |= regional
        return frozenset(days)

    def is_working_day(self, day: date, region_code: str | None = None,
                       days_off: frozenset[date] | None = None) -> bool:
        if day.weekday() >= 5 or day in package_holidays(day.year, self.with_cuti_bersama):
            return False
        return day not in (days_off if days_off is not None else self.days_off(region_code))

    def add_working_days(self, start: datetime, days: int, tz: str | None = "Asia/Jakarta",
                         region_code: str | None = None) -> datetime:
        """The end (23:59:59 local) of the ``days``-th working day after ``start``'s local date.

        The day of ``start`` does not count; ``days == 0`` means the end of ``start``'s own day.
        """
        local = zone(tz)
        day = start.astimezone(local).date()
        off = self.days_off(region_code)
        counted = 0
        while counted < days:
            day += timedelta(days=1)
            if self.is_working_day(day, days_off=off):
                counted += 1
        return datetime.combine(day, END_OF_DAY, tzinfo=local)

    def working_days_before(self, deadline: datetime, days: int, tz: str | None = "Asia/Jakarta",
                            region_code: str | None = None) -> datetime:
        """The end of the working day ``days`` working days before ``deadline``'s local date."""
        local = zone(tz)
        day = deadline.astimezone(local).date()
        off = self.days_off(region_code)
        counted = 0
        while counted < days:
            day -= timedelta(days=1)
            if self.is_working_day(day, days_off=off):
                counted += 1
        return datetime.combine(day, END_OF_DAY, tzinfo=local)

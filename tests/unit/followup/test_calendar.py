"""Deadline arithmetic in working days: weekends, holidays, cuti bersama, regions, time zones."""
from datetime import date, datetime, timedelta, timezone

import pytest

from followup.calendar import WorkCalendar, zone

from .factories import utc

CAL = WorkCalendar()


@pytest.mark.parametrize("start,days,due_local", [
    (utc(2026, 11, 20, 3), 1, date(2026, 11, 23)),    # Friday -> Monday (weekend skipped)
    (utc(2026, 11, 21, 3), 5, date(2026, 11, 27)),    # Saturday -> next Friday
    (utc(2026, 11, 16, 3), 5, date(2026, 11, 23)),    # Monday + 5 -> next Monday (start day not counted)
    (utc(2026, 11, 16, 3), 0, date(2026, 11, 16)),    # zero days: end of the same day
    (utc(2026, 8, 14, 3), 1, date(2026, 8, 18)),      # Friday -> over Independence Day (Mon 17 Aug)
    (utc(2026, 12, 23, 3), 1, date(2026, 12, 28)),    # Wed -> cuti bersama 24 Dec, Christmas 25 Dec, weekend
    (utc(2026, 3, 17, 3), 1, date(2026, 3, 25)),      # Nyepi + Idul Fitri with their cuti bersama days
])
def test_working_days_skip_weekends_holidays_and_cuti_bersama(start, days, due_local):
    due = CAL.add_working_days(start, days, "Asia/Jakarta")
    assert due.date() == due_local and (due.hour, due.minute, due.second) == (23, 59, 59)


def test_cuti_bersama_from_the_package_can_be_switched_off():
    without = WorkCalendar(with_cuti_bersama=False)
    assert without.add_working_days(utc(2026, 12, 23, 3), 1).date() == date(2026, 12, 24)


def test_operator_cuti_bersama_is_a_national_day_off():
    cal = WorkCalendar.from_entries([{"date": "2026-11-23", "region_code": None}])
    assert cal.add_working_days(utc(2026, 11, 20, 3), 1).date() == date(2026, 11, 24)
    assert cal.add_working_days(utc(2026, 11, 20, 3), 1, region_code="6202").date() == date(2026, 11, 24)


def test_regional_holiday_applies_to_the_region_and_its_districts_only():
    cal = WorkCalendar.from_entries([{"date": date(2026, 11, 25), "region_code": "51"}])  # Bali province
    start = utc(2026, 11, 24, 3)  # Tuesday
    assert cal.add_working_days(start, 1, "Asia/Makassar", "5108").date() == date(2026, 11, 26)  # Buleleng
    assert cal.add_working_days(start, 1, "Asia/Makassar", "51").date() == date(2026, 11, 26)
    assert cal.add_working_days(start, 1, "Asia/Jakarta", "6202").date() == date(2026, 11, 25)  # Kotim works


def test_the_region_time_zone_decides_the_start_day_and_the_deadline():
    start = utc(2026, 11, 19, 16, 30)  # Thu 23:30 WIB = Fri 00:30 WITA = Fri 01:30 WIT
    wib = CAL.add_working_days(start, 1, "Asia/Jakarta")
    wita = CAL.add_working_days(start, 1, "WITA")
    wit = CAL.add_working_days(start, 1, "Asia/Jayapura")
    assert wib.date() == date(2026, 11, 20)
    assert wita.date() == date(2026, 11, 23) and wit.date() == date(2026, 11, 23)
    assert wib.astimezone(timezone.utc) == utc(2026, 11, 20, 16, 59, 59)
    assert wita.astimezone(timezone.utc) == utc(2026, 11, 23, 15, 59, 59)
    assert wit.astimezone(timezone.utc) == utc(2026, 11, 23, 14, 59, 59)
    assert wit.utcoffset() == timedelta(hours=9)


def test_unknown_zone_falls_back_to_wib():
    assert zone("Mars/Olympus").key == "Asia/Jakarta" and zone("WIT").key == "Asia/Jayapura"


def test_working_days_before_a_deadline():
    deadline = datetime(2026, 11, 23, 23, 59, 59, tzinfo=zone("WIB"))  # Monday
    assert CAL.working_days_before(deadline, 1, "WIB").date() == date(2026, 11, 20)  # previous Friday
    assert CAL.working_days_before(deadline, 0, "WIB").date() == date(2026, 11, 23)

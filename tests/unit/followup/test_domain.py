from datetime import date, datetime, timezone

import pytest

from followup import domain


def utc(*args):
    return datetime(*args, tzinfo=timezone.utc)


@pytest.mark.parametrize("start,days,due_local", [
    (utc(2026, 11, 20, 3), 1, date(2026, 11, 23)),   # Friday -> Monday
    (utc(2026, 11, 21, 3), 5, date(2026, 11, 27)),   # Saturday -> next Friday
    (utc(2026, 12, 23, 3), 1, date(2026, 12, 24)),   # Wednesday -> Thursday
    (utc(2026, 12, 24, 3), 1, date(2026, 12, 28)),   # Thursday -> over Christmas (Fri) and the weekend
])
def test_working_days_skip_weekends_and_national_holidays(start, days, due_local):
    due = domain.add_working_days(start, days, "Asia/Jakarta")
    assert due.date() == due_local and (due.hour, due.minute) == (23, 59)


def test_deadline_uses_region_time_zone():
    # 20:00 UTC Friday is already Saturday 05:00 in WIT (UTC+9): the clock starts from Saturday.
    start = utc(2026, 11, 20, 20)
    assert domain.add_working_days(start, 1, "Asia/Jakarta").date() == date(2026, 11, 23)
    wit = domain.add_working_days(start, 1, "Asia/Jayapura")
    assert wit.date() == date(2026, 11, 23) and wit.utcoffset().total_seconds() == 9 * 3600


def test_extra_holidays_count_as_days_off():
    start = utc(2026, 11, 20, 3)
    assert domain.add_working_days(start, 1, extra_holidays=frozenset({date(2026, 11, 23)})).date() == date(2026, 11, 24)


def test_case_stage_and_sla_follow_the_queue():
    now = utc(2026, 11, 20, 3)
    base = {"tracking_id": "ID-X", "origin_hub": "ID", "agency_code": "A", "region_timezone": "Asia/Makassar"}
    unit_case = domain.open_case({**base, "queue": "unit", "unit_code": "U"}, {"verification": 3, "follow_up": 5}, now)
    triage_case = domain.open_case({**base, "queue": "national_triage"}, {"verification": 3, "follow_up": 5}, now)
    assert (unit_case["stage"], unit_case["sla_working_days"]) == ("follow_up", 5)
    assert (triage_case["stage"], triage_case["sla_working_days"]) == ("verification", 3)
    assert unit_case["due_at"].date() == date(2026, 11, 27)

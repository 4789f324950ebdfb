"""The one time zone rule (issue 21, contract.webdates.local_time): a time is shown in the zone of the
report's region (by its BPS province code), with the zone's name, in the reader's language."""
from datetime import date, datetime, timezone

import pytest

from contract.webdates import local_time, parse_typed_date, typed_date, zone_name

# 16:30 UTC: 23:30 the same day in WIB, past midnight in WITA and WIT
LATE = datetime(2026, 11, 30, 16, 30, tzinfo=timezone.utc)


@pytest.mark.parametrize("region, shown", [
    ("3171", "30 November 2026, 23:30 WIB"),     # Jakarta Pusat
    ("6201", "30 November 2026, 23:30 WIB"),     # Kalimantan Tengah: WIB although on Borneo
    ("5108", "1 Desember 2026, 00:30 WITA"),     # Buleleng, Bali
    ("7317", "1 Desember 2026, 00:30 WITA"),     # Luwu, Sulawesi Selatan
    ("6471", "1 Desember 2026, 00:30 WITA"),     # Balikpapan, Kalimantan Timur
    ("9471", "1 Desember 2026, 01:30 WIT"),      # Jayapura, Papua
    ("8171", "1 Desember 2026, 01:30 WIT"),      # Ambon, Maluku
])
def test_a_time_is_shown_in_the_zone_of_the_regions_province_across_the_day_boundary(region, shown):
    assert local_time(LATE, region) == shown


def test_the_day_follows_the_zone_too():
    assert local_time(LATE, "3171", with_time=False) == "30 November 2026"
    assert local_time(LATE, "51", with_time=False) == "1 Desember 2026"
    assert local_time(LATE, "9471", "en", with_time=False) == "1 December 2026"


def test_english_months_and_every_way_of_naming_a_zone():
    assert local_time(LATE, "5108", "en") == "1 December 2026, 00:30 WITA"
    assert local_time("2026-11-30T16:30:00+00:00", "Asia/Makassar") == "1 Desember 2026, 00:30 WITA"
    assert local_time("2026-11-30T16:30:00Z", "WIT") == "1 Desember 2026, 01:30 WIT"
    assert local_time(datetime(2026, 11, 30, 16, 30), "7317") == "1 Desember 2026, 00:30 WITA"  # naive is UTC
    # the same instant, already in another zone, is still shown in the region's
    assert local_time(LATE.astimezone(timezone.utc).astimezone(), "5108").endswith("00:30 WITA")


def test_unknown_regions_are_wib_and_nothing_is_blank():
    assert [zone_name(w) for w in (None, "", "ID", "9999", "Europe/Paris")] == ["WIB"] * 5
    assert local_time(None, "5108") == "" and local_time("not a date", "5108") == ""
    assert local_time(date(2026, 12, 1), "9471") == "1 Desember 2026"


def test_dates_typed_by_people_in_the_pages_format():
    assert parse_typed_date("31/12/2026") == date(2026, 12, 31)
    assert parse_typed_date(" 1-2-2027 ") == date(2027, 2, 1)
    assert parse_typed_date("2026-12-31") == date(2026, 12, 31)
    assert [parse_typed_date(t) for t in ("12/31/2026", "31/12/26", "", None, "besok")] == [None] * 5
    assert typed_date(date(2026, 12, 1)) == "01/12/2026" and typed_date("2026-12-01") == "01/12/2026"

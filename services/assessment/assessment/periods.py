"""Reporting periods: a year (``2024``), a quarter (``2024-Q2``) or a month (``2024-05``).

Monitoring is monthly and quarterly, evaluation yearly (seed 004, Pasal 7).  Every period is a
list of months (``YYYY-MM``); aggregates are kept per month, quarter and year, so ``keys`` (the
period's own label) selects the one rollup cell per value.
"""
from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from contract import i18n
from contract.errors import ApiError, translated

TEXTS = i18n.of_service("assessment")  # error texts: ``api.*`` (contract.i18n)

_YEAR = re.compile(r"^([0-9]{4})$")
_QUARTER = re.compile(r"^([0-9]{4})-[Qq]([1-4])$")
_MONTH = re.compile(r"^([0-9]{4})-(0[1-9]|1[0-2])$")
MIN_YEAR, MAX_YEAR = 2000, 2100
# what parse() accepts, for the OpenAPI document
PERIOD_PATTERN = r"^\s*(20[0-9]{2}|2100)(-[Qq][1-4]|-(0[1-9]|1[0-2]))?\s*$"


def bad_period(field: str = "period") -> ApiError:
    return ApiError([translated(field, "invalid", TEXTS, "api.period.invalid")])


def parse(text: str | None, field: str = "period") -> dict:
    """{"period", "kind", "year", "months"} for a period text, or ApiError naming ``field``."""
    text = (text or "").strip()
    for kind, pattern in (("year", _YEAR), ("quarter", _QUARTER), ("month", _MONTH)):
        match = pattern.match(text)
        if not match:
            continue
        year = int(match.group(1))
        if not MIN_YEAR <= year <= MAX_YEAR:
            raise bad_period(field)
        if kind == "year":
            months = list(range(1, 13))
            label = f"{year}"
        elif kind == "quarter":
            q = int(match.group(2))
            months = list(range(3 * q - 2, 3 * q + 1))
            label = f"{year}-Q{q}"
        else:
            months = [int(match.group(2))]
            label = f"{year}-{months[0]:02d}"
        return {"period": label, "kind": kind, "year": year, "months": [f"{year}-{m:02d}" for m in months],
                "keys": [label]}
    raise bad_period(field)


def month_of(moment: datetime, timezone: str) -> str:
    """The reporting month (``YYYY-MM``) of an instant, in the hub's reporting time zone."""
    return moment.astimezone(ZoneInfo(timezone)).strftime("%Y-%m")


def quarter_of(month: str) -> str:
    year, m = month.split("-")
    return f"{year}-Q{(int(m) - 1) // 3 + 1}"


def year(text: str) -> int:
    """A year in a path (``/targets/2024``), or ApiError."""
    if not _YEAR.match(text) or not MIN_YEAR <= int(text) <= MAX_YEAR:
        raise ApiError([translated("year", "invalid", TEXTS, "api.period.year")])
    return int(text)

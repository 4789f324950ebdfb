"""Dates and times on the web pages, in the page's language: the ``day`` and ``moment`` Jinja
filters of ``contract.web`` (``16 November 2026``; ``16 November 2026, 14:05 WITA``)."""
from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jinja2 import pass_context

DEFAULT_LANG = "id"

MONTHS = {"id": ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September",
                  "Oktober", "November", "Desember"),
          "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September",
                  "October", "November", "December")}


def _as_datetime(value):
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00")) if "T" in value else date.fromisoformat(value)
        except ValueError:
            return None
    return value


@pass_context
def day(context, value) -> str:
    """``16 November 2026`` in the page's language ('' for nothing)."""
    value = _as_datetime(value)
    if not isinstance(value, date):
        return ""
    return f"{value.day} {MONTHS[context.get('lang', DEFAULT_LANG)][value.month - 1]} {value.year}"


@pass_context
def moment(context, value, zone_name: str | None = None) -> str:
    """``16 November 2026, 14:05 WITA``: the day and the time in ``zone_name`` (an IANA zone such
    as ``Asia/Makassar``) or else in the value's own zone."""
    value = _as_datetime(value)
    if not isinstance(value, datetime):
        return day(context, value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    if zone_name:
        try:
            value = value.astimezone(ZoneInfo(zone_name))
        except (ValueError, KeyError, ZoneInfoNotFoundError):
            pass
    zone = {7: "WIB", 8: "WITA", 9: "WIT", 0: "UTC"}.get(int(value.utcoffset().total_seconds() // 3600), value.strftime("%z"))
    return f"{day(context, value)}, {value:%H:%M} {zone}"

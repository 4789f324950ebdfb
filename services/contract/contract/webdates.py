"""The one time zone rule (issue 21): every time a person reads is shown in the zone of the
report's region, with the zone's name, in the reader's language: ``local_time`` below, used by the
pages (the ``day``, ``moment`` and ``local_time`` Jinja filters of ``contract.web`` and
``contract.officials_web``) and the messages (notification's ``when`` and ``day``).

- The zone of a region comes from its province, the first two digits of its BPS code
  (``5108`` Buleleng -> 51 Bali -> WITA): WIB (UTC+7) for Sumatra, Java and West/Central
  Kalimantan, WITA (UTC+8) for Bali, Nusa Tenggara, South/East/North Kalimantan and Sulawesi, WIT
  (UTC+9) for Maluku and Papua.  ``where`` may also name a zone (``WITA``, ``Asia/Makassar``);
  nothing known means WIB, the zone of the national hub.
- ``16 November 2026, 14:05 WITA`` (``16 November 2026`` for a date), months in the reader's
  language; a time is never shown without its zone's name.
- Dates typed by people (``parse_typed_date``) are written as the page says (``DATE_HINT``:
  dd/mm/yyyy in both languages, as Indonesia writes them), in a text input that needs no script.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from jinja2 import pass_context

from contract import i18n

DEFAULT_LANG = "id"

# month names and the typed-date hint come from the contract's catalogue (``date.*``, contract.i18n)
MONTHS = {lang: tuple(i18n.text(f"date.month.{n}", lang) for n in range(1, 13)) for lang in i18n.LANGS}

ZONES = {"WIB": "Asia/Jakarta", "WITA": "Asia/Makassar", "WIT": "Asia/Jayapura"}
ZONE_OF_IANA = {iana: name for name, iana in ZONES.items()}
DEFAULT_ZONE = "WIB"

# BPS province codes (the first two digits of every region code) -> zone
PROVINCE_ZONES = {
    **dict.fromkeys(("11", "12", "13", "14", "15", "16", "17", "18", "19", "21",  # Sumatra, Riau Islands
                     "31", "32", "33", "34", "35", "36",                          # Java, Banten
                     "61", "62"), "WIB"),                                        # West, Central Kalimantan
    **dict.fromkeys(("51", "52", "53",                                            # Bali, Nusa Tenggara
                     "63", "64", "65",                                            # South, East, North Kalimantan
                     "71", "72", "73", "74", "75", "76"), "WITA"),                # Sulawesi, Gorontalo
    **dict.fromkeys(("81", "82",                                                  # Maluku
                     "91", "92", "93", "94", "95", "96", "97"), "WIT"),           # the Papua provinces
}

# How a person types a date on a page (a text input with this pattern and hint, no script needed)
DATE_PATTERN = r"\d{1,2}[/\-.]\d{1,2}[/\-.]\d{4}|\d{4}-\d{2}-\d{2}"
DATE_HINT = i18n.common().both("date.hint")  # {lang: hint}, for templates: ``date_hint[lang]``
_TYPED = re.compile(r"\s*(\d{1,2})[/\-.](\d{1,2})[/\-.](\d{4})\s*")


def zone_name(where: str | None) -> str:
    """``WIB``, ``WITA`` or ``WIT`` for a region code (``5108``), a zone's name or an IANA zone."""
    where = (where or "").strip()
    if where in ZONES:
        return where
    if where in ZONE_OF_IANA:
        return ZONE_OF_IANA[where]
    if where[:2].isdigit():
        return PROVINCE_ZONES.get(where[:2], DEFAULT_ZONE)
    return DEFAULT_ZONE


def zone_of(where: str | None) -> ZoneInfo:
    """The ``ZoneInfo`` of ``zone_name(where)``."""
    return ZoneInfo(ZONES[zone_name(where)])


def _as_datetime(value):
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00")) if "T" in value else date.fromisoformat(value)
        except ValueError:
            return None
    return value


def local_time(value, where: str | None = None, lang: str = DEFAULT_LANG, with_time: bool = True) -> str:
    """THE way a time is shown to a person: ``16 November 2026, 14:05 WITA`` in the zone of
    ``where`` (a region code, a zone's name or an IANA zone; WIB when unknown), in ``lang``.
    A naive datetime is UTC; a date (or ``with_time=False``) gives ``16 November 2026`` (the day in
    that zone); nothing gives ''."""
    value = _as_datetime(value)
    if not isinstance(value, date):
        return ""
    months = MONTHS.get(lang, MONTHS[DEFAULT_LANG])
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        name = zone_name(where)
        value = value.astimezone(ZoneInfo(ZONES[name]))
        if with_time:
            return f"{value.day} {months[value.month - 1]} {value.year}, {value:%H:%M} {name}"
    return f"{value.day} {months[value.month - 1]} {value.year}"


def parse_typed_date(text: str | None) -> date | None:
    """A date a person typed (``31/12/2026``, ``31-12-2026``, or ISO ``2026-12-31``), or None."""
    text = (text or "").strip()
    found = _TYPED.fullmatch(text)
    try:
        if found:
            return date(int(found[3]), int(found[2]), int(found[1]))
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def typed_date(value) -> str:
    """A date as a person types it on a page (``31/12/2026``), for a form shown again."""
    value = _as_datetime(value) if isinstance(value, str) else value
    return f"{value:%d/%m/%Y}" if isinstance(value, date) else (value or "")


# --- the Jinja filters (the page's language from the template's context) -----------------------
@pass_context
def day(context, value, where: str | None = None) -> str:
    """``16 November 2026`` in the page's language ('' for nothing)."""
    return local_time(value, where, context.get("lang", DEFAULT_LANG), with_time=False)


@pass_context
def moment(context, value, where: str | None = None) -> str:
    """``16 November 2026, 14:05 WITA``: in the zone of ``where`` (region code or zone)."""
    return local_time(value, where, context.get("lang", DEFAULT_LANG))


@pass_context
def official_moment(context, value, where: str | None = None) -> str:
    """``moment`` for the officials' pages, ``-`` for nothing."""
    return local_time(value, where, context.get("lang", DEFAULT_LANG)) or "-"

"""Tracking IDs: unique across hubs, not guessable, short enough for the phone and SMS.

Format: ``<HUB>-<XXXXX>-<XXXXY>`` where HUB is the issuing hub's code (``ID`` for the national
hub, the BPS region code for provincial/district hubs, e.g. ``5108`` for Buleleng), the X are
nine random Crockford base-32 symbols (45 bits from ``secrets``) and Y is a Crockford check
symbol over the random part, so a mistyped ID read over the phone is rejected, not confused
with another report.  Example: ``5108-K7M4X-9XQ2B``.
"""
from __future__ import annotations

import re
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U
RANDOM_SYMBOLS = 9
HUB_CODE = re.compile(r"^[A-Z0-9]{2,8}$")
_TRACKING = re.compile(r"^([A-Z0-9]{2,8})-([0-9A-Z]{5})-([0-9A-Z]{4})([0-9A-Z])$")
_NORMALISE = str.maketrans({"O": "0", "I": "1", "L": "1"})
# What parse_tracking_id accepts, for documents (OpenAPI): everything but the check symbol's arithmetic.
_BODY, _CHECK = "[0-9A-TV-Za-tv-z]", "[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]"
TRACKING_ID_PATTERN = rf"^\s*#*[A-Za-z0-9]{{2,8}}[- ]+{_BODY}{{5}}[- ]+{_BODY}{{4}}{_CHECK}\s*$"


def check_symbol(symbols: str) -> str:
    """The Luhn mod-32 check symbol of a string of base-32 symbols.

    Catches every single mistyped symbol and most swaps of two neighbours.
    """
    factor, total = 2, 0
    for ch in reversed(symbols):
        addend = factor * ALPHABET.index(ch)
        factor = 1 if factor == 2 else 2
        total += addend // 32 + addend % 32
    return ALPHABET[(32 - total % 32) % 32]


def new_tracking_id(hub_code: str) -> str:
    """A fresh tracking ID issued by ``hub_code``."""
    if not HUB_CODE.match(hub_code):
        raise ValueError(f"invalid hub code {hub_code!r}")
    body = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_SYMBOLS))
    return f"{hub_code}-{body[:5]}-{body[5:]}{check_symbol(body)}"


def parse_tracking_id(text: str) -> str | None:
    """The canonical form of a tracking ID typed by a person, or None if it is not one.

    Accepts lower case, a leading ``#``, spaces instead of hyphens, and the Crockford
    look-alikes O/I/L for 0/1/1 in the random part.
    """
    if not isinstance(text, str):
        return None
    cleaned = text.strip().lstrip("#").upper().replace(" ", "-")
    cleaned = re.sub("-+", "-", cleaned)
    parts = cleaned.split("-")
    if len(parts) != 3:
        return None
    hub, first, second = parts
    first, second = first.translate(_NORMALISE), second[:-1].translate(_NORMALISE) + second[-1:]
    match = _TRACKING.match(f"{hub}-{first}-{second}")
    if not match:
        return None
    body = match.group(2) + match.group(3)
    if any(ch not in ALPHABET for ch in body + match.group(4)) or check_symbol(body) != match.group(4):
        return None
    return match.group(0)


def hub_of(tracking_id: str) -> str:
    """The code of the hub that issued a (canonical) tracking ID."""
    return tracking_id.split("-", 1)[0]


def new_event_id() -> str:
    """A unique id for one event occurrence (idempotency key of handlers)."""
    return secrets.token_hex(12)

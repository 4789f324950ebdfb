"""Intake's view of the region and category registry: region keywords for SMS and social posts.

Intake keeps its own copy of the regions (code, name, keywords) and categories, so that the
front door keeps accepting and classifying reports while routing is down (docs/intake.md).
Plain functions on plain dicts: no nameko, pymongo or kombu here.
"""
from __future__ import annotations

import difflib
import re
import unicodedata

NATIONAL_REGION = "00"  # region not stated or not recognised: routing sends it to national triage
_PREFIXES = ("kabupaten ", "kab ", "kota ", "provinsi ", "prov ", "kotamadya ")
_NON_WORD = re.compile(r"[^a-z0-9 ]+")
MAX_KEYWORD_WORDS = 3
FUZZY_CUTOFF = 0.8


def normalise(text: str) -> str:
    """Lower case, accents and punctuation removed, single spaces."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(_NON_WORD.sub(" ", text.lower().replace(".", "")).split())


def keyword_index(regions: list[dict]) -> dict[str, str]:
    """Normalised keyword -> region code: each region's keywords, its name and its name
    without the administrative prefix (``Kabupaten Buleleng`` -> ``buleleng``)."""
    index: dict[str, str] = {}
    for region in regions:
        names = [*(region.get("keywords") or []), region.get("name") or ""]
        for name in names:
            key = normalise(name)
            for prefix in _PREFIXES:
                if key.startswith(prefix):
                    index.setdefault(key[len(prefix):], region["code"])
            if key:
                index.setdefault(key, region["code"])
    return index


def match_prefix(text: str, index: dict[str, str]) -> tuple[str | None, str]:
    """The region named by the first words of ``text`` and the rest of the text.

    Tries the longest keyword first (``tanah laut`` before ``tanah``), then a close spelling of
    the first one or two words (``Bulelng``).  Returns ``(None, text)`` when nothing matches.
    """
    words = text.split()
    normalised = [normalise(w) for w in words]
    for size in range(min(MAX_KEYWORD_WORDS, len(words)), 0, -1):
        key = " ".join(w for w in normalised[:size] if w)
        if key in index:
            return index[key], " ".join(words[size:])
    for size in (2, 1):
        if len(words) > size:
            key = " ".join(normalised[:size])
            close = difflib.get_close_matches(key, index.keys(), n=1, cutoff=FUZZY_CUTOFF) if len(key) >= 4 else []
            if close:
                return index[close[0]], " ".join(words[size:])
    return None, text


def find_anywhere(text: str, index: dict[str, str]) -> str | None:
    """A region whose keyword appears as whole words anywhere in ``text`` (social posts)."""
    padded = f" {normalise(text)} "
    for key in sorted(index, key=len, reverse=True):
        if len(key) >= 4 and f" {key} " in padded:
            return index[key]
    return None

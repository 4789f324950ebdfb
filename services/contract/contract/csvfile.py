"""The one CSV writer for every CSV the platform writes (exports, downloads, error reports).

Reporter- or official-supplied text can start with a spreadsheet formula (``=HYPERLINK(...)``,
``@SUM(...)``); a spreadsheet opening the file would run it. Every text cell starting with
``=``, ``+``, ``-``, ``@``, TAB or CR is written with a leading apostrophe (OWASP "CSV
injection"), which spreadsheets show as text; plain numbers (``-8.112``) are left as they are.
``restore`` undoes it for files the platform reads back (the registry round trip).
"""
from __future__ import annotations

import csv
import re
from typing import Any, Iterable

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def neutralised(value: Any) -> Any:
    """``value`` safe to open in a spreadsheet (a formula-like text gets a leading apostrophe)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES) and not _NUMBER.match(value):
        return "'" + value
    return value


def restore(text: str) -> str:
    """The text ``neutralised`` was given (for reading our own files back)."""
    return text[1:] if text.startswith("'") and text[1:2] and text[1] in "".join(FORMULA_PREFIXES) else text


class _Writer:
    def __init__(self, out, **options):
        # CRLF (RFC 4180): Python 3.11 quotes a cell holding CR or LF only when they are in the terminator
        self._writer = csv.writer(out, lineterminator="\r\n", **options)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([neutralised(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


class _DictWriter:
    def __init__(self, out, fieldnames: list[str], **options):
        self.fieldnames = fieldnames
        self._writer = _Writer(out, **options)

    def writeheader(self) -> None:
        self._writer.writerow(self.fieldnames)

    def writerow(self, row: dict) -> None:
        self._writer.writerow([row.get(name, "") for name in self.fieldnames])


def writer(out, **options) -> _Writer:
    """``csv.writer`` (RFC 4180 lines) that neutralises formulas in every cell."""
    return _Writer(out, **options)


def dict_writer(out, fieldnames: list[str], **options) -> _DictWriter:
    """``csv.DictWriter`` (missing keys empty) that neutralises formulas in every cell."""
    return _DictWriter(out, fieldnames, **options)

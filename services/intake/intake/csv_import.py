"""Bulk import of offline reports from CSV: each row validated whole, stored whole or not at all.

Plain functions: no nameko, pymongo or kombu here.
"""
from __future__ import annotations

import csv
import hashlib
import io
from typing import Iterator

from marshmallow import ValidationError

from contract import errors
from intake import completeness
from intake.channel_schemas import ManualIn
from intake.schemas import load_report

COLUMNS = ("title", "description", "classification", "category_code", "region_code", "location_text",
           "latitude", "longitude", "incident_date", "original_channel", "received_on", "reporter_name",
           "reporter_phone", "reporter_email", "is_anonymous", "is_confidential", "gesi", "language",
           "resolution", "resolved_at")
REQUIRED_COLUMNS = ("title", "description", "classification", "category_code", "region_code", "incident_date",
                    "original_channel", "received_on")


def header_problems(header: list[str]) -> list[dict]:
    unknown = [c for c in header if c not in COLUMNS]
    absent = [c for c in REQUIRED_COLUMNS if c not in header]
    return ([errors.error(c, "unknown_field") for c in unknown] + [errors.error(c, "required") for c in absent])


def row_body(row: dict) -> dict:
    """A CSV row as the manual form's JSON (empty cells are absent)."""
    cell = {k: (v or "").strip() for k, v in row.items() if k in COLUMNS}
    body = {k: v for k, v in cell.items() if v and k in ManualIn().fields and k not in ("gesi", "resolution")}
    reporter = {k: cell.get(f"reporter_{k}") for k in ("name", "phone", "email") if cell.get(f"reporter_{k}")}
    if reporter:
        body["reporter"] = reporter
    if cell.get("gesi"):
        body["gesi"] = [g.strip() for g in cell["gesi"].split(";") if g.strip()]
    if cell.get("resolution"):
        body["resolution"] = {"answer": cell["resolution"], "resolved_at": cell.get("resolved_at") or None}
    body.pop("resolved_at", None)
    return body


def row_key(row: dict) -> str:
    """Idempotency key of a row: its content, so re-running a file stores nothing twice."""
    text = "\x1f".join(f"{k}={(row.get(k) or '').strip()}" for k in COLUMNS)
    return hashlib.sha256(text.encode()).hexdigest()[:40]


def parse(text: str, categories: set[str]) -> Iterator[tuple[int, dict | None, list[dict], str]]:
    """``(line, form or None, problems, key)`` per data row; a row with problems has no form."""
    reader = csv.DictReader(io.StringIO(text))
    problems = header_problems(reader.fieldnames or [])
    if problems:
        yield 1, None, problems, ""
        return
    for row in reader:
        line = reader.line_num
        try:
            form = load_report(row_body(row), schema=ManualIn)
        except ValidationError as exc:
            yield line, None, errors.from_validation_error(exc).errors, ""
            continue
        missing = completeness.missing_items(form, "import", categories)
        yield line, (None if missing else form), missing, row_key(row)

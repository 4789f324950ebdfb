"""The admin pages' tables (/petugas/admin, routing and followup) come from one macro of the
shared officials' templates (``officials_tables.html``): every cell names its column (``data-label``,
read on a narrow screen), numbers right-aligned in the header and the cells alike."""
from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from contract import web
from contract.officials_web import officials_web
from followup import admin_pages

SERVICES = Path(__file__).resolve().parents[3] / "services"
FOLLOWUP = SERVICES / "followup" / "followup"
ROUTING = SERVICES / "routing" / "routing"
TABLE_PAGES = [FOLLOWUP / "petugas_templates" / "admin_sla.html", FOLLOWUP / "petugas_templates" / "admin_days_off.html",
               ROUTING / "templates" / "admin_audit.html"]
ADMIN = {"official_id": "adm-1", "role": "national_admin", "hub": "ID", "agency_code": None, "name": "Admin"}


def render(templates: Path, messages: Path, template: str, **context) -> str:
    pages = officials_web(web.Web(None, None, b"k" * 32), templates, messages)
    page = pages.page(Request(EnvironBuilder(path="/petugas/admin", headers={"Accept-Language": "en"}).get_environ()))
    page.official = {**ADMIN, "via": "session"}
    context.setdefault("errors", {})
    return page.render(template, **context).get_data(as_text=True)


def columns_of(html: str) -> tuple[list[tuple[str, str]], list[list[tuple[str, str]]]]:
    """(header cells, rows of cells) of the page's one table, each cell as (label, class)."""
    table = re.search(r"<table.*?</table>", html, re.DOTALL).group(0)
    heads = re.findall(r'<th scope="col"(?: class="(\w+)")?>(.*?)</th>', table)
    rows = [re.findall(r'<td data-label="([^"]*)"(?: class="(\w+)")?>', row)
            for row in re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>")[1], re.DOTALL)]
    return [(label, cls) for cls, label in heads], rows


def test_the_admin_pages_write_no_table_markup_of_their_own():
    for path in TABLE_PAGES:
        source = path.read_text(encoding="utf-8")
        assert "<table" not in source and "tables.table(" in source, path.name


def test_every_cell_of_the_sla_table_names_its_column_and_numbers_are_aligned():
    page_for_choices = type("P", (), {"_": staticmethod(lambda key, **_: key)})()
    policies = [{"id": "default", "stages": {"verification": 3, "follow_up": 14}, "priority": 0},
                {"id": "fast", "description": "Urgent", "match": {"urgency": "urgent"}, "stages": {"follow_up": 2}}]
    html = render(FOLLOWUP / "petugas_templates", FOLLOWUP / "officials.yml", "admin_sla.html", policies=policies,
                  values={}, editing=False, notice=None, choices=admin_pages.choices(page_for_choices, {}, {}),
                  match_text=lambda p: "everything")
    heads, rows = columns_of(html)
    assert len(heads) == 6 and len(rows) == 2
    assert all(row == heads for row in rows)
    assert [cls for _, cls in heads] == ["", "", "num", "num", "num", ""]


def test_every_cell_of_the_days_off_and_audit_tables_names_its_column():
    page_for_choices = type("P", (), {"_": staticmethod(lambda key, **_: key)})()
    days = [{"date": "2026-12-24", "name": "Cuti bersama", "kind": "cuti_bersama", "region_code": None},
            {"date": "2026-03-19", "name": "Nyepi", "kind": "regional_holiday", "region_code": "51"}]
    html = render(FOLLOWUP / "petugas_templates", FOLLOWUP / "officials.yml", "admin_days_off.html", days=days,
                  values={}, regions={"51": "Bali"}, notice=None, choices=admin_pages.choices(page_for_choices, {}, {}))
    heads, rows = columns_of(html)
    assert len(heads) == 4 and rows == [heads, heads] and "Bali" in html
    at = datetime(2026, 12, 7, 3, 0, tzinfo=timezone.utc)
    entries = [{"at": at, "actor": "operator", "action": "official_invited", "detail": {"role": "liaison"},
                "official_id": "li-1"},
               {"at": at, "actor": "adm-1", "action": "official_saved", "detail": {"unit_code": "U1"}, "official_id": None}]
    html = render(ROUTING / "templates", ROUTING / "messages.yml", "admin_audit.html", entries=entries, agency="BLL",
                  agencies=[("BLL", "Pemkab Buleleng")], people={"adm-1": "Admin", "li-1": "Made"},
                  units={"U1": "Dinas PUPR"})
    heads, rows = columns_of(html)
    assert len(heads) == 4 and rows == [heads, heads] and "Made" in html and "Dinas PUPR" in html

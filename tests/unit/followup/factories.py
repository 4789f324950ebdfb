"""Test data for follow-up's domain: routing events and cases, overridable field by field."""
from __future__ import annotations

from datetime import datetime, timezone

from followup import domain
from followup.calendar import WorkCalendar
from followup.indicator import Rules

RULES = Rules()
CALENDAR = WorkCalendar()


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def dispositioned(**overrides) -> dict:
    event = {"event_id": "ev1", "tracking_id": "ID-AAAAA-AAAAM", "origin_hub": "ID", "agency_code": "PEMKAB-BULELENG",
             "unit_code": "BLL-PUPR", "queue": "unit", "actor": "system", "region_code": "5108",
             "category_code": "infrastruktur", "classification": "complaint", "channel": "web",
             "reporter_ref": "rpt_1", "is_anonymous": False, "language": "id", "region_timezone": "Asia/Jakarta"}
    event.update(overrides)
    return event


def make_case(now: datetime, policies: list | None = None, facts: dict | None = None, rules: Rules = RULES,
              calendar: WorkCalendar = CALENDAR, **overrides) -> dict:
    return domain.open_case(dispositioned(**overrides), {"is_confidential": False, **(facts or {})},
                            policies or [], calendar, rules, now)


LIAISON = {"official_id": "lo-bll-pupr", "role": "liaison", "hub": "ID", "agency_code": "PEMKAB-BULELENG",
           "unit_code": "BLL-PUPR"}
OTHER_LIAISON = {**LIAISON, "official_id": "lo-bll-dinkes", "unit_code": "BLL-DINKES"}
AGENCY_ADMIN = {"official_id": "adm-buleleng", "role": "agency_admin", "hub": "ID", "agency_code": "PEMKAB-BULELENG",
                "unit_code": None}

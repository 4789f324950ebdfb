"""SLA policies and days off: data, not code (national admins change them)."""
from __future__ import annotations

from followup import schemas, sla


def sla_policies(uow) -> dict:
    return {"policies": uow.calendar.policies() or [sla.DEFAULT_POLICY], "default": sla.DEFAULT_POLICY}


def set_sla_policies(uow, document: dict, by: str = "rpc") -> dict:
    """Replace the policies (validated as a whole); they apply to stages started from now on."""
    uow.calendar.set_policies(sla.load_policies(document), by, uow.now())
    return sla_policies(uow)


def days_off(uow) -> list[dict]:
    return schemas.DayOffOut(many=True).dump(uow.calendar.days_off())


def add_day_off(uow, entry: dict) -> dict:
    """Add cuti bersama (no region) or a regional holiday (BPS region code)."""
    day = schemas.DayOffIn().load(entry)
    stored = {**day, "date": day["date"].isoformat()}
    uow.calendar.add_day_off(stored)
    return schemas.DayOffOut().dump(stored)

"""SLA policies and days off: data, not code (national admins change them)."""
from __future__ import annotations

from marshmallow import ValidationError

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


def save_sla_policy(uow, policy: dict, by: str) -> dict:
    """Add one policy, or replace the one with its id in place (its pre-entry stages kept): the whole
    set is validated and stored as ``set_sla_policies`` does. A ValidationError names the policy's
    own fields (``stages.verification``, not ``policies.3.stages.verification``)."""
    current = uow.calendar.policies() or []
    position = next((i for i, p in enumerate(current) if p["id"] == policy.get("id")), len(current))
    if position < len(current) and current[position].get("pre_entry") and "pre_entry" not in policy:
        policy = {**policy, "pre_entry": current[position]["pre_entry"]}
    policies = current[:position] + [policy] + current[position + 1:]
    try:
        return set_sla_policies(uow, {"policies": policies}, by)
    except ValidationError as exc:
        mine = exc.messages.get("policies", {}).get(position) if isinstance(exc.messages, dict) else None
        raise ValidationError(mine if isinstance(mine, dict) else exc.messages)

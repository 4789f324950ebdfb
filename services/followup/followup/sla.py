"""SLA policies as data: working days per stage, chosen most specific first.

A policy matches a case on any of ``classification``, ``category_code``, ``agency_code``,
``urgency``, ``region_code`` and ``channel``; a case takes, for each stage, the days of the
matching policy with the most match keys (ties: higher ``priority``, then the order given).
The built-in defaults follow DOMAIN.md: verification 3 and follow-up 5 working days.

``pre_entry`` stages are the seed-003 SOP steps that happen before a manual-channel report is
typed in (unit verification 1, hand-off to the liaison 1, input 1 day): their days are counted
from when the complaint was received, so the coordinator's disposition (3 days) falls due
6 working days after receipt, not after input.
"""
from __future__ import annotations

from typing import Iterable

from marshmallow import RAISE, ValidationError, fields, validate, validates_schema

from contract.schema import Schema

MATCH_KEYS = ("classification", "category_code", "agency_code", "urgency", "region_code", "channel")
STAGES = ("verification", "follow_up")
DEFAULT_POLICY = {"id": "default", "match": {}, "priority": 0,
                  "stages": {"verification": 3, "follow_up": 5}, "pre_entry": []}


class MatchIn(Schema):
    class Meta:
        unknown = RAISE

    classification = fields.String()
    category_code = fields.String()
    agency_code = fields.String()
    urgency = fields.String(validate=validate.OneOf(("low", "normal", "high", "urgent")))
    region_code = fields.String()
    channel = fields.String()


class PreEntryStageIn(Schema):
    class Meta:
        unknown = RAISE

    stage = fields.String(required=True, validate=validate.Length(min=1, max=60))
    working_days = fields.Integer(required=True, validate=validate.Range(min=0, max=60))


class StagesIn(Schema):
    """Working days per stage (a stage left out: the default policy's)."""
    class Meta:
        unknown = RAISE

    verification = fields.Integer(validate=validate.Range(min=0, max=120))
    follow_up = fields.Integer(validate=validate.Range(min=0, max=120))


class PolicyIn(Schema):
    class Meta:
        unknown = RAISE

    id = fields.String(required=True, validate=validate.Regexp(r"^[a-z0-9][a-z0-9_.-]{0,59}$"))
    description = fields.String(load_default=None, allow_none=True)
    match = fields.Nested(MatchIn, load_default=dict)
    priority = fields.Integer(load_default=0)
    stages = fields.Nested(StagesIn, load_default=dict)
    pre_entry = fields.List(fields.Nested(PreEntryStageIn), load_default=list)


class PolicySetIn(Schema):
    """The whole policy document (deploy/sla/policies.yml or the admin API)."""

    class Meta:
        unknown = RAISE

    policies = fields.List(fields.Nested(PolicyIn), required=True)

    @validates_schema
    def _unique_ids(self, data, **_):
        ids = [p["id"] for p in data.get("policies", [])]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValidationError(f"Duplicate policy ids: {', '.join(dupes)}.", "policies")


def load_policies(document: dict) -> list[dict]:
    """Validated policies; raises ValidationError naming the field at fault."""
    return PolicySetIn().load(document)["policies"]


def matches(policy: dict, case: dict) -> bool:
    return all(case.get(key) == value for key, value in policy.get("match", {}).items())


def _rank(indexed: tuple[int, dict]) -> tuple[int, int, int]:
    position, policy = indexed
    return (len(policy.get("match", {})), policy.get("priority", 0), -position)


def choose(policies: Iterable[dict], case: dict, stage: str) -> tuple[dict, int]:
    """The most specific policy defining ``stage`` for ``case``, and its working days."""
    candidates = [(i, p) for i, p in enumerate(policies) if stage in p.get("stages", {}) and matches(p, case)]
    if not candidates:
        return DEFAULT_POLICY, DEFAULT_POLICY["stages"][stage]
    _, best = max(candidates, key=_rank)
    return best, best["stages"][stage]


def pre_entry_days(policies: Iterable[dict], case: dict) -> tuple[list[dict], int]:
    """The most specific matching policy's pre-entry stages and their total working days."""
    candidates = [(i, p) for i, p in enumerate(policies) if p.get("pre_entry") and matches(p, case)]
    if not candidates:
        return [], 0
    _, best = max(candidates, key=_rank)
    return best["pre_entry"], sum(s["working_days"] for s in best["pre_entry"])

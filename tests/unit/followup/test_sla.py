"""SLA policies as data: validation and the most specific policy first."""
import pytest
from marshmallow import ValidationError

from followup import sla

POLICIES = sla.load_policies({"policies": [
    {"id": "default", "stages": {"verification": 3, "follow_up": 5}},
    {"id": "bll", "match": {"agency_code": "PEMKAB-BULELENG"}, "stages": {"follow_up": 7}},
    {"id": "bll-health", "match": {"agency_code": "PEMKAB-BULELENG", "category_code": "kesehatan"},
     "stages": {"follow_up": 2}},
    {"id": "urgent", "match": {"urgency": "urgent"}, "stages": {"verification": 1, "follow_up": 2}},
    {"id": "urgent-strong", "match": {"urgency": "urgent"}, "priority": 5, "stages": {"follow_up": 1}},
    {"id": "manual", "match": {"channel": "manual"}, "stages": {"verification": 3},
     "pre_entry": [{"stage": "unit_verification", "working_days": 1}, {"stage": "handoff", "working_days": 1},
                   {"stage": "input", "working_days": 1}]},
]})


def subject(**kw):
    return {k: kw.get(k) for k in sla.MATCH_KEYS}


@pytest.mark.parametrize("case,stage,policy_id,days", [
    (subject(agency_code="PEMKAB-LUWU"), "follow_up", "default", 5),
    (subject(agency_code="PEMKAB-BULELENG"), "follow_up", "bll", 7),
    (subject(agency_code="PEMKAB-BULELENG"), "verification", "default", 3),      # bll does not define it
    (subject(agency_code="PEMKAB-BULELENG", category_code="kesehatan"), "follow_up", "bll-health", 2),
    (subject(urgency="urgent"), "follow_up", "urgent-strong", 1),                 # tie broken by priority
    (subject(urgency="urgent"), "verification", "urgent", 1),
    (subject(channel="manual"), "verification", "manual", 3),
])
def test_the_most_specific_matching_policy_wins_per_stage(case, stage, policy_id, days):
    policy, chosen = sla.choose(POLICIES, case, stage)
    assert (policy["id"], chosen) == (policy_id, days)


def test_without_policies_the_domain_defaults_apply():
    assert sla.choose([], subject(), "verification")[1] == 3
    assert sla.choose([], subject(), "follow_up")[1] == 5


def test_manual_channel_sop_has_three_pre_entry_days():
    stages, total = sla.pre_entry_days(POLICIES, subject(channel="manual"))
    assert [s["stage"] for s in stages] == ["unit_verification", "handoff", "input"] and total == 3
    assert sla.pre_entry_days(POLICIES, subject(channel="web")) == ([], 0)


@pytest.mark.parametrize("document,field", [
    ({"policies": [{"id": "x", "stages": {"answer": 3}}]}, "policies"),
    ({"policies": [{"id": "x", "stages": {"follow_up": -1}}]}, "policies"),
    ({"policies": [{"id": "x", "match": {"colour": "red"}}]}, "policies"),
    ({"policies": [{"id": "x"}, {"id": "x"}]}, "policies"),
    ({}, "policies"),
])
def test_bad_policy_documents_are_refused_naming_the_field(document, field):
    with pytest.raises(ValidationError) as info:
        sla.load_policies(document)
    assert field in info.value.messages


def test_the_shipped_policy_file_is_valid():
    import yaml

    from tests.conftest import ROOT
    policies = sla.load_policies(yaml.safe_load((ROOT / "deploy" / "sla" / "policies.yml").read_text()))
    assert sla.choose(policies, subject(), "verification")[1] == 3
    assert sla.choose(policies, subject(), "follow_up")[1] == 5
    assert sla.pre_entry_days(policies, subject(channel="manual"))[1] == 3
    assert sla.choose(policies, subject(channel="manual"), "verification")[1] == 3

"""The SLA page's one-policy save on the fake unit of work (issue 21): added or replaced in place,
pre-entry stages kept, validated with the whole set and its errors named by the policy's fields."""
import pytest
from marshmallow import ValidationError

from followup import handlers
from tests.fakes.followup import followup_units
from tests.unit.followup.handler_support import Clock

SOP = {"id": "manual-channel-sop", "match": {"channel": "manual"}, "stages": {"verification": 3},
       "pre_entry": [{"stage": "manual_input", "working_days": 1}]}


def test_a_policy_is_added_or_replaced_in_place_keeping_its_pre_entry_stages():
    units = followup_units(Clock())
    units.run(handlers.set_sla_policies, {"policies": [{"id": "default", "stages": {"verification": 3}}, SOP]}, "t")
    units.run(handlers.save_sla_policy, {"id": "fast", "stages": {"follow_up": "2"}, "match": {"urgency": "urgent"}},
              "nas-admin-1")
    units.run(handlers.save_sla_policy, {"id": "manual-channel-sop", "match": {"channel": "manual"},
                                         "stages": {"verification": "4"}}, "nas-admin-1")
    policies = units.read(handlers.sla_policies)["policies"]
    assert [p["id"] for p in policies] == ["default", "manual-channel-sop", "fast"]
    assert policies[1]["stages"] == {"verification": 4} and policies[1]["pre_entry"] == SOP["pre_entry"]
    assert policies[2]["stages"] == {"follow_up": 2}


def test_errors_name_the_policys_own_fields_and_nothing_changes():
    units = followup_units(Clock())
    units.run(handlers.set_sla_policies, {"policies": [{"id": "default"}, SOP]}, "t")
    with pytest.raises(ValidationError) as caught:
        units.run(handlers.save_sla_policy, {"id": "manual-channel-sop", "stages": {"verification": "x"},
                                             "match": {"urgency": "kapan"}}, "nas-admin-1")
    assert set(caught.value.messages) == {"stages", "match"}
    assert units.read(handlers.sla_policies)["policies"][1]["stages"] == {"verification": 3}

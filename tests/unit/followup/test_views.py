"""Scopes of officials, configuration parsing, and what the public view leaves out."""
import pytest

from followup import views
from followup.settings import rules_from_config

from .factories import AGENCY_ADMIN, LIAISON, make_case, utc

NATIONAL = {"official_id": "nas-admin-1", "role": "national_admin", "hub": "ID"}
SUPERVISOR = {"official_id": "spv-buleleng", "role": "supervisor", "hub": "ID", "agency_code": "PEMKAB-BULELENG"}


@pytest.mark.parametrize("principal,query,scope", [
    (LIAISON, {}, {"unit_code": "BLL-PUPR"}),
    (LIAISON, {"unit_code": "BLL-PUPR"}, {"unit_code": "BLL-PUPR"}),
    (LIAISON, {"unit_code": "BLL-DINKES"}, None),
    (AGENCY_ADMIN, {}, {"agency_code": "PEMKAB-BULELENG"}),
    (AGENCY_ADMIN, {"unit_code": "BLL-DINKES"}, {"agency_code": "PEMKAB-BULELENG", "unit_code": "BLL-DINKES"}),
    (AGENCY_ADMIN, {"agency_code": "PEMKAB-LUWU"}, None),
    (SUPERVISOR, {"agency_code": "PEMKAB-BULELENG"}, {"agency_code": "PEMKAB-BULELENG"}),
    (NATIONAL, {"agency_code": "PEMKAB-LUWU"}, {"agency_code": "PEMKAB-LUWU"}),
    (NATIONAL, {}, {}),
])
def test_summary_scope_never_leaves_the_officials_own_area(principal, query, scope):
    assert views.summary_scope(principal, {"agency_code": None, "unit_code": None, **query}) == scope


def test_rules_from_config():
    rules = rules_from_config({"ESCALATION_LEVELS": "agency_admin:1, supervisor:3,national_admin:5",
                               "INDICATOR_YELLOW_SHARE": "0.25", "AUTO_CLOSE_WORKING_DAYS": "7"})
    assert [(e.level, e.role, e.after_working_days) for e in rules.escalations] == [
        (1, "agency_admin", 1), (2, "supervisor", 3), (3, "national_admin", 5)]
    assert rules.yellow_share == 0.25 and rules.auto_close_working_days == 7
    assert rules_from_config({"INDICATOR_YELLOW_SHARE": ""}).yellow_share is None


def test_public_view_shows_local_times_and_no_people():
    case = make_case(utc(2026, 11, 16, 3), region_timezone="Asia/Jayapura")
    case["history"][0]["actor"] = "lo-bll-pupr"
    view = views.case_view(case, utc(2026, 11, 16, 4), "en")
    assert view["due_at"].endswith("+09:00") and view["indicator_label"] == "Green: on track"
    assert "lo-bll-pupr" not in str(view) and "reporter_ref" not in view and "rpt_1" not in str(view)
    hidden = views.public_comment({"hidden": True, "body": "kasar", "name": "X", "hidden_reason": "SARA"})
    assert hidden["body"] is None and hidden["name"] is None and hidden["hidden_reason"] == "SARA"

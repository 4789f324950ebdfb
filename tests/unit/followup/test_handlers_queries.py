"""What officials, reporters and the public read, and the admin data, through the handlers on
the fake unit of work."""
from datetime import timedelta

import pytest
from marshmallow import ValidationError

from contract.errors import ApiError
from followup import handlers, sla

from .factories import AGENCY_ADMIN, LIAISON, OTHER_LIAISON, dispositioned
from .handler_support import FORM, MONDAY, TRACKING_ID, stored_case, units_with_case

NATIONAL = {"official_id": "adm-nasional", "role": "national_admin", "hub": "ID", "agency_code": None,
            "unit_code": None}


def test_the_case_view_has_the_indicator_and_no_people():
    units, _ = units_with_case()
    view = units.read(handlers.case_view, TRACKING_ID, "en")
    assert view["indicator"] == "green" and view["history"][0]["label"] == "Follow-up opened, with a deadline"
    assert "reporter_ref" not in view and all("actor" not in h for h in view["history"])
    assert units.read(handlers.case_for_report, TRACKING_ID)["tracking_id"] == TRACKING_ID
    assert units.read(handlers.case_for_report, "ID-3CXQJ-2MD0Z") is None


def test_the_inbox_holds_the_officials_scope_and_colour():
    units, clock = units_with_case()
    query = {"status": "open", "indicator": None, "limit": 10, "offset": 0}
    assert [c["tracking_id"] for c in units.read(handlers.inbox, {**query, "scope": {"unit_code": "BLL-PUPR"}})
            ["cases"]] == [TRACKING_ID]
    assert units.read(handlers.inbox, {**query, "scope": {"unit_code": "BLL-DINKES"}})["cases"] == []
    clock.now = MONDAY + timedelta(days=30)
    assert len(units.read(handlers.inbox, {**query, "indicator": "red", "scope": {}})["cases"]) == 1
    assert units.read(handlers.inbox, {**query, "indicator": "green", "scope": {}})["cases"] == []


def test_the_summary_counts_from_the_tallies_until_the_sweep_and_exactly_at_the_clock():
    units, clock = units_with_case()
    clock.now = MONDAY + timedelta(days=30)
    scope = {"agency_code": "PEMKAB-BULELENG"}
    assert units.read(handlers.summary, scope)["counts"]["green"] == 1  # as recorded: not swept yet
    assert units.read(handlers.summary, scope, True)["counts"]["red"] == 1
    units.run(handlers.claim_due)
    assert units.read(handlers.summary, {**scope, "ignored": "x"})["counts"]["red"] == 1


def test_the_conversation_is_read_by_the_reporter_and_officials_in_scope_only():
    units, _ = units_with_case()
    units.run(handlers.post_update, {"tracking_id": TRACKING_ID, "principal": LIAISON, "form": FORM})
    case = stored_case(units)
    assert [m["kind"] for m in units.read(handlers.messages, case, None)] == ["update"]
    assert len(units.read(handlers.messages, case, AGENCY_ADMIN)) == 1
    with pytest.raises(ApiError) as excinfo:
        units.read(handlers.messages, case, OTHER_LIAISON)
    assert excinfo.value.status == 403


def test_public_comments_keep_a_hidden_ones_place_not_its_text():
    units, _ = units_with_case()
    comment = units.run(handlers.post_comment, {"tracking_id": TRACKING_ID, "form": {"name": "Ani", "body": "Kasar"}})
    units.run(handlers.hide_comment, {"tracking_id": TRACKING_ID, "comment_id": comment["_id"],
                                      "principal": LIAISON, "form": {"reason": "abusive"}})
    shown = units.read(handlers.comments, TRACKING_ID)
    assert shown[0]["body"] is None and shown[0]["hidden_reason"] == "abusive"
    units, _ = units_with_case(confidential=True)
    with pytest.raises(ApiError) as excinfo:
        units.read(handlers.comments, TRACKING_ID)
    assert excinfo.value.status == 409


def test_the_tracking_page_shows_the_conversation_to_the_verified_reporter_only():
    units, clock = units_with_case()
    units.run(handlers.answer, {"tracking_id": TRACKING_ID, "principal": LIAISON, "form": FORM})
    shown = units.read(handlers.tracking_page, TRACKING_ID, "id", True)
    assert len(shown["messages"]) == 1 and shown["can_rate"] and shown["can_reopen"] and shown["can_reply"]
    assert units.read(handlers.tracking_page, TRACKING_ID, "id", False)["messages"] == []
    clock.now = MONDAY + timedelta(days=60)
    assert units.read(handlers.tracking_page, TRACKING_ID, "id", True)["can_reopen"] is False
    nothing = units.read(handlers.tracking_page, "ID-3CXQJ-2MD0Z", "id", True)
    assert nothing["case"] is None and not nothing["can_reply"]


def test_the_public_page_opens_the_discussion_on_public_reports_only():
    units, _ = units_with_case()
    assert units.read(handlers.public_page, TRACKING_ID, "id")["discussion_open"] is True
    units, _ = units_with_case(confidential=True)
    assert units.read(handlers.public_page, TRACKING_ID, "id")["discussion_open"] is False


def test_an_officials_case_page_hides_cases_out_of_scope_and_says_who_may_act():
    units, _ = units_with_case()
    with pytest.raises(ApiError) as excinfo:
        units.read(handlers.readable_case, OTHER_LIAISON, TRACKING_ID)
    assert excinfo.value.status == 404
    supervisor = {**AGENCY_ADMIN, "role": "supervisor"}
    assert units.read(handlers.official_case_page, supervisor, TRACKING_ID, "id")["may_act"] is False
    page = units.read(handlers.official_case_page, LIAISON, TRACKING_ID, "id")
    assert page["may_act"] is True and page["comments"] == []


def test_the_dashboard_lists_the_overdue_cases_of_the_officials_scope():
    units, clock = units_with_case()
    clock.now = MONDAY + timedelta(days=30)
    board = units.read(handlers.dashboard, AGENCY_ADMIN, "id")
    assert board["scope"] == {"agency_code": "PEMKAB-BULELENG"} and board["summary"]["counts"]["red"] == 1
    assert [c["tracking_id"] for c in board["overdue"]] == [TRACKING_ID]
    assert units.read(handlers.open_cases) == 1


def test_sla_policies_are_replaced_as_a_whole_and_apply_to_new_stages():
    units, _ = units_with_case()
    assert units.read(handlers.sla_policies)["policies"] == [sla.DEFAULT_POLICY]
    policy = {"id": "pupr-fast", "match": {"agency_code": "PEMKAB-BULELENG"}, "priority": 10,
              "stages": {"verification": 1, "follow_up": 2}}
    stored = units.run(handlers.set_sla_policies, {"policies": [policy]}, NATIONAL["official_id"])
    assert [p["id"] for p in stored["policies"]] == ["pupr-fast"]
    with pytest.raises(ValidationError):
        units.run(handlers.set_sla_policies, {"policies": [{"id": "twice"}, {"id": "twice"}]})
    assert units.read(handlers.sla_policies)["policies"][0]["id"] == "pupr-fast"


def test_days_off_are_added_and_listed():
    units, _ = units_with_case()
    added = units.run(handlers.add_day_off, {"date": "2026-12-24", "name": "Cuti bersama Natal",
                                             "kind": "cuti_bersama"})
    assert added["date"] == "2026-12-24" and added["region_code"] is None
    units.run(handlers.add_day_off, {"date": "2026-11-20", "name": "Hari jadi", "kind": "regional_holiday",
                                     "region_code": "5108"})
    assert [d["date"] for d in units.read(handlers.days_off)] == ["2026-11-20", "2026-12-24"]
    with pytest.raises(ValidationError):
        units.run(handlers.add_day_off, {"date": "2026-12-25", "name": "x", "kind": "cuti_bersama"})


def test_a_day_off_moves_the_deadline_of_a_stage_started_after_it():
    units, _ = units_with_case(verified=False)
    due = stored_case(units)["due_at"]
    units.run(handlers.add_day_off, {"date": "2026-11-17", "name": "Libur", "kind": "other"})
    units.run(handlers.workflow_event, "report_verified", dispositioned(event_id="ev9", actor="lo-bll-pupr"))
    assert stored_case(units)["due_at"] > due

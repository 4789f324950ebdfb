from datetime import date, datetime, timedelta, timezone

import pytest

from routing.domain import inbox, workflow
from routing.domain.workflow import ActionRefused

NOW = datetime(2026, 11, 2, 3, 0, tzinfo=timezone.utc)
NATIONAL = {"official_id": "nas", "role": "national_admin", "hub": "ID", "agency_code": None, "unit_code": None}
BULELENG = {"official_id": "adm", "role": "agency_admin", "hub": "ID", "agency_code": "BLL", "unit_code": None}
LIAISON = {"official_id": "lo", "role": "liaison", "hub": "ID", "agency_code": "BLL", "unit_code": "BLL-PUPR"}
SUPERVISOR = {"official_id": "spv", "role": "supervisor", "hub": "ID", "agency_code": "BLL", "unit_code": None}


class Registry:
    agencies = {"BLL": {}, "LWU": {}}
    units = {"BLL-PUPR": {"agency_code": "BLL"}, "LWU-PUPR": {"agency_code": "LWU"}}

    def agency(self, code):
        return self.agencies.get(code)

    def unit(self, code):
        return self.units.get(code)


def item(**kw):
    return {"_id": "ID-K7M4X-9XQ2B", "queue": "national_triage", "status": "new", "agency_code": None,
            "unit_code": None, "version": 1, "origin_hub": "ID", "region_code": "5108", "category_code": "x",
            "classification": "complaint", "channel": "web", "reporter_ref": "rpt_1", "is_anonymous": True,
            "timezone": "Asia/Makassar", "queued_at": NOW, "received_at": NOW, **kw}


@pytest.mark.parametrize("status,queue,allowed", [
    ("new", "national_triage", ("verify", "postpone", "archive")),
    ("verified", "national_triage", ("postpone", "disposition", "archive")),
    ("returned", "national_triage", ("verify", "postpone", "redisposition", "archive")),
    ("verified", "agency", ("postpone", "return", "disposition", "archive")),
    ("postponed", "unit", ("verify", "return", "archive")),
    ("verified", "unit", ("postpone", "return", "archive")),
    ("archived", "archive", ()),
    ("forwarded", "forwarded", ()),
])
def test_state_machine_allows_by_status_and_tier(status, queue, allowed):
    assert workflow.allowed_actions(item(status=status, queue=queue)) == allowed


def test_an_action_outside_the_state_is_a_conflict_listing_what_is_allowed():
    with pytest.raises(ActionRefused) as refused:
        workflow.check(NATIONAL, item(), "disposition")
    assert refused.value.kind == "conflict" and refused.value.allowed == ("verify", "postpone", "archive")


@pytest.mark.parametrize("principal,queue,agency,unit,owns", [
    (NATIONAL, "national_triage", None, None, True),
    (NATIONAL, "agency", "BLL", None, False),
    (BULELENG, "agency", "BLL", None, True),
    (BULELENG, "agency", "LWU", None, False),
    (BULELENG, "unit", "BLL", "BLL-PUPR", False),
    (LIAISON, "unit", "BLL", "BLL-PUPR", True),
    (LIAISON, "unit", "BLL", "BLL-DINKES", False),
    (SUPERVISOR, "agency", "BLL", None, False),
])
def test_each_tier_acts_only_on_its_own_queue(principal, queue, agency, unit, owns):
    assert workflow.owns_queue(principal, item(queue=queue, agency_code=agency, unit_code=unit)) is owns


def test_returns_go_up_one_tier_or_to_the_named_agency():
    at_unit = item(queue="unit", agency_code="BLL", unit_code="BLL-PUPR", status="verified")
    assert workflow.target_of(LIAISON, at_unit, "return", {}, Registry()) == {
        "queue": "agency", "agency_code": "BLL", "unit_code": None, "status": "returned"}
    at_agency = item(queue="agency", agency_code="BLL", status="verified")
    assert workflow.target_of(BULELENG, at_agency, "return", {}, Registry())["queue"] == "national_triage"
    assert workflow.target_of(BULELENG, at_agency, "return", {"agency_code": "LWU"}, Registry()) == {
        "queue": "agency", "agency_code": "LWU", "unit_code": None, "status": "returned"}
    with pytest.raises(ActionRefused) as refused:
        workflow.target_of(BULELENG, at_agency, "return", {"agency_code": "NOPE"}, Registry())
    assert (refused.value.kind, refused.value.field) == ("not_found", "agency_code")


def test_dispositions_go_to_an_agency_or_a_unit_of_ones_own_agency():
    national = item(status="verified")
    assert workflow.target_of(NATIONAL, national, "disposition", {"agency_code": "LWU"}, Registry())["queue"] == "agency"
    for body in ({}, {"agency_code": "LWU", "unit_code": "LWU-PUPR"}):
        with pytest.raises(ActionRefused):
            workflow.target_of(NATIONAL, national, "disposition", body, Registry())
    agency = item(queue="agency", agency_code="BLL", status="verified")
    assert workflow.target_of(BULELENG, agency, "disposition", {"unit_code": "BLL-PUPR"}, Registry())["unit_code"] == "BLL-PUPR"
    with pytest.raises(ActionRefused) as refused:
        workflow.target_of(BULELENG, agency, "disposition", {"unit_code": "LWU-PUPR"}, Registry())
    assert refused.value.field == "unit_code"


def test_postponement_must_be_in_the_future_in_the_regions_time():
    local_today = date(2026, 11, 2)  # 03:00 UTC is 11:00 in Asia/Makassar
    with pytest.raises(ActionRefused):
        workflow.postpone_until(local_today, "Asia/Makassar", NOW)
    until = workflow.postpone_until(local_today + timedelta(days=1), "Asia/Makassar", NOW)
    assert until.astimezone(timezone.utc) == datetime(2026, 11, 2, 16, 0, tzinfo=timezone.utc)


def test_audit_entry_and_event_say_who_role_when_from_to_and_why():
    at_unit = item(queue="unit", agency_code="BLL", unit_code="BLL-PUPR", status="verified", version=4)
    target = workflow.target_of(LIAISON, at_unit, "return", {}, Registry())
    entry = workflow.audit_entry(at_unit, LIAISON, "return", target, NOW, "Bukan wewenang")
    assert (entry["seq"], entry["actor"], entry["actor_role"], entry["at"], entry["reason"]) == (
        5, "lo", "liaison", NOW, "Bukan wewenang")
    assert entry["from"] == {"queue": "unit", "agency_code": "BLL", "unit_code": "BLL-PUPR", "status": "verified"}
    event = workflow.action_event(at_unit, LIAISON, "return", target, "ID", "Bukan wewenang")
    assert event["event_type"] == "report_returned"
    assert (event["payload"]["from_unit_code"], event["payload"]["queue"]) == ("BLL-PUPR", "agency")


def test_moving_a_report_restarts_its_queue_clock():
    at_agency = item(queue="agency", agency_code="BLL", status="verified", queued_at=NOW - timedelta(days=5))
    later = NOW + timedelta(hours=1)
    moved = workflow.moved("disposition", {"queue": "unit", "agency_code": "BLL", "unit_code": "BLL-PUPR",
                                           "status": "new"}, at_agency, later, None)
    assert moved["queued_at"] == later
    stayed = workflow.moved("verify", workflow.position({**at_agency, "status": "verified"}), at_agency, later, None)
    assert "queued_at" not in stayed


@pytest.mark.parametrize("waited,colour", [(timedelta(hours=1), "green"), (timedelta(days=2, hours=1), "yellow"),
                                           (timedelta(days=3), "red")])
def test_indicator_by_time_in_queue(waited, colour):
    assert inbox.indicator(item(queued_at=NOW - waited), NOW, 3) == colour
    assert inbox.indicator(item(status="archived", queued_at=NOW - waited), NOW, 3) is None


def test_official_view_never_carries_the_reporter():
    view = inbox.report_view(item(title="t", description="d"), BULELENG, NOW, 3)
    assert "reporter_ref" not in view and "rpt_1" not in str(view)


def test_scopes_for_inbox_queries():
    assert inbox.inbox_query(NATIONAL, {}, NOW, 3) == {"queue": "national_triage"}
    assert inbox.inbox_query(SUPERVISOR, {}, NOW, 3) == {"agency_code": "BLL"}
    assert inbox.inbox_query(LIAISON, {"queue": "agency"}, NOW, 3) == {"unit_code": "BLL-PUPR", "queue": "agency"}

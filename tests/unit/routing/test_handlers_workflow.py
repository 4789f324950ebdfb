"""Routing's desk handlers on the fake unit of work: routing, following cases, hand-backs, the
officials' actions and what the inbox and report pages show."""
from datetime import timedelta

import pytest

from contract import events
from contract.batch import handle_batch
from contract.errors import ApiError
from contract.registry_names import name_of
from routing import handlers
from routing.domain.case_state import UnknownReport
from routing.exceptions import ConflictError
from routing.service import EVENTS
from tests.unit.routing.factories import received_event
from tests.unit.routing.fixtures import BULELENG, LIAISON, NATIONAL, demo_units, routed

TRIAGE = {"category_code": "kesehatan", "region_code": "9471"}  # no rule: the national admin's triage


@pytest.fixture
def units():
    return demo_units()


def item(units, tracking_id):
    return units.read(lambda uow: uow.desk.get(tracking_id))


def case_event(event_type, tracking_id, at, **fields):
    return {"event_id": f"evt-{event_type}-{at.timestamp()}", "tracking_id": tracking_id, "occurred_at": at, **fields}


def test_a_received_report_is_routed_by_the_rules_once_whatever_its_event_id(units):
    payload = received_event(category_code="infrastruktur", region_code="5108")
    again = {**payload, "event_id": "another-event-id"}
    outcomes = handle_batch(units, [(events.REPORT_RECEIVED, payload), (events.REPORT_RECEIVED, again),
                                    (events.REPORT_RECEIVED, payload)], EVENTS)
    assert [o for o, _ in outcomes] == ["applied", "applied", "duplicate"]
    placed = item(units, payload["tracking_id"])
    assert (placed["queue"], placed["agency_code"], placed["unit_code"]) == ("unit", "PEMKAB-BULELENG", "BLL-PUPR")
    assert units.published == [events.REPORT_DISPOSITIONED]
    assert [e["action"] for e in units.read(handlers.history, payload["tracking_id"])] == ["route"]


def test_a_report_without_a_rule_waits_in_the_national_triage(units):
    assert item(units, routed(units, **TRIAGE))["queue"] == "national_triage"


def test_the_work_item_follows_its_case_and_ignores_an_older_case_event(units):
    tracking_id = routed(units, category_code="infrastruktur", region_code="5108")
    now = units.clock()
    units.run(handlers.follow_case, events.CASE_ANSWERED, case_event("answered", tracking_id, now))
    assert item(units, tracking_id)["status"] == "answered"
    units.run(handlers.follow_case, events.CASE_CLOSED, case_event("closed", tracking_id, now - timedelta(hours=1)))
    after = item(units, tracking_id)
    assert after["status"] == "answered" and after["version"] == 2


def test_a_case_event_for_a_report_never_routed_is_refused(units):
    with pytest.raises(UnknownReport):
        units.run(handlers.follow_case, events.CASE_CLOSED, case_event("closed", "ID-NOPE0-00000", units.clock()))


def test_a_forwarded_report_handed_back_goes_to_the_national_triage_as_returned(units):
    tracking_id = routed(units, **TRIAGE)
    units.run(handlers.forward, NATIONAL, tracking_id, {"target_hub": "35", "reason": "Wilayah Jawa Timur"})
    units.run(handlers.handed_back, events.REPORT_HANDED_BACK,
              {"event_id": "evt-back", "tracking_id": tracking_id, "from_hub": "35", "reason": "bukan wewenang"})
    back = item(units, tracking_id)
    assert (back["queue"], back["status"], back["target_hub"]) == ("national_triage", "returned", None)


def test_a_hand_back_of_a_report_not_forwarded_changes_nothing(units):
    tracking_id = routed(units, **TRIAGE)
    units.run(handlers.handed_back, events.REPORT_HANDED_BACK, {"event_id": "evt-back", "tracking_id": tracking_id, "from_hub": "35"})
    assert item(units, tracking_id)["version"] == 1


def test_an_action_is_written_with_its_audit_entry_and_event(units):
    tracking_id = routed(units, **TRIAGE)
    updated = units.run(handlers.act, NATIONAL, tracking_id, "verify", {"version": 1})
    assert (updated["status"], updated["version"]) == ("verified", 2)
    assert units.published[-1] == events.REPORT_VERIFIED
    assert [e["action"] for e in units.read(handlers.history, tracking_id)] == ["route", "verify"]


def test_an_action_on_a_version_the_official_did_not_see_is_stale_with_the_actions_now_allowed(units):
    tracking_id = routed(units, **TRIAGE)
    units.run(handlers.act, NATIONAL, tracking_id, "verify", {})
    with pytest.raises(ConflictError) as stale:
        units.run(handlers.act, NATIONAL, tracking_id, "archive", {"version": 1, "reason": "Laporan ganda"})
    assert stale.value.errors[0]["code"] == "stale" and "disposition" in stale.value.allowed
    assert item(units, tracking_id)["status"] == "verified"


def test_an_action_the_state_does_not_allow_is_a_conflict_and_outside_the_scope_not_found(units):
    tracking_id = routed(units, **TRIAGE)
    with pytest.raises(ConflictError) as conflict:
        units.run(handlers.act, NATIONAL, tracking_id, "disposition", {"agency_code": "PLN"})
    assert conflict.value.errors[0]["code"] == "conflict" and conflict.value.allowed == ["verify", "postpone",
                                                                                         "archive", "forward"]
    with pytest.raises(ApiError) as hidden:
        units.run(handlers.act, LIAISON, tracking_id, "verify", {})
    assert hidden.value.status == 404


def test_a_disposition_to_an_unknown_agency_is_refused_and_nothing_is_written(units):
    tracking_id = routed(units, **TRIAGE)
    units.run(handlers.act, NATIONAL, tracking_id, "verify", {})
    with pytest.raises(ApiError) as unknown:
        units.run(handlers.act, NATIONAL, tracking_id, "disposition", {"agency_code": "NOPE"})
    assert unknown.value.status == 404 and item(units, tracking_id)["version"] == 2


def test_a_manual_forward_sends_the_report_to_another_hub_and_never_to_its_own(units):
    tracking_id = routed(units, **TRIAGE)
    with pytest.raises(ApiError):
        units.run(handlers.forward, NATIONAL, tracking_id, {"target_hub": "ID", "reason": "Salah alamat"})
    updated = units.run(handlers.forward, NATIONAL, tracking_id, {"target_hub": "35", "reason": "Salah alamat"})
    assert (updated["status"], updated["target_hub"]) == ("forwarded", "35")
    assert units.published[-1] == events.REPORT_FORWARDED


def test_a_manual_forward_on_a_stale_version_is_refused(units):
    tracking_id = routed(units, **TRIAGE)
    with pytest.raises(ConflictError) as stale:
        units.run(handlers.forward, NATIONAL, tracking_id, {"target_hub": "35", "reason": "x", "version": 7})
    assert stale.value.errors[0]["code"] == "stale"


def inbox_filters(**filters):
    return {"queue": None, "status": None, "indicator": None, "category_code": None, "page": 1, "per_page": 25,
            **filters}


def test_the_inbox_shows_the_officials_queue_with_counts_per_status(units):
    triage = routed(units, **TRIAGE)
    routed(units, category_code="infrastruktur", region_code="5108")
    units.run(handlers.act, NATIONAL, triage, "verify", {})
    national = units.read(handlers.inbox, NATIONAL, inbox_filters())
    assert [i["tracking_id"] for i in national["items"]] == [triage] and national["counts"] == {"verified": 1}
    liaison = units.read(handlers.inbox, LIAISON, inbox_filters())
    assert liaison["total"] == 1 and liaison["items"][0]["allowed_actions"]
    with pytest.raises(ApiError) as unknown:
        units.read(handlers.inbox, NATIONAL, inbox_filters(category_code="sihir"))
    assert unknown.value.errors[0]["field"] == "category_code"


def test_a_report_is_shown_with_its_history_only_within_the_officials_scope(units):
    tracking_id = routed(units, category_code="infrastruktur", region_code="5108")
    shown = units.read(handlers.report_by_id, LIAISON, tracking_id.lower())
    assert [h["action"] for h in shown["history"]] == ["route"] and shown["allowed_actions"]
    with pytest.raises(ApiError):
        units.read(handlers.readable, {**BULELENG, "agency_code": "PEMKAB-LUWU"}, tracking_id)


def test_disposition_history_and_queue_sizes_for_other_services_and_metrics(units):
    tracking_id = routed(units, category_code="infrastruktur", region_code="5108")
    routed(units, **TRIAGE)
    assert units.read(handlers.disposition, tracking_id)["unit_code"] == "BLL-PUPR"
    assert units.read(handlers.disposition, "ID-NOPE0-00000") is None
    assert units.read(handlers.history, "ID-NOPE0-00000") == []
    assert units.read(handlers.open_per_queue) == {"unit": 1, "national_triage": 1}


def test_the_report_page_offers_agencies_and_hubs_only_where_the_official_may_use_them(units):
    tracking_id = routed(units, **TRIAGE)
    fresh = units.read(handlers.report_page, NATIONAL, item(units, tracking_id), "en")
    assert fresh["agencies"] == [] and ("35", "Simpul Provinsi Jawa Timur (35)") in fresh["hubs"]
    assert name_of(fresh["names"], "regions", "9471", "en") == "Kota Jayapura"
    assert name_of(fresh["names"], "categories", "kesehatan", "en") == "Health"
    units.run(handlers.act, NATIONAL, tracking_id, "verify", {})
    verified = units.read(handlers.report_page, NATIONAL, item(units, tracking_id), "id")
    assert "PLN" in [code for code, _ in verified["agencies"]] and verified["units"] == []


def test_names_show_codes_as_people_read_them_in_the_pages_language(units):
    names = units.read(handlers.names)
    assert name_of(names, "categories", "kesehatan", "id") == "Kesehatan"
    assert name_of(names, "regions", "5108", "en") == name_of(names, "regions", "5108", "id") == "Kabupaten Buleleng"
    assert name_of(names, "units", "BLL-PUPR", "id") == "Dinas Pekerjaan Umum dan Penataan Ruang Kab. Buleleng"
    assert name_of(names, "categories", "lainnya", "en") == "Other (not yet categorised)"


def test_the_report_view_after_an_action_lists_its_audit_entry(units):
    tracking_id = routed(units, **TRIAGE)
    updated = units.run(handlers.act, NATIONAL, tracking_id, "verify", {})
    shown = units.read(handlers.report, NATIONAL, updated)
    assert shown["status"] == "verified" and [h["action"] for h in shown["history"]] == ["route", "verify"]

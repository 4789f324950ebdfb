"""Issue 18, no report without a holder: routing offers and accepts as forward targets only hubs
that can take the report (never this hub, never a hub already on the report's path or beyond
one, never a hub without a key), and does not forward by its rules to such a hub either."""
import pytest

from contract import events
from contract.errors import ApiError
from contract.ids import new_tracking_id
from routing import handlers
from routing.exceptions import ConflictError
from tests.fakes.routing import routing_units
from tests.unit.routing.fixtures import HUB_KEY, NATIONAL, Clock, demo_registry, received

HUBS = [{"code": "51", "name": "Simpul Provinsi Bali", "tier": "province", "parent": "ID", "public_key": HUB_KEY},
        {"code": "5108", "name": "Simpul Kabupaten Buleleng", "tier": "district", "parent": "51",
         "public_key": HUB_KEY},
        {"code": "52", "name": "Simpul Provinsi NTB", "tier": "province", "parent": "ID"}]  # no key yet
ADMIN = {**NATIONAL, "hub": "5108"}
TRIAGE = {"category_code": "kesehatan", "region_code": "9471"}  # no rule: this hub's triage


def buleleng():
    """Routing at hub 5108 with the demo registry and Bali's hubs: every region and agency is
    5108's but Luwu (7317), hub 35's."""
    registry = demo_registry()
    registry["hubs"] += HUBS
    registry["regions"] = [{**r, "hub": "35" if r["code"] == "7317" else "5108"} for r in registry["regions"]]
    registry["agencies"] = [{**a, "hub": "5108"} for a in registry["agencies"]]
    units = routing_units(hub_code="5108", clock=Clock())
    units.run(handlers.import_registry, registry, {})
    units.outbox.clear()
    return units


def arrived(units, path=("ID", "51", "5108"), **overrides) -> str:
    """A report that came along ``path`` to 5108 (filed at ID, through 51, by default); its tracking id."""
    came = {"forwarded_from": path[-2], "hub_path": list(path)} if len(path) > 1 else {}  # filed here: none
    event = received(tracking_id=new_tracking_id(path[0]), origin_hub=path[0], target_hub="5108", **came,
                     **overrides)
    units.run(handlers.route_report, events.REPORT_RECEIVED, event)
    return event["tracking_id"]


def page_hubs(units, tracking_id):
    """The hubs the forward form offers; the API's report offers the same."""
    item = units.read(lambda uow: uow.desk.get(tracking_id))
    offered = [code for code, _ in units.read(handlers.report_page, ADMIN, item, "id")["hubs"]]
    assert units.read(handlers.report_by_id, ADMIN, tracking_id)["forward_targets"] == offered
    return offered


def test_the_reported_bug_a_hub_already_on_the_path_is_not_offered_and_a_forward_there_is_409():
    units = buleleng()
    tracking_id = arrived(units, **TRIAGE)
    assert page_hubs(units, tracking_id) == []  # ID and 51 had it; 35 and 52 lie beyond them
    item = units.read(lambda uow: uow.desk.get(tracking_id))
    assert units.read(handlers.report_page, ADMIN, item, "id")["hub_path"] == ["ID", "51", "5108"]  # says why
    for target, why in (("51", "51"), ("ID", "id"), ("35", "51")):
        with pytest.raises(ConflictError) as refused:
            units.run(handlers.forward, ADMIN, tracking_id, {"target_hub": target, "reason": "Bukan wewenang kami"})
        error, = refused.value.errors
        assert (refused.value.status, error["field"], error["code"]) == (409, "target_hub", "visited")
        assert f"hub {why}" in error["message"].lower() and f"simpul {why}" in error["message_id"].lower()
    assert units.read(lambda uow: uow.desk.get(tracking_id))["status"] == "new"  # still held here
    assert units.published == [events.REPORT_DISPOSITIONED]


def test_a_report_filed_here_can_go_to_every_hub_that_can_take_it_and_only_those():
    units = buleleng()
    tracking_id = arrived(units, path=("5108",), **TRIAGE)
    assert units.read(lambda uow: uow.desk.get(tracking_id))["queue"] == "national_triage"
    assert sorted(page_hubs(units, tracking_id)) == ["35", "51", "ID"]  # not 5108 itself, not 52 (no key)
    with pytest.raises(ConflictError) as itself:
        units.run(handlers.forward, ADMIN, tracking_id, {"target_hub": "5108", "reason": "Bukan wewenang kami"})
    assert itself.value.errors[0]["code"] == "this_hub"
    with pytest.raises(ConflictError) as keyless:
        units.run(handlers.forward, ADMIN, tracking_id, {"target_hub": "52", "reason": "Bukan wewenang kami"})
    assert keyless.value.errors[0]["code"] == "no_key"
    with pytest.raises(ApiError) as unknown:
        units.run(handlers.forward, ADMIN, tracking_id, {"target_hub": "99", "reason": "Bukan wewenang kami"})
    assert unknown.value.status == 400
    updated = units.run(handlers.forward, ADMIN, tracking_id, {"target_hub": "51", "reason": "Bukan wewenang kami"})
    assert (updated["status"], updated["target_hub"]) == ("forwarded", "51")


def test_the_rules_never_forward_a_report_to_a_hub_beyond_its_path_it_stays_here():
    units = buleleng()
    tracking_id = arrived(units, region_code="7317")  # Luwu is hub 35's, but 35 lies beyond ID and 51
    item = units.read(lambda uow: uow.desk.get(tracking_id))
    assert item["status"] != "forwarded" and item["target_hub"] is None
    assert events.REPORT_FORWARDED not in units.published
    local = arrived(units, path=("5108",), region_code="7317")  # filed here: it goes to 35
    assert units.read(lambda uow: uow.desk.get(local))["target_hub"] == "35"


def test_a_report_that_could_not_be_sent_is_back_in_triage_with_the_reason_in_its_audit():
    units = buleleng()
    tracking_id = arrived(units, path=("5108",), **TRIAGE)
    units.run(handlers.forward, ADMIN, tracking_id, {"target_hub": "51", "reason": "Bukan wewenang kami"})
    units.run(handlers.handed_back, events.REPORT_HANDED_BACK,
              {"event_id": "evt-kept", "tracking_id": tracking_id, "hub": "5108", "from_hub": "5108",
               "target_hub": "51", "reason": "Hub 51 has no public key in the directory"})
    back = units.read(lambda uow: uow.desk.get(tracking_id))
    assert (back["queue"], back["status"]) == ("national_triage", "returned")
    audit = units.read(handlers.history, tracking_id)[-1]
    assert audit["action"] == "handed_back" and "could not be sent to hub 51: Hub 51 has no public key" in audit["reason"]


def test_a_report_whose_agency_belongs_to_a_hub_it_came_from_waits_in_this_hubs_triage():
    """Not in that agency's queue here: its officials belong to the other hub and cannot act here."""
    registry = demo_registry()
    registry["hubs"] += HUBS
    registry["regions"] = [{**r, "hub": "5108"} if r["code"] == "5108" else r for r in registry["regions"]]
    registry["agencies"] = [{**a, "hub": "5108"} if a["code"] == "PEMKAB-BULELENG" else a
                            for a in registry["agencies"]]
    units = routing_units(hub_code="51", clock=Clock())
    units.run(handlers.import_registry, registry, {})
    event = received(tracking_id=new_tracking_id("5108"), origin_hub="5108", target_hub="51", forwarded_from="5108",
                     hub_path=["5108", "51"], category_code="pelayanan-publik", region_code="5108")
    units.run(handlers.route_report, events.REPORT_RECEIVED, event)
    item = units.read(lambda uow: uow.desk.get(event["tracking_id"]))
    assert (item["queue"], item["agency_code"], item["status"]) == ("national_triage", None, "new")

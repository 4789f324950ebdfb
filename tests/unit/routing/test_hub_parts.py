"""The registry parts hubs publish (routing.handlers.hubparts, contract.hubregistry) on the fake unit
of work: an import at a hub publishes each part it owns that changed, with a newer version; another
hub's part is applied over that hub's rows only, once, and never over this hub's own."""
from contract import events
from routing import handlers
from tests.unit.routing.fixtures import Clock, demo_registry
from tests.fakes.routing import routing_units

OWNED_BY_BULELENG = {"regions": {"5108"}, "agencies": {"PEMKAB-BULELENG"}}


def network_registry() -> dict:
    """The demo registry as in a network: Buleleng's region and government are hub 5108's."""
    registry = demo_registry()
    registry["hubs"] = registry["hubs"] + [
        {"code": "51", "name": "Simpul Provinsi Bali", "tier": "province", "parent": "ID"},
        {"code": "5108", "name": "Simpul Kabupaten Buleleng", "tier": "district", "parent": "51"}]
    for kind, codes in OWNED_BY_BULELENG.items():
        for item in registry[kind]:
            if item["code"] in codes:
                item["hub"] = "5108"
    return registry


def hub(code: str, **settings):
    units = routing_units(code, clock=Clock(), **settings)
    units.run(handlers.import_registry, network_registry(), {})
    return units


def published(units) -> dict:
    return {p["part"]: events.load(events.HUB_PART_PUBLISHED, p) for p in units.payloads(events.HUB_PART_PUBLISHED)}


def test_an_import_publishes_each_part_the_hub_owns_and_only_when_it_changed():
    national = hub("ID")
    parts = published(national)
    assert set(parts) == {"directory", "registry"}
    assert {h["code"] for h in parts["directory"]["document"]["hubs"]} == {"ID", "35", "51"}
    assert "5108" not in {r["code"] for r in parts["registry"]["document"]["regions"]}
    assert {c["code"] for c in parts["registry"]["document"]["categories"]} >= {"infrastruktur"}
    national.outbox.clear()
    national.run(handlers.import_registry, network_registry(), {})
    assert published(national) == {}  # nothing of the national hub's changed
    changed = network_registry()
    changed["categories"][0]["name_en"] = "Roads and bridges"
    national.clock.now = national.clock.now.replace(microsecond=0)
    national.run(handlers.import_registry, changed, {})
    again = published(national)
    assert set(again) == {"registry"} and again["registry"]["version"] > parts["registry"]["version"]
    district = hub("5108")
    assert set(published(district)) == {"registry"}
    assert {r["code"] for r in published(district)["registry"]["document"]["regions"]} == {"5108"}


def received(payload: dict, **changes) -> dict:
    fields = {k: payload[k] for k in ("owner_hub", "part", "version", "published_at", "document")}
    return events.load(events.HUB_PART_RECEIVED, events.build(events.HUB_PART_RECEIVED, "51",
                                                              **{**fields, **changes})["payload"])


def test_a_national_change_is_applied_at_the_district_over_the_national_rows_only():
    national, district = hub("ID"), hub("5108")
    part = published(national)["registry"]
    document = {**part["document"]}
    document["categories"] = [{**c, "name_en": "Roads"} if c["code"] == "infrastruktur" else c
                              for c in document["categories"]]
    document["regions"] = document["regions"] + [{"code": "5108", "name": "DIAMBIL", "hub": "ID"}]
    document["rules"] = [r for r in document["rules"] if r["id"] != "lwu-infra"]
    district.outbox.clear()
    outcome = district.run(handlers.apply_hub_part, events.HUB_PART_RECEIVED,
                           received(part, version=part["version"] + 1, document=document))
    assert outcome == "applied"
    exported = district.read(handlers.export_registry)
    category = next(c for c in exported["categories"] if c["code"] == "infrastruktur")
    assert category["name_en"] == "Roads"
    assert next(r for r in exported["regions"] if r["code"] == "5108")["name"] == "Kabupaten Buleleng"
    assert "lwu-infra" not in {r["id"] for r in exported["rules"]}
    assert "bll-infra" in {r["id"] for r in exported["rules"]}  # Buleleng's own rule stays
    assert district.published == [events.REGISTRY_UPDATED]  # its own part did not change: nothing to publish
    # the same version again, or an older one, changes nothing
    district.outbox.clear()
    older = received(part, version=part["version"], document={**document, "categories": []})
    assert district.run(handlers.apply_hub_part, events.HUB_PART_RECEIVED, older) == "not_newer"
    assert district.published == []
    assert next(c for c in district.read(handlers.export_registry)["categories"]
                if c["code"] == "infrastruktur")["name_en"] == "Roads"


def test_a_hubs_own_part_coming_back_is_not_applied():
    district = hub("5108")
    part = published(district)["registry"]
    district.outbox.clear()
    emptied = received(part, version=part["version"] + 1, document={"regions": []})
    assert district.run(handlers.apply_hub_part, events.HUB_PART_RECEIVED, emptied) == "own_part"
    assert "5108" in {r["code"] for r in district.read(handlers.export_registry)["regions"]}

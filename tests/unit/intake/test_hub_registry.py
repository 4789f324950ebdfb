"""The registry parts on the links (intake.handlers.hub_registry, intake.hub_registry) on the fake
unit of work: a hub's own part goes to every neighbour signed by it; a neighbour's publication is
believed only when it came on that neighbour's signed link and its owner signed it, is newer, and
is passed on to the other neighbours and handed to routing; a forged or older one changes nothing."""
from datetime import datetime, timezone

import pytest

from contract import events, hubnet, hubregistry, hubwire
from intake import handlers, hub_registry
from intake.dependencies import Settings
from intake.hub_link import DeadLetter
from tests.fakes.hub_wire import SIGNING, signed_directory
from tests.fakes.intake import intake_units
from tests.unit.intake.test_transfer import DIRECTORY

NOW = datetime(2026, 12, 6, 5, 0, tzinfo=timezone.utc)
DOCUMENT = {"categories": [{"code": "jalan", "name_id": "Jalan", "name_en": "Roads"}]}


def hub(code: str):
    units = intake_units(Settings(hub_code=code), registry={"hubs": signed_directory(DIRECTORY)})
    units.shared["signing_key"] = SIGNING[code][0]
    return units


def sent(units) -> list[tuple[str, dict]]:
    return [(e["routing_key"], e["payload"]) for e in units.outbox if e.get("exchange") == hubnet.OUT_EXCHANGE]


def published_at(units, version: int = 7, document=DOCUMENT, owner: str = "ID") -> None:
    event = events.load(events.HUB_PART_PUBLISHED, events.build(
        events.HUB_PART_PUBLISHED, owner, owner_hub=owner, part="registry", version=version, published_at=NOW,
        document=document)["payload"])
    units.run(handlers.publish_hub_part, events.HUB_PART_PUBLISHED, event)


def arrive(units, payload: dict, sender: str, link_key: str | None = None, version: int = 2) -> str:
    """``payload`` put on the link by ``sender`` (signed with its key) and received by ``units``."""
    body = hubwire.for_neighbour(payload, version, link_key or SIGNING[sender][0])
    return hub_registry.receive(units, handlers.receive_publication, body, hubnet.link_user(sender))


def test_a_hubs_own_part_goes_to_every_neighbour_signed_by_it():
    national = hub("ID")
    published_at(national)
    assert sorted(hop for hop, _ in sent(national)) == ["51", "73"]
    message = sent(national)[0][1]
    assert message["kind"] == "registry" and message["hops"] == ["ID"] and message["version"] == 7
    hubregistry.check({**message, "published_at": NOW}, {"link": "ID"}, "51", signed_directory(DIRECTORY), None)


def test_a_national_change_travels_down_to_the_district_and_is_handed_to_routing_at_each_hub():
    national, province, district = hub("ID"), hub("51"), hub("5108")
    published_at(national)
    to_51 = next(m for hop, m in sent(national) if hop == "51")
    assert arrive(province, to_51, "ID") == "applied"
    assert province.published == [events.HUB_PART_RECEIVED, "hub_registry"]
    assert province.payloads(events.HUB_PART_RECEIVED)[0]["document"] == DOCUMENT
    onward = sent(province)
    assert [hop for hop, _ in onward] == ["5108"]  # not back to ID
    assert arrive(district, onward[0][1], "51") == "applied"
    assert district.payloads(events.HUB_PART_RECEIVED)[0]["version"] == 7
    assert sent(district) == []  # a district passes it on to nobody
    # the same publication again: nothing more
    district.outbox.clear()
    assert arrive(district, onward[0][1], "51") == "not_newer"
    assert district.outbox == []


@pytest.mark.parametrize("forgery, reason", [
    ("owner", "bad_signature"),        # 51 signs the national hub's part as if it were ID's
    ("link", "bad_link_signature"),    # the link's signature is not 51's
    ("wrong_link", "wrong_link"),      # sent on by ID, but it came on 51's link
])
def test_a_forged_publication_is_dead_lettered_counted_and_changes_nothing(forgery, reason):
    province, district = hub("51"), hub("5108")
    national = hub("ID")
    published_at(national)
    arrive(province, next(m for hop, m in sent(national) if hop == "51"), "ID")
    message = sent(province)[0][1]
    link_key = None
    if forgery == "owner":
        forged = hubregistry.new_publication("ID", "registry", 8, {"categories": []}, NOW, SIGNING["51"][0])
        message = hubregistry.message_to(forged, "51", ["ID"], NOW)
    elif forgery == "link":
        link_key = SIGNING["73"][0]
    else:
        message = {**message, "hops": ["51", "ID"]}
    before = hubregistry.REFUSED.labels("ID", "registry", reason)._value.get()
    with pytest.raises(DeadLetter):
        arrive(district, message, "51", link_key=link_key)
    assert hubregistry.REFUSED.labels("ID", "registry", reason)._value.get() == before + 1
    assert district.outbox == [] and district.read(lambda uow: uow.hubs.part("ID", "registry")) is None


def test_an_older_version_is_refused_after_a_newer_one():
    national, province = hub("ID"), hub("51")
    published_at(national, version=9)
    newer = next(m for hop, m in sent(national) if hop == "51")
    national.outbox.clear()
    published_at(national, version=8, document={"categories": []})
    older = next(m for hop, m in sent(national) if hop == "51")
    assert arrive(province, newer, "ID") == "applied"
    province.outbox.clear()
    before = hubregistry.REFUSED.labels("ID", "registry", "not_newer")._value.get()
    assert arrive(province, older, "ID") == "not_newer"
    assert province.outbox == [] and province.read(lambda uow: uow.hubs.part("ID", "registry"))["version"] == 9
    assert hubregistry.REFUSED.labels("ID", "registry", "not_newer")._value.get() == before + 1


def test_a_malformed_publication_is_dead_lettered():
    with pytest.raises(DeadLetter):
        hub_registry.receive(hub("51"), handlers.receive_publication,
                             {"schema_version": 2, "kind": "registry", "owner_hub": "ID"}, hubnet.link_user("ID"))


def test_a_new_hubs_first_part_does_not_overtake_its_directory_entry():
    """51 admits 5171 and publishes its directory part; 5171's own part follows on the same link and
    reaches ID before ID's routing has applied the entry (intake's copy does not have it yet)."""
    from contract import hubsign as signing

    province, national = hub("51"), hub("ID")
    key, public = signing.generate_key()
    entry = {"code": "5171", "tier": "district", "parent": "51", "signing_key": public}
    own_directory = [h for h in signed_directory(DIRECTORY) if h.get("parent") == "51"] + [entry]
    province.run(handlers.publish_hub_part, events.HUB_PART_PUBLISHED, events.load(
        events.HUB_PART_PUBLISHED, events.build(events.HUB_PART_PUBLISHED, "51", owner_hub="51", part="directory",
                                                version=3, published_at=NOW, document={"hubs": own_directory})["payload"]))
    assert arrive(national, next(m for hop, m in sent(province) if hop == "ID"), "51") == "applied"
    first = hubregistry.new_publication("5171", "registry", 1, {"regions": []}, NOW, key)
    assert arrive(national, hubregistry.message_to(first, "51", ["5171"], NOW), "51") == "applied"

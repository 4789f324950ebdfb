"""contract.hubregistry: who owns which rows, what a publication changes where it is applied (never
a row this hub or a third hub owns), and which publications a hub refuses."""
from datetime import datetime, timezone

import pytest

from contract import hubnet, hubregistry
from tests.fakes.hub_wire import SIGNING

NOW = datetime(2026, 12, 6, 5, 0, tzinfo=timezone.utc)
HUBS = [{"code": "ID", "tier": "national", "parent": None, "signing_key": SIGNING["ID"][1]},
        {"code": "51", "tier": "province", "parent": "ID", "signing_key": SIGNING["51"][1]},
        {"code": "5108", "tier": "district", "parent": "51", "signing_key": SIGNING["5108"][1]}]


def rows(**changes) -> dict:
    base = {"hubs": [dict(h) for h in HUBS],
            "regions": [{"code": "51", "name": "Provinsi Bali", "hub": "51"},
                        {"code": "5108", "name": "Kabupaten Buleleng", "parent": "51", "hub": "5108"},
                        {"code": "7317", "name": "Kabupaten Luwu", "hub": "ID"}],
            "agencies": [{"code": "KEMENPUPR", "name": "Kementerian PUPR", "hub": "ID"},
                         {"code": "PEMKAB-BULELENG", "name": "Pemkab Buleleng", "hub": "5108"}],
            "units": [{"code": "BLL-PUPR", "agency_code": "PEMKAB-BULELENG", "name": "PUPR Buleleng"},
                      {"code": "PUPR-PUSAT", "agency_code": "KEMENPUPR", "name": "Ditjen Bina Marga"}],
            "rules": [{"id": "bll-infra", "region_code": "5108", "agency_code": "PEMKAB-BULELENG"},
                      {"id": "nasional", "category_code": "jalan", "agency_code": "KEMENPUPR"}],
            "categories": [{"code": "jalan", "name_id": "Jalan", "name_en": "Roads"}]}
    base.update(changes)
    return base


def test_each_hub_publishes_the_rows_it_owns():
    national = hubregistry.owned_part(rows(), "ID", "registry")
    assert [r["code"] for r in national["regions"]] == ["7317"]
    assert [r["code"] for r in national["units"]] == ["PUPR-PUSAT"] and [r["id"] for r in national["rules"]] == ["nasional"]
    assert [c["code"] for c in national["categories"]] == ["jalan"]
    district = hubregistry.owned_part(rows(), "5108", "registry")
    assert [r["code"] for r in district["regions"]] == ["5108"] and "categories" not in district
    assert [r["id"] for r in district["rules"]] == ["bll-infra"]
    # a directory entry is its parent's (the national hub's own entry is its own)
    assert [h["code"] for h in hubregistry.owned_part(rows(), "ID", "directory")["hubs"]] == ["51", "ID"]
    assert [h["code"] for h in hubregistry.owned_part(rows(), "51", "directory")["hubs"]] == ["5108"]
    assert hubregistry.owned_part(rows(), "5108", "directory") == {"hubs": []}


def test_a_parents_publication_never_overwrites_a_childs_own_rows():
    published = hubregistry.owned_part(rows(), "ID", "registry")
    # the national hub's file also claims Buleleng's region and renames its own
    published["regions"] += [{"code": "5108", "name": "DIAMBIL", "hub": "ID"}]
    published["regions"][0] = {**published["regions"][0], "name": "Kab. Luwu (baru)"}
    writes, deletes = hubregistry.merge(rows(), "ID", "registry", published, "5108")
    assert [r["name"] for r in writes["regions"]] == ["Kab. Luwu (baru)"]
    assert deletes == {}


def test_a_row_the_owner_no_longer_publishes_is_removed_and_a_third_hubs_row_is_kept():
    published = hubregistry.owned_part(rows(), "ID", "registry")
    published["rules"] = []
    published["regions"].append({"code": "51", "name": "Bali by ID", "hub": "ID"})  # 51's own region
    writes, deletes = hubregistry.merge(rows(), "ID", "registry", published, "5108")
    assert deletes == {"rules": ["nasional"]}
    assert [r["code"] for r in writes["regions"]] == ["7317"]


def test_a_directory_publication_keeps_this_hubs_own_entry():
    published = hubregistry.owned_part(rows(), "ID", "directory")
    published["hubs"] = [h if h["code"] != "51" else {**h, "signing_key": SIGNING["ID"][1]} for h in published["hubs"]]
    writes, deletes = hubregistry.merge(rows(), "ID", "directory", published, "51")
    assert [h["code"] for h in writes["hubs"]] == ["ID"] and deletes == {}
    writes, _ = hubregistry.merge(rows(), "ID", "directory", published, "5108")
    assert [h["code"] for h in writes["hubs"]] == ["51", "ID"]


def message(owner="ID", part="registry", version=5, key=None, hops=("ID",)) -> dict:
    publication = hubregistry.new_publication(owner, part, version, {"categories": []}, NOW,
                                              key or SIGNING[owner][0])
    return {**hubregistry.message_to(publication, hops[-1], list(hops[:-1]), NOW), "published_at": NOW}


@pytest.mark.parametrize("arrival, applied, reason", [
    ({"message": message(key=SIGNING["51"][0], hops=("51",)), "link": "51"}, None, "bad_signature"),
    ({"message": message(hops=("ID", "51")), "link": "51"}, 5, "not_newer"),
    ({"message": message(hops=("ID", "51")), "link": "51"}, 9, "not_newer"),
    ({"message": message(owner="5108", hops=("5108", "51")), "link": "51"}, None, "own_part"),
    ({"message": message(hops=("ID",)), "link": "ID"}, None, "not_neighbour"),
    ({"message": message(hops=("ID", "51")), "link": None}, None, "no_link"),
    ({"message": message(owner="63", key=SIGNING["63"][0], hops=("51",)), "link": "51"}, None, "unknown_owner"),
])
def test_a_hub_refuses_a_forged_older_or_misdirected_publication(arrival, applied, reason):
    with pytest.raises(hubregistry.Refused) as caught:
        hubregistry.check(arrival["message"], {"link": arrival["link"]}, "5108", HUBS, applied)
    assert caught.value.reason == reason


def test_a_newer_publication_signed_by_its_owner_is_believed_and_its_body_loads():
    arrived = message(hops=("ID", "51"))
    hubregistry.check(arrived, {"link": "51"}, "5108", HUBS, 4)
    body = {**arrived, "published_at": NOW.isoformat()}
    assert hubregistry.load(body)["version"] == 5
    assert hubnet.neighbours(HUBS, "51") == ["ID", "5108"]


def test_versions_only_grow():
    assert hubregistry.next_version(None, NOW) == int(NOW.timestamp() * 1000)
    far = int(NOW.timestamp() * 1000) + 10
    assert hubregistry.next_version(far, NOW) == far + 1

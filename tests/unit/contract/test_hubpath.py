"""contract.hubpath: the one rule of where a report may go (issue 18)."""
import time

from contract import hubnet, hubpath

KEY = "k" * 44
DIRECTORY = [{"code": "ID", "tier": "national", "parent": None, "public_key": KEY},
             {"code": "51", "tier": "province", "parent": "ID", "public_key": KEY},
             {"code": "73", "tier": "province", "parent": "ID", "public_key": KEY},
             {"code": "5108", "tier": "district", "parent": "51", "public_key": KEY},
             {"code": "7317", "tier": "district", "parent": "73", "public_key": None}]


def codes(here, path=()):
    return sorted(h["code"] for h in hubpath.targets(DIRECTORY, here, path))


def test_a_report_goes_only_where_no_hub_on_the_way_has_had_it():
    assert codes("5108") == ["51", "73", "ID"]          # 7317 has no key
    assert codes("5108", ["ID", "51", "5108"]) == []    # every way out crosses 51
    assert codes("ID", ["5108", "51", "ID"]) == ["73"]
    assert codes("51", ["5108", "51"]) == ["73", "ID"]
    why = {t: hubpath.refusal(DIRECTORY, "5108", t, ["ID", "51", "5108"]).code for t in ("5108", "51", "73", "99")}
    assert why == {"5108": "this_hub", "51": "visited", "73": "visited", "99": "unknown_hub"}
    assert hubpath.refusal(DIRECTORY, "5108", "7317").code == "no_key"


def test_the_route_is_the_networks_route_and_a_big_directory_is_fast():
    hubs = [{"code": "ID", "tier": "national", "public_key": KEY}]
    hubs += [{"code": f"P{p}", "tier": "province", "parent": "ID", "public_key": KEY} for p in range(38)]
    hubs += [{"code": f"D{p}X{d}", "tier": "district", "parent": f"P{p}", "public_key": KEY}
             for p in range(38) for d in range(14)]
    assert hubpath._route(hubpath._by_code(hubs), "D1X1", "D2X2") == hubnet.path(hubs, "D1X1", "D2X2")
    started = time.perf_counter()
    offered = hubpath.targets(hubs, "D1X1", ["D1X1"])  # 571 hubs, a report filed at a district
    assert len(offered) == len(hubs) - 1 and time.perf_counter() - started < 1.0
    assert [h["code"] for h in hubpath.targets(hubs, "D1X1", ["ID", "P1", "D1X1"])] == []

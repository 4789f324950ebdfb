"""The hub directory in the routing registry: schema, tree validation, numeric codes as strings."""
from routing import registry_io
from routing.domain import forwarding

KEY = "A" * 43 + "="


def load(text: str, stored_hubs=()):
    data, lines = registry_io.parse_yaml(text)
    return registry_io.validate(data, lines, {}, [], {}, list(stored_hubs))


def test_a_tree_of_tiers_loads_with_codes_as_strings():
    registry, problems = load(f"""
hubs:
  - {{code: ID, name: Nasional, tier: national, public_url: "https://lapor.example", public_key: "{KEY}"}}
  - {{code: "51", name: Bali, tier: province, parent: ID}}
  - {{code: "5108", name: Buleleng, tier: district, parent: "51", public_url: "http://127.0.0.1:8980"}}
""")
    assert problems == []
    assert [h["code"] for h in registry["hubs"]] == ["ID", "51", "5108"]
    assert registry["hubs"][2]["parent"] == "51"


def test_an_unquoted_numeric_code_is_refused_with_its_line():
    _, problems = load("hubs:\n  - {code: ID, name: N, tier: national}\n  - {code: 51, name: Bali, tier: province, parent: ID}\n")
    assert problems and problems[0]["field"].startswith("hubs.1.code") and problems[0]["line"] == 3


def test_level_is_accepted_as_the_older_spelling_of_tier():
    registry, problems = load("hubs:\n  - {code: ID, name: N, level: national}\n")
    assert problems == [] and registry["hubs"][0]["tier"] == "national"


def test_a_broken_tree_is_refused_naming_the_hub():
    _, problems = load('hubs:\n  - {code: ID, name: N, tier: national}\n  - {code: "5108", name: B, tier: district, parent: ID}\n')
    assert problems and problems[0]["field"] == "hubs.1.parent" and "5108" in problems[0]["message"]
    _, problems = load('hubs:\n  - {code: "35", name: Jatim, tier: province}\n', stored_hubs=[
        {"_id": "ID", "name": "N", "level": "national"}])
    assert problems and "35" in problems[0]["message"]


def test_a_file_may_add_to_the_stored_directory():
    stored = [{"_id": "ID", "name": "N", "tier": "national"}]
    _, problems = load('hubs:\n  - {code: "51", name: Bali, tier: province, parent: ID}\n', stored_hubs=stored)
    assert problems == []


def test_bad_keys_and_urls_are_refused():
    _, problems = load('hubs:\n  - {code: ID, name: N, tier: national, public_key: "nope", public_url: "ftp://x"}\n')
    fields = {p["field"] for p in problems}
    assert {"hubs.0.public_key", "hubs.0.public_url"} <= fields


def test_the_directory_event_carries_no_region_and_no_credentials():
    out = forwarding.directory_for_event([{"_id": "ID", "name": "N", "tier": "national", "public_key": KEY,
                                           "region_code": None}])
    assert out == [{"code": "ID", "name": "N", "tier": "national", "parent": None, "public_url": None,
                    "public_key": KEY, "signing_key": None, "message_version": None}]


# --- routing between hubs: by the region's hub, by the agency's hub, never back the way it came ---

def _route(here: str, **overrides):
    from tests.unit.routing.test_domain import REGIONS, RULES, _now, _received, report
    from routing import domain
    regions = {code: {**r, "hub": "5108" if code == "5108" else r["hub"]} for code, r in REGIONS.items()}
    return domain.route({**report(**overrides), **_received(), **overrides}, regions, domain.RuleIndex(RULES), here,
                        _now(), {"BLL": "5108", "PUPR": "ID", "PLN": "ID"})


def test_a_rule_whose_agency_belongs_to_another_hub_forwards_there():
    routed = _route("5108", description="Jalan nasional rusak di Singaraja")
    assert routed["outcome"] == "forwarded" and routed["event"]["payload"]["target_hub"] == "ID"
    assert "agency PUPR" in routed["event"]["payload"]["reason"]
    assert _route("5108")["outcome"] != "forwarded"  # the district's own agency stays here


def test_a_forwarded_in_report_is_not_sent_back_the_way_it_came():
    assert _route("ID")["event"]["payload"]["target_hub"] == "5108"  # the region is 5108's
    from contract.ids import new_tracking_id
    came_back = _route("ID", forwarded_from="51", tracking_id=new_tracking_id("5108"), origin_hub="5108",
                       description="Jalan nasional rusak di Singaraja")
    assert came_back["outcome"] != "forwarded" and came_back["item"]["agency_code"] == "PUPR"


def test_a_forwarded_report_handed_back_goes_to_triage_as_returned_and_only_once():
    from datetime import datetime, timezone
    now = datetime(2026, 11, 30, tzinfo=timezone.utc)
    item = {"_id": "ID-AAAAA-AAAA0", "status": "forwarded", "queue": "forwarded", "agency_code": None,
            "unit_code": None, "version": 2}
    changes, entry = forwarding.handed_back(item, {"from_hub": "51", "reason": "loop"}, now)
    assert changes["queue"] == "national_triage" and changes["status"] == "returned" and changes["target_hub"] is None
    assert entry["action"] == "handed_back" and "51" in entry["reason"] and entry["seq"] == 3
    assert forwarding.handed_back({**item, "status": "new"}, {"from_hub": "51"}, now) is None

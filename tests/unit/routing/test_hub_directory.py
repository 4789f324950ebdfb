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
                    "public_key": KEY}]

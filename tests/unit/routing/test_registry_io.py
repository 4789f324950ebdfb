import pytest

from routing import registry_io


def test_yaml_items_keep_their_lines():
    data, lines = registry_io.parse_yaml("hubs:\n  - {code: ID, name: N, level: national}\nrules:\n\n  - id: a\n"
                                         "    agency_code: X\n  - {id: b, agency_code: Y}\n")
    assert [r["id"] for r in data["rules"]] == ["a", "b"] and lines == {"hubs": [2], "rules": [5, 7]}


def test_broken_yaml_is_reported_with_its_line():
    with pytest.raises(registry_io.RegistryFileError) as failed:
        registry_io.parse_yaml("rules:\n  - {id: a\n")
    assert failed.value.items[0]["code"] == "invalid" and failed.value.items[0]["line"] >= 2


def test_csv_rows_nest_dotted_headers_split_lists_and_keep_lines():
    text = ('code,agency_code,name,liaison.official_id,liaison.name\n'
            'U1,A,"Dinas ""Satu""",lo-1,Penghubung\n'
            'U2,A,"Dinas\ndua baris",lo-2,\n')
    data, lines = registry_io.parse_csv(text, "units")
    assert data["units"][0]["liaison"] == {"official_id": "lo-1", "name": "Penghubung"}
    assert data["units"][1]["liaison"] == {"official_id": "lo-2"} and lines == {"units": [2, 4]}
    rules, _ = registry_io.parse_csv("id,keywords\nr,banjir| longsor |\n", "rules")
    assert rules["rules"][0]["keywords"] == ["banjir", "longsor"]


def test_errors_get_the_line_of_their_row():
    items = [{"field": "rules.1.agency_code", "code": "not_found"}, {"field": None, "code": "x"}]
    assert registry_io.with_lines(items, {"rules": [3, 9]}) == [
        {"field": None, "code": "x"}, {"field": "rules.1.agency_code", "code": "not_found", "line": 9}]


@pytest.mark.parametrize("path,kind", [("rules.csv", "rules"), ("/tmp/demo-units.csv", "units"),
                                       ("x/2026_officials.CSV", "officials")])
def test_csv_collection_from_file_name(path, kind):
    assert registry_io.kind_of(path) == kind


def test_csv_without_a_collection_name_is_refused():
    with pytest.raises(ValueError):
        registry_io.kind_of("registry.csv")
    with pytest.raises(registry_io.RegistryFileError):
        registry_io.parse("code\nX\n", "text/csv", None)


def test_csv_export_round_trips_through_parse():
    items = [{"id": "r1", "keywords": ["jalan nasional"], "automatic": False, "priority": 0, "gesi": None,
              "unit": {"code": "U"}}]
    data, _ = registry_io.parse_csv(registry_io.to_csv(items), "rules")
    assert data["rules"] == [{"id": "r1", "keywords": ["jalan nasional"], "automatic": "false", "priority": "0",
                              "unit": {"code": "U"}}]

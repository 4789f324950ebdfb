"""contract.inputs: every decoded outside document is checked for depth and unencodable text."""
import pytest

from contract.errors import ApiError
from contract.inputs import MAX_DEPTH, check_tree, loads_json
from routing.registry_io import RegistryFileError, parse


def codes(call, *args):
    with pytest.raises(ApiError) as raised:
        call(*args)
    return [(e["field"], e["code"]) for e in raised.value.errors]


def test_depth_beyond_the_limit_and_past_the_parser_are_400s():
    assert codes(loads_json, b"[" * 1000 + b"]" * 1000) == [(None, "too_deep")]
    nested = "x"
    for _ in range(MAX_DEPTH + 1):
        nested = [nested]
    assert codes(check_tree, {"a": nested})[0][1] == "too_deep"
    assert check_tree({"a": [[["fine"]]]}) == {"a": [[["fine"]]]}


def test_lone_surrogates_name_their_field():
    assert codes(loads_json, b'{"reporter": {"name": "a\\ud800"}}') == [("reporter.name", "invalid")]
    assert codes(loads_json, b'{"tags": ["ok", "\\udfff"]}') == [("tags.1", "invalid")]
    assert loads_json(b'{"emoji": "\\ud83d\\ude00"}') == {"emoji": "\U0001F600"}


def test_registry_files_deep_or_empty_are_refused():
    for text, media, code in (("[" * 1000 + "]" * 1000, "application/json", "too_deep"),
                              ("", "application/yaml", "required"), ("  \n", "application/json", "required")):
        with pytest.raises(RegistryFileError) as raised:
            parse(text, media, None)
        assert raised.value.items[0]["code"] == code, raised.value.items
    with pytest.raises(RegistryFileError) as raised:
        parse("[" * 1000 + "]" * 1000, "application/yaml", None)
    assert raised.value.items[0]["code"] == "too_deep"

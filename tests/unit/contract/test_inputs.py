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


def test_forwarded_for_counts_only_from_trusted_proxies():
    from werkzeug.test import EnvironBuilder
    from werkzeug.wrappers import Request

    from contract.http import client_address

    def caller(remote, forwarded, trusted):
        environ = EnvironBuilder(headers={"X-Forwarded-For": forwarded}, environ_base={"REMOTE_ADDR": remote})
        return client_address(Request(environ.get_environ()), trusted)

    assert caller("203.0.113.5", "198.51.100.1", "127.0.0.1,::1") == "203.0.113.5"  # forged: ignored
    assert caller("127.0.0.1", "198.51.100.1", "127.0.0.1,::1") == "198.51.100.1"
    assert caller("10.2.3.4", "1.2.3.4, 198.51.100.1, 10.9.9.9", "10.0.0.0/8") == "198.51.100.1"
    assert caller("10.2.3.4", "", "10.0.0.0/8") == "10.2.3.4"

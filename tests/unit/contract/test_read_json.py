"""contract.http.read_json takes only a body sent as JSON (issue 20: ``POST /reports`` took
``Content-Type: text/plain`` as JSON, so a cross-site form could file reports from a visitor's
browser): anything else is a 415 naming Content-Type, in the API's error format."""
import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from contract.errors import ApiError
from contract.http import read_json


def request(content_type: str | None, body: bytes = b'{"title": "Jalan rusak"}') -> Request:
    headers = {"Content-Type": content_type} if content_type else {}
    return Request(EnvironBuilder(method="POST", path="/reports", data=body, headers=headers).get_environ())


@pytest.mark.parametrize("content_type", ["application/json", "application/json; charset=utf-8",
                                          "application/merge-patch+json"])
def test_a_json_body_is_read(content_type):
    assert read_json(request(content_type)) == {"title": "Jalan rusak"}


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data",
                                          None])
def test_a_body_not_sent_as_json_is_a_415_naming_the_header(content_type):
    with pytest.raises(ApiError) as refused:
        read_json(request(content_type))
    assert refused.value.status == 415
    assert [(e["field"], e["code"]) for e in refused.value.to_dict()["errors"]] == [
        ("Content-Type", "unsupported_media_type")]

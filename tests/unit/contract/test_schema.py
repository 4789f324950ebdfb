"""contract.schema: every schema refuses text no store can encode, naming the field (issue 13)."""
import importlib
import pkgutil
import re
from pathlib import Path

import marshmallow
import pytest
from marshmallow import fields

from contract.errors import from_validation_error
from contract.schema import Schema, unencodable_field

SERVICES = Path(__file__).resolve().parents[3] / "services"
PACKAGES = ("contract", "intake", "routing", "followup", "notification", "assessment")


class Person(Schema):
    name = fields.String()


class Form(Schema):
    title = fields.String()
    reporter = fields.Nested(Person)
    tags = fields.List(fields.String())
    extra = fields.Dict()


def refused(schema, payload):
    with pytest.raises(marshmallow.ValidationError) as raised:
        schema.load(payload)
    return [(e["field"], e["code"], bool(e["message_id"])) for e in from_validation_error(raised.value).errors]


def test_a_lone_surrogate_anywhere_is_refused_naming_the_field():
    assert refused(Form(), {"title": "Jalan \ud800 rusak"}) == [("title", "invalid", True)]
    assert refused(Form(), {"reporter": {"name": "a\udfff"}}) == [("reporter.name", "invalid", True)]
    assert refused(Form(), {"tags": ["ok", "\ud800"]}) == [("tags.1", "invalid", True)]
    assert refused(Form(), {"extra": {"k\ud800": "v"}}) == [("extra", "invalid", True)]
    assert refused(Form(many=True), [{"title": "ok"}, {"title": "\ud800"}]) == [("1.title", "invalid", True)]
    assert refused(Person(), "\ud800") == [(None, "invalid", True)]


def test_encodable_text_loads_unchanged():
    payload = {"title": "Jalan rusak \U0001F600", "reporter": {"name": "Ni Luh"}, "tags": ["a"], "extra": {"k": [1]}}
    assert Form().load(payload) == payload
    assert unencodable_field({"a": ["\U0001F600", 1, None]}) is None


def _service_modules():
    for package in PACKAGES:
        root = importlib.import_module(package)
        for info in pkgutil.walk_packages(root.__path__, f"{package}."):
            yield info.name


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_every_service_schema_derives_from_the_contract_base():
    for name in _service_modules():
        importlib.import_module(name)
    ours = [cls for cls in _subclasses(marshmallow.Schema) if cls.__module__.split(".")[0] in PACKAGES]
    assert len(ours) > 100, len(ours)
    strays = [f"{cls.__module__}.{cls.__qualname__}" for cls in ours if not issubclass(cls, Schema)]
    assert strays == []


def test_no_source_imports_marshmallows_schema_directly():
    direct = re.compile(r"from marshmallow import [^\n]*\bSchema\b|marshmallow\.Schema\b(?!`)")
    found = [str(path.relative_to(SERVICES)) for path in SERVICES.rglob("*.py")
             if path.name != "schema.py" and direct.search(path.read_text())]
    assert found == []


def test_an_integer_beyond_the_stores_is_refused_naming_the_field_wherever_it_is():
    class Inner(Schema):
        count = fields.Integer()

    class Outer(Schema):
        priority = fields.Integer()
        inner = fields.Nested(Inner)
        extra = fields.Dict(keys=fields.String(), values=fields.Integer())

    assert Outer().load({"priority": 2**63 - 1, "inner": {"count": -2**63}}) == \
        {"priority": 2**63 - 1, "inner": {"count": -2**63}}
    for document, field in (({"priority": "99999999999999999999"}, "priority"),
                            ({"inner": {"count": 2**63}}, "inner.count"),
                            ({"extra": {"a": -2**63 - 1}}, "extra.a")):
        with pytest.raises(marshmallow.ValidationError) as refused:
            Outer().load(document)
        (item,) = from_validation_error(refused.value).errors
        assert (item["field"], item["code"]) == (field, "range"), item

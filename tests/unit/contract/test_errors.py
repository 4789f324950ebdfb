from marshmallow import Schema, ValidationError, fields, validate

from contract.errors import from_validation_error


class Form(Schema):
    name = fields.String(required=True, validate=validate.Length(min=3))
    kind = fields.String(validate=validate.OneOf(["a", "b"]))
    when = fields.Date()
    nested = fields.Nested(Schema.from_dict({"x": fields.Integer(required=True)}))


def errors_of(payload):
    try:
        Form().load(payload)
    except ValidationError as exc:
        return {(e["field"], e["code"]) for e in from_validation_error(exc).errors}
    raise AssertionError("no error")


def test_each_problem_names_its_field_and_a_stable_code():
    assert errors_of({"kind": "c", "when": "nope", "nested": {}, "extra": 1}) == {
        ("name", "required"), ("kind", "not_allowed"), ("when", "invalid"),
        ("nested.x", "required"), ("extra", "unknown_field")}


def test_length_and_type_codes():
    assert errors_of({"name": "ab"}) == {("name", "length")}
    assert errors_of({"name": 5}) == {("name", "invalid")}


def test_items_carry_english_and_indonesian_text():
    try:
        Form().load({})
    except ValidationError as exc:
        item = from_validation_error(exc).errors[0]
    assert item["message"] and item["message_id"] and item["message"] != item["message_id"]

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


# --- Indonesian messages never mix languages (issue 13: "Report tidak ditemukan.") -------------

def test_not_found_names_the_thing_in_indonesian():
    from contract import errors
    assert errors.not_found("tracking_id", "Report").errors[0]["message_id"] == "Laporan tidak ditemukan."
    assert errors.not_found("tracking_id", "Case").errors[0]["message_id"] == "Kasus tidak ditemukan."
    assert errors.not_found("x", "Gizmo").errors[0]["message_id"] == "Data tidak ditemukan."  # never "Gizmo tidak ..."


def test_every_not_found_in_the_services_has_an_indonesian_name():
    import re
    from pathlib import Path

    from contract import i18n
    services = Path(__file__).resolve().parents[3] / "services"
    calls = re.compile(r"not_found\(\s*\"[a-z_]+\",\s*\"([^\"]+)\"\s*\)")
    used = {what for path in services.rglob("*.py") for what in calls.findall(path.read_text())}
    assert {"Report", "Case", "Comment", "Attachment"} <= used
    assert {what for what in used if f"api.thing.{what}" not in i18n.common()} == set()


def test_unknown_codes_in_routing_are_told_in_indonesian():
    from routing.domain import registry, workflow
    refused = workflow._unknown("agency_code", "agency", "X-1")
    assert refused.message_id == "Instansi tidak dikenal: X-1."
    problems = registry.registry_problems({"units": [{"code": "U1", "agency_code": "NOPE"}]}, {})
    assert problems and all("(agency)" not in p["message_id"] for p in problems)


def test_every_403_names_what_it_refuses_in_one_language():
    """Each forbidden("...") the services raise has its Indonesian text: message_id never mixes languages."""
    import re
    from pathlib import Path

    from contract import i18n
    from contract.auth import forbidden

    services = Path(__file__).resolve().parents[3] / "services"
    raised = {m for path in services.rglob("*.py") for m in re.findall(r'\bforbidden\("([^"]+)"\)', path.read_text())}
    unnamed = {what for what in raised if f"api.forbidden.{what}" not in i18n.common()}
    assert raised and not unnamed, unnamed
    for what in raised | {"something new"}:
        item, = forbidden(what).errors
        assert what not in item["message_id"] and item["message_id"].startswith("Peran atau cakupan Anda")
    assert forbidden().errors[0]["message_id"] == "Peran atau cakupan Anda tidak mengizinkan tindakan ini."

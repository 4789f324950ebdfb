"""Open311 queries and keys, evidence, and what the citizen pages read (intake.handlers) on the fake
unit of work."""
import pytest

from contract.auth import token_hash
from contract.errors import ApiError
from contract.web import NotFoundPage
from intake import handlers, schemas
from intake.dependencies import Settings
from intake.exceptions import Open311Error
from tests.factories import make_report
from tests.fakes.intake import intake_units
from tests.unit.intake.test_evidence import png

REGISTRY = {"categories": [{"code": "infrastruktur", "name_id": "Infrastruktur", "name_en": "Infrastructure"}],
            "regions": [{"code": "5108", "name": "Kabupaten Buleleng", "level": "district"}]}
NATIONAL = {"role": "national_admin", "official_id": "adm"}
LIAISON = {"role": "liaison", "official_id": "lo", "unit_code": "OTHER-UNIT"}


def units(**settings):
    return intake_units(Settings(**settings), registry=REGISTRY)


def filed(fake, **overrides) -> dict:
    return fake.run(handlers.accept_report, {"form": schemas.load_report(make_report(**overrides))})["receipt"]


def test_open311_services_and_their_definitions_come_from_the_registry_copy():
    fake = units()
    assert "infrastruktur" in [s["service_code"] for s in fake.read(handlers.open311_services, "en")]
    assert fake.read(handlers.open311_service_definition, "infrastruktur")["service_code"] == "infrastruktur"
    with pytest.raises(Open311Error) as raised:
        fake.read(handlers.open311_service_definition, "tidak-ada")
    assert raised.value.status == 404


def test_open311_lists_only_public_complete_requests_by_id_or_token():
    fake = units()
    public, confidential = filed(fake), filed(fake, is_confidential=True)
    listed = fake.read(handlers.open311_requests, {"language": "id"})
    assert [r["service_request_id"] for r in listed] == [public["tracking_id"]]
    assert "Made" not in str(listed)
    one, = fake.read(handlers.open311_request, {"request_id": public["tracking_id"], "language": "en"})
    assert one["service_name"] == "Infrastructure"
    assert fake.read(handlers.open311_token, public["tracking_id"])[0]["token"] == public["tracking_id"]
    with pytest.raises(Open311Error):
        fake.read(handlers.open311_request, {"request_id": confidential["tracking_id"], "language": "id"})


def test_an_issued_key_is_valid_until_revoked_and_a_configured_key_always():
    fake = units(open311_api_keys=("configured-key",))
    issued = fake.run(handlers.issue_key, "kota-app")
    assert issued["client"] == "kota-app" and issued["api_key"].startswith("o311_")
    assert fake.state["FakeApiKeys"]["keys"][token_hash(issued["api_key"])]["client"] == "kota-app"
    fake.read(handlers.check_api_key, issued["api_key"])
    fake.read(handlers.check_api_key, "configured-key")
    assert [k["client"] for k in fake.read(handlers.list_keys)] == ["kota-app"]
    assert fake.run(handlers.revoke_keys, "kota-app") == 1
    with pytest.raises(Open311Error) as raised:
        fake.read(handlers.check_api_key, issued["api_key"])
    assert raised.value.status == 403
    assert fake.run(handlers.revoke_keys, "kota-app") == 0
    with pytest.raises(ApiError) as raised:
        fake.run(handlers.revoke_keys_of_known_client, "kota-app")
    assert raised.value.status == 404


def test_the_reporter_adds_evidence_with_the_secret_up_to_the_limit():
    fake = units(evidence_max_files=1)
    receipt = filed(fake)
    upload = {"tracking_id": receipt["tracking_id"], "secret": receipt["secret"], "data": png()}
    with pytest.raises(ApiError) as raised:
        fake.run(handlers.add_evidence, {**upload, "secret": "WRONG"})
    assert raised.value.status == 403
    added = fake.run(handlers.add_evidence, upload)
    assert added["content_type"] == "image/png" and added["size"] > 0
    with pytest.raises(ApiError) as raised:
        fake.run(handlers.add_evidence, upload)
    assert raised.value.status == 409
    with pytest.raises(ApiError) as raised:
        fake.run(handlers.add_evidence, {**upload, "data": None})
    assert raised.value.errors[0]["field"] == "file"


def test_files_chosen_on_a_page_are_stored_each():
    fake = units()
    receipt = filed(fake)
    fake.run(handlers.add_evidence_files, {"tracking_id": receipt["tracking_id"], "files": [png(), png()]})
    assert len(fake.read(handlers.page_report, receipt["tracking_id"])["attachments"]) == 2


def test_officials_handling_the_report_read_its_evidence_and_others_do_not():
    fake = units()
    receipt = filed(fake)
    added = fake.run(handlers.add_evidence, {"tracking_id": receipt["tracking_id"], "secret": receipt["secret"],
                                             "data": png()})
    query = {"tracking_id": receipt["tracking_id"], "principal": NATIONAL}
    assert [a["file_id"] for a in fake.read(handlers.list_evidence, query)["attachments"]] == [added["file_id"]]
    meta, data = fake.read(handlers.evidence_file, {**query, "file_id": added["file_id"]})
    assert meta["metadata"]["content_type"] == "image/png" and data.startswith(b"\x89PNG")
    with pytest.raises(ApiError) as raised:
        fake.read(handlers.evidence_file, {**query, "file_id": "nope"})
    assert raised.value.status == 404
    with pytest.raises(ApiError) as raised:
        fake.read(handlers.list_evidence, {**query, "principal": LIAISON})
    assert raised.value.status == 403
    assert fake.read(handlers.evidence_page, query)["files"][0]["file_id"] == added["file_id"]
    with pytest.raises(ApiError) as raised:  # outside the official's scope: the report's existence not revealed
        fake.read(handlers.evidence_page, {**query, "principal": LIAISON})
    assert raised.value.status == 404


def test_the_pages_read_a_report_its_missing_items_and_the_public_list():
    fake = units()
    draft = fake.run(handlers.accept_report, {"form": schemas.load_report(
        {"title": "Jalan rusak", "description": "Jalan rusak parah"})})["receipt"]
    shown = fake.read(handlers.receipt, draft["tracking_id"].lower())
    assert shown["report"]["_id"] == draft["tracking_id"] and shown["missing"]
    assert shown["registry"]["categories"] == {"infrastruktur"}
    with pytest.raises(NotFoundPage):
        fake.read(handlers.page_report, "ID-K7M4X-9XQ2B")
    public = filed(fake)
    listing = fake.read(handlers.public_list, {"filters": {}, "skip": 0, "size": 20})
    assert [r["_id"] for r in listing["found"]] == [public["tracking_id"]]  # not the draft
    assert fake.read(handlers.form_registry)["regions"] == {"5108"}

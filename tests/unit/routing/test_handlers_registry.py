"""Routing's registry and token handlers on the fake unit of work."""
import pytest

from contract import events
from contract.auth import token_hash
from contract.errors import ApiError
from routing import handlers
from tests.unit.routing.fixtures import BULELENG, NATIONAL, demo_registry, demo_units


@pytest.fixture
def units():
    return demo_units()


def test_an_import_applies_the_whole_registry_and_announces_it(units):
    units.outbox.clear()
    counts = units.run(handlers.import_registry, demo_registry(), {})
    assert counts["officials"] == 25 and counts["rules"] == 22
    assert units.published == [events.REGISTRY_UPDATED]
    assert {r["code"] for r in units.payloads(events.REGISTRY_UPDATED)[0]["regions"]} >= {"5108", "9471"}


def test_an_import_with_a_broken_reference_applies_nothing():
    units = demo_units()
    registry = demo_registry()
    registry["units"].append({"code": "NEW-UNIT", "name": "Unit Baru", "agency_code": "NOPE"})
    before = units.read(handlers.counts)
    with pytest.raises(ApiError) as refused:
        units.run(handlers.import_registry, registry, {})
    assert any(e["code"] for e in refused.value.errors)
    assert units.read(handlers.counts) == before and units.read(handlers.unit, "NEW-UNIT") is None


def test_the_export_imports_back_to_the_same_registry(units):
    exported = units.read(handlers.export_registry)
    assert units.run(handlers.import_registry, exported, {}) == units.read(handlers.counts)
    assert units.read(handlers.export_registry) == exported
    assert exported["officials"][0]["official_id"] and exported["rules"][0]["id"]


def test_public_listings_name_categories_in_the_asked_language(units):
    english = units.read(handlers.listing, "categories", ("name_id", "name_en"), "en")
    indonesian = units.read(handlers.listing, "categories", ("name_id", "name_en"), "id")
    health = [c for c in english if c["code"] == "kesehatan"][0]
    assert health["name"] == health["name_en"] != [c for c in indonesian if c["code"] == "kesehatan"][0]["name"]


def test_recipient_references_resolve_to_officials_and_units_to_their_record(units):
    assert [o["official_id"] for o in units.read(handlers.recipients, "unit:BLL-PUPR")] == ["lo-bll-pupr"]
    assert [o["official_id"] for o in units.read(handlers.recipients, "hub:ID")] == ["nas-admin-1"]
    assert units.read(handlers.recipients, "nonsense") == [] and units.read(handlers.recipients, 42) == []
    assert units.read(handlers.unit, "BLL-PUPR")["agency_code"] == "PEMKAB-BULELENG"


def test_a_token_is_stored_only_as_its_hash_and_revoked_once(units):
    issued = units.run(handlers.issue_token, "lo-bll-pupr", 7)
    stored = units.read(lambda uow: uow.registry.find("tokens"))
    assert [t["_id"] for t in stored] == [token_hash(issued["token"])] and issued["official_id"] == "lo-bll-pupr"
    assert units.run(handlers.revoke_tokens, "lo-bll-pupr") == {"revoked": 1}
    assert units.run(handlers.revoke_tokens, "lo-bll-pupr") == {"revoked": 0}


def test_a_token_for_an_unknown_official_is_not_found(units):
    with pytest.raises(ApiError) as unknown:
        units.run(handlers.issue_token, "nobody")
    assert unknown.value.status == 404


def test_an_admin_manages_only_their_own_officials(units):
    assert units.read(handlers.managed_official, BULELENG, "lo-bll-pupr")["_id"] == "lo-bll-pupr"
    assert units.run(handlers.issue_token_by, BULELENG, "lo-bll-pupr", 1)["token"]
    assert units.run(handlers.revoke_tokens_by, NATIONAL, "lo-bll-pupr") == {"revoked": 1}
    for handler, args in ((handlers.issue_token_by, ("lo-lwu-pupr", 1)), (handlers.revoke_tokens_by, ("lo-lwu-pupr",))):
        with pytest.raises(ApiError) as hidden:
            units.run(handler, BULELENG, *args)
        assert hidden.value.status == 404


def test_every_credential_issued_or_revoked_is_audited_with_who_did_it_for_whom_and_never_the_secret(units):
    token = units.run(handlers.issue_token_by, BULELENG, "lo-bll-pupr", 7)["token"]
    link = units.run(handlers.issue_password_link_by, NATIONAL, "lo-bll-pupr", 24)
    units.run(handlers.issue_token, "lo-bll-pupr", 1)  # the operator's CLI
    units.run(handlers.revoke_tokens_by, NATIONAL, "lo-bll-pupr")
    entries = units.read(handlers.account_audit_by, BULELENG, "lo-bll-pupr")
    assert [(e["action"], e["actor"]) for e in entries] == [
        ("token_issued", "adm-buleleng"), ("password_link_issued", "nas-admin-1"), ("token_issued", "operator"),
        ("tokens_revoked", "nas-admin-1")]
    assert entries[0]["detail"]["days"] == 7 and entries[3]["detail"] == {"revoked": 2}
    assert token not in str(entries) and link["path"].rsplit("/", 1)[1] not in str(entries)
    with pytest.raises(ApiError) as hidden:
        units.read(handlers.account_audit_by, BULELENG, "lo-lwu-pupr")
    assert hidden.value.status == 404

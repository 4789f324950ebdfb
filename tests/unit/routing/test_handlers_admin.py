"""The admin pages' rules on the fake unit of work (issue 21): who may save which registry item,
invitations with a one-time link, disabling an official, the agency's audit trail."""
from datetime import timedelta

import pytest

from contract.errors import ApiError
from routing import handlers
from routing.domain import principal_for
from tests.unit.routing.fixtures import BULELENG, LIAISON, NATIONAL, demo_units

SUPERVISOR = {"official_id": "spv-buleleng", "role": "supervisor", "hub": "ID", "agency_code": "PEMKAB-BULELENG",
              "unit_code": None}
NEW_LIAISON = {"official_id": "lo-bll-baru", "name": "Pejabat Baru", "role": "liaison", "unit_code": "BLL-PUPR",
               "email": "baru@bulelengkab.example.go.id"}


@pytest.fixture
def units():
    return demo_units()


def later(units, handler, *args):
    """Run a handler a second later (audit entries of one instant have no order among them)."""
    units.clock.now += timedelta(seconds=1)
    return units.run(handler, *args)


def refused(units, status, *args):
    with pytest.raises(ApiError) as caught:
        units.run(*args)
    assert caught.value.status == status, caught.value.errors
    return caught.value.errors


def test_an_agency_admin_invites_a_liaison_of_their_agency_with_a_one_time_link(units):
    link = units.run(handlers.invite_official, BULELENG, dict(NEW_LIAISON), 48)
    assert link["path"].startswith("/petugas/sandi/") and link["official_id"] == "lo-bll-baru"
    stored = units.read(handlers.in_scope, BULELENG, "officials")
    saved = next(o for o in stored if o["official_id"] == "lo-bll-baru")
    assert saved["agency_code"] == "PEMKAB-BULELENG" and saved["hub"] == "ID"  # filled from the admin's scope
    trail = units.read(handlers.agency_audit, BULELENG, None)
    assert {e["action"] for e in trail[:2]} == {"password_link_issued", "official_invited"}  # one instant
    assert all(e["actor"] == "adm-buleleng" for e in trail[:2])


def test_an_agency_admin_cannot_give_an_admin_role_touch_other_agencies_or_admins(units):
    errors = refused(units, 400, handlers.invite_official, BULELENG, {**NEW_LIAISON, "role": "agency_admin"}, 48)
    assert errors[0]["field"] == "role"
    refused(units, 404, handlers.save_item, BULELENG, "officials",
            {**NEW_LIAISON, "official_id": "lo-lwu-pupr", "unit_code": "LWU-PUPR"}, False)  # Luwu's
    refused(units, 403, handlers.save_item, BULELENG, "officials",
            {"official_id": "adm-buleleng", "name": "x", "role": "liaison", "unit_code": "BLL-PUPR"}, False)
    errors = refused(units, 400, handlers.save_item, BULELENG, "officials",
                     {**NEW_LIAISON, "unit_code": "LWU-PUPR"}, True)  # another agency's unit: the import's check
    assert errors[0]["field"] == "unit_code"
    refused(units, 403, handlers.save_item, BULELENG, "agencies",
            {"code": "X", "name": "X", "kind": "agency", "hub": "ID"}, True)
    refused(units, 403, handlers.save_item, BULELENG, "categories", {"code": "kesehatan"}, True)  # not "taken"
    refused(units, 403, handlers.in_scope, LIAISON, "officials")
    refused(units, 403, handlers.in_scope, SUPERVISOR, "units")
    refused(units, 403, handlers.save_item, SUPERVISOR, "units", {"code": "X"}, True)


def test_changing_a_role_and_a_unit_is_audited_and_names_the_form_fields(units):
    saved = units.run(handlers.save_item, BULELENG, "officials",
                      {"official_id": "lo-bll-dinkes", "name": "Pengawas Baru", "role": "supervisor",
                       "unit_code": "BLL-DINKES"}, False)
    assert saved["role"] == "supervisor" and saved["unit_code"] is None  # a supervisor has no unit
    entry = units.read(handlers.agency_audit, BULELENG, None)[0]
    assert entry["action"] == "official_saved" and entry["detail"]["previous_role"] == "liaison"
    errors = refused(units, 400, handlers.save_item, BULELENG, "units",
                     {"code": "BLL-BARU", "name": "", "liaison": {"official_id": "lo-x", "name": "X",
                                                                    "email": "bukan-email"}}, True)
    assert {e["field"] for e in errors} >= {"liaison.email"}
    refused(units, 400, handlers.save_item, BULELENG, "units",
            {"code": "BLL-PUPR", "name": "x", "liaison": {"official_id": "lo-x", "name": "X"}}, True)  # taken
    refused(units, 404, handlers.save_item, BULELENG, "units",
            {"code": "LWU-PUPR", "name": "x", "liaison": {"official_id": "lo-x", "name": "X"}}, False)
    unit = later(units, handlers.save_item, BULELENG, "units",
                     {"code": "BLL-BARU", "name": "Unit Baru", "liaison": {"official_id": "lo-x", "name": "X"}}, True)
    assert unit["agency_code"] == "PEMKAB-BULELENG"
    assert units.read(handlers.agency_audit, BULELENG, None)[0]["detail"]["unit_code"] == "BLL-BARU"
    assert units.read(handlers.agency_audit, NATIONAL, "PEMKAB-BULELENG")[0]["action"] == "unit_saved"
    assert units.read(handlers.agency_audit, {**BULELENG, "agency_code": "PEMKAB-LUWU"}, "PEMKAB-BULELENG") == []


def test_a_disabled_official_has_no_working_token_or_session_and_gets_no_notifications(units):
    token = units.run(handlers.issue_token, "lo-bll-pupr", 30)["token"]
    assert token
    later(units, handlers.switch_official, BULELENG, "lo-bll-pupr", True)
    official = units.read(handlers.in_scope, BULELENG, "officials")
    assert next(o for o in official if o["official_id"] == "lo-bll-pupr")["disabled"] is True
    stored = units.read(lambda uow: uow.registry.official("lo-bll-pupr"))
    assert principal_for({"expires_at": units.clock() + timedelta(days=1)}, stored, units.clock()) is None
    assert units.read(handlers.recipients, "unit:BLL-PUPR") == []
    assert units.run(handlers.sign_in, "lo-bll-pupr", "any password at all", "10.0.0.1")["outcome"] == "wrong_credentials"
    entry = units.read(handlers.agency_audit, BULELENG, None)[0]
    assert entry["action"] == "official_disabled" and entry["detail"]["revoked"] == 1
    # editing keeps them disabled; enabling brings them back
    units.run(handlers.save_item, BULELENG, "officials",
              {"official_id": "lo-bll-pupr", "name": "PUPR", "role": "liaison", "unit_code": "BLL-PUPR"}, False)
    assert units.read(handlers.recipients, "unit:BLL-PUPR") == []
    units.run(handlers.switch_official, BULELENG, "lo-bll-pupr", False)
    assert [r["official_id"] for r in units.read(handlers.recipients, "unit:BLL-PUPR")] == ["lo-bll-pupr"]
    refused(units, 403, handlers.switch_official, BULELENG, "adm-buleleng", True)  # not oneself
    refused(units, 404, handlers.switch_official, BULELENG, "lo-lwu-pupr", True)
    refused(units, 403, handlers.switch_official, {**NATIONAL}, "nas-admin-1", True)


def test_a_national_admin_saves_agencies_categories_and_rules_through_the_import_checks(units):
    units.run(handlers.save_item, NATIONAL, "categories", {"code": "air", "name_id": "Air bersih",
                                                           "name_en": "Clean water"}, True)
    assert any(c["code"] == "air" for c in units.read(handlers.in_scope, NATIONAL, "categories"))
    errors = refused(units, 400, handlers.save_item, NATIONAL, "rules",
                     {"id": "r-x", "category_code": "tidak-ada", "agency_code": "PEMKAB-BULELENG"}, True)
    assert errors[0]["field"] == "category_code"
    errors = refused(units, 400, handlers.save_item, NATIONAL, "rules",
                     {"id": "r-x", "category_code": "infrastruktur", "region_code": "5108",
                      "agency_code": "PEMKAB-BULELENG", "unit_code": "BLL-PUPR"}, True)
    assert errors[0]["code"] == "conflict" and errors[0]["field"] is None  # ties with bll-infra
    refused(units, 404, handlers.save_item, NATIONAL, "agencies",
            {"code": "BARU", "name": "Baru", "kind": "agency", "hub": "ID"}, False)
    units.run(handlers.save_item, NATIONAL, "agencies", {"code": "BARU", "name": "Baru", "kind": "agency",
                                                         "hub": "ID"}, True)
    assert len(units.read(handlers.in_scope, NATIONAL, "hubs")) >= 1
    refused(units, 403, handlers.in_scope, BULELENG, "hubs")

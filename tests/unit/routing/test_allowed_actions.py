"""``allowed_actions`` is exactly what the API accepts (issue 21): for every queue and status a
report can be in and every role, each action succeeds iff the report's page listed it, and a
refusal's 409 carries the same list."""
from datetime import timedelta

import pytest

from contract.errors import ApiError
from routing import handlers
from routing.domain import workflow
from routing.exceptions import ConflictError
from tests.unit.routing.fixtures import BULELENG, LIAISON, NATIONAL, demo_units, routed

SUPERVISOR = {"official_id": "spv-buleleng", "role": "supervisor", "hub": "ID", "agency_code": "PEMKAB-BULELENG",
              "unit_code": None}
OTHER_AGENCY = {"official_id": "adm-pln", "role": "agency_admin", "hub": "ID", "agency_code": "PLN",
                "unit_code": None}
ROLES = {"national_admin": NATIONAL, "agency_admin": BULELENG, "liaison": LIAISON, "supervisor": SUPERVISOR,
         "other_agency": OTHER_AGENCY}
ACTIONS = (*workflow.ACTIONS, "forward")
# every place a report can stand: each open or closed status in each of the three queues, and the
# two places off the queues
PLACES = [(queue, status) for queue in ("national_triage", "agency", "unit") for status in workflow.STATUSES
          if status not in ("archived", "forwarded")] + [("archive", "archived"), ("forwarded", "forwarded")]
HOLDER = {"national_triage": (None, None), "agency": ("PEMKAB-BULELENG", None),
          "unit": ("PEMKAB-BULELENG", "BLL-PUPR"), "archive": ("PEMKAB-BULELENG", None), "forwarded": (None, None)}


@pytest.fixture
def units():
    return demo_units()


def placed(units, queue: str, status: str) -> str:
    """A Buleleng road report put straight into ``queue`` with ``status``."""
    tracking_id = routed(units, category_code="infrastruktur", region_code="5108")
    agency, unit = HOLDER[queue]
    stored = units.state["routing"]["reports"][tracking_id]
    stored.update(queue=queue, status=status, agency_code=agency, unit_code=unit,
                  target_hub="35" if queue == "forwarded" else None)
    return tracking_id


def body_of(action: str, queue: str, units) -> dict:
    """A body the action's schema accepts and that names a real target for this queue."""
    if action == "postpone":
        return {"until": (units.clock() + timedelta(days=7)).date(), "reason": "Menunggu anggaran"}
    if action in ("disposition", "redisposition"):
        return {"agency_code": "PEMKAB-BULELENG"} if queue == "national_triage" else {"unit_code": "BLL-PUPR"}
    if action == "forward":
        return {"target_hub": "35", "reason": "Wilayah Jawa Timur"}
    return {"reason": "Bukan kewenangan kami"} if action in ("return", "archive") else {}


def attempt(units, principal: dict, tracking_id: str, action: str, body: dict):
    """The outcome of the action: None when accepted, else the API error."""
    try:
        if action == "forward":
            units.run(handlers.forward, principal, tracking_id, body)
        else:
            units.run(handlers.act, principal, tracking_id, action, body)
    except ApiError as exc:
        return exc
    return None


def listed(units, principal: dict, tracking_id: str) -> list[str] | None:
    """What GET /admin/reports/{id} lists for this official (None: they cannot read it, 404)."""
    try:
        return units.read(handlers.report_by_id, principal, tracking_id)["allowed_actions"]
    except ApiError:
        return None


@pytest.mark.parametrize("queue,status", PLACES)
@pytest.mark.parametrize("role", ROLES)
def test_an_action_succeeds_iff_allowed_actions_lists_it(units, role, queue, status):
    principal = ROLES[role]
    mismatches = []
    for action in ACTIONS:
        tracking_id = placed(units, queue, status)
        allowed = listed(units, principal, tracking_id)
        refusal = attempt(units, principal, tracking_id, action, body_of(action, queue, units))
        if (refusal is None) != (action in (allowed or [])):
            mismatches.append((action, allowed, refusal and refusal.to_dict()))
        if isinstance(refusal, ConflictError):  # the 409 lists what GET lists
            assert refusal.to_dict()["allowed_actions"] == allowed, (action, refusal.to_dict())
    assert mismatches == []


def test_an_agency_admin_is_offered_forward_for_their_queue_and_a_refused_forward_names_the_real_actions(units):
    tracking_id = placed(units, "agency", "new")
    allowed = listed(units, BULELENG, tracking_id)
    assert allowed == ["verify", "postpone", "return", "archive", "forward"]
    refusal = attempt(units, BULELENG, tracking_id, "forward", {"target_hub": "ID", "reason": "Salah simpul"})
    assert isinstance(refusal, ConflictError)
    assert refusal.to_dict()["allowed_actions"] == allowed


def test_the_inbox_offers_the_same_actions_as_the_report(units):
    tracking_id = placed(units, "agency", "verified")
    filters = {"queue": None, "status": None, "category_code": None, "min_age_days": None, "max_age_days": None,
               "indicator": None, "page": 1, "per_page": 100}
    page = units.read(handlers.inbox, BULELENG, filters)
    row = next(i for i in page["items"] if i["tracking_id"] == tracking_id)
    assert row["allowed_actions"] == listed(units, BULELENG, tracking_id)
    assert "forward" in row["allowed_actions"]

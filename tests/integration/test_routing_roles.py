"""Role x endpoint x own/other agency: officials read and act only within their scope.

Every cell's expected answer comes from the scope rules of issue 4, written out here
independently of routing's code: national admins read everything and act on the national
triage queue; agency admins and supervisors read their agency's reports, agency admins act on
their agency's queue; liaisons read and act on their unit's queue; supervisors never act.
"""
import itertools

import pytest
import requests
from nameko.standalone.events import event_dispatcher

from contract import events
from routing.service import RoutingService
from tests.integration.conftest import handled
from tests.unit.routing.factories import received_event
from tests.credentials import bearer, issue_token

OFFICIALS = {  # official -> (role, agency, unit)
    "nas-admin-1": ("national_admin", None, None),
    "adm-buleleng": ("agency_admin", "PEMKAB-BULELENG", None),
    "lo-bll-pupr": ("liaison", "PEMKAB-BULELENG", "BLL-PUPR"),
    "spv-buleleng": ("supervisor", "PEMKAB-BULELENG", None),
}
REPORTS = {  # name -> (region, category, expected queue, agency, unit) from the demo rules
    "triage": ("7371", "kesehatan", "national_triage", None, None),
    "own-agency": ("5108", "lingkungan", "agency", "PEMKAB-BULELENG", None),
    "own-unit": ("5108", "infrastruktur", "unit", "PEMKAB-BULELENG", "BLL-PUPR"),
    "other-unit-same-agency": ("5108", "kesehatan", "unit", "PEMKAB-BULELENG", "BLL-DINKES"),
    "other-agency": ("7317", "lingkungan", "agency", "PEMKAB-LUWU", None),
    "other-agency-unit": ("7317", "infrastruktur", "unit", "PEMKAB-LUWU", "LWU-PUPR"),
}
ACTION_BODIES = {
    "verify": {}, "postpone": {"until": "2099-01-01"}, "return": {"reason": "Bukan wewenang kami"},
    "disposition": {"agency_code": "PEMKAB-LUWU"}, "redisposition": {"unit_code": "BLL-PUPR"},
    "archive": {"reason": "Laporan ganda"},
}


def may_read(official, report):
    role, agency, unit = OFFICIALS[official]
    _, _, queue, report_agency, report_unit = REPORTS[report]
    if role == "national_admin":
        return True
    if role in ("agency_admin", "supervisor"):
        return report_agency == agency
    return report_unit == unit


def may_act(official, report):
    role, agency, unit = OFFICIALS[official]
    _, _, queue, report_agency, report_unit = REPORTS[report]
    return {"national_admin": queue == "national_triage",
            "agency_admin": queue == "agency" and report_agency == agency,
            "liaison": queue == "unit" and report_unit == unit,
            "supervisor": False}[role]


@pytest.fixture
def scene(start_services, rpc, demo_registry, service_config):
    urls = start_services(RoutingService)
    container = start_services.containers["routing"]
    rpc.routing.import_registry(demo_registry)
    dispatch = event_dispatcher(service_config)
    ids = {}
    for name, (region, category, queue, agency, unit) in REPORTS.items():
        payload = received_event(region_code=region, category_code=category, is_anonymous=True)
        with handled(container, payload):
            dispatch("intake", events.REPORT_RECEIVED, payload)
        placed = rpc.routing.disposition(payload["tracking_id"])
        assert placed
        assert (placed["queue"], placed["agency_code"], placed["unit_code"]) == (queue, agency, unit), name
        ids[name] = payload["tracking_id"]
    tokens = {o: issue_token(service_config, o) for o in [*OFFICIALS, "adm-luwu"]}
    return urls["routing"], ids, tokens


def test_every_role_endpoint_and_scope_cell(scene, rpc):
    base, ids, tokens = scene
    cross_scope, cells = [], 0
    for official, report in itertools.product(OFFICIALS, REPORTS):
        headers = {"Authorization": f"Bearer {tokens[official]}"}
        read = requests.get(f"{base}/admin/reports/{ids[report]}", headers=headers, timeout=5)
        expected = 200 if may_read(official, report) else 404
        cells += 1
        if read.status_code != expected:
            cross_scope.append((official, report, "read", read.status_code))
        for action, body in ACTION_BODIES.items():
            # version 999 is stale: an action that passes the scope check stops at 409, never applies
            response = requests.post(f"{base}/admin/reports/{ids[report]}/{action}", json={**body, "version": 999},
                                     headers=headers, timeout=5)
            expected = 409 if may_act(official, report) else 403 if may_read(official, report) else 404
            cells += 1
            if response.status_code != expected:
                cross_scope.append((official, report, action, response.status_code))
            assert "rpt_" not in response.text
        assert "rpt_" not in read.text  # no reporter reference, ever (anonymous reporters stay anonymous)
    assert cells == len(OFFICIALS) * len(REPORTS) * 7
    assert cross_scope == []
    for tracking_id in ids.values():  # nothing was applied anywhere
        assert rpc.routing.disposition(tracking_id)["version"] == 1
        assert [h["action"] for h in rpc.routing.history(tracking_id)] == ["route"]


def test_inboxes_list_only_what_the_official_may_read(scene):
    base, ids, tokens = scene
    names = {v: k for k, v in ids.items()}
    for official in OFFICIALS:
        headers = {"Authorization": f"Bearer {tokens[official]}"}
        seen = set()
        for queue in (None, "national_triage", "agency", "unit", "archive", "forwarded"):
            params = {"per_page": 100, **({"queue": queue} if queue else {})}
            body = requests.get(f"{base}/admin/inbox", params=params, headers=headers, timeout=5).json()
            listed = {names[i["tracking_id"]] for i in body["items"] if i["tracking_id"] in names}
            assert all(may_read(official, r) for r in listed), (official, queue, listed)
            assert sum(body["counts"].values()) == body["total"]
            seen |= listed
        assert seen == {r for r in REPORTS if may_read(official, r)}, official


def test_token_endpoints_respect_scope(scene):
    base, _, tokens = scene

    def call(method, actor, target):
        return requests.request(method, f"{base}/admin/officials/{target}/tokens", json={"days": 7},
                                headers={"Authorization": f"Bearer {tokens[actor]}"}, timeout=5).status_code

    assert call("POST", "nas-admin-1", "lo-lwu-pupr") == 201
    assert call("POST", "adm-buleleng", "lo-bll-dinkes") == 201       # own agency's liaison
    assert call("POST", "adm-buleleng", "lo-lwu-pupr") == 404         # another agency's: not revealed
    assert call("DELETE", "adm-buleleng", "adm-luwu") == 404
    assert call("POST", "adm-luwu", "lo-bll-pupr") == 404
    assert call("POST", "lo-bll-pupr", "lo-bll-pupr") == 403          # liaisons and supervisors issue none
    assert call("POST", "spv-buleleng", "lo-bll-pupr") == 403
    assert call("POST", "nas-admin-1", "nobody") == 404
    assert call("DELETE", "adm-buleleng", "lo-bll-dinkes") == 200


def test_only_national_admins_import_or_export_the_registry(scene):
    base, _, tokens = scene
    for official, (role, _, _) in OFFICIALS.items():
        headers = {"Authorization": f"Bearer {tokens[official]}"}
        exported = requests.get(f"{base}/admin/registry", headers=headers, timeout=5)
        imported = requests.post(f"{base}/admin/registry", data="categories: []", timeout=5,
                                 headers={**headers, "Content-Type": "application/yaml"})
        expected = 200 if role == "national_admin" else 403
        assert (exported.status_code, imported.status_code) == (expected, expected), official


def test_every_official_endpoint_refuses_missing_or_malformed_tokens(scene):
    base, ids, _ = scene  # every header on one scene (its start costs more than all the calls)
    tracking_id = ids["own-unit"]
    calls = [("GET", "/admin/inbox"), ("GET", f"/admin/reports/{tracking_id}"), ("GET", "/admin/registry"),
             ("POST", "/admin/registry"),
             *[("POST", f"/admin/reports/{tracking_id}/{a}") for a in ACTION_BODIES],
             ("POST", "/admin/officials/lo-bll-pupr/tokens"), ("DELETE", "/admin/officials/lo-bll-pupr/tokens")]
    for header in (None, "Bearer", "Bearer lpr_forged", "Basic dXNlcjpwYXNz", "Bearer " + "x" * 300):
        headers = {"Authorization": header} if header else {}
        for method, path in calls:
            response = requests.request(method, f"{base}{path}", json={}, headers=headers, timeout=5)
            assert response.status_code == 401, (header, method, path, response.text)
            assert response.json()["errors"][0]["code"] == "unauthenticated", (header, method, path)


def test_officials_of_another_hub_have_no_access_here(service_config, scene, rpc):
    base, ids, _ = scene
    rpc.routing.import_registry({"officials": [{"official_id": "nas-jatim", "name": "Admin Simpul Jawa Timur",
                                                "role": "national_admin", "hub": "35"}]})
    headers = {"Authorization": f"Bearer {issue_token(service_config, 'nas-jatim')}"}
    assert requests.get(f"{base}/admin/inbox", headers=headers, timeout=5).status_code == 403
    assert requests.post(f"{base}/admin/reports/{ids['triage']}/verify", json={}, headers=headers,
                         timeout=5).status_code == 403


def test_revoked_and_expired_tokens_stop_working(scene, rpc, service_config, mongo_client):
    base, _, tokens = scene
    headers = {"Authorization": f"Bearer {tokens['adm-buleleng']}"}
    assert requests.get(f"{base}/admin/inbox", headers=headers, timeout=5).status_code == 200
    revoked = requests.delete(f"{base}/admin/officials/adm-buleleng/tokens", headers=bearer(service_config, "nas-admin-1"),
                              timeout=5)
    assert revoked.json() == {"revoked": 1}
    assert requests.get(f"{base}/admin/inbox", headers=headers, timeout=5).status_code == 401
    short = issue_token(service_config, "adm-luwu", 1)
    db = mongo_client[service_config["MONGODB_DATABASE_PREFIX"] + "routing"]
    stored = list(db.tokens.find({"official_id": "adm-luwu"}))
    assert all(short not in str(doc) for doc in stored)  # only hashes are stored
    db.tokens.update_many({"official_id": "adm-luwu"}, {"$set": {"expires_at": db.tokens.find_one()["issued_at"]}})
    assert requests.get(f"{base}/admin/inbox", headers={"Authorization": f"Bearer {short}"},
                        timeout=5).status_code == 401

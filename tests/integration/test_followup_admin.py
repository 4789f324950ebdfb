"""SLA policies and days off as data through the admin API; dashboards' summary and inboxes."""
import requests
from nameko.standalone.events import event_dispatcher

from contract import events
from routing.service import RoutingService
from tests.integration import test_followup_support as support
from tests.integration.test_followup_support import dispositioned, handled, utc
from tests.credentials import bearer

start_followup = support.start_followup  # the fixture


def open_case(container, rpc, dispatch, **overrides):
    opening = dispositioned(**overrides)
    with handled(container, opening):
        dispatch("routing", events.REPORT_DISPOSITIONED, opening)
    return rpc.followup.case_for_report(opening["tracking_id"])


def test_policies_and_days_off_are_data_that_set_new_deadlines(
        start_services, start_followup, rpc, service_config, demo_registry):
    start_services(RoutingService, config={**service_config, "AUTH_CACHE_SECONDS": 0})
    rpc.routing.import_registry(demo_registry)
    base = start_followup(config={**service_config, "SLA_POLICY_FILE": "deploy/sla/policies.yml"})[0]
    dispatch = event_dispatcher(service_config)
    admin, liaison = bearer(service_config, "nas-admin-1"), bearer(service_config, "lo-bll-pupr")

    seeded = requests.get(f"{base}/cases/admin/sla-policies", headers=liaison, timeout=5).json()
    assert {p["id"] for p in seeded["policies"]} >= {"default", "manual-channel-sop"}  # from deploy/sla
    document = {"policies": [{"id": "default", "stages": {"verification": 3, "follow_up": 5}},
                             {"id": "bll-health", "match": {"agency_code": "PEMKAB-BULELENG",
                                                            "category_code": "kesehatan"},
                              "stages": {"follow_up": 2}}]}
    url = f"{base}/cases/admin/sla-policies"
    assert requests.put(url, json=document, headers=liaison, timeout=5).status_code == 403
    bad = requests.put(url, json={"policies": [{"id": "x", "stages": {"answer": 1}}]}, headers=admin, timeout=5)
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"].startswith("policies.0.stages")
    assert requests.put(url, json=document, headers=admin, timeout=5).status_code == 200

    day_off = {"date": "2026-11-17", "name": "Cuti bersama (contoh)", "kind": "cuti_bersama"}
    assert requests.post(f"{base}/cases/admin/days-off", json=day_off, headers=liaison, timeout=5).status_code == 403
    added = requests.post(f"{base}/cases/admin/days-off", json=day_off, headers=admin, timeout=5)
    assert added.status_code == 201 and added.json()["date"] == "2026-11-17"
    regional = {"date": "2026-11-18", "name": "Hari raya daerah", "kind": "regional_holiday", "region_code": "51"}
    assert requests.post(f"{base}/cases/admin/days-off", json=regional, headers=admin, timeout=5).status_code == 201
    bad_day = requests.post(f"{base}/cases/admin/days-off", json={**day_off, "date": "17/11"}, headers=admin, timeout=5)
    assert [e["field"] for e in bad_day.json()["errors"]] == ["date"]

    health = open_case(start_followup.containers[0], rpc, dispatch, category_code="kesehatan", unit_code="BLL-DINKES")
    assert (health["sla_policy_id"], health["sla_working_days"]) == ("bll-health", 2)
    # Mon 16 Nov + 2 working days, skipping 17 Nov (cuti bersama) and 18 Nov (Bali's regional day)
    assert health["due_at"] == "2026-11-20T23:59:59+08:00"
    elsewhere = open_case(start_followup.containers[0], rpc, dispatch, region_code="6202", agency_code="PEMKAB-KOTIM", unit_code="KTM-PUPR",
                          region_timezone="Asia/Jakarta")
    assert elsewhere["due_at"] == "2026-11-24T23:59:59+07:00"  # 5 days; only the national day off applies


def test_summary_and_inbox_show_the_indicator_in_scope(
        start_services, start_followup, rpc, service_config, demo_registry):
    start_services(RoutingService, config={**service_config, "AUTH_CACHE_SECONDS": 0})
    rpc.routing.import_registry(demo_registry)
    base = start_followup()[0]
    clock = start_followup.clock
    dispatch = event_dispatcher(service_config)
    early = open_case(start_followup.containers[0], rpc, dispatch)                                      # due Mon 23 Nov
    clock.now = utc(2026, 11, 18, 3)
    open_case(start_followup.containers[0], rpc, dispatch)                                              # due Wed 25 Nov
    open_case(start_followup.containers[0], rpc, dispatch, unit_code="BLL-DINKES", category_code="kesehatan")
    open_case(start_followup.containers[0], rpc, dispatch, region_code="6202", agency_code="PEMKAB-KOTIM", unit_code="KTM-PUPR",
              region_timezone="Asia/Jakarta")

    clock.now = utc(2026, 11, 24, 16, 0, 1)  # Wed 25 Nov 00:00:01 WITA, still Tue 23:00:01 WIB
    adm = bearer(service_config, "adm-buleleng")
    exact = requests.get(f"{base}/cases/summary?exact=true", headers=adm, timeout=5).json()
    assert {k: v for k, v in exact["counts"].items() if v} == {"red": 1, "yellow": 2, "open": 3}
    before_sweep = requests.get(f"{base}/cases/summary", headers=adm, timeout=5).json()
    assert before_sweep["counts"]["green"] == 3 and before_sweep["exact"] is False  # tallies: as of the last sweep
    rpc.followup.sweep()
    summary = requests.get(f"{base}/cases/summary", headers=adm, timeout=5).json()
    assert summary["counts"] == exact["counts"]
    assert summary["scope"] == {"agency_code": "PEMKAB-BULELENG"}
    assert {k: v for k, v in summary["counts"].items() if v} == {"red": 1, "yellow": 2, "open": 3}
    unit = requests.get(f"{base}/cases/summary?unit_code=BLL-PUPR", headers=adm, timeout=5).json()
    assert unit["counts"]["red"] == 1 and unit["counts"]["yellow"] == 1 and unit["counts"]["open"] == 2
    assert requests.get(f"{base}/cases/summary?agency_code=PEMKAB-KOTIM", headers=adm, timeout=5).status_code == 403
    national = requests.get(f"{base}/cases/summary", headers=bearer(service_config, "nas-admin-1"), timeout=5).json()
    assert national["counts"]["open"] == 4 and national["counts"]["green"] == 1  # Kotim (WIB) not yet yellow

    inbox = requests.get(f"{base}/cases/inbox", headers=bearer(service_config, "lo-bll-pupr"), timeout=5).json()["cases"]
    assert [(c["tracking_id"] == early["tracking_id"], c["indicator"]) for c in inbox] == [(True, "red"), (False, "yellow")]
    reds = requests.get(f"{base}/cases/inbox?indicator=red", headers=adm, timeout=5).json()["cases"]
    assert [c["tracking_id"] for c in reds] == [early["tracking_id"]] and reds[0]["indicator_label"].startswith("Merah")
    bad = requests.get(f"{base}/cases/inbox?indicator=purple&limit=0", headers=adm, timeout=5)
    assert {(e["field"], e["code"]) for e in bad.json()["errors"]} == {("indicator", "not_allowed"), ("limit", "range")}

"""The timer sweep and routing's workflow events on the real broker and store."""
import eventlet
import requests
from nameko.standalone.events import event_dispatcher
from nameko.standalone.rpc import ClusterRpcProxy

from contract import events
from routing.service import RoutingService
from tests.integration.conftest import wait_for
from tests.integration import test_followup_support as support
from tests.integration.test_followup_support import (dispositioned, emitted, followup_db, handled, official_action,
                                                      utc)
from tests.credentials import issue_token

start_followup = support.start_followup  # the fixture


def test_sweep_alerts_once_across_workers_and_restarts_and_escalates_in_order(
        start_followup, rpc, service_config, mongo_client):
    urls = start_followup(count=2)
    clock = start_followup.clock
    db = followup_db(mongo_client, service_config)
    dispatch = event_dispatcher(service_config)
    first = dispositioned()
    tracking_id = first["tracking_id"]
    dispatch("routing", events.REPORT_DISPOSITIONED, first)
    case = wait_for(lambda: rpc.followup.case_for_report(tracking_id))
    assert case["due_at"] == "2026-11-23T23:59:59+08:00" and case["indicator"] == "green"  # WITA, 5 working days

    clock.now = utc(2026, 11, 20, 16, 0, 1)  # Fri 21 Nov 00:00:01 WITA: the last working day is Monday
    def sweep_from_own_proxy():
        with ClusterRpcProxy(service_config, timeout=10) as proxy:
            return proxy.followup.sweep()
    results = [eventlet.spawn(sweep_from_own_proxy) for _ in range(4)]  # two containers, concurrent sweeps
    assert sum(r.wait()["claimed"] for r in results) == 1
    assert emitted(db, tracking_id) == ["case_opened", "case_due_soon"]
    assert rpc.followup.case_for_report(tracking_id)["indicator"] == "yellow"
    assert rpc.followup.summary({"unit_code": "BLL-PUPR"})["counts"]["yellow"] == 1  # tallied once

    clock.now = utc(2026, 11, 23, 16, 0, 0)   # one second after the deadline (WITA)
    rpc.followup.sweep()
    start_followup(count=1)                   # a restarted worker sweeps the same store again
    for _ in range(3):
        rpc.followup.sweep()
    assert emitted(db, tracking_id) == ["case_opened", "case_due_soon", "case_overdue", "case_escalated"]
    clock.now = utc(2026, 11, 25, 16, 0, 0)   # two working days later: the supervisor
    rpc.followup.sweep()
    rpc.followup.sweep()
    escalations = [e["payload"] for e in db.outbox.find({"event_type": "case_escalated"}).sort("created_at", 1)]
    assert [(e["level"], e["escalated_to"]) for e in escalations] == [
        (1, "agency:PEMKAB-BULELENG"), (2, "supervisor:PEMKAB-BULELENG")]

    metrics = requests.get(f"{urls[0]}/metrics", timeout=5).text
    assert 'lapor_followup_overdue_cases{agency="PEMKAB-BULELENG"} 1.0' in metrics
    assert 'lapor_followup_open_cases{agency="PEMKAB-BULELENG",indicator="red"} 1.0' in metrics


def test_workflow_events_move_the_clock_once(start_followup, rpc, service_config, mongo_client):
    start_followup()
    clock, container = start_followup.clock, start_followup.containers[0]
    db = followup_db(mongo_client, service_config)
    dispatch = event_dispatcher(service_config)
    opening = dispositioned(queue="agency", unit_code=None, rule_id="bll-any", automatic=False)
    tracking_id = opening["tracking_id"]
    with handled(container, opening):
        dispatch("routing", events.REPORT_DISPOSITIONED, opening)
    case = rpc.followup.case_for_report(tracking_id)
    assert (case["stage"], case["sla_working_days"]) == ("verification", 3)
    overall = case["overall_due_at"]

    clock.now = utc(2026, 11, 17, 3)
    verified = official_action(events.REPORT_VERIFIED, tracking_id, queue="unit", unit_code="BLL-PUPR")
    with handled(container, verified, verified):
        dispatch("routing", events.REPORT_VERIFIED, verified)
        dispatch("routing", events.REPORT_VERIFIED, verified)  # redelivered: applied once
    case = rpc.followup.case_for_report(tracking_id)
    assert case["stage"] == "follow_up" and case["due_at"] == "2026-11-24T23:59:59+08:00"

    clock.now = utc(2026, 11, 18, 3)
    returned = official_action(events.REPORT_RETURNED, tracking_id, actor="lo-bll-pupr", actor_role="liaison",
                               from_unit_code="BLL-PUPR")
    with handled(container, returned):
        dispatch("routing", events.REPORT_RETURNED, returned)
    case = rpc.followup.case_for_report(tracking_id)
    assert case["unit_code"] is None and case["stage"] == "verification"
    assert case["overall_due_at"] == overall  # the reporter's clock stays

    postponed = official_action(events.REPORT_POSTPONED, tracking_id, until=utc(2026, 11, 30, 1), reason="menunggu data")
    with handled(container, postponed):
        dispatch("routing", events.REPORT_POSTPONED, postponed)
    case = rpc.followup.case_for_report(tracking_id)
    assert case["postponed_until"] and case["due_at"] == "2026-12-03T23:59:59+08:00"  # 3 working days after Mon 30 Nov

    archived = official_action(events.REPORT_ARCHIVED, tracking_id, queue="archive")
    with handled(container, archived):
        dispatch("routing", events.REPORT_ARCHIVED, archived)
    case = rpc.followup.case_for_report(tracking_id)
    assert (case["status"], case["indicator"]) == ("archived", "closed_on_time")
    assert emitted(db, tracking_id) == ["case_opened", "case_opened", "case_opened", "case_closed"]
    tallies = rpc.followup.summary({"agency_code": "PEMKAB-BULELENG"})["counts"]
    assert tallies == rpc.followup.summary({"agency_code": "PEMKAB-BULELENG"}, True)["counts"]
    assert tallies["closed_on_time"] == 1 and tallies["open"] == 0


def test_answered_case_closes_automatically_after_the_period(
        start_services, start_followup, rpc, service_config, mongo_client, demo_registry):
    start_services(RoutingService, config={**service_config, "AUTH_CACHE_SECONDS": 0})
    rpc.routing.import_registry(demo_registry)
    base = start_followup(config={**service_config, "AUTO_CLOSE_WORKING_DAYS": 3})[0]
    clock = start_followup.clock
    db = followup_db(mongo_client, service_config)
    opening = dispositioned()
    tracking_id = opening["tracking_id"]
    verified = official_action(events.REPORT_VERIFIED, tracking_id, actor="lo-bll-pupr", actor_role="liaison",
                               unit_code="BLL-PUPR", queue="unit")  # the liaison verified it: now it can be answered
    with handled(start_followup.containers[0], opening, verified):
        event_dispatcher(service_config)("routing", events.REPORT_DISPOSITIONED, opening)
        event_dispatcher(service_config)("routing", events.REPORT_VERIFIED, verified)
    assert rpc.followup.case_for_report(tracking_id)["verified_at_unit"] is True
    token = {"Authorization": f"Bearer {issue_token(service_config, 'lo-bll-pupr')}"}
    clock.now = utc(2026, 11, 17, 3)  # Tuesday
    answer = requests.post(f"{base}/cases/{tracking_id}/answer", headers=token, timeout=5,
                           json={"body": "Sudah diperbaiki.", "attachments": []})
    assert answer.status_code == 201
    case = rpc.followup.case_for_report(tracking_id)
    assert case["auto_close_at"] == "2026-11-20T23:59:59+08:00"  # 3 working days later
    clock.now = utc(2026, 11, 20, 15, 59, 59)  # Fri 23:59:59 WITA: not yet
    assert rpc.followup.sweep()["claimed"] == 0
    clock.now = utc(2026, 11, 20, 16, 0, 0)
    assert rpc.followup.sweep()["kinds"] == {"auto_close": 1}
    case = rpc.followup.case_for_report(tracking_id)
    assert (case["status"], case["indicator"]) == ("closed", "closed_on_time")
    closed = db.outbox.find_one({"event_type": "case_closed", "payload.tracking_id": tracking_id})
    assert closed["payload"]["closed_by"] == "system" and closed["payload"]["on_time"] is True
    assert rpc.followup.sweep()["claimed"] == 0

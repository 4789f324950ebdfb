"""A report through all five services on the real RabbitMQ and the real store."""
import requests
from nameko.standalone.events import event_dispatcher

from contract import deadletters, events
from tests.factories import make_report
from tests.waiting import events_handled, wait_handled
from tests.integration.conftest import ALL_SERVICES, handled, submit_and_follow, track, wait_for


def test_report_is_routed_followed_up_and_notified(start_services, rpc, demo_registry):
    urls = start_services(*ALL_SERVICES)
    rpc.routing.import_registry(demo_registry)

    view = submit_and_follow(urls["intake"], timeout=15, intake=start_services.containers["intake"])
    tracking_id = view["tracking_id"]
    assert view["status"] == "in_follow_up"
    assert view["assignment"] == {"queue": "unit", "agency_code": "PEMKAB-BULELENG", "unit_code": "BLL-PUPR"}
    assert view["case"]["stage"] == "follow_up" and view["case"]["sla_working_days"] == 5
    assert [h["at"] for h in view["history"]] == sorted(h["at"] for h in view["history"])

    assert rpc.followup.case_for_report(tracking_id)["unit_code"] == "BLL-PUPR"
    kinds = {n["recipient_kind"]: n for n in rpc.notification.for_report(tracking_id)}
    assert set(kinds) == {"reporter", "liaison"} and kinds["liaison"]["recipient_ref"] == "unit:BLL-PUPR"
    # (the counters are folded from assessment's journal by its compactor, not by its event consumer: polled)
    counts = wait_for(lambda: (c := rpc.assessment.counts())["agencies"] and c)
    assert counts["agencies"]["PEMKAB-BULELENG"]["dispositioned"] == 1
    assert counts["hubs"]["ID"]["received"] == 1
    public = requests.get(f"{urls['assessment']}/stats/counts", timeout=5).json()  # one report: suppressed
    assert public["agencies"]["PEMKAB-BULELENG"]["dispositioned"] is None


def test_unmatched_report_goes_to_national_triage(start_services, rpc, demo_registry):
    urls = start_services(*ALL_SERVICES)
    rpc.routing.import_registry(demo_registry)
    # intake -> routing -> followup -> intake: the case reaches the tracking view with intake's case_opened
    # (the test's only report: its tracking ID is not known before the POST returns)
    with handled(start_services.containers["intake"], event=events.CASE_OPENED):
        tracking_id = requests.post(f"{urls['intake']}/reports", json=make_report(region_code="9471"),
                                    timeout=5).json()["tracking_id"]
    view = track(urls["intake"], tracking_id)
    assert view["case"]
    assert view["status"] == "in_follow_up"
    assert view["assignment"]["queue"] == "national_triage"
    assert view["case"]["stage"] == "verification" and view["case"]["sla_working_days"] == 3


def test_redelivered_event_changes_nothing_twice(start_services, rpc, service_config, demo_registry):
    urls = start_services(*ALL_SERVICES)
    rpc.routing.import_registry(demo_registry)
    # notification queues the receipt, then (after routing) the disposition's two (the test's only report)
    with handled(start_services.containers["notification"], event=events.REPORT_DISPOSITIONED):
        tracking_id = requests.post(f"{urls['intake']}/reports", json=make_report(), timeout=5).json()["tracking_id"]
    assert len(rpc.notification.for_report(tracking_id)) == 3  # receipt + disposition (2)
    disposition = rpc.routing.disposition(tracking_id)
    assert disposition["unit_code"] == "BLL-PUPR"

    # A second disposition event delivered twice (as after a consumer crash): applied once.
    dispatch = event_dispatcher(service_config)
    replay = events.build(
        events.REPORT_DISPOSITIONED, hub="ID", tracking_id=tracking_id, origin_hub="ID", actor="system",
        region_code="5108", category_code="infrastruktur", classification="complaint", channel="web",
        reporter_ref="rpt_x", is_anonymous=False, queue="unit", agency_code="PEMKAB-BULELENG",
        unit_code="BLL-PUPR", rule_id="bll-infra", automatic=True)["payload"]
    metrics = f"{urls['intake']}/metrics"  # one process: every container's metrics on each page
    seen = {s: events_handled(metrics, s, events.REPORT_DISPOSITIONED, "duplicate")
            for s in ("intake", "followup", "notification", "assessment")}
    dispatch("routing", events.REPORT_DISPOSITIONED, replay)
    dispatch("routing", events.REPORT_DISPOSITIONED, replay)
    for service, before in seen.items():  # the redelivery has been processed (as a duplicate) everywhere
        wait_handled(metrics, service, events.REPORT_DISPOSITIONED, before + 1, "duplicate")
    assert len(rpc.notification.for_report(tracking_id)) == 5  # the duplicate queued nothing
    view = track(urls["intake"], tracking_id)
    assert [h["step"] for h in view["history"]].count("dispositioned") == 2  # the real one + the replay once
    counts = rpc.assessment.counts()
    assert counts["agencies"]["PEMKAB-BULELENG"]["dispositioned"] == 2


def test_malformed_event_is_rejected_not_looped(start_services, service_config):
    urls = start_services(*ALL_SERVICES)
    metrics_url = f"{urls['routing']}/metrics"  # (one registry per process: earlier tests' services count too)
    before = events_handled(metrics_url, "routing", events.REPORT_RECEIVED, "dead_lettered")
    dispatch = event_dispatcher(service_config)
    dispatch("intake", events.REPORT_RECEIVED, {"event_id": "broken", "schema_version": 1})
    wait_handled(metrics_url, "routing", events.REPORT_RECEIVED, before + 1, "dead_lettered")
    kept = deadletters.take(service_config["AMQP_URI"], "routing", 10, replay=False)
    assert [(d["event_type"], d["event_id"]) for d in kept] == [("report_received", "broken")]
    assert kept[0]["reason"].startswith("payload breaks the contract")

"""Events forged onto the bus for reports their sources never announced are refused and counted
(issue 13, the consumers' part), on the real broker and store: a made-up tracking ID fails the
contract everywhere; routing refuses case events for reports it never routed; follow-up refuses
routing's actions on reports that have no case. The refusal (lapor_events_handled_total
{outcome="rejected"}, or "dead_lettered") is the later signal that proves the event was processed and changed nothing."""
from nameko.standalone.events import event_dispatcher

from contract import events
from contract.ids import new_tracking_id
from followup.service import FollowupService
from routing.service import RoutingService
from tests.integration.test_followup_support import official_action, utc
from tests.unit.routing.factories import received_event
from tests.waiting import events_handled, wait_handled

REFUSED = ("rejected", "dead_lettered")  # counted as refused, or dead-lettered where a dead-letter queue exists


def test_forged_events_for_unknown_reports_are_refused(start_services, rpc, service_config, demo_registry):
    urls = start_services(RoutingService, FollowupService)
    rpc.routing.import_registry(demo_registry)
    metrics = f"{urls['routing']}/metrics"
    dispatch = event_dispatcher(service_config)

    def rejected(service, event_type):
        return events_handled(metrics, service, event_type, REFUSED)

    # a report_received whose tracking ID no hub issued (check symbol wrong): routing never routes it
    made_up = received_event()
    made_up["tracking_id"] = made_up["tracking_id"][:-1] + ("0" if made_up["tracking_id"][-1] != "0" else "1")
    before = rejected("routing", events.REPORT_RECEIVED)
    dispatch("intake", events.REPORT_RECEIVED, made_up)
    wait_handled(metrics, "routing", events.REPORT_RECEIVED, before + 1, REFUSED)
    assert rpc.routing.disposition(made_up["tracking_id"]) is None

    # a well-formed ID that routing never routed: follow-up's closure of it is refused by routing
    unknown = new_tracking_id("ID")
    closed = events.build(events.CASE_CLOSED, hub="ID", tracking_id=unknown, origin_hub="ID", case_id="case_forged",
                          closed_by="reporter", on_time=True, opened_at=utc(2026, 11, 16, 3))["payload"]
    before = rejected("routing", events.CASE_CLOSED)
    dispatch("followup", events.CASE_CLOSED, closed)
    wait_handled(metrics, "routing", events.CASE_CLOSED, before + 1, REFUSED)
    assert rpc.routing.disposition(unknown) is None

    # routing's verification of a report that routing never dispositioned: follow-up has no case, refuses it
    before = rejected("followup", events.REPORT_VERIFIED)
    dispatch("routing", events.REPORT_VERIFIED, official_action(events.REPORT_VERIFIED, unknown))
    wait_handled(metrics, "followup", events.REPORT_VERIFIED, before + 1, REFUSED)
    assert rpc.followup.case_for_report(unknown) is None

"""The courier asks intake for the contacts of a whole claimed batch in one RPC (issue 12), on the
real broker and store: N reporters' notifications cost one ``reporter_contacts`` call, not N
``reporter_contact`` calls, and a reporter intake does not know fails only its own notification.
The batch's outcomes, sent side by side, are committed in fewer transactions than messages (group
commit: issue 23's one transaction per email)."""
from nameko.standalone.events import event_dispatcher
from prometheus_client import REGISTRY

from contract import events
from notification.service import NotificationService
from routing.service import RoutingService
from tests.integration.conftest import handled, wait_for
from tests.integration.conftest_notification import *  # noqa: F403  (fixtures: smtp, ...)
from tests.integration.conftest_notification import contact_directory, make_event

REPORTERS = 8
CONTACTS = {f"rpt_batch_{i}": {"email": f"batch{i}@example.com", "channel": "email", "name": f"Warga {i}"}
            for i in range(REPORTERS)}
UNKNOWN_REF = "rpt_batch_gone"  # e.g. a report erased since: intake answers without it


def _outcome_groups():
    """(groups committed, outcomes in them) by notification's group committer so far (this process)."""
    return tuple(REGISTRY.get_sample_value(f"lapor_store_group_commit_size_{part}", {"service": "notification"}) or 0
                 for part in ("count", "sum"))


def _reporter_notifications(rpc, tracking_ids):
    found = [n for t in tracking_ids for n in rpc.notification.for_report(t) if n["recipient_kind"] == "reporter"]
    return found if len(found) == len(tracking_ids) else None


def test_a_claimed_batch_costs_one_contact_rpc_and_an_unknown_reporter_fails_alone(
        start_services, rpc, notification_config, demo_registry, smtp):
    # 1. queue the batch with the courier idle (a poll interval longer than the test)
    idle = {**notification_config, "DELIVERY_POLL_SECONDS": 3600, "DELIVERY_WAKE": False}
    start_services(RoutingService, contact_directory(CONTACTS), NotificationService, config=idle)
    rpc.routing.import_registry(demo_registry)
    dispatch = event_dispatcher(notification_config)
    updates = [make_event(events.CASE_UPDATED, reporter_ref=ref, language="id") for ref in [*CONTACTS, UNKNOWN_REF]]
    with handled(start_services.containers["notification"], *updates):
        for update in updates:
            dispatch("followup", events.CASE_UPDATED, update)
    queued = _reporter_notifications(rpc, [u["tracking_id"] for u in updates])
    assert queued and {n["status"] for n in queued} == {"queued"}

    # 2. a courier that polls: it claims all of them at once (DELIVERY_CLAIM_BATCH 50)
    start_services.kill_all()
    calls: list = []
    groups_before, outcomes_before = _outcome_groups()
    start_services(RoutingService, contact_directory(CONTACTS, calls), NotificationService,
                   config=notification_config)
    done = wait_for(lambda: (found := _reporter_notifications(rpc, [u["tracking_id"] for u in updates]))
                    and all(n["status"] in ("sent", "dead") for n in found) and found)

    by_ref = {n["recipient_ref"]: n for n in done}
    assert all(by_ref[ref]["status"] == "sent" for ref in CONTACTS)
    assert by_ref[UNKNOWN_REF]["status"] == "dead" and "knows no reporter" in by_ref[UNKNOWN_REF]["last_error"]
    assert calls == [("reporter_contacts", sorted([*CONTACTS, UNKNOWN_REF]))]  # one call, no per-message calls
    assert all(len(smtp.to(contact["email"])) == 1 for contact in CONTACTS.values())
    groups, outcomes = _outcome_groups()
    assert outcomes - outcomes_before == len(updates)  # every outcome through the group committer
    assert groups - groups_before < len(updates)       # fewer transactions than outcomes

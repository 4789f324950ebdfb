"""Notification's handlers on the fake unit of work (``tests.fakes.notification``): what each use case
records, announces and refuses, without servers."""
from datetime import timedelta

import pytest

from contract import events
from contract.batch import handle_batch
from contract.errors import ApiError
from notification import delivery, domain, handlers
from notification.courier import take_back_claims
from notification.exceptions import TransientError
from notification.service import EVENTS
from tests.fakes.events import make_event
from tests.fakes.notification import NOW, FakeCourierIdentity, notification_units

LIAISON = {"role": "liaison", "official_id": "lo-bll-pupr", "unit_code": "BLL-PUPR", "agency_code": "PEMKAB-BULELENG"}
ADMIN = {"role": "national_admin", "official_id": "nas-admin-1"}


def event_of(event_type, **overrides):
    return events.load(event_type, make_event(event_type, **overrides))


def notifications(units) -> dict:
    return units.state.get("FakeNotifications", {}).get("notifications", {})


def queue(units, event_type=events.CASE_UPDATED, **overrides) -> list[dict]:
    planned = domain.plan(event_type, event_of(event_type, reporter_ref="rpt_a", **overrides), NOW - timedelta(seconds=5))
    units.run(lambda uow: uow.notifications.queue(planned))
    return planned


def dead(units, **overrides) -> dict:
    n = queue(units)[0]
    notifications(units)[n["_id"]].update(status="dead", dead_at=NOW, attempts=3, last_error="SMTP error 550",
                                          **overrides)
    return n


def subscribe(units, **form):
    return units.run(handlers.subscribe, {"url": "https://sys.example.go.id/hook", "events": [], "agency_code": None,
                                          "description": "", "secret": None, **form}, "nas-admin-1")


# -- events ------------------------------------------------------------------------------------
def test_an_event_queues_its_notifications_and_announces_the_peoples_ones():
    units = notification_units()
    subscribe(units, events=[events.REPORT_DISPOSITIONED])
    event = event_of(events.REPORT_DISPOSITIONED, reporter_ref="rpt_a")
    units.run(handlers.plan_notifications, events.REPORT_DISPOSITIONED, event)
    queued = sorted((n["recipient_kind"], n["channel"], n["status"]) for n in notifications(units).values())
    assert queued == [("liaison", "email", "queued"), ("reporter", "email", "queued"), ("system", "webhook", "queued")]
    assert units.published == [events.NOTIFICATION_QUEUED] * 2  # a subscribed system is not announced
    assert {p["hub"] for p in units.payloads(events.NOTIFICATION_QUEUED)} == {"ID"}


def test_an_official_who_chose_the_digest_has_the_message_held():
    units = notification_units()
    units.run(handlers.set_preference, LIAISON, "unit:BLL-PUPR", {"digest": True})
    units.run(handlers.plan_notifications, events.CASE_DUE_SOON, event_of(events.CASE_DUE_SOON))
    (held,) = notifications(units).values()
    assert (held["recipient_ref"], held["status"], held["next_attempt_at"]) == ("unit:BLL-PUPR", "held", None)


def test_the_event_table_applies_a_redelivered_event_once():
    units = notification_units()
    payload = make_event(events.CASE_CLOSED, reporter_ref="rpt_a")
    outcomes = handle_batch(units, [(events.CASE_CLOSED, payload), (events.CASE_CLOSED, payload)], EVENTS)
    assert [o for o, _ in outcomes] == ["applied", "duplicate"]
    assert len(notifications(units)) == 1 and units.commits == 1
    assert units.made_way == 1  # the batch let the store's front-door commits go first (contract.batch)


# -- the courier's store work ------------------------------------------------------------------
def test_nothing_is_due_before_its_time_and_a_claim_takes_what_is_due():
    units = notification_units()
    planned = queue(units)
    assert units.read(handlers.anything_due, NOW - timedelta(minutes=1)) is False
    assert units.read(handlers.anything_due, NOW) is True
    claimed = units.run(handlers.claim_batch, NOW, "courier-a")
    assert [n["_id"] for n in claimed] == [planned[0]["_id"]] and claimed[0]["possible_repeat"] is False
    stored = notifications(units)[planned[0]["_id"]]
    assert stored["handoff"] == {"at": NOW, "by": "courier-a"} and stored["next_attempt_at"] == NOW + timedelta(seconds=120)
    assert units.run(handlers.claim_batch, NOW, "courier-b") == []  # hidden from other couriers until the lease ends


def test_a_claim_marks_a_handoff_without_outcome_as_a_possible_repeat():
    units = notification_units()
    n = queue(units)[0]
    notifications(units)[n["_id"]].update(handoff={"at": NOW - timedelta(minutes=3)}, handoffs=1)
    (claimed,) = units.run(handlers.claim_batch, NOW, "courier-a")
    assert claimed["possible_repeat"] is True and notifications(units)[n["_id"]]["possible_repeat"] is True


def test_an_outcome_is_recorded_per_message_with_its_event_closing_only_its_handoff():
    units = notification_units()
    first, second = queue(units)[0], queue(units)[0]
    claimed = {n["_id"]: n for n in units.run(handlers.claim_batch, NOW, "courier-a")}
    sent = delivery.Outcome("sent", 1, None, None)
    announced = domain.outcome_event({**claimed[first["_id"]], "attempts": 1, "delivered_channel": "sms"}, "ID", sent=True)
    units.run(handlers.record_attempt, (claimed[first["_id"]], sent, "sms", NOW, [announced]))
    stored = notifications(units)[first["_id"]]
    assert (stored["status"], stored["delivered_channel"], stored["sent_at"], stored["handoff"]) == (
        "sent", "sms", NOW, None)
    assert units.published == [events.NOTIFICATION_SENT]
    other = notifications(units)[second["_id"]]  # the batch's other message: still handed over, unanswered
    assert (other["status"], other["handoff"]) == ("queued", {"at": NOW, "by": "courier-a"})


# -- couriers that are gone --------------------------------------------------------------------
def claimed_by(units, courier_id, at=NOW - timedelta(seconds=30)) -> dict:
    n = queue(units)[0]
    notifications(units)[n["_id"]].update(handoff={"at": at, "by": courier_id}, handoffs=1,
                                          next_attempt_at=at + timedelta(seconds=120))
    return n


def take_back(units, courier, at=NOW) -> list[str]:
    return take_back_claims(units, courier, lambda: at)


def test_a_killed_couriers_claims_are_taken_back_at_the_next_start_and_marked_possible_repeats():
    units = notification_units()
    killed = FakeCourierIdentity("host-a:101:aa", 101)
    units.run(handlers.heartbeat, killed, NOW - timedelta(seconds=31))  # registered, then kill -9
    n = claimed_by(units, killed.id)
    assert units.read(handlers.anything_due, NOW) is False  # leased for another 90 s
    restarted = FakeCourierIdentity("host-a:102:bb", 102)  # same host; pid 101 no longer runs
    units.run(handlers.heartbeat, restarted, NOW)
    assert take_back(units, restarted) == [killed.id]
    (claimed,) = units.run(handlers.claim_batch, NOW, restarted.id)
    assert claimed["_id"] == n["_id"] and claimed["possible_repeat"] is True
    assert notifications(units)[n["_id"]]["handoff"] == {"at": NOW, "by": restarted.id}
    assert [c["_id"] for c in units.read(lambda uow: uow.couriers.others("nobody"))] == [restarted.id]


def test_a_live_couriers_claims_are_never_taken_here_or_on_another_host():
    units = notification_units()
    here = FakeCourierIdentity("host-a:101:aa", 101)
    elsewhere = FakeCourierIdentity("host-b:7:cc", 7, host="host-b")
    units.run(handlers.heartbeat, here, NOW - timedelta(minutes=5))  # silent for long, but its process runs
    units.run(handlers.heartbeat, elsewhere, NOW - timedelta(seconds=19))  # within COURIER_TIMEOUT (20 s)
    ours, theirs = claimed_by(units, here.id), claimed_by(units, elsewhere.id)
    second = FakeCourierIdentity("host-a:102:bb", 102, running={101, 102})
    assert take_back(units, second) == []
    assert units.run(handlers.claim_batch, NOW, second.id) == []
    assert {notifications(units)[n["_id"]]["handoff"]["by"] for n in (ours, theirs)} == {here.id, elsewhere.id}


def test_a_courier_on_another_host_is_gone_after_its_silence_exceeds_the_timeout():
    units = notification_units()
    elsewhere = FakeCourierIdentity("host-b:7:cc", 7, host="host-b")
    units.run(handlers.heartbeat, elsewhere, NOW - timedelta(seconds=21))
    n = claimed_by(units, elsewhere.id)
    assert take_back(units, FakeCourierIdentity("host-a:102:bb", 102)) == [elsewhere.id]
    assert [c["_id"] for c in units.run(handlers.claim_batch, NOW, "host-a:102:bb")] == [n["_id"]]


def test_a_claim_still_locked_by_the_killed_courier_does_not_hold_back_the_others():
    units = notification_units()
    killed = FakeCourierIdentity("host-a:101:aa", 101)
    units.run(handlers.heartbeat, killed, NOW - timedelta(seconds=31))
    in_flight, other = claimed_by(units, killed.id), claimed_by(units, killed.id)
    units.state["FakeNotifications"]["locked"] = {in_flight["_id"]: True}  # its outcome was being recorded
    restarted = FakeCourierIdentity("host-a:102:bb", 102)
    assert take_back(units, restarted) == [killed.id]
    assert [n["_id"] for n in units.run(handlers.claim_batch, NOW, restarted.id)] == [other["_id"]]
    assert killed.id in [c["_id"] for c in units.read(lambda uow: uow.couriers.others(restarted.id))]
    units.state["FakeNotifications"]["locked"] = {}  # the store ended the abandoned transaction
    assert take_back(units, restarted, NOW + timedelta(seconds=60)) == [killed.id]
    assert units.read(lambda uow: uow.couriers.others(restarted.id)) == []
    (claimed,) = units.run(handlers.claim_batch, NOW + timedelta(seconds=60), restarted.id)
    assert claimed["_id"] == in_flight["_id"] and claimed["possible_repeat"] is True


def test_a_claim_taken_back_is_only_one_still_held_by_the_gone_courier():
    units = notification_units()
    n = claimed_by(units, "host-a:101:aa")
    units.run(handlers.take_back_claim, n["_id"], ["host-a:999:zz"], NOW)  # not theirs: unchanged
    assert notifications(units)[n["_id"]]["next_attempt_at"] > NOW
    units.run(handlers.take_back_claim, n["_id"], ["host-a:101:aa"], NOW)
    assert notifications(units)[n["_id"]]["next_attempt_at"] == NOW


def test_whether_a_courier_is_gone():
    entry = {"heartbeat_at": NOW - timedelta(seconds=5)}
    assert domain.courier_gone(entry, NOW, 20, alive_here=False) is True  # its process no longer runs here
    assert domain.courier_gone({"heartbeat_at": NOW - timedelta(hours=1)}, NOW, 20, alive_here=True) is False
    assert domain.courier_gone(entry, NOW, 20, alive_here=None) is False  # another host, heard of lately
    assert domain.courier_gone(entry, NOW, 4, alive_here=None) is True


def test_the_backlog_counts_queued_held_and_dead():
    units = notification_units()
    queue(units)
    dead(units)
    assert units.read(handlers.backlog) == {"queued": 1, "held": 0, "dead": 1}


def test_a_webhook_delivery_reads_its_subscription():
    units = notification_units()
    subscription = subscribe(units)
    assert units.read(handlers.webhook_subscription, subscription["_id"])["url"] == "https://sys.example.go.id/hook"
    assert units.read(handlers.webhook_subscription, "sub_gone") is None


# -- digests -----------------------------------------------------------------------------------
def test_a_digest_summarises_what_was_held_once():
    units = notification_units()
    units.run(handlers.set_preference, LIAISON, "unit:BLL-PUPR", {"digest": True})
    for event_type in (events.CASE_DUE_SOON, events.CASE_OVERDUE):
        units.run(handlers.plan_notifications, event_type, event_of(event_type))
    assert units.run(handlers.build_digests, NOW + timedelta(seconds=1)) == 1
    by_template = {n["template"]: n for n in notifications(units).values()}
    digest = by_template.pop("daily_digest")
    assert (digest["recipient_ref"], digest["status"], digest["context"]["count"]) == ("unit:BLL-PUPR", "queued", 2)
    assert {n["status"] for n in by_template.values()} == {"digested"}
    assert units.run(handlers.build_digests, NOW + timedelta(seconds=1)) == 0


# -- queries -----------------------------------------------------------------------------------
def test_a_reports_notifications_and_the_dead_letters_by_channel():
    units = notification_units()
    planned = queue(units)
    letter = dead(units, delivered_channel="sms")
    assert [n["_id"] for n in units.read(handlers.notifications_of_report, planned[0]["tracking_id"])] == [
        planned[0]["_id"]]
    assert [n["_id"] for n in units.read(handlers.dead_letters, 50, "sms")] == [letter["_id"]]
    assert units.read(handlers.dead_letters, 50, "email") == []


class Directory:
    def __init__(self, standing=None, error=None):
        self.standing, self.error = standing, error

    def report_standing(self, tracking_id):
        if self.error:
            raise self.error
        return self.standing


def test_an_official_reads_a_reports_notifications_only_within_the_reports_scope():
    units = notification_units()
    tracking_id = queue(units)[0]["tracking_id"]
    here = Directory({"hub": "ID", "agency_code": "PEMKAB-BULELENG", "unit_code": "BLL-PUPR", "queue": "unit"})
    assert len(units.read(handlers.report_notifications, LIAISON, tracking_id, here)) == 1
    elsewhere = Directory({"hub": "ID", "agency_code": "PEMKOT-DPS", "unit_code": "DPS-PU", "queue": "unit"})
    with pytest.raises(ApiError) as refused:
        units.read(handlers.report_notifications, LIAISON, tracking_id, elsewhere)
    assert refused.value.status == 404
    with pytest.raises(ApiError) as away:
        units.read(handlers.report_notifications, LIAISON, tracking_id, Directory(error=TransientError("down")))
    assert away.value.status == 503
    assert len(units.read(handlers.report_notifications, ADMIN, tracking_id, Directory(error=AssertionError()))) == 1


# -- dead letters ------------------------------------------------------------------------------
def test_a_dead_letter_is_queued_again_and_anything_else_refused():
    units = notification_units()
    letter = dead(units)
    retried = units.run(handlers.retry_dead_letter, letter["_id"], "nas-admin-1")
    assert (retried["status"], retried["attempts"], retried["retried_by"]) == ("queued", 0, "nas-admin-1")
    for notification_id, status in ((letter["_id"], 409), ("ntf_unknown", 404)):
        with pytest.raises(ApiError) as refused:
            units.run(handlers.retry_dead_letter, notification_id, "nas-admin-1")
        assert refused.value.status == status


def test_retrying_dead_letters_by_channel_counts_what_was_retried():
    units = notification_units()
    dead(units, delivered_channel="sms")
    dead(units, delivered_channel="email")
    assert units.run(handlers.retry_dead_letters, {"limit": 50, "channel": "sms"}, "nas-admin-1") == 1
    assert units.read(handlers.backlog) == {"queued": 1, "held": 0, "dead": 1}


# -- subscriptions -----------------------------------------------------------------------------
def test_a_subscription_gets_a_secret_and_an_unsubscribed_one_is_gone():
    units = notification_units()
    subscription = subscribe(units, agency_code="PEMKAB-BULELENG")
    assert len(subscription["secret"]) >= 32 and subscription["created_by"] == "nas-admin-1"
    assert [s["_id"] for s in units.read(handlers.subscriptions)] == [subscription["_id"]]
    units.run(handlers.unsubscribe, subscription["_id"])
    assert units.read(handlers.subscriptions) == []
    with pytest.raises(ApiError) as again:
        units.run(handlers.unsubscribe, subscription["_id"])
    assert again.value.status == 404


# -- preferences -------------------------------------------------------------------------------
def test_an_official_sets_the_digest_of_their_own_scope_only():
    units = notification_units()
    saved = units.run(handlers.set_preference, LIAISON, "unit:BLL-PUPR", {"digest": True})
    assert (saved["digest"], saved["updated_by"]) == (True, "lo-bll-pupr")
    with pytest.raises(ApiError) as other:
        units.run(handlers.set_preference, LIAISON, "unit:LWU-PUPR", {"digest": True})
    assert other.value.status == 403
    with pytest.raises(ApiError) as invalid:
        handlers.authorize_preference(LIAISON, "mailbox:someone")
    assert invalid.value.status == 400 and invalid.value.to_dict()["errors"][0]["field"] == "recipient_ref"

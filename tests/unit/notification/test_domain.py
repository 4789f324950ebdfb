"""Who is told what: the notification rules, ids and digests."""
from datetime import datetime, timezone

import pytest

from contract import events
from notification import domain
from tests.fakes.events import make_event

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=timezone.utc)


def planned(event_type, digest_refs=(), subscriptions=(), **overrides):
    event = events.load(event_type, make_event(event_type, reporter_ref="rpt_a", **overrides))
    return domain.plan(event_type, event, NOW, digest_refs, subscriptions)


@pytest.mark.parametrize("event_type, expected", [
    (events.REPORT_RECEIVED, {("reporter", "rpt_a", "email", "receipt")}),
    (events.REPORT_DRAFT_SAVED, {("reporter", "rpt_a", "email", "incomplete_reminder")}),
    (events.REPORT_DISPOSITIONED, {("reporter", "rpt_a", "email", "report_dispositioned"),
                                   ("liaison", "unit:BLL-PUPR", "email", "new_report_in_queue")}),
    (events.REPORT_RETURNED, {("agency_admin", "agency:PEMKAB-BULELENG", "email", "new_report_in_queue")}),
    (events.REPORT_POSTPONED, {("reporter", "rpt_a", "email", "report_postponed")}),
    (events.REPORT_ARCHIVED, {("reporter", "rpt_a", "email", "report_archived")}),
    (events.CASE_OPENED, set()),
    (events.CASE_DUE_SOON, {("liaison", "unit:BLL-PUPR", "email", "case_due_soon")}),
    (events.CASE_OVERDUE, {("liaison", "unit:BLL-PUPR", "email", "case_overdue")}),
    (events.CASE_ESCALATED, {("supervisor", "supervisor:PEMKAB-BULELENG", "email", "case_escalated")}),
    (events.CASE_UPDATED, {("reporter", "rpt_a", "email", "interim_update")}),
    (events.CASE_ANSWERED, {("reporter", "rpt_a", "email", "final_answer"), ("reporter", "rpt_a", "email", "rate_request")}),
    (events.REPORTER_REPLIED, {("liaison", "unit:BLL-PUPR", "email", "reporter_replied")}),
    (events.CASE_REOPENED, {("reporter", "rpt_a", "email", "case_reopened"),
                            ("liaison", "unit:BLL-PUPR", "email", "case_reopened_official")}),
    (events.CASE_CLOSED, {("reporter", "rpt_a", "email", "case_closed")}),
])
def test_each_event_notifies_the_right_people(event_type, expected):
    got = planned(event_type)
    assert {(n["recipient_kind"], n["recipient_ref"], n["channel"], n["template"]) for n in got} == expected
    assert len({n["_id"] for n in got}) == len(got)  # final answer + rate request do not collide
    assert all(n["status"] == "queued" and n["next_attempt_at"] == NOW and n["attempts"] == 0 for n in got)


def test_ids_are_deterministic_so_a_redelivered_event_queues_nothing_new():
    event = events.load(events.CASE_ANSWERED, make_event(events.CASE_ANSWERED, reporter_ref="rpt_a"))
    first = domain.plan(events.CASE_ANSWERED, event, NOW)
    again = domain.plan(events.CASE_ANSWERED, event, NOW)
    assert [n["_id"] for n in first] == [n["_id"] for n in again]
    assert domain.notification_id("e1", "rpt_a", "email") != domain.notification_id("e1", "rpt_a", "sms")


def test_reporter_channel_follows_the_intake_channel_and_sms_receipts_are_left_to_intake():
    assert planned(events.REPORT_DISPOSITIONED, channel="sms")[0]["channel"] == "sms"
    assert planned(events.REPORT_DISPOSITIONED, channel="social")[0]["channel"] == "social"
    assert planned(events.REPORT_RECEIVED, channel="sms") == []  # intake replied in the same SMS conversation
    assert planned(events.REPORT_RECEIVED, channel="mobile")[0]["channel"] == "email"


def test_language_is_the_reporters_and_officials_read_bahasa_indonesia():
    got = {n["recipient_kind"]: n["language"] for n in planned(events.REPORT_DISPOSITIONED, language="en")}
    assert got == {"reporter": "en", "liaison": "id"}


def test_events_without_a_reporter_ref_reach_only_officials():
    event = events.load(events.CASE_REOPENED, make_event(events.CASE_REOPENED, reporter_ref=None))
    assert [n["recipient_kind"] for n in domain.plan(events.CASE_REOPENED, event, NOW)] == ["liaison"]


def test_queue_and_holder_fall_back_along_the_tiers():
    triage = planned(events.REPORT_DISPOSITIONED, queue="national_triage", agency_code=None, unit_code=None)
    assert [n["recipient_ref"] for n in triage if n["recipient_kind"] != "reporter"] == ["hub:ID"]
    agency_case = planned(events.CASE_OVERDUE, unit_code=None)
    assert agency_case[0]["recipient_ref"] == "agency:PEMKAB-BULELENG"
    official = planned(events.CASE_ESCALATED, escalated_to="adm-buleleng", escalated_to_role="agency_admin")
    assert (official[0]["recipient_kind"], official[0]["recipient_ref"]) == ("agency_admin", "official:adm-buleleng")


def test_context_carries_workflow_facts_never_the_reporter():
    got = planned(events.REPORT_RECEIVED, title="Rahasia", description="Teks rahasia yang panjang sekali")[0]
    assert "reporter_ref" not in got["context"] and "description" not in got["context"] and "title" not in got["context"]
    assert got["context"]["tracking_id"] == got["tracking_id"]


def test_officials_who_chose_the_digest_are_held_reporters_never():
    got = {n["recipient_kind"]: n for n in planned(events.REPORT_DISPOSITIONED, digest_refs=["unit:BLL-PUPR"])}
    assert got["liaison"]["status"] == "held" and got["liaison"]["next_attempt_at"] is None
    assert got["reporter"]["status"] == "queued"


def test_subscriptions_get_one_webhook_each_and_no_announcement():
    got = planned(events.CASE_OPENED, subscriptions=[{"_id": "sub_1"}, {"_id": "sub_2"}])
    assert [(n["recipient_kind"], n["recipient_ref"], n["channel"]) for n in got] == [
        ("system", "webhook:sub_1", "webhook"), ("system", "webhook:sub_2", "webhook")]


def test_queued_and_outcome_events_follow_the_contract():
    notification = planned(events.CASE_UPDATED)[0]
    queued = domain.queued_event(notification, "ID")["payload"]
    assert events.load(events.NOTIFICATION_QUEUED, queued)["recipient_ref"] == "rpt_a"
    dead = domain.outcome_event({**notification, "attempts": 3, "last_error": "SMS gateway down",
                                 "delivered_channel": "sms"}, "ID", sent=False)
    assert dead["event_type"] == events.NOTIFICATION_DEAD_LETTERED
    assert (dead["payload"]["channel"], dead["payload"]["error"], dead["payload"]["attempts"]) == ("sms", "SMS gateway down", 3)


def test_digest_summarises_held_items_in_order():
    items = [dict(n, created_at=NOW) for n in planned(events.CASE_DUE_SOON) + planned(events.REPORTER_REPLIED)]
    digest = domain.digest_notification("unit:BLL-PUPR", "liaison", "2026-11-20", items, "ID", NOW)
    assert digest["template"] == "daily_digest" and digest["context"]["count"] == 2
    assert [i["template"] for i in digest["context"]["items"]] == ["case_due_soon", "reporter_replied"]


@pytest.mark.parametrize("principal, ref, allowed", [
    ({"role": "national_admin", "official_id": "n"}, "unit:BLL-PUPR", True),
    ({"role": "liaison", "official_id": "lo", "unit_code": "BLL-PUPR"}, "unit:BLL-PUPR", True),
    ({"role": "liaison", "official_id": "lo", "unit_code": "BLL-PUPR"}, "unit:LWU-PUPR", False),
    ({"role": "liaison", "official_id": "lo", "unit_code": "BLL-PUPR"}, "official:lo", True),
    ({"role": "agency_admin", "official_id": "a", "agency_code": "X"}, "agency:X", True),
    ({"role": "agency_admin", "official_id": "a", "agency_code": "X"}, "hub:ID", False),
    ({"role": "supervisor", "official_id": "s", "agency_code": "X"}, "supervisor:X", True),
])
def test_who_may_manage_a_recipients_preference(principal, ref, allowed):
    assert domain.may_manage_preference(principal, ref) is allowed

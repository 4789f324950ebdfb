"""Conversation and closure: updates, answer, replies, rating, reopen, auto-close, comments."""
from datetime import timedelta

import pytest
from marshmallow import ValidationError

from contract import events
from followup import conversation, domain, indicator, schemas
from followup.conversation import Conflict, OutOfScope

from .factories import AGENCY_ADMIN, CALENDAR, LIAISON, OTHER_LIAISON, RULES, dispositioned, make_case, utc

MONDAY = utc(2026, 11, 16, 3)
FORM = {"body": "Perbaikan dijadwalkan minggu depan.", "attachments": []}


def verified_case(now=MONDAY):
    """A case whose report the unit's liaison verified (routing's report_verified at the unit)."""
    case = make_case(now)
    verified = dispositioned(event_id="ev2", actor="lo-bll-pupr")
    return domain.on_workflow_event(events.REPORT_VERIFIED, verified, case, {}, [], CALENDAR, RULES, now, "ID")[0]


def answered(now=utc(2026, 11, 18, 3)):
    case = verified_case()
    case, _, _ = conversation.post_update(case, LIAISON, FORM, utc(2026, 11, 17, 3), "ID")
    case, message, emitted = conversation.answer(case, LIAISON, FORM, now, "ID", CALENDAR, RULES)
    return case, message, emitted


def test_update_is_the_first_response_and_an_event():
    case = make_case(MONDAY)
    changed, message, emitted = conversation.post_update(case, LIAISON, FORM, utc(2026, 11, 17, 3), "ID")
    assert changed["first_response_at"] == utc(2026, 11, 17, 3) and changed["status"] == "open"
    assert message["kind"] == "update" and message["author"] == "lo-bll-pupr"
    assert emitted[0]["event_type"] == events.CASE_UPDATED and emitted[0]["payload"]["excerpt"] == FORM["body"]


def test_only_the_holding_unit_or_agency_may_act():
    case = make_case(MONDAY)
    with pytest.raises(OutOfScope):
        conversation.post_update(case, OTHER_LIAISON, FORM, MONDAY, "ID")
    assert conversation.post_update(case, AGENCY_ADMIN, FORM, MONDAY, "ID")[0]["first_response_at"] == MONDAY


def test_answer_stops_the_clock_and_opens_the_windows():
    case, message, emitted = answered()
    assert case["status"] == "answered" and case["on_time"] is True
    assert indicator.colour(case, utc(2027, 1, 1)) == "closed_on_time"
    assert case["reopen_until"].date().isoformat() == "2026-12-02"   # 10 working days
    assert case["next_check_at"] == case["auto_close_at"]
    assert emitted[0]["event_type"] == events.CASE_ANSWERED
    with pytest.raises(Conflict):
        conversation.answer(case, LIAISON, FORM, utc(2026, 11, 19), "ID", CALENDAR, RULES)


def test_late_answer_is_closed_late():
    case, _, _ = answered(now=utc(2026, 11, 24, 3))
    assert case["on_time"] is False and indicator.colour(case, utc(2026, 11, 24, 4)) == "closed_late"


def test_rating_closes_the_case_once():
    case, _, _ = answered()
    closed, _, emitted = conversation.rate(case, {"rating": 4, "comment": "Cepat"}, utc(2026, 11, 19), "ID")
    assert closed["status"] == "closed" and closed["rating"] == 4 and closed["closed_by"] == "reporter"
    assert [e["event_type"] for e in emitted] == [events.CASE_RATED, events.CASE_CLOSED]
    assert emitted[1]["payload"]["on_time"] is True and emitted[1]["payload"]["rating"] == 4
    with pytest.raises(Conflict) as info:
        conversation.rate(closed, {"rating": 5}, utc(2026, 11, 19), "ID")
    assert info.value.field == "rating"


def test_an_open_case_cannot_be_rated():
    with pytest.raises(Conflict):
        conversation.rate(make_case(MONDAY), {"rating": 5}, MONDAY, "ID")


@pytest.mark.parametrize("rating", [0, 6, "5", None, 4.5])
def test_rating_out_of_range_is_refused_by_the_schema(rating):
    with pytest.raises(ValidationError) as info:
        schemas.RatingIn().load({"secret": "abcd1234", "rating": rating})
    assert "rating" in info.value.messages


def test_reopen_within_the_window_starts_a_new_follow_up_stage():
    case, _, _ = answered()
    closed, _, _ = conversation.rate(case, {"rating": 1}, utc(2026, 11, 19), "ID")
    reopened, _, emitted = conversation.reopen(closed, {"reason": "Jalan belum diperbaiki"}, utc(2026, 11, 20, 3),
                                               "ID", [], CALENDAR, RULES)
    assert reopened["status"] == "open" and reopened["reopen_count"] == 1 and reopened["rating"] is None
    assert reopened["stage"] == "follow_up" and reopened["stage_seq"] == case["stage_seq"] + 1
    assert reopened["due_at"].date().isoformat() == "2026-11-27" and reopened["alerts"] == []
    assert emitted[0]["event_type"] == events.CASE_REOPENED
    assert reopened["ratings"][0]["rating"] == 1  # the earlier rating is kept in the record


def test_reopen_after_the_window_is_refused():
    case, _, _ = answered()
    with pytest.raises(Conflict) as info:
        conversation.reopen(case, {"reason": "terlambat"}, case["reopen_until"] + timedelta(seconds=1), "ID", [],
                            CALENDAR, RULES)
    assert info.value.code == "reopen_window_passed"
    with pytest.raises(Conflict):
        conversation.reopen(make_case(MONDAY), {"reason": "belum dijawab"}, MONDAY, "ID", [], CALENDAR, RULES)


def test_auto_close_after_the_period_without_a_reply():
    case, _, _ = answered()
    assert domain.sweep_case(case, case["auto_close_at"], "ID") == ([], {}, [])
    kinds, changes, emitted = domain.sweep_case(case, case["auto_close_at"] + timedelta(seconds=1), "ID")
    assert kinds == ["auto_close"] and changes["status"] == "closed" and changes["closed_by"] == "system"
    assert emitted[0]["event_type"] == events.CASE_CLOSED and emitted[0]["payload"]["closed_by"] == "system"


def test_a_reply_on_an_answered_case_restarts_the_auto_close_period():
    case, _, _ = answered()
    later = case["auto_close_at"] - timedelta(days=1)
    replied, message, emitted = conversation.reporter_reply(case, {"body": "Terima kasih, tapi..."}, later, "ID",
                                                            CALENDAR, RULES)
    assert replied["auto_close_at"] > case["auto_close_at"] and message["author_role"] == "reporter"
    assert emitted[0]["event_type"] == events.REPORTER_REPLIED


def test_no_reply_on_a_closed_case():
    case, _, _ = answered()
    closed, _, _ = conversation.rate(case, {"rating": 5}, utc(2026, 11, 19), "ID")
    with pytest.raises(Conflict):
        conversation.reporter_reply(closed, {"body": "halo"}, utc(2026, 11, 20), "ID", CALENDAR, RULES)


def test_comments_only_on_public_reports_and_hidden_with_a_reason():
    public = make_case(MONDAY)
    comment, emitted = conversation.post_comment(public, {"body": "Saya juga mengalami", "name": None}, MONDAY, "ID")
    assert emitted[0]["event_type"] == events.COMMENT_POSTED
    hidden, emitted = conversation.hide_comment(public, comment, AGENCY_ADMIN, {"reason": "SARA"}, MONDAY, "ID")
    assert hidden["hidden"] and hidden["hidden_reason"] == "SARA" and hidden["body"] == comment["body"]  # kept
    assert emitted[0]["event_type"] == events.COMMENT_HIDDEN
    with pytest.raises(Conflict):
        conversation.hide_comment(public, hidden, AGENCY_ADMIN, {"reason": "lagi"}, MONDAY, "ID")
    with pytest.raises(OutOfScope):
        conversation.hide_comment(public, comment, OTHER_LIAISON, {"reason": "x"}, MONDAY, "ID")
    for confidential in (True, None):
        with pytest.raises(Conflict):
            conversation.post_comment({**public, "is_confidential": confidential}, {"body": "hai"}, MONDAY, "ID")


def test_manual_entry_already_resolved_opens_answered():
    case = make_case(MONDAY, channel="manual")
    facts = {"resolution": "Sudah diperbaiki oleh UPT sebelum diinput.", "resolved_at": utc(2026, 11, 13, 3),
             "entered_by": "lo-bll-pupr"}
    answered_case, message, emitted = conversation.answer_at_entry(case, facts, MONDAY, "ID", CALENDAR, RULES)
    assert answered_case["status"] == "answered" and answered_case["answered_at"] == utc(2026, 11, 13, 3)
    assert answered_case["on_time"] is True and message["author"] == "lo-bll-pupr"
    assert message["author_role"] == "liaison" and message["body"] == facts["resolution"]
    assert emitted[0]["event_type"] == events.CASE_ANSWERED
    future = conversation.answer_at_entry(case, {**facts, "resolved_at": utc(2027, 1, 1)}, MONDAY, "ID",
                                          CALENDAR, RULES)[0]
    assert future["answered_at"] == MONDAY  # never in the future


def test_no_answer_before_the_unit_has_verified_the_report():
    """Routing shows a report freshly dispositioned to a unit as `new`: not yet in the liaison's hands."""
    case = make_case(MONDAY)
    assert case["queue"] == "unit" and case["stage"] == "follow_up" and not domain.in_liaison_hands(case)
    with pytest.raises(Conflict) as refused:
        conversation.answer(case, LIAISON, FORM, MONDAY, "ID", CALENDAR, RULES)
    assert refused.value.code == "not_in_liaison_hands" and "penghubung" in refused.value.item["message_id"]
    # an interim update is still possible (the unit may tell the reporter it is looking at it)
    assert conversation.post_update(case, LIAISON, FORM, MONDAY, "ID")[0]["status"] == "open"


def test_answer_possible_once_verified_at_the_unit_and_not_after_a_move():
    case = verified_case()
    assert domain.in_liaison_hands(case)
    assert conversation.answer(case, AGENCY_ADMIN, FORM, MONDAY, "ID", CALENDAR, RULES)[0]["status"] == "answered"
    returned = domain.on_workflow_event(events.REPORT_RETURNED, dispositioned(event_id="ev3", queue="agency",
                                        unit_code=None), case, {}, [], CALENDAR, RULES, MONDAY, "ID")[0]
    redispositioned = domain.on_workflow_event(events.REPORT_DISPOSITIONED, dispositioned(event_id="ev4"), returned,
                                               {}, [], CALENDAR, RULES, MONDAY, "ID")[0]
    postponed = domain.on_workflow_event(events.REPORT_POSTPONED, dispositioned(event_id="ev5", until=MONDAY), case,
                                         {}, [], CALENDAR, RULES, MONDAY, "ID")[0]
    verified_at_agency = domain.on_workflow_event(events.REPORT_VERIFIED, dispositioned(
        event_id="ev6", queue="agency", unit_code=None), returned, {}, [], CALENDAR, RULES, MONDAY, "ID")[0]
    for moved in (returned, redispositioned, postponed, verified_at_agency):
        with pytest.raises(Conflict):
            conversation.answer(moved, LIAISON if moved["unit_code"] else AGENCY_ADMIN, FORM, MONDAY, "ID",
                                CALENDAR, RULES)



def test_a_case_stored_before_the_flag_is_in_hands_when_its_last_move_was_the_units_verification():
    verified = {k: v for k, v in verified_case().items() if k != "verified_at_unit"}
    opened = {k: v for k, v in make_case(MONDAY).items() if k != "verified_at_unit"}
    assert domain.in_liaison_hands(verified) and not domain.in_liaison_hands(opened)

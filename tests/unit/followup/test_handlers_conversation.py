"""The conversation's handlers on the fake unit of work: what officials and reporters change, the
events that follow, and refusals that leave the case as it was."""
from datetime import timedelta

import pytest

from contract import events
from contract.errors import ApiError
from followup import handlers

from .factories import AGENCY_ADMIN, LIAISON, OTHER_LIAISON
from .handler_support import FORM, MONDAY, TRACKING_ID, stored_case, units_with_case


def command(**fields):
    return {"tracking_id": TRACKING_ID, **fields}


def status_and_code(excinfo) -> tuple[int, str]:
    return excinfo.value.status, excinfo.value.to_dict()["errors"][0]["code"]


def answered_units():
    units, clock = units_with_case()
    clock.now = MONDAY + timedelta(days=1)
    units.run(handlers.answer, command(principal=LIAISON, form=FORM))
    return units, clock


def test_an_interim_update_is_the_first_response():
    units, clock = units_with_case()
    clock.now = MONDAY + timedelta(hours=5)
    message = units.run(handlers.post_update, command(principal=LIAISON, form=FORM))
    assert message["kind"] == "update" and message["author"] == LIAISON["official_id"]
    assert stored_case(units)["first_response_at"] == clock.now
    assert units.published[-1] == events.CASE_UPDATED


def test_an_official_of_another_unit_may_not_act_and_nothing_is_written():
    units, _ = units_with_case()
    before = stored_case(units)
    with pytest.raises(ApiError) as excinfo:
        units.run(handlers.post_update, command(principal=OTHER_LIAISON, form=FORM))
    assert excinfo.value.status == 403
    assert stored_case(units) == before and units.published[-1] == events.CASE_OPENED


def test_a_case_not_yet_verified_at_the_unit_cannot_be_answered():
    units, _ = units_with_case(verified=False)
    with pytest.raises(ApiError) as excinfo:
        units.run(handlers.answer, command(principal=LIAISON, form=FORM))
    assert status_and_code(excinfo) == (409, "not_in_liaison_hands")


def test_the_answer_stops_the_clock_and_opens_the_rating_window():
    units, clock = answered_units()
    case = stored_case(units)
    assert case["status"] == "answered" and case["answered_at"] == clock.now and case["on_time"] is True
    assert case["next_check_at"] == case["auto_close_at"] > clock.now
    assert units.published[-1] == events.CASE_ANSWERED


def test_a_reporters_reply_on_an_answered_case_restarts_the_auto_close_period():
    units, clock = answered_units()
    before = stored_case(units)["auto_close_at"]
    clock.now += timedelta(days=3)
    message = units.run(handlers.reporter_reply, command(form={"body": "Belum diperbaiki.", "secret": "x"}))
    assert message["author_role"] == "reporter" and stored_case(units)["auto_close_at"] > before
    assert units.published[-1] == events.REPORTER_REPLIED


def test_rating_closes_the_case():
    units, _ = answered_units()
    shown = units.run(handlers.rate, command(form={"rating": 4, "comment": None, "secret": "x"}, lang="en"))
    assert shown["status"] == "closed" and shown["rating"] == 4
    assert units.published[-2:] == [events.CASE_RATED, events.CASE_CLOSED]


def test_an_open_case_cannot_be_rated():
    units, _ = units_with_case()
    with pytest.raises(ApiError) as excinfo:
        units.run(handlers.rate, command(form={"rating": 4, "secret": "x"}))
    assert status_and_code(excinfo) == (409, "not_answered")


def test_the_reporter_reopens_within_the_window_and_not_after():
    units, clock = answered_units()
    shown = units.run(handlers.reopen, command(form={"reason": "Tidak puas", "secret": "x"}))
    assert shown["status"] == "open" and stored_case(units)["reopen_count"] == 1
    assert units.published[-1] == events.CASE_REOPENED
    units, clock = answered_units()
    clock.now += timedelta(days=60)
    with pytest.raises(ApiError) as excinfo:
        units.run(handlers.reopen, command(form={"reason": "Terlambat", "secret": "x"}))
    assert status_and_code(excinfo) == (409, "reopen_window_passed")


def test_public_comments_only_on_public_reports():
    units, _ = units_with_case()
    comment = units.run(handlers.post_comment, command(form={"name": None, "body": "Saya juga melihatnya."}))
    assert comment["hidden"] is False and units.published[-1] == events.COMMENT_POSTED
    units, _ = units_with_case(confidential=True)
    with pytest.raises(ApiError) as excinfo:
        units.run(handlers.post_comment, command(form={"name": None, "body": "Rahasia?"}))
    assert status_and_code(excinfo) == (409, "comments_not_allowed")


def test_hiding_a_comment_once_by_the_holding_agency():
    units, _ = units_with_case()
    comment = units.run(handlers.post_comment, command(form={"name": "Ani", "body": "Kata kasar"}))
    hide = command(comment_id=comment["_id"], form={"reason": "abusive"})
    with pytest.raises(ApiError) as excinfo:
        units.run(handlers.hide_comment, {**hide, "principal": OTHER_LIAISON})
    assert excinfo.value.status == 403
    hidden = units.run(handlers.hide_comment, {**hide, "principal": AGENCY_ADMIN})
    assert hidden["hidden"] is True and hidden["hidden_by"] == AGENCY_ADMIN["official_id"]
    assert units.published[-1] == events.COMMENT_HIDDEN
    with pytest.raises(ApiError) as excinfo:
        units.run(handlers.hide_comment, {**hide, "principal": AGENCY_ADMIN})
    assert status_and_code(excinfo) == (409, "already_hidden")
    with pytest.raises(ApiError) as excinfo:
        units.run(handlers.hide_comment, {**hide, "comment_id": "cmt_nope", "principal": AGENCY_ADMIN})
    assert excinfo.value.status == 404


def test_find_case_refuses_a_malformed_id_and_a_report_without_case():
    units, _ = units_with_case()
    with pytest.raises(ApiError) as excinfo:
        units.read(handlers.find_case, "not-an-id")
    assert status_and_code(excinfo) == (400, "invalid")
    with pytest.raises(ApiError) as excinfo:
        units.read(handlers.find_case, "ID-3CXQJ-2MD0Z")
    assert excinfo.value.status == 404
    assert units.read(handlers.find_case, TRACKING_ID.lower())["tracking_id"] == TRACKING_ID

"""The conversation on a case and its closure (``followup.conversation`` holds the rules): an
official's interim update and final answer, the reporter's reply, rating and reopening, public
comments and their moderation.  Commands are dicts: ``tracking_id``, ``form`` (loaded through
its schema) and, for officials, ``principal``."""
from __future__ import annotations

from contract import errors, i18n
from contract.errors import translated
from followup import conversation, views
from followup.conversation import Conflict, OutOfScope
from followup.handlers.common import change, find_case, work_calendar
from followup.settings import conflict, out_of_scope

TEXTS = i18n.of_service("followup")  # error texts: ``api.case.*`` (contract.i18n)

DISCUSSION_CLOSED = Conflict(translated("body", "comments_not_allowed", TEXTS, "api.case.discussion_closed"))


def post_update(uow, command: dict) -> dict:
    """An official's interim update (counts as the first response); the stored message."""
    s, now = uow.settings, uow.now()
    return change(uow, command["tracking_id"], lambda case: conversation.post_update(
        case, command["principal"], command["form"], now, s.hub))[1]


def answer(uow, command: dict) -> dict:
    """An official's final answer: stops the clock, opens the rating/reopen window; the message."""
    s, now, calendar = uow.settings, uow.now(), work_calendar(uow)
    return change(uow, command["tracking_id"], lambda case: conversation.answer(
        case, command["principal"], command["form"], now, s.hub, calendar, s.rules))[1]


def reporter_reply(uow, command: dict) -> dict:
    """The reporter adds information (the secret checked by the entrypoint); the message."""
    s, now, calendar = uow.settings, uow.now(), work_calendar(uow)
    return change(uow, command["tracking_id"], lambda case: conversation.reporter_reply(
        case, command["form"], now, s.hub, calendar, s.rules))[1]


def rate(uow, command: dict) -> dict:
    """The reporter rates the answer, which closes the case; the case as officials see it."""
    s, now = uow.settings, uow.now()
    case = change(uow, command["tracking_id"], lambda case: conversation.rate(case, command["form"], now, s.hub))[0]
    return views.case_out(case, now, command.get("lang", "id"))


def reopen(uow, command: dict) -> dict:
    """The reporter reopens an answered or closed case within the window; the case as officials see it."""
    s, now, calendar = uow.settings, uow.now(), work_calendar(uow)
    policies = uow.calendar.policies()
    case = change(uow, command["tracking_id"], lambda case: conversation.reopen(
        case, command["form"], now, s.hub, policies, calendar, s.rules))[0]
    return views.case_out(case, now, command.get("lang", "id"))


REPORTER_ACTIONS = {"reply": reporter_reply, "rate": rate, "reopen": reopen}


def post_comment(uow, command: dict) -> dict:
    """A public comment on a report known not to be confidential; the stored comment."""
    case = find_case(uow, command["tracking_id"])
    try:
        comment, emitted = conversation.post_comment(case, command["form"], uow.now(), uow.settings.hub)
    except Conflict as exc:
        raise conflict(exc)
    uow.comments.add(comment)
    uow.stage(emitted)
    return comment


def hide_comment(uow, command: dict) -> dict:
    """Moderation: the agency hides a comment with a reason (kept for the audit trail)."""
    case = find_case(uow, command["tracking_id"])
    comment = uow.comments.get(command["comment_id"])
    if comment is None or comment["case_id"] != case["_id"]:
        raise errors.not_found("comment_id", "Comment")
    try:
        hidden, emitted = conversation.hide_comment(case, comment, command["principal"], command["form"],
                                                    uow.now(), uow.settings.hub)
    except Conflict as exc:
        raise conflict(exc)
    except OutOfScope:
        raise out_of_scope()
    uow.comments.hide(comment, hidden)
    uow.stage(emitted)
    return hidden

"""The conversation on a case and its closure: interim updates, the final answer, the
reporter's replies, the rating, reopening, public comments and their moderation.

Each function checks that the transition is allowed (else :class:`Conflict`, HTTP 409) and
returns the changed case, the stored record (message/comment) and the events to emit.
"""
from __future__ import annotations

import secrets
from datetime import datetime

from contract import events, i18n
from contract.errors import translated
from followup import domain
from followup.calendar import WorkCalendar
from followup.domain import case_fields
from followup.indicator import Rules

TEXTS = i18n.of_service("followup")  # error texts: ``api.case.*`` (contract.i18n)

EXCERPT = 140


class Conflict(Exception):
    """The transition is not allowed in the case's current state."""

    def __init__(self, item: dict):
        """``item``: the contract's error item (``errors.translated``: field, code, both texts)."""
        super().__init__(item["message"])
        self.item, self.code, self.field = item, item["code"], item["field"]


class OutOfScope(Exception):
    """The official's unit/agency does not hold the case."""


def may_act(case: dict, principal: dict) -> bool:
    """Liaisons act for their unit's cases, agency admins for their agency's, national admins for all."""
    role = principal["role"]
    if role == "national_admin":
        return True
    if role == "liaison":
        return bool(case.get("unit_code")) and principal.get("unit_code") == case.get("unit_code")
    return bool(case.get("agency_code")) and principal.get("agency_code") == case.get("agency_code")


def _require_open(case: dict, action: str) -> None:
    if case["status"] != "open":
        raise Conflict(translated(None, "not_open", TEXTS, "api.case.not_open_for", status=case['status'],
                                  action=action))


def _message(case: dict, kind: str, author_role: str, author: str | None, body: str,
             attachments: list[dict], now: datetime) -> dict:
    return {"_id": "msg_" + secrets.token_hex(8), "case_id": case["_id"], "tracking_id": case["tracking_id"],
            "kind": kind, "author_role": author_role, "author": author, "body": body,
            "attachments": attachments, "at": now}


def _message_event(event_type: str, case: dict, message: dict, hub: str) -> dict:
    return events.build(event_type, hub=hub, **case_fields(case), message_id=message["_id"],
                        author_role=message["author_role"], excerpt=message["body"][:EXCERPT],
                        has_attachments=bool(message["attachments"]),
                        body=None if message["author_role"] == "reporter" else message["body"])


def _entry(step: str, now: datetime, actor: str | None, **detail) -> dict:
    return {"step": step, "at": now, "actor": actor, "detail": detail}


def post_update(case: dict, principal: dict, form: dict, now: datetime, hub: str):
    """An interim update from the unit (counts as the first response)."""
    if not may_act(case, principal):
        raise OutOfScope()
    _require_open(case, "updates")
    message = _message(case, "update", principal["role"], principal["official_id"], form["body"],
                       form["attachments"], now)
    changed = {**case, "first_response_at": case.get("first_response_at") or now,
               "history": case["history"] + [_entry("case_updated", now, principal["official_id"],
                                                    message_id=message["_id"])]}
    return changed, message, [_message_event(events.CASE_UPDATED, changed, message, hub)]


def answer(case: dict, principal: dict, form: dict, now: datetime, hub: str, calendar: WorkCalendar,
           rules: Rules):
    """The final answer: stops the clock, opens the rating/reopen window and the auto-close timer."""
    if not may_act(case, principal):
        raise OutOfScope()
    _require_open(case, "an answer")
    if not domain.in_liaison_hands(case):
        raise Conflict(translated(None, "not_in_liaison_hands", TEXTS, "api.case.not_in_liaison_hands"))
    message = _message(case, "answer", principal["role"], principal["official_id"], form["body"],
                       form["attachments"], now)
    return _answered(case, message, now, hub, calendar, rules)


def answer_at_entry(case: dict, facts: dict, now: datetime, hub: str, calendar: WorkCalendar, rules: Rules):
    """Seed 003: a manual-channel report the unit already resolved comes with its answer,
    entered by the liaison at the same time; the case opens already answered."""
    at = min(facts.get("resolved_at") or now, now)
    message = _message(case, "answer", "liaison", facts.get("entered_by"), facts["resolution"], [], at)
    return _answered(case, message, at, hub, calendar, rules)


def _answered(case: dict, message: dict, now: datetime, hub: str, calendar: WorkCalendar, rules: Rules):
    tz, region = case["timezone"], case.get("region_code")
    changed = {**case, "status": "answered", "answered_at": now, "first_response_at": case.get("first_response_at") or now,
               "on_time": now <= case["due_at"], "overall_on_time": now <= case["overall_due_at"],
               "reopen_until": calendar.add_working_days(now, rules.reopen_window_working_days, tz, region),
               "auto_close_at": calendar.add_working_days(now, rules.auto_close_working_days, tz, region),
               "history": case["history"] + [_entry("case_answered", now, message["author"],
                                                    message_id=message["_id"])]}
    changed["next_check_at"] = changed["auto_close_at"]
    return changed, message, [_message_event(events.CASE_ANSWERED, changed, message, hub)]


def reporter_reply(case: dict, form: dict, now: datetime, hub: str, calendar: WorkCalendar, rules: Rules):
    """The reporter adds information; on an answered case it restarts the auto-close period."""
    if case["status"] not in ("open", "answered"):
        raise Conflict(translated(None, "not_open", TEXTS, "api.case.closed"))
    message = _message(case, "reply", "reporter", None, form["body"], form.get("attachments", []), now)
    changed = {**case, "history": case["history"] + [_entry("reporter_replied", now, "reporter",
                                                            message_id=message["_id"])]}
    if case["status"] == "answered":
        changed["auto_close_at"] = calendar.add_working_days(now, rules.auto_close_working_days, case["timezone"],
                                                             case.get("region_code"))
        changed["next_check_at"] = changed["auto_close_at"]
    return changed, message, [_message_event(events.REPORTER_REPLIED, changed, message, hub)]


def rate(case: dict, form: dict, now: datetime, hub: str):
    """The reporter rates the final answer (1-5); this closes the case."""
    if case["status"] != "answered":
        raise Conflict(translated("rating", "not_answered", TEXTS, "api.case.not_rateable"))
    rated = {**case, "rating": form["rating"], "rating_comment": form.get("comment"),
             "ratings": case.get("ratings", []) + [{"rating": form["rating"], "comment": form.get("comment"), "at": now}]}
    rated["history"] = case["history"] + [_entry("case_rated", now, "reporter", rating=form["rating"])]
    closed = domain.close(rated, now, "reporter", "case_closed", rating=form["rating"])
    rated_event = events.build(events.CASE_RATED, hub=hub, **case_fields(closed), rating=form["rating"],
                               comment=form.get("comment"))
    return closed, None, [rated_event, domain.closed_event(closed, hub)]


def reopen(case: dict, form: dict, now: datetime, hub: str, policies: list[dict], calendar: WorkCalendar,
           rules: Rules):
    """The unsatisfied reporter reopens an answered or closed case within the window."""
    if case["status"] not in ("answered", "closed") or not case.get("reopen_until"):
        raise Conflict(translated(None, "not_reopenable", TEXTS, "api.case.not_reopenable"))
    if now > case["reopen_until"]:
        raise Conflict(translated(None, "reopen_window_passed", TEXTS, "api.case.reopen_period_over"))
    base = {**case, "status": "open", "answered_at": None, "closed_at": None, "closed_by": None, "on_time": None,
            "overall_on_time": None, "rating": None, "reopen_until": None, "auto_close_at": None,
            "reopen_count": case.get("reopen_count", 0) + 1}
    reopened = domain.start_stage(base, "follow_up", now, policies, calendar, rules)
    reopened["history"] = case["history"] + [_entry("case_reopened", now, "reporter", reason=form.get("reason"),
                                                    due_at=reopened["due_at"])]
    event = events.build(events.CASE_REOPENED, hub=hub, **case_fields(reopened), reason=form.get("reason"))
    return reopened, None, [event]


def post_comment(case: dict, form: dict, now: datetime, hub: str):
    """A public comment; only on reports that are known not to be confidential."""
    if case.get("is_confidential") is not False:
        raise Conflict(translated(None, "comments_not_allowed", TEXTS, "api.case.not_public"))
    if case["status"] == "archived":
        raise Conflict(translated(None, "not_open", TEXTS, "api.case.archived"))
    comment = {"_id": "cmt_" + secrets.token_hex(8), "case_id": case["_id"], "tracking_id": case["tracking_id"],
               "name": form.get("name") or None, "body": form["body"], "at": now, "hidden": False,
               "hidden_reason": None, "hidden_by": None, "hidden_at": None}
    event = events.build(events.COMMENT_POSTED, hub=hub, **case_fields(case), comment_id=comment["_id"])
    return comment, [event]


def hide_comment(case: dict, comment: dict, principal: dict, form: dict, now: datetime, hub: str):
    """The agency hides a comment with a reason; the comment is kept for the audit trail."""
    if not may_act(case, principal):
        raise OutOfScope()
    if comment["hidden"]:
        raise Conflict(translated(None, "already_hidden", TEXTS, "api.case.comment_hidden"))
    hidden = {**comment, "hidden": True, "hidden_reason": form["reason"], "hidden_by": principal["official_id"],
              "hidden_at": now}
    event = events.build(events.COMMENT_HIDDEN, hub=hub, **case_fields(case), comment_id=comment["_id"],
                         reason=form["reason"])
    return hidden, [event]


def may_read(case: dict, principal: dict) -> bool:
    """Supervisors read their agency's cases; others read what they may act on."""
    if principal["role"] == "supervisor":
        return bool(case.get("agency_code")) and principal.get("agency_code") == case.get("agency_code")
    return may_act(case, principal)

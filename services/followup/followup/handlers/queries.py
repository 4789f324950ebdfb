"""What officials, reporters and the public read: a case, the inbox, the summary, the
conversation and the comments, and what the pages show (read-only units: ``store.read``)."""
from __future__ import annotations

from contract import errors, i18n
from contract.errors import translated
from followup import conversation, indicator, schemas, views
from followup.conversation import Conflict
from followup.handlers.common import find_case
from followup.settings import conflict, out_of_scope

TEXTS = i18n.of_service("followup")  # error texts: ``api.case.*`` (contract.i18n)

ACTORS = ("liaison", "agency_admin", "national_admin")
NOT_PUBLIC = Conflict(translated(None, "comments_not_allowed", TEXTS, "api.case.report_not_public"))


def case_view(uow, tracking_id: str, lang: str = "id") -> dict:
    """The public view of a case: deadlines, indicator and history, never people or text."""
    return views.case_view(find_case(uow, tracking_id), uow.now(), lang)


def case_for_report(uow, tracking_id: str) -> dict | None:
    """The case of a report as officials see it, or None."""
    case = uow.cases.get(tracking_id)
    return None if case is None else views.case_out(case, uow.now())


def inbox(uow, query: dict) -> dict:
    """The cases in an official's scope (``query``: scope, status, indicator, limit, offset, lang)."""
    now = uow.now()
    found = uow.cases.inbox(query["scope"], query["status"], query["indicator"], now, query["limit"], query["offset"])
    return {"cases": [views.case_out(c, now, query.get("lang", "id")) for c in found],
            "limit": query["limit"], "offset": query["offset"]}


def summary(uow, scope: dict | None, exact: bool = False) -> dict:
    """Counts per colour for ``{"agency_code": ...}`` and/or ``{"unit_code": ...}``: from the tallies
    (as of the last sweep, any store size) or, ``exact``, counted at the clock."""
    scope = {k: v for k, v in (scope or {}).items() if k in ("agency_code", "unit_code") and v}
    now = uow.now()
    counts = uow.cases.exact_summary(scope, now) if exact else uow.cases.summary(scope)
    return schemas.SummaryOut().dump({"scope": scope, "at": now, "exact": bool(exact), "counts": counts})


def messages(uow, case: dict, principal: dict | None) -> list[dict]:
    """The conversation: for the reporter (``principal`` None, the secret checked by the caller) or
    an official who may read the case."""
    if principal is not None and not conversation.may_read(case, principal):
        raise out_of_scope()
    return schemas.MessageOut(many=True).dump(uow.messages.of_case(case["_id"]))


def comments(uow, tracking_id: str) -> list[dict]:
    """A public report's comments (hidden ones keep their place and reason, not their text)."""
    case = find_case(uow, tracking_id)
    if case.get("is_confidential") is not False:
        raise conflict(NOT_PUBLIC)
    return schemas.CommentOut(many=True).dump(
        [views.public_comment(c) for c in uow.comments.of_case(case["_id"], include_hidden=True)])


def open_cases(uow) -> int:
    return uow.cases.open_count()


# --- behind the pages ------------------------------------------------------------------------
def tracking_page(uow, tracking_id: str, lang: str, verified: bool) -> dict:
    """The tracking page's part of the case: deadline and history, the conversation for the
    verified reporter, and which of the reporter's actions are open."""
    case, now = uow.cases.get(tracking_id), uow.now()
    messages_ = schemas.MessageOut(many=True).dump(uow.messages.of_case(case["_id"])) if case and verified else []
    return {"case": views.case_view(case, now, lang) if case else None, "messages": messages_,
            "can_reopen": bool(case and case["status"] in ("answered", "closed") and case.get("reopen_until")
                               and now <= case["reopen_until"]),
            "can_rate": bool(case and case["status"] == "answered"),
            "can_reply": bool(case and case["status"] in ("open", "answered"))}


def public_page(uow, tracking_id: str, lang: str) -> dict:
    """A public report's page: the case and its moderated discussion."""
    case = uow.cases.get(tracking_id)
    shown = []
    if case:
        shown = schemas.CommentOut(many=True).dump(
            [views.public_comment(c) for c in uow.comments.of_case(case["_id"], include_hidden=True)])
    return {"case": views.case_out(case, uow.now(), lang) if case else None, "comments": shown,
            "discussion_open": bool(case and case.get("is_confidential") is False and case["status"] != "archived")}


def readable_case(uow, principal: dict, tracking_id: str) -> dict:
    """The case if this official may read it; 404 otherwise (its existence is not revealed)."""
    case = find_case(uow, tracking_id)
    if not conversation.may_read(case, principal):
        raise errors.not_found("tracking_id", "Case")
    return case


def official_case_page(uow, principal: dict, tracking_id: str, lang: str) -> dict:
    """An official's case page: the case, its conversation, its comments, whether they may act."""
    case = readable_case(uow, principal, tracking_id)
    return {"case": views.case_view(case, uow.now(), lang),
            "messages": schemas.MessageOut(many=True).dump(uow.messages.of_case(case["_id"])),
            "comments": uow.comments.of_case(case["_id"], include_hidden=True)
            if case.get("is_confidential") is False else None,
            "may_act": conversation.may_act(case, principal) and principal["role"] in ACTORS,
            "names": uow.names.current()}


def dashboard(uow, principal: dict, lang: str) -> dict:
    """An agency's or unit's counts per colour at the clock and its overdue cases."""
    scope, now = views.scope_of(principal), uow.now()
    overdue = [views.case_out(c, now, lang) for c in uow.cases.inbox(scope, "open", indicator.RED, now, 50, 0)]
    return {"summary": summary(uow, scope, exact=True), "overdue": overdue, "scope": scope,
            "zone": uow.settings.hub, "names": uow.names.current()}  # the counting time in the hub's own zone (a hub code is a region code)

"""Officials' follow-up pages (followup owns the case conversation): a case with its deadlines,
history, interim updates and final answer, and moderation of its public comments; the
agency/unit dashboard (counts per colour, overdue cases). The same scope checks as the API
(``conversation.may_read``/``may_act``, ``views.scope_of``/``summary_scope``) through the
same helpers (``_case``, ``_post_update``, ``_answer``, ``_hide_comment``)."""
from __future__ import annotations

from marshmallow import ValidationError
from nameko.web.handlers import http

from contract import errors
from contract.errors import ApiError
from contract.officials_web import official_page
from followup import conversation, schemas, views
from followup.indicator import RED

OFFICIALS = ("liaison", "agency_admin", "supervisor", "national_admin")
ACTORS = ("liaison", "agency_admin", "national_admin")


class FollowupOfficialPages:
    """Mixed into FollowupService; needs ``official_web``, ``auth``, ``cases``, ``clock``."""

    @http("GET", "/petugas/kasus/<string:tracking_id>")
    @official_page(OFFICIALS)
    def case_page(self, request, page, principal, tracking_id):
        return self._render_case(page, principal, tracking_id, {}, request.args.get("notice"))

    @http("POST", "/petugas/kasus/<string:tracking_id>/<string:kind>")
    @official_page(ACTORS)
    def case_post(self, request, page, principal, tracking_id, kind):
        write = {"perkembangan": self._post_update, "jawaban": self._answer}.get(kind)
        if write is None:
            raise errors.not_found("kind", "Page")
        self._readable_case(principal, tracking_id)
        try:
            write(principal, tracking_id, {"body": request.form.get("body", "").strip()})
        except (ValidationError, ApiError) as exc:
            if isinstance(exc, ApiError) and exc.status in (404, 503):
                raise
            return self._render_case(page, principal, tracking_id, {kind: page.field_errors(exc)}, None,
                                     exc.status if isinstance(exc, ApiError) else 400)
        return page.redirect(f"/petugas/kasus/{tracking_id}?notice={kind}")

    @http("POST", "/petugas/kasus/<string:tracking_id>/komentar/<string:comment_id>/sembunyikan")
    @official_page(ACTORS)
    def hide_comment_page(self, request, page, principal, tracking_id, comment_id):
        self._readable_case(principal, tracking_id)
        try:
            self._hide_comment(principal, tracking_id, comment_id, {"reason": request.form.get("reason", "").strip()})
        except (ValidationError, ApiError) as exc:
            if isinstance(exc, ApiError) and exc.status in (404, 503):
                raise
            return self._render_case(page, principal, tracking_id, {comment_id: page.field_errors(exc)}, None,
                                     exc.status if isinstance(exc, ApiError) else 400)
        return page.redirect(f"/petugas/kasus/{tracking_id}?notice=hidden#comments")

    @http("GET", "/petugas/dasbor")
    @official_page(OFFICIALS)
    def dashboard_page(self, request, page, principal):
        scope, now = views.scope_of(principal), self.clock()
        summary = self.summary(scope, exact=True)
        overdue = [views.case_out(c, now, page.lang) for c in self.cases.inbox(scope, "open", RED, now, 50, 0)]
        return page.render("dashboard.html", summary=summary, overdue=overdue, scope=scope)

    def _readable_case(self, principal, tracking_id) -> dict:
        """The case if this official may read it; 404 otherwise (existence not revealed)."""
        case = self._case(tracking_id)
        if not conversation.may_read(case, principal):
            raise errors.not_found("tracking_id", "Case")
        return case

    def _render_case(self, page, principal, tracking_id, form_errors, notice, status=200):
        case = self._readable_case(principal, tracking_id)
        now = self.clock()
        comments = self.cases.comments(case["_id"], include_hidden=True) if case.get("is_confidential") is False else None
        return page.render("case.html", status=status, case=views.case_view(case, now, page.lang),
                           messages=schemas.MessageOut(many=True).dump(self.cases.messages(case["_id"])),
                           comments=comments, may_act=conversation.may_act(case, principal) and
                           principal["role"] in ACTORS, form_errors=form_errors, notice=notice)

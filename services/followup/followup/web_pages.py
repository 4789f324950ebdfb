"""Followup's pages for citizens and the public (docs/web.md): the tracking page (status and
timeline from intake over RPC; deadline, indicator and conversation from the case) with the
reporter's actions, and a public report's page with its moderated discussion."""
from __future__ import annotations

import eventlet
from marshmallow import ValidationError
from nameko.web.handlers import http
from werkzeug.wrappers import Response

from contract import errors, web as weblayer
from contract.ids import parse_tracking_id
from contract.registry_names import registry_names
from followup import conversation, schemas, views
from followup.conversation import Conflict
from followup.settings import conflict, rules_from_config

NOTICES = ("replied", "rated", "reopened", "evidence_added", "unlocked", "forgotten", "commented")
ERRORS = ("secret", "evidence_invalid", "evidence_too_many")


class CitizenCasePages:
    """Mixed into FollowupService; needs ``self.web``, ``self.cases``, ``self.intake``,
    ``self.clock``, ``self.config``, ``self._change`` and ``self._calendar``."""

    @http("GET", "/lacak")
    @weblayer.html
    def lookup_page(self, request):
        page = self.web.page(request)
        typed = (request.args.get("id") or "").strip()
        if typed:
            canonical = parse_tracking_id(typed)
            if canonical:
                return page.redirect(f"/lacak/{canonical}")
            return page.render("lookup.html", status=400, typed=typed,
                               errors={"id": page._("lookup.invalid")})
        return page.render("lookup.html", typed="", errors={})

    @http("GET", "/lacak/<string:tracking_id>")
    @weblayer.html
    def tracking_page(self, request, tracking_id):
        page = self.web.page(request)
        canonical = self._canonical(tracking_id)
        if canonical != tracking_id:
            return page.redirect(f"/lacak/{canonical}")
        try:
            return self._tracking(page, canonical, {})
        except weblayer.NotFoundPage:
            # a report filed at another hub: its page is at that hub (found from the code in the ID)
            with eventlet.Timeout(float(self.config.get("INTAKE_RPC_TIMEOUT", 5)), False):
                elsewhere = self.intake.tracking_page_elsewhere(canonical)
                if elsewhere:
                    return weblayer.secure(Response("", status=307, headers={"Location": elsewhere}))
            raise

    @http("POST", "/lacak/<string:tracking_id>/kunci")
    @weblayer.html
    def unlock(self, request, tracking_id):
        page = self.web.page(request)
        page.check_csrf()
        canonical = self._canonical(tracking_id)
        secret = (request.form.get("secret") or "").strip()
        report = self._report(canonical, page.lang, secret)
        if not report["reporter_verified"]:
            return self._tracking(page, canonical, {"secret": page._("track.wrong_secret")}, status=403)
        page.remember_reporter_key(canonical, secret)
        return page.redirect(f"/lacak/{canonical}?notice=unlocked")

    @http("POST", "/lacak/<string:tracking_id>/lupakan")
    @weblayer.html
    def forget(self, request, tracking_id):
        page = self.web.page(request)
        page.check_csrf()
        canonical = self._canonical(tracking_id)
        page.forget_reporter_key(canonical)
        return page.redirect(f"/lacak/{canonical}?notice=forgotten")

    @http("POST", "/lacak/<string:tracking_id>/balas")
    @weblayer.html
    def reply(self, request, tracking_id):
        return self._reporter_action(request, tracking_id, "reply", schemas.ReplyIn,
                                     {"body": (request.form.get("body") or "").strip()}, "replied")

    @http("POST", "/lacak/<string:tracking_id>/nilai")
    @weblayer.html
    def rate(self, request, tracking_id):
        rating = request.form.get("rating") or ""
        body = {"rating": int(rating) if rating.isdigit() else rating or None,
                "comment": (request.form.get("comment") or "").strip() or None}
        return self._reporter_action(request, tracking_id, "rate", schemas.RatingIn, body, "rated")

    @http("POST", "/lacak/<string:tracking_id>/buka-kembali")
    @weblayer.html
    def reopen(self, request, tracking_id):
        return self._reporter_action(request, tracking_id, "reopen", schemas.ReopenIn,
                                     {"reason": (request.form.get("reason") or "").strip()}, "reopened")

    @http("GET", "/laporan/<string:tracking_id>")
    @weblayer.html
    def public_report_page(self, request, tracking_id):
        page = self.web.page(request)
        canonical = self._canonical(tracking_id)
        return self._public(page, canonical, {}, {})

    @http("POST", "/laporan/<string:tracking_id>/komentar")
    @weblayer.html
    def comment(self, request, tracking_id):
        page = self.web.page(request)
        page.check_csrf()
        canonical = self._canonical(tracking_id)
        values = {"name": (request.form.get("name") or "").strip() or None,
                  "body": (request.form.get("body") or "").strip()}
        case = self.cases.get(canonical)
        try:
            form = schemas.CommentIn().load(values)
            if case is None:
                raise conflict(Conflict("comments_not_allowed", "The discussion opens once the report is followed up.",
                                        "Diskusi dibuka setelah laporan ditindaklanjuti.", "body"))
            comment, emitted = conversation.post_comment(case, form, self.clock(), self.config["HUB_CODE"])
        except Conflict as exc:
            return self._public(page, canonical, page.field_errors(conflict(exc)), values, status=409)
        except (errors.ApiError, ValidationError) as exc:
            return self._public(page, canonical, page.field_errors(exc), values, status=getattr(exc, "status", 400))
        self.cases.add_comment(comment, emitted)
        return page.redirect(f"/laporan/{canonical}?notice=commented#diskusi")

    # --- helpers ---------------------------------------------------------------------------
    def _canonical(self, tracking_id: str) -> str:
        canonical = parse_tracking_id(tracking_id)
        if canonical is None:
            raise weblayer.NotFoundPage()
        return canonical

    def _report(self, tracking_id: str, lang: str, secret: str | None) -> dict:
        """intake's view of the report (status, timeline, names; text when allowed)."""
        try:
            with eventlet.Timeout(float(self.config.get("INTAKE_RPC_TIMEOUT", 5))):
                report = self.intake.page_view(tracking_id, lang, secret)
        except eventlet.Timeout:
            raise weblayer.UnavailablePage()
        if report is None:
            raise weblayer.NotFoundPage()
        return report

    def _reporter_action(self, request, tracking_id, action, schema, body, notice):
        page = self.web.page(request)
        page.check_csrf()
        canonical = self._canonical(tracking_id)
        secret = page.reporter_key(canonical) or (request.form.get("secret") or "").strip()
        try:
            form = schema().load({**body, "secret": secret or "----"})
            self._verify_reporter(canonical, form["secret"])
            rules, calendar = rules_from_config(self.config), self._calendar()
            now, hub = self.clock(), self.config["HUB_CODE"]
            if action == "reply":
                decide = lambda c: conversation.reporter_reply(c, form, now, hub, calendar, rules)  # noqa: E731
            elif action == "rate":
                decide = lambda c: conversation.rate(c, form, now, hub)  # noqa: E731
            else:
                policies = self.cases.policies()
                decide = lambda c: conversation.reopen(c, form, now, hub, policies, calendar, rules)  # noqa: E731
            self._case(canonical)
            self._change(canonical, decide)
        except (errors.ApiError, ValidationError) as exc:
            found = page.field_errors(exc)
            if "form" in found and action == "rate":
                found["rating"] = found.pop("form")
            return self._tracking(page, canonical, found, values=body, status=getattr(exc, "status", 400))
        return page.redirect(f"/lacak/{canonical}?notice={notice}")

    def _tracking(self, page, tracking_id: str, field_errors: dict, values=None, status: int = 200):
        secret = page.reporter_key(tracking_id)
        report = self._report(tracking_id, page.lang, secret)
        case = self.cases.get(tracking_id)
        now = self.clock()
        shown = views.case_view(case, now, page.lang) if case else None
        messages = []
        if case and report["reporter_verified"]:
            messages = schemas.MessageOut(many=True).dump(self.cases.messages(case["_id"]))
        notice = page.request.args.get("notice")
        error = page.request.args.get("error")
        names = registry_names(self.routing, page.lang) if report.get("assignment") else {}
        return page.render("tracking.html", status=status, report=report, case=shown, messages=messages,
                           agency_names=names.get("agencies", {}), unit_names=names.get("units", {}),
                           verified=report["reporter_verified"], errors=field_errors, values=values or {},
                           notice=notice if notice in NOTICES else None, error=error if error in ERRORS else None,
                           can_reopen=bool(case and case["status"] in ("answered", "closed") and case.get("reopen_until")
                                           and now <= case["reopen_until"]),
                           can_rate=bool(case and case["status"] == "answered"),
                           can_reply=bool(case and case["status"] in ("open", "answered")))

    def _public(self, page, tracking_id: str, field_errors: dict, values: dict, status: int = 200):
        report = self._report(tracking_id, page.lang, None)
        if not report["is_public"]:
            raise weblayer.NotFoundPage()
        case = self.cases.get(tracking_id)
        comments = []
        if case:
            comments = schemas.CommentOut(many=True).dump(
                [views.public_comment(c) for c in self.cases.comments(case["_id"], include_hidden=True)])
        notice = page.request.args.get("notice")
        return page.render("public_report.html", status=status, report=report,
                           case=views.case_out(case, self.clock(), page.lang) if case else None, comments=comments,
                           errors=field_errors, values=values, notice=notice if notice in NOTICES else None,
                           discussion_open=bool(case and case.get("is_confidential") is False
                                                and case["status"] != "archived"))

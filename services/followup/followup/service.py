"""Follow-up entrypoints: every dispositioned report's case, from its deadline to its closure.

Entrypoints only: each loads what enters through a schema, runs a handler (``handlers``) through
the store (one unit of work) and dumps or renders the result.  Talking to intake (reporters'
secrets, the report a page shows) stays here, where the RPC proxy is; names come from the store's
copy of the registry's names (contract.registry_names, kept from ``registry_updated``)."""
from __future__ import annotations

from pathlib import Path

import eventlet
from marshmallow import ValidationError
from nameko.dependency_providers import Config
from nameko.timer import timer
from werkzeug.wrappers import Response

from contract import errors, events
from contract.auth import Auth, reporter_verified
from contract.batch import event_batches, handle_batch
from contract.ids import parse_tracking_id
from contract.http import HealthAndMetrics, endpoint, json_response, read_json
from contract.metrics import Metrics
from contract.officials_web import OfficialPages, official_http, official_page
from contract.outbox import OutboxRelay
from contract.routes import url_for
from contract.rpc import TypedRpcProxy, rpc
from contract import registry_names
from contract.web import NotFoundPage, WebAssets, WebPages, language_of, page, secure
from followup import admin_pages, handlers, hub_case, schemas, tracking_pages, views, web_pages
from followup.dependencies import CaseStore
from followup.settings import conflict, out_of_scope, wrong_secret

OFFICIALS = ("liaison", "agency_admin", "supervisor", "national_admin")
ACTORS = ("liaison", "agency_admin", "national_admin")
HERE = Path(__file__).parent

# event type -> handler(uow, event type, event): what followup does with each event it consumes
EVENTS = {
    events.REPORT_RECEIVED: handlers.record_facts,
    events.REPORT_DISPOSITIONED: handlers.workflow_event,
    events.REPORT_VERIFIED: handlers.workflow_event,
    events.REPORT_POSTPONED: handlers.workflow_event,
    events.REPORT_RETURNED: handlers.workflow_event,
    events.REPORT_ARCHIVED: handlers.workflow_event,
    events.REGISTRY_UPDATED: registry_names.registry_updated,  # the names pages show
    events.REPORTER_ACTION_RELAYED: hub_case.relayed_action,  # taken where the reporter filed (issue 19)
}


class FollowupService(WebAssets, HealthAndMetrics):
    name = "followup"

    config = Config()  # officials' pages check the hub (contract.officials_web)
    store = CaseStore()
    outbox = OutboxRelay()
    metrics = Metrics()
    auth = Auth()
    intake = TypedRpcProxy("intake")
    web = WebPages(HERE / "templates", HERE / "messages.yml")
    official_web = OfficialPages(HERE / "petugas_templates", HERE / "officials.yml")

    # --- workflow events from routing (and the report's facts from intake) -----------------
    @event_batches(EVENTS)
    def consume_events(self, batch):
        return handle_batch(self.store, batch, EVENTS)

    # --- the timer sweep ---------------------------------------------------------------
    @timer(interval=30)
    def sweep_timer(self):
        handlers.sweep(self.store, refresh_gauges=None)

    @rpc
    def sweep(self):
        """Emit due-soon/overdue/escalation alerts and auto-close now; refresh the gauges."""
        return handlers.sweep(self.store, refresh_gauges=True)

    # --- officials' views ----------------------------------------------------------------
    @endpoint("GET", "/cases/inbox")
    def inbox_http(self, request):
        principal = self.auth.principal(request, roles=OFFICIALS)
        query = schemas.InboxQuery().load(request.args.to_dict())
        return json_response(200, self.store.read(handlers.inbox, {
            **query, "scope": views.scope_of(principal), "lang": language_of(request)}))

    @endpoint("GET", "/cases/summary")
    def summary_http(self, request):
        principal = self.auth.principal(request, roles=OFFICIALS)
        query = schemas.SummaryQuery().load(request.args.to_dict())
        scope = views.summary_scope(principal, query)
        if scope is None:
            raise out_of_scope()
        return json_response(200, self.store.read(handlers.summary, scope, query["exact"]))

    @rpc
    def summary(self, scope, exact=False):
        """Counts per colour for ``{"agency_code": ...}`` and/or ``{"unit_code": ...}``."""
        return self.store.read(handlers.summary, scope, exact)

    @endpoint("GET", "/cases/<string:tracking_id>")
    def case_http(self, request, tracking_id):
        return json_response(200, self.store.read(handlers.case_view, tracking_id, language_of(request)))

    @rpc
    def case_for_report(self, tracking_id):
        return self.store.read(handlers.case_for_report, tracking_id)

    # --- the conversation ------------------------------------------------------------------
    @endpoint("GET", "/cases/<string:tracking_id>/messages")
    def messages_http(self, request, tracking_id):
        case = self.store.read(handlers.find_case, tracking_id)
        secret = request.headers.get("X-Reporter-Secret")
        if secret:
            self._verify_reporter(case["tracking_id"], secret)
        principal = None if secret else self.auth.principal(request, roles=OFFICIALS)
        return json_response(200, {"messages": self.store.read(handlers.messages, case, principal)})

    @endpoint("POST", "/cases/<string:tracking_id>/updates")
    def update_http(self, request, tracking_id):
        principal = self.auth.principal(request, roles=ACTORS)
        form = schemas.MessageIn().load(read_json(request))
        message = self.store.run(handlers.post_update, {"tracking_id": tracking_id, "principal": principal,
                                                        "form": form})
        return json_response(201, schemas.MessageOut().dump(message))

    @endpoint("POST", "/cases/<string:tracking_id>/answer")
    def answer_http(self, request, tracking_id):
        principal = self.auth.principal(request, roles=ACTORS)
        form = schemas.MessageIn().load(read_json(request))
        message = self.store.run(handlers.answer, {"tracking_id": tracking_id, "principal": principal, "form": form})
        return json_response(201, schemas.MessageOut().dump(message))

    @endpoint("POST", "/cases/<string:tracking_id>/replies")
    def reply_http(self, request, tracking_id):
        return self._reporter_api(request, tracking_id, "reply", schemas.ReplyIn)

    @endpoint("POST", "/cases/<string:tracking_id>/rating")
    def rating_http(self, request, tracking_id):
        return self._reporter_api(request, tracking_id, "rate", schemas.RatingIn)

    @endpoint("POST", "/cases/<string:tracking_id>/reopen")
    def reopen_http(self, request, tracking_id):
        return self._reporter_api(request, tracking_id, "reopen", schemas.ReopenIn)

    # --- public comments ---------------------------------------------------------------
    @endpoint("GET", "/cases/<string:tracking_id>/comments")
    def comments_http(self, request, tracking_id):
        return json_response(200, {"comments": self.store.read(handlers.comments, tracking_id)})

    @endpoint("POST", "/cases/<string:tracking_id>/comments")
    def comment_http(self, request, tracking_id):
        form = schemas.CommentIn().load(read_json(request))
        comment = self.store.run(handlers.post_comment, {"tracking_id": tracking_id, "form": form})
        return json_response(201, schemas.CommentOut().dump(comment))

    @endpoint("POST", "/cases/<string:tracking_id>/comments/<string:comment_id>/hide")
    def hide_comment_http(self, request, tracking_id, comment_id):
        principal = self.auth.principal(request, roles=ACTORS)
        form = schemas.HideIn().load(read_json(request))
        hidden = self.store.run(handlers.hide_comment, {"tracking_id": tracking_id, "comment_id": comment_id,
                                                        "principal": principal, "form": form})
        return json_response(200, schemas.CommentOut().dump(hidden))

    # --- SLA policies and days off (data, not code) ------------------------------------------
    @endpoint("GET", "/cases/admin/sla-policies")
    def policies_http(self, request):
        self.auth.principal(request, roles=OFFICIALS)
        return json_response(200, self.store.read(handlers.sla_policies))

    @endpoint("PUT", "/cases/admin/sla-policies")
    def set_policies_http(self, request):
        principal = self.auth.principal(request, roles=("national_admin",))
        return json_response(200, self.store.run(handlers.set_sla_policies, read_json(request),
                                                 principal["official_id"]))

    @rpc
    def sla_policies(self):
        return self.store.read(handlers.sla_policies)

    @rpc
    def set_sla_policies(self, document, by="rpc"):
        """Replace the policies (validated as a whole); applies to stages started from now on."""
        return self.store.run(handlers.set_sla_policies, document, by)

    @endpoint("GET", "/cases/admin/days-off")
    def days_off_http(self, request):
        self.auth.principal(request, roles=OFFICIALS)
        return json_response(200, {"days_off": self.store.read(handlers.days_off)})

    @endpoint("POST", "/cases/admin/days-off")
    def add_day_off_http(self, request):
        self.auth.principal(request, roles=("national_admin",))
        return json_response(201, self.store.run(handlers.add_day_off, read_json(request)))

    @rpc
    def add_day_off(self, entry):
        """Add cuti bersama (no region) or a regional holiday (BPS region code)."""
        return self.store.run(handlers.add_day_off, entry)

    @rpc
    def health(self):
        return {"service": self.name, "status": "ok", "open_cases": self.store.read(handlers.open_cases),
                "outbox_pending": self.outbox.pending()}

    # --- citizens' pages (docs/web.md) --------------------------------------------------
    @page("GET", "/lacak")
    def lookup_page(self, request):
        page = self.web.page(request)
        typed = (request.args.get("id") or "").strip()
        if not typed:
            return page.render("lookup.html", typed="", errors={})
        canonical = parse_tracking_id(typed)
        if canonical:
            return page.redirect(url_for("tracking", tracking_id=canonical))
        return page.render("lookup.html", status=400, typed=typed, errors={"id": page._("lookup.invalid")})

    @page("GET", "/lacak/<string:tracking_id>")
    def tracking_page(self, request, tracking_id):
        page, canonical = self.web.page(request), web_pages.canonical(tracking_id)
        if canonical != tracking_id:
            return page.redirect(url_for("tracking", tracking_id=canonical))
        try:
            return tracking_pages.tracking(self, page, canonical, {})
        except NotFoundPage:
            # a report filed at another hub: its page is at that hub (found from the code in the ID)
            with eventlet.Timeout(self.store.settings.intake_timeout, False):
                elsewhere = self.intake.tracking_page_elsewhere(canonical)
                if elsewhere:
                    return secure(Response("", status=307, headers={"Location": elsewhere}))
            raise

    @page("POST", "/lacak/<string:tracking_id>/kunci")
    def unlock(self, request, tracking_id):
        page, canonical = self.web.page(request), web_pages.canonical(tracking_id)
        page.check_csrf()
        secret = (request.form.get("secret") or "").strip()
        if not tracking_pages.report_view(self, canonical, page.lang, secret)["reporter_verified"]:
            return tracking_pages.tracking(self, page, canonical, {"secret": page._("track.wrong_secret")}, status=403)
        page.remember_reporter_key(canonical, secret)
        return page.redirect(url_for("tracking", tracking_id=canonical, notice="unlocked"))

    @page("POST", "/lacak/<string:tracking_id>/lupakan")
    def forget(self, request, tracking_id):
        page, canonical = self.web.page(request), web_pages.canonical(tracking_id)
        page.check_csrf()
        page.forget_reporter_key(canonical)
        return page.redirect(url_for("tracking", tracking_id=canonical, notice="forgotten"))

    @page("POST", "/lacak/<string:tracking_id>/balas")
    def reply(self, request, tracking_id):
        return self._reporter_action(request, tracking_id, "reply", "replied")

    @page("POST", "/lacak/<string:tracking_id>/nilai")
    def rate(self, request, tracking_id):
        return self._reporter_action(request, tracking_id, "rate", "rated")

    @page("POST", "/lacak/<string:tracking_id>/buka-kembali")
    def reopen(self, request, tracking_id):
        return self._reporter_action(request, tracking_id, "reopen", "reopened")

    @page("GET", "/laporan/<string:tracking_id>")
    def public_report_page(self, request, tracking_id):
        return self._public(self.web.page(request), web_pages.canonical(tracking_id), {}, {})

    @page("POST", "/laporan/<string:tracking_id>/komentar")
    def comment(self, request, tracking_id):
        page, canonical = self.web.page(request), web_pages.canonical(tracking_id)
        page.check_csrf()
        values = {"name": (request.form.get("name") or "").strip() or None,
                  "body": (request.form.get("body") or "").strip()}
        try:
            form = schemas.CommentIn().load(values)
            self.store.run(handlers.post_comment, {"tracking_id": canonical, "form": form})
        except (errors.ApiError, ValidationError) as exc:
            if getattr(exc, "status", 400) == 404:  # no case yet: the discussion is not open
                exc = conflict(handlers.DISCUSSION_CLOSED)
            return self._public(page, canonical, page.field_errors(exc), values, status=getattr(exc, "status", 400))
        return page.redirect(url_for("public_report", tracking_id=canonical, notice="commented",
                                     _anchor="diskusi"))

    # --- officials' pages (the same scope checks as the API, through the same handlers) -----
    @official_http("GET", "/petugas/kasus/<string:tracking_id>")
    @official_page(OFFICIALS)
    def case_page(self, request, page, principal, tracking_id):
        return self._official_case(page, principal, tracking_id, {}, request.args.get("notice"))

    @official_http("POST", "/petugas/kasus/<string:tracking_id>/<string:kind>")
    @official_page(ACTORS)
    def case_post(self, request, page, principal, tracking_id, kind):
        write = {"perkembangan": handlers.post_update, "jawaban": handlers.answer}.get(kind)
        if write is None:
            raise errors.not_found("kind", "Page")
        form = {"body": request.form.get("body", "").strip()}
        return self._official_action(page, principal, tracking_id, kind, write, form, kind)

    @official_http("POST", "/petugas/kasus/<string:tracking_id>/komentar/<string:comment_id>/sembunyikan")
    @official_page(ACTORS)
    def hide_comment_page(self, request, page, principal, tracking_id, comment_id):
        form = {"reason": request.form.get("reason", "").strip()}
        return self._official_action(page, principal, tracking_id, comment_id, handlers.hide_comment, form,
                                     "hidden", schemas.HideIn, anchor="comments", comment_id=comment_id)

    @official_http("GET", "/petugas/dasbor")
    @official_page(OFFICIALS)
    def dashboard_page(self, request, page, principal):
        return page.render("dashboard.html", **self.store.read(handlers.dashboard, principal, page.lang))

    # --- talking to intake and routing, and rendering (plumbing of the entrypoints above) ----
    def _verify_reporter(self, tracking_id, secret):
        if not reporter_verified(self.intake, tracking_id, secret, self.store.settings.intake_timeout):
            raise wrong_secret()

    def _reporter_api(self, request, tracking_id, action, schema):
        return tracking_pages.reporter_api(self, request, tracking_id, action, schema)

    def _reporter_action(self, request, tracking_id, action, notice):
        page, canonical = self.web.page(request), web_pages.canonical(tracking_id)
        page.check_csrf()
        schema, body = web_pages.reporter_form(request, action)
        secret = page.reporter_key(canonical) or (request.form.get("secret") or "").strip()
        try:
            form = schema().load({**body, "secret": secret or "----"})
            self._verify_reporter(canonical, form["secret"])
            if self.store.read(handlers.case_for_report, canonical) is not None:
                self.store.run(handlers.REPORTER_ACTIONS[action], {"tracking_id": canonical, "form": form})
            elif refused := tracking_pages.relay(self, page, canonical, action, form):  # held at a hub that cannot take it now
                return tracking_pages.tracking(self, page, canonical, {web_pages.ACTION_FIELDS[action]: refused}, values=body, status=409)
        except (errors.ApiError, ValidationError) as exc:
            found = page.field_errors(exc)
            if "form" in found and action == "rate":
                found["rating"] = found.pop("form")
            return tracking_pages.tracking(self, page, canonical, found, values=body, status=getattr(exc, "status", 400))
        return page.redirect(url_for("tracking", tracking_id=canonical, notice=notice))

    def _public(self, page, tracking_id: str, field_errors: dict, values: dict, status: int = 200):
        report = tracking_pages.report_view(self, tracking_id, page.lang, None)
        if not report["is_public"]:
            raise NotFoundPage()
        return page.render("public_report.html", status=status, report=report, errors=field_errors, values=values,
                           notice=web_pages.notice(page), **self.store.read(handlers.public_page, tracking_id, page.lang))

    def _official_action(self, page, principal, tracking_id, key, write, form, notice, schema=schemas.MessageIn,
                         anchor=None, **command):
        self.store.read(handlers.readable_case, principal, tracking_id)
        try:
            self.store.run(write, {"tracking_id": tracking_id, "principal": principal, "form": schema().load(form),
                                   **command})
        except (ValidationError, errors.ApiError) as exc:
            if isinstance(exc, errors.ApiError) and exc.status in (404, 503):
                raise
            return self._official_case(page, principal, tracking_id, {key: page.field_errors(exc)}, None,
                                       exc.status if isinstance(exc, errors.ApiError) else 400)
        return page.redirect(url_for("official_case", tracking_id=tracking_id, notice=notice, _anchor=anchor))

    def _official_case(self, page, principal, tracking_id, form_errors, notice, status=200):
        shown = self.store.read(handlers.official_case_page, principal, tracking_id, page.lang)
        return page.render("case.html", status=status, form_errors=form_errors, notice=notice, **shown)

    # --- admin pages (issue 21): SLA settings and days off, through the admin API's handlers --
    @official_http("GET", "/petugas/admin/sla")
    @official_page(("national_admin",))
    def sla_page(self, request, page, principal):
        editing = admin_pages.chosen(self.store.read(handlers.sla_policies)["policies"], request.args.get("ubah"))
        return self._sla(page, admin_pages.policy_values(editing), {}, request.args.get("notice"), editing is not None)

    @official_http("POST", "/petugas/admin/sla")
    @official_page(("national_admin",))
    def sla_save_page(self, request, page, principal):
        try:
            self.store.run(handlers.save_sla_policy, admin_pages.policy_from_form(request.form), principal["official_id"])
        except ValidationError as exc:
            return self._sla(page, request.form.to_dict(), admin_pages.policy_errors(page.field_errors(exc)), None,
                             request.form.get("mode") == "edit", status=400)
        return page.redirect(url_for("admin_sla", notice="saved"))

    @official_http("GET", "/petugas/admin/libur")
    @official_page(("national_admin",))
    def days_off_page(self, request, page, principal):
        return self._days_off(page, {}, {}, request.args.get("notice"))

    @official_http("POST", "/petugas/admin/libur")
    @official_page(("national_admin",))
    def day_off_save_page(self, request, page, principal):
        try:
            self.store.run(handlers.add_day_off, admin_pages.day_from_form(request.form))
        except ValidationError as exc:
            return self._days_off(page, request.form.to_dict(), page.field_errors(exc), None, status=400)
        return page.redirect(url_for("admin_days_off", notice="saved"))

    def _sla(self, page, values, found, notice, editing, status=200):
        return admin_pages.render_sla(page, self.store.read(handlers.sla_policies)["policies"],
                                      *admin_pages.registry_now(self.store.read(registry_names.current_names), page.lang), values, found, notice,
                                      editing, status)

    def _days_off(self, page, values, found, notice, status=200):
        return admin_pages.render_days_off(page, self.store.read(handlers.days_off),
                                           admin_pages.registry_now(self.store.read(registry_names.current_names), page.lang)[1], values, found,
                                           notice, status)

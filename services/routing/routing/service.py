"""Routing's entrypoints: decide the authority for every complete report, the tiered workflow
(national admin -> agency admin -> unit liaison) for officials through /admin/ and /petugas, the
organisation registry, officials' tokens and browser sign-in.  Each entrypoint loads what comes in,
runs one handler (``routing.handlers``) through the store and answers."""
from __future__ import annotations

from pathlib import Path

from marshmallow import ValidationError
from nameko.dependency_providers import Config
from contract.rpc import rpc
from werkzeug.wrappers import Response

from contract import errors, events, http as api_http, web
from contract.auth import ROLES, forbidden, session_id
from contract.batch import event_batches, handle_batch
from contract.errors import ApiError
from contract.http import endpoint, json_response
from contract.metrics import Metrics
from contract.officials_web import OfficialPages, official_http, official_page
from contract.routes import url_for
from contract.outbox import OutboxRelay
from contract.rpc import typed
from routing import admin_pages, handlers, observability, pages, registry_io, schemas
from routing.dependencies import OfficialAuth, RoutingStore
from routing.domain.signin import BadPassword, LinkUnusable

ADMIN_ROLES = ("national_admin", "agency_admin")
HERE = Path(__file__).parent

# event type -> handler(uow, event type, event): what routing does with each event it consumes
EVENTS = {
    events.REPORT_RECEIVED: handlers.route_report,
    events.CASE_ANSWERED: handlers.follow_case,
    events.CASE_CLOSED: handlers.follow_case,
    events.CASE_REOPENED: handlers.follow_case,
    events.REPORT_HANDED_BACK: handlers.handed_back,
    events.HUB_PART_RECEIVED: handlers.apply_hub_part,  # issue 19: another hub's part of the registry
}


def _body(request) -> dict:
    return api_http.read_json(request) if request.get_data(cache=True).strip() else {}


class RoutingService(web.WebAssets, api_http.HealthAndMetrics):
    name = "routing"

    config = Config()  # official_page reads HUB_CODE here; everything else reads store.settings
    store = RoutingStore()
    official_web = OfficialPages(HERE / "templates", HERE / "messages.yml")
    auth = OfficialAuth()
    outbox = OutboxRelay()
    metrics = Metrics()

    def _official(self, request, roles: tuple[str, ...] = ROLES) -> dict:
        """The authenticated official, who must belong to this stack's hub (401/403 otherwise)."""
        principal = self.auth.principal(request, roles=roles)
        if principal["hub"] != self.store.settings.hub_code:
            raise forbidden("acting for another hub")
        return principal

    # --- routing of received reports and following cases -------------------------------------------

    @event_batches(EVENTS)
    def consume_events(self, batch):
        return handle_batch(self.store, batch, EVENTS)

    # --- the tiered workflow (officials, JSON API) ----------------------------------------------

    @endpoint("GET", "/admin/inbox")
    def inbox(self, request):
        principal = self._official(request)
        filters = schemas.InboxQuery().load(request.args.to_dict())
        return json_response(200, schemas.InboxOut().dump(self.store.read(handlers.inbox, principal, filters)))

    @endpoint("GET", "/admin/reports/<string:tracking_id>")
    def report(self, request, tracking_id):
        principal = self._official(request)
        return json_response(200, schemas.ReportOut().dump(self.store.read(handlers.report_by_id, principal,
                                                                           tracking_id)))

    @endpoint("POST", "/admin/reports/<string:tracking_id>/forward")
    def forward(self, request, tracking_id):
        principal = self._official(request)
        body = schemas.ForwardIn().load(api_http.read_json(request))
        updated = self.store.run(handlers.forward, principal, tracking_id, body)
        return json_response(200, schemas.ReportOut().dump(self.store.read(handlers.report, principal, updated)))

    @endpoint("POST", "/admin/reports/<string:tracking_id>/<string:action>")
    def act(self, request, tracking_id, action):
        principal = self._official(request)
        if action not in schemas.ACTION_BODIES:
            raise errors.not_found("action", "Action")
        body = schemas.ACTION_BODIES[action]().load(_body(request))
        updated = self.store.run(handlers.act, principal, tracking_id, action, body)
        return json_response(200, schemas.ReportOut().dump(self.store.read(handlers.report, principal, updated)))

    @rpc
    @typed("routing.disposition")
    def disposition(self, tracking_id):
        """Where a report stands now (queue, agency, unit, status), or None."""
        return self.store.read(handlers.disposition, tracking_id)

    @rpc
    def history(self, tracking_id):
        """The report's audit trail (oldest first)."""
        return schemas.AuditEntryOut(many=True).dump(self.store.read(handlers.history, tracking_id))

    # --- officials' credentials: minted only here (admins, audited) and by the operator's CLI -------
    # (routing.cli); never over RPC, so no service's broker login can act as an official (issue 20)

    @endpoint("POST", "/admin/officials/<string:official_id>/tokens")
    def issue_token_http(self, request, official_id):
        principal = self._official(request, ADMIN_ROLES)
        days = schemas.TokenIn().load(_body(request))["days"]
        issued = self.store.run(handlers.issue_token_by, principal, official_id, days)
        return json_response(201, schemas.TokenOut().dump(issued))

    @endpoint("DELETE", "/admin/officials/<string:official_id>/tokens")
    def revoke_tokens_http(self, request, official_id):
        principal = self._official(request, ADMIN_ROLES)
        revoked = self.store.run(handlers.revoke_tokens_by, principal, official_id)
        self.auth.forget()
        return json_response(200, revoked)

    @rpc
    @typed("routing.authenticate")
    def authenticate(self, token):
        """The principal behind a token, or None (unknown, expired or revoked)."""
        return self.auth.lookup(token)

    # --- the organisation registry ----------------------------------------------------------------

    @rpc
    def import_registry(self, payload):
        """Validate and apply a registry (dict): counts, or contract errors with nothing applied."""
        counts = self.store.run(handlers.import_registry, payload if isinstance(payload, dict) else {"_": payload}, {})
        self.auth.forget()  # an official's role or scope may have changed
        return counts

    @endpoint("POST", "/admin/registry")
    def import_registry_http(self, request):
        self._official(request, ("national_admin",))
        try:
            data, lines = registry_io.parse(request.get_data(as_text=True), request.mimetype or "",
                                            request.args.get("kind"))
        except registry_io.RegistryFileError as exc:
            raise ApiError(exc.items)
        counts = self.store.run(handlers.import_registry, data, lines)
        self.auth.forget()  # an official's role or scope may have changed
        return json_response(200, {"imported": counts})

    @endpoint("GET", "/admin/registry")
    def export_registry_http(self, request):
        self._official(request, ("national_admin",))
        query = schemas.ExportQuery().load(request.args.to_dict())
        registry = self.store.read(handlers.export_registry)
        if query["format"] == "csv":
            return api_http.csv_response(registry_io.to_csv(registry[query["kind"]]), f"registry-{query['kind']}")
        chosen = {query["kind"]: registry[query["kind"]]} if query["kind"] else registry
        if query["format"] == "json":
            return json_response(200, chosen)
        return Response(registry_io.to_yaml(chosen), content_type="application/yaml; charset=utf-8")

    @endpoint("POST", "/hubs/join")
    def join_hub(self, request):
        """A hub joins this one as its child with a one-time token (issue 19, docs/hubs.md)."""
        body = schemas.JoinIn().load(_body(request))
        joined = self.store.run(handlers.join_hub, body, api_http.client_address(request, self.store.settings.trusted_proxies))
        if "refused" in joined:  # audited and committed: now the answer
            raise handlers.join_refusal(joined["refused"])
        return json_response(201, joined)

    @endpoint("GET", "/registry/<string:kind>")
    def listing(self, request, kind):
        schema = schemas.PUBLIC_LISTINGS.get(kind)
        if schema is None:
            raise errors.not_found("kind", "Registry list")
        items = self.store.read(handlers.listing, kind, tuple(schema().fields), web.language_of(request))
        return json_response(200, {"items": schema(many=True).dump(items)})

    @rpc
    @typed("routing.recipients")
    def recipients(self, ref):
        """Contacts of the officials behind a recipient reference (see domain.recipients_query)."""
        return self.store.read(handlers.recipients, ref)

    @rpc
    def unit(self, code):
        return self.store.read(handlers.unit, code)

    @rpc
    def health(self):
        return {"service": self.name, "status": "ok", "registry": self.store.read(handlers.counts),
                "outbox_pending": self.outbox.pending()}

    def refresh_metrics(self):
        observability.queue_sizes(self.store.read(handlers.open_per_queue))

    # --- officials' browser accounts: admin API ---------------------------------------------------

    @endpoint("POST", "/admin/officials/<string:official_id>/password-links")
    def password_link_http(self, request, official_id):
        principal = self._official(request, ADMIN_ROLES)
        hours = schemas.PasswordLinkIn().load(_body(request))["hours"]
        link = self.store.run(handlers.issue_password_link_by, principal, official_id, hours)
        link["url"] = pages.base_url(self.store.settings.public_base_url, request) + link.pop("path")
        return json_response(201, schemas.PasswordLinkOut().dump(link))

    @endpoint("DELETE", "/admin/officials/<string:official_id>/sessions")
    def end_sessions_http(self, request, official_id):
        principal = self._official(request, ADMIN_ROLES)
        return json_response(200, self.store.run(handlers.end_sessions_by, principal, official_id))

    @endpoint("DELETE", "/admin/officials/<string:official_id>/signin-limits")
    def lift_signin_limit_http(self, request, official_id):
        principal = self._official(request, ADMIN_ROLES)
        return json_response(200, self.store.run(handlers.lift_signin_limit_by, principal, official_id))

    @endpoint("GET", "/admin/officials/<string:official_id>/audit")
    def account_audit_http(self, request, official_id):
        principal = self._official(request, ADMIN_ROLES)
        entries = self.store.read(handlers.account_audit_by, principal, official_id)
        return json_response(200, {"items": schemas.AccountAuditOut(many=True).dump(entries)})

    @rpc
    @typed("routing.authenticate_session")
    def authenticate_session(self, session_id):
        """The principal behind a browser session id, or None (unknown, expired, idle, signed out)."""
        return self.auth.lookup_session(session_id)

    # --- officials' sign-in pages --------------------------------------------------------------------

    @official_http("GET", "/petugas/masuk")
    @official_page(signed_in=False)
    def sign_in_page(self, request, page, principal):
        if principal is not None:
            return page.redirect(pages.next_page(request.args.get("next")))
        return page.render("signin.html", form={"official_id": "", "next": pages.next_page(request.args.get("next"))},
                           errors={}, notice=request.args.get("notice"))

    @official_http("POST", "/petugas/masuk")
    @official_page(signed_in=False)
    def sign_in(self, request, page, principal):
        raw = request.form.to_dict()
        try:
            form = schemas.SignInForm().load(raw)
        except ValidationError as exc:
            return page.render("signin.html", status=400, form=raw, notice=None,
                               errors={field: page._("signin.required") for field in exc.messages})
        result = self.store.run(handlers.sign_in, form["official_id"].strip(), form["password"],
                                api_http.client_address(request, self.store.settings.trusted_proxies))
        observability.signed_in(result["outcome"])
        if result["outcome"] != "success":
            return pages.sign_in_refused(page, form, result)
        return pages.set_session(page.redirect(pages.next_page(form["next"])), result["session"],
                                 pages.cookie_secure(self.store.settings.cookie_secure, request))

    @official_http("POST", "/petugas/keluar")
    @official_page(signed_in=False)
    def sign_out(self, request, page, principal):
        current = session_id(request)
        if current:
            self.store.run(handlers.sign_out, current)
        return pages.forget_session(page.redirect(url_for("sign_in", notice="signed_out")),
                                    pages.cookie_secure(self.store.settings.cookie_secure, request))

    @official_http("GET", "/petugas/sandi/<string:token>")
    @official_page(signed_in=False)
    def password_page(self, request, page, principal, token):
        try:
            official = self.store.read(handlers.usable_link, token)
        except LinkUnusable:
            return page.render("password.html", status=410, official=None, errors={}, token=token)
        return page.render("password.html", official=official, errors={}, token=token)

    @official_http("POST", "/petugas/sandi/<string:token>")
    @official_page(signed_in=False)
    def set_password(self, request, page, principal, token):
        try:
            form = schemas.SetPasswordForm().load(request.form.to_dict())
            self.store.run(handlers.set_password, token, form["password"], form["confirm"])
        except ValidationError as exc:
            return page.render("password.html", status=400, official=self.store.read(handlers.usable_link, token),
                               token=token, errors={field: page._("signin.required") for field in exc.messages})
        except LinkUnusable:
            return page.render("password.html", status=410, official=None, errors={}, token=token)
        except BadPassword as exc:
            return page.render("password.html", status=400, official=self.store.read(handlers.usable_link, token),
                               token=token, errors=pages.password_errors(page, exc.problems))
        return page.redirect(url_for("sign_in", notice="password_set"))

    # --- officials' workflow pages: the API's scope rules and refusals, as pages ------------------

    @official_http("GET", "/petugas")
    @official_page()
    def inbox_page(self, request, page, principal):
        filters = pages.filters(request.args)
        try:
            body = self.store.read(handlers.inbox, principal, schemas.InboxQuery().load({**filters, "per_page": 25}))
        except (ValidationError, ApiError) as exc:
            body = self.store.read(handlers.inbox, principal, schemas.InboxQuery().load({"per_page": 25}))
            filters = {**filters, "errors": page.field_errors(exc)}
        names = self.store.read(handlers.names)
        return page.render("inbox.html", inbox=body, filters=filters, names=names, done=pages.inbox_notice(request.args),
                           categories=sorted(names.table("categories", page.lang).items()), queues=schemas.QUEUES,
                           statuses=schemas.STATUSES)

    @official_http("GET", "/petugas/")
    @official_page()
    def inbox_page_slash(self, request, page, principal):
        return page.redirect(url_for("officials_home") + (f"?{request.query_string.decode()}" if request.query_string else ""))

    @official_http("GET", "/petugas/laporan/<string:tracking_id>")
    @official_page()
    def report_page(self, request, page, principal, tracking_id):
        item = self.store.read(handlers.readable, principal, tracking_id)
        return pages.render_report(page, principal, self.store.read(handlers.report_page, principal, item, page.lang),
                                   {}, request.args.get("notice"))

    @official_http("POST", "/petugas/laporan/<string:tracking_id>/<string:action>")
    @official_page()
    def act_page(self, request, page, principal, tracking_id, action):
        if action not in schemas.ACTION_BODIES and action != "forward":
            raise errors.not_found("action", "Action")
        raw = pages.action_form(request.form)
        try:
            if action == "forward":  # another hub (docs/hubs.md), as the API forwards
                updated = self.store.run(handlers.forward, principal, tracking_id, schemas.ForwardIn().load(raw))
            else:
                body = schemas.ACTION_BODIES[action]().load(raw)
                updated = self.store.run(handlers.act, principal, tracking_id, action, body)
        except (ValidationError, ApiError) as exc:
            if isinstance(exc, ApiError) and exc.status in (404, 503):
                raise
            item = self.store.read(handlers.readable, principal, tracking_id)
            return pages.render_report(page, principal, self.store.read(handlers.report_page, principal, item, page.lang),
                                       {action: page.field_errors(exc)}, None,
                                       exc.status if isinstance(exc, ApiError) else 400)
        return page.redirect(pages.landing(principal, updated, action))

    # --- admin pages (issue 21): the registry and the people, through the admin handlers' scope ----

    @official_http("GET", "/petugas/admin")
    @official_page(ADMIN_ROLES)
    def admin_home_page(self, request, page, principal):
        return page.render("admin_home.html", paths=admin_pages.PATHS)

    @official_http("GET", "/petugas/admin/jejak")
    @official_page(ADMIN_ROLES)
    def admin_audit_page(self, request, page, principal):
        agency = request.args.get("instansi") or principal.get("agency_code")
        return page.render("admin_audit.html", agency=agency, **self.store.read(handlers.audit_page, principal, agency))

    @official_http("GET", "/petugas/admin/<string:slug>")
    @official_page(ADMIN_ROLES)
    def admin_kind_page(self, request, page, principal, slug):
        kind = admin_pages.kind_of(slug, forms_only=False)
        listing = self.store.read(handlers.admin_listing, principal, kind, request.args.get("ubah"))
        return admin_pages.render(page, principal, kind, listing, notice=request.args.get("notice"))

    @official_http("POST", "/petugas/admin/<string:slug>")
    @official_page(ADMIN_ROLES)
    def admin_save_page(self, request, page, principal, slug):
        kind = admin_pages.kind_of(slug)
        item, new = admin_pages.item_from_form(kind, request.form, principal["role"]), request.form.get("mode") != "edit"
        try:
            if kind == "officials" and new:  # an invitation: the sign-in link is shown this once
                link = self.store.run(handlers.invite_official, principal, item, self.store.settings.signin.link_hours)
                link["url"] = pages.base_url(self.store.settings.public_base_url, request) + link.pop("path")
            else:
                self.store.run(handlers.save_item, principal, kind, item, new)
        except (ValidationError, ApiError) as exc:
            if isinstance(exc, ApiError) and exc.status != 400:
                raise
            listing = self.store.read(handlers.admin_listing, principal, kind)
            return admin_pages.render(page, principal, kind, listing, form=request.form, errors=page.field_errors(exc),
                                      status=400)
        self.auth.forget()  # a role or scope may have changed
        if kind == "officials" and new:
            return admin_pages.render(page, principal, kind, self.store.read(handlers.admin_listing, principal, kind),
                                      link=link)
        return page.redirect(admin_pages.path(kind, notice="saved"))

    @official_http("POST", "/petugas/admin/petugas/<string:official_id>/<string:switch>")
    @official_page(ADMIN_ROLES)
    def admin_switch_page(self, request, page, principal, official_id, switch):
        if switch not in admin_pages.SWITCHES:
            raise errors.not_found("switch", "Action")
        self.store.run(handlers.switch_official, principal, official_id, admin_pages.SWITCHES[switch])
        self.auth.forget()
        return page.redirect(admin_pages.path("officials", notice=switch))

"""Follow-up entrypoints: every dispositioned report's case, from its deadline to its closure."""
from __future__ import annotations

from nameko.dependency_providers import Config
from nameko.rpc import RpcProxy, rpc
from nameko.timer import timer
from nameko.web.handlers import http

from contract import errors, events, http as api_http
from contract.auth import Auth, reporter_verified
from contract.batch import apply_batch, event_batches
from contract.ids import parse_tracking_id
from contract.metrics import Metrics
from contract.outbox import OutboxRelay
from followup import conversation, domain, schemas, sla, sweep, views
from followup import metrics as case_metrics
from followup.calendar import WorkCalendar
from followup.conversation import Conflict, OutOfScope
from followup.dependencies import CaseStore, Clock
from followup.settings import case_not_found, conflict, out_of_scope, rules_from_config, wrong_secret

OFFICIALS = ("liaison", "agency_admin", "supervisor", "national_admin")
ACTORS = ("liaison", "agency_admin", "national_admin")


def record_facts(service, event_type: str, e: dict) -> None:
    """The report's facts a case needs (confidentiality, channel, a resolution at entry)."""
    service.cases.record_facts(
        e["event_id"], {"tracking_id": e["tracking_id"], "is_confidential": e["is_confidential"],
                        "received_at": e["received_at"], "channel": e["channel"],
                        "resolution": e.get("resolution"), "resolved_at": e.get("resolved_at"),
                        "entered_by": e.get("entered_by")})


def workflow_event(service, event_type: str, event: dict) -> None:
    """A routing decision: open, move or end the report's case (once per event)."""
    hub, now, rules = service.config["HUB_CODE"], service.clock(), rules_from_config(service.config)
    policies, calendar = service.cases.policies(), service._calendar()
    seen = []

    def decide(case, facts):
        after, emitted = domain.on_workflow_event(event_type, event, case, facts, policies, calendar,
                                                  rules, now, hub)
        messages = []
        if case is None and after is not None and (facts or {}).get("resolution"):
            after, message, answered = conversation.answer_at_entry(after, facts, now, hub, calendar, rules)
            messages, emitted = [message], emitted + answered
        seen.append((case or {}, after))
        return after, emitted, messages
    service.cases.apply_event(event["event_id"], event["tracking_id"], decide)
    if seen and seen[-1][1] is not None:
        case_metrics.transition(*seen[-1])


# event type -> handler(service, event type, event): what followup does with each event it consumes
EVENTS = {
    events.REPORT_RECEIVED: record_facts,
    events.REPORT_DISPOSITIONED: workflow_event,
    events.REPORT_VERIFIED: workflow_event,
    events.REPORT_POSTPONED: workflow_event,
    events.REPORT_RETURNED: workflow_event,
    events.REPORT_ARCHIVED: workflow_event,
}


class FollowupService(api_http.HealthAndMetrics):
    name = "followup"

    config = Config()
    cases = CaseStore()
    outbox = OutboxRelay()
    metrics = Metrics()
    auth = Auth()
    clock = Clock()
    intake = RpcProxy("intake")

    # --- workflow events from routing (and the report's facts from intake) -----------------
    @event_batches(EVENTS)
    def consume_events(self, batch):
        return apply_batch(self, batch, EVENTS)

    # --- the timer sweep ---------------------------------------------------------------
    @timer(interval=30)
    def sweep_timer(self):
        sweep.run(self.cases, self.clock(), self.config["HUB_CODE"], int(self.config.get("SWEEP_BATCH", 500)),
                  gauge_interval=float(self.config.get("GAUGE_REFRESH_SECONDS", 60)))

    @rpc
    def sweep(self):
        """Emit due-soon/overdue/escalation alerts and auto-close now; refresh the gauges."""
        result = sweep.run(self.cases, self.clock(), self.config["HUB_CODE"],
                           int(self.config.get("SWEEP_BATCH", 500)), refresh_gauges=True)
        return result

    # --- officials' views ----------------------------------------------------------------
    @http("GET", "/cases/inbox")
    @api_http.api
    def inbox_http(self, request):
        principal = self.auth.principal(request, roles=OFFICIALS)
        query = schemas.InboxQuery().load(request.args.to_dict())
        found = self.cases.inbox(views.scope_of(principal), query["status"], query["indicator"], self.clock(),
                                 query["limit"], query["offset"])
        now, language = self.clock(), views.language(request)
        return api_http.json_response(200, {"cases": [views.case_out(c, now, language) for c in found],
                                            "limit": query["limit"], "offset": query["offset"]})

    @http("GET", "/cases/summary")
    @api_http.api
    def summary_http(self, request):
        principal = self.auth.principal(request, roles=OFFICIALS)
        query = schemas.SummaryQuery().load(request.args.to_dict())
        scope = views.summary_scope(principal, query)
        if scope is None:
            raise out_of_scope()
        return api_http.json_response(200, self.summary(scope, query["exact"]))

    @rpc
    def summary(self, scope, exact=False):
        """Counts per colour for ``{"agency_code": ...}`` and/or ``{"unit_code": ...}``: from the
        tallies (as of the last sweep, any store size) or, ``exact``, counted at the clock."""
        scope = {k: v for k, v in (scope or {}).items() if k in ("agency_code", "unit_code") and v}
        now = self.clock()
        counts = self.cases.exact_summary(scope, now) if exact else self.cases.summary(scope)
        return schemas.SummaryOut().dump({"scope": scope, "at": now, "exact": bool(exact), "counts": counts})

    @http("GET", "/cases/<string:tracking_id>")
    @api_http.api
    def case_http(self, request, tracking_id):
        case = self._case(tracking_id)
        return api_http.json_response(200, views.case_view(case, self.clock(), views.language(request)))

    @rpc
    def case_for_report(self, tracking_id):
        case = self.cases.get(tracking_id)
        return None if case is None else views.case_out(case, self.clock())

    # --- the conversation ------------------------------------------------------------------
    @http("GET", "/cases/<string:tracking_id>/messages")
    @api_http.api
    def messages_http(self, request, tracking_id):
        case = self._case(tracking_id)
        if request.headers.get("X-Reporter-Secret"):
            self._verify_reporter(case["tracking_id"], request.headers["X-Reporter-Secret"])
        elif not conversation.may_read(case, self.auth.principal(request, roles=OFFICIALS)):
            raise out_of_scope()
        return api_http.json_response(200, {"messages": schemas.MessageOut(many=True).dump(
            self.cases.messages(case["_id"]))})

    @http("POST", "/cases/<string:tracking_id>/updates")
    @api_http.api
    def update_http(self, request, tracking_id):
        principal = self.auth.principal(request, roles=ACTORS)
        form = schemas.MessageIn().load(api_http.read_json(request))
        message = self._change(tracking_id, lambda c: conversation.post_update(
            c, principal, form, self.clock(), self.config["HUB_CODE"]))[1]
        return api_http.json_response(201, schemas.MessageOut().dump(message))

    @http("POST", "/cases/<string:tracking_id>/answer")
    @api_http.api
    def answer_http(self, request, tracking_id):
        principal = self.auth.principal(request, roles=ACTORS)
        form = schemas.MessageIn().load(api_http.read_json(request))
        rules, calendar = rules_from_config(self.config), self._calendar()
        message = self._change(tracking_id, lambda c: conversation.answer(
            c, principal, form, self.clock(), self.config["HUB_CODE"], calendar, rules))[1]
        return api_http.json_response(201, schemas.MessageOut().dump(message))

    @http("POST", "/cases/<string:tracking_id>/replies")
    @api_http.api
    def reply_http(self, request, tracking_id):
        form = schemas.ReplyIn().load(api_http.read_json(request))
        self._verify_reporter(self._case(tracking_id)["tracking_id"], form["secret"])
        rules, calendar = rules_from_config(self.config), self._calendar()
        message = self._change(tracking_id, lambda c: conversation.reporter_reply(
            c, form, self.clock(), self.config["HUB_CODE"], calendar, rules))[1]
        return api_http.json_response(201, schemas.MessageOut().dump(message))

    @http("POST", "/cases/<string:tracking_id>/rating")
    @api_http.api
    def rating_http(self, request, tracking_id):
        form = schemas.RatingIn().load(api_http.read_json(request))
        self._verify_reporter(self._case(tracking_id)["tracking_id"], form["secret"])
        case = self._change(tracking_id, lambda c: conversation.rate(c, form, self.clock(), self.config["HUB_CODE"]))[0]
        return api_http.json_response(200, views.case_out(case, self.clock(), views.language(request)))

    @http("POST", "/cases/<string:tracking_id>/reopen")
    @api_http.api
    def reopen_http(self, request, tracking_id):
        form = schemas.ReopenIn().load(api_http.read_json(request))
        self._verify_reporter(self._case(tracking_id)["tracking_id"], form["secret"])
        rules, calendar, policies = rules_from_config(self.config), self._calendar(), self.cases.policies()
        case = self._change(tracking_id, lambda c: conversation.reopen(
            c, form, self.clock(), self.config["HUB_CODE"], policies, calendar, rules))[0]
        return api_http.json_response(200, views.case_out(case, self.clock(), views.language(request)))

    # --- public comments ---------------------------------------------------------------
    @http("GET", "/cases/<string:tracking_id>/comments")
    @api_http.api
    def comments_http(self, request, tracking_id):
        case = self._case(tracking_id)
        if case.get("is_confidential") is not False:
            raise conflict(Conflict("comments_not_allowed", "This report is not public.", "Laporan ini tidak untuk publik."))
        comments = [views.public_comment(c) for c in self.cases.comments(case["_id"], include_hidden=True)]
        return api_http.json_response(200, {"comments": schemas.CommentOut(many=True).dump(comments)})

    @http("POST", "/cases/<string:tracking_id>/comments")
    @api_http.api
    def comment_http(self, request, tracking_id):
        form = schemas.CommentIn().load(api_http.read_json(request))
        case = self._case(tracking_id)
        try:
            comment, emitted = conversation.post_comment(case, form, self.clock(), self.config["HUB_CODE"])
        except Conflict as exc:
            raise conflict(exc)
        self.cases.add_comment(comment, emitted)
        return api_http.json_response(201, schemas.CommentOut().dump(comment))

    @http("POST", "/cases/<string:tracking_id>/comments/<string:comment_id>/hide")
    @api_http.api
    def hide_comment_http(self, request, tracking_id, comment_id):
        principal = self.auth.principal(request, roles=ACTORS)
        form = schemas.HideIn().load(api_http.read_json(request))
        case, comment = self._case(tracking_id), self.cases.comment(comment_id)
        if comment is None or comment["case_id"] != case["_id"]:
            raise errors.not_found("comment_id", "Comment")
        try:
            hidden, emitted = conversation.hide_comment(case, comment, principal, form, self.clock(),
                                                        self.config["HUB_CODE"])
        except Conflict as exc:
            raise conflict(exc)
        except OutOfScope:
            raise out_of_scope()
        if not self.cases.hide_comment(comment, hidden, emitted):
            raise conflict(Conflict("already_hidden", "The comment is already hidden.", "Komentar sudah disembunyikan."))
        return api_http.json_response(200, schemas.CommentOut().dump(hidden))

    # --- SLA policies and days off (data, not code) ------------------------------------------
    @http("GET", "/cases/admin/sla-policies")
    @api_http.api
    def policies_http(self, request):
        self.auth.principal(request, roles=OFFICIALS)
        return api_http.json_response(200, self.sla_policies())

    @http("PUT", "/cases/admin/sla-policies")
    @api_http.api
    def set_policies_http(self, request):
        principal = self.auth.principal(request, roles=("national_admin",))
        return api_http.json_response(200, self.set_sla_policies(api_http.read_json(request), principal["official_id"]))

    @rpc
    def sla_policies(self):
        return {"policies": self.cases.policies() or [sla.DEFAULT_POLICY], "default": sla.DEFAULT_POLICY}

    @rpc
    def set_sla_policies(self, document, by="rpc"):
        """Replace the policies (validated as a whole); applies to stages started from now on."""
        self.cases.set_policies(sla.load_policies(document), by, self.clock())
        return self.sla_policies()

    @http("GET", "/cases/admin/days-off")
    @api_http.api
    def days_off_http(self, request):
        self.auth.principal(request, roles=OFFICIALS)
        return api_http.json_response(200, {"days_off": schemas.DayOffOut(many=True).dump(self.cases.days_off())})

    @http("POST", "/cases/admin/days-off")
    @api_http.api
    def add_day_off_http(self, request):
        self.auth.principal(request, roles=("national_admin",))
        return api_http.json_response(201, self.add_day_off(api_http.read_json(request)))

    @rpc
    def add_day_off(self, entry):
        """Add cuti bersama (no region) or a regional holiday (BPS region code)."""
        day = schemas.DayOffIn().load(entry)
        stored = {**day, "date": day["date"].isoformat()}
        self.cases.add_day_off(stored)
        return schemas.DayOffOut().dump(stored)

    # --- plumbing ------------------------------------------------------------------------
    def _calendar(self) -> WorkCalendar:
        return WorkCalendar.from_entries(self.cases.days_off(),
                                         with_cuti_bersama=str(self.config.get("CUTI_BERSAMA_FROM_PACKAGE", "true")).lower() != "false")

    def _case(self, tracking_id):
        canonical = parse_tracking_id(tracking_id)
        if canonical is None:
            raise errors.ApiError([errors.error("tracking_id", "invalid", "Not a valid tracking ID.",
                                                "ID pelacakan tidak valid.")])
        case = self.cases.get(canonical)
        if case is None:
            raise case_not_found()
        return case

    def _change(self, tracking_id, decide):
        before = self._case(tracking_id)
        try:
            after, record = self.cases.change(before["tracking_id"], decide)
        except Conflict as exc:
            raise conflict(exc)
        except OutOfScope:
            raise out_of_scope()
        case_metrics.transition(before, after)
        return after, record

    def _verify_reporter(self, tracking_id, secret):
        if not reporter_verified(self.intake, tracking_id, secret, float(self.config.get("INTAKE_RPC_TIMEOUT", 5))):
            raise wrong_secret()

    @rpc
    def health(self):
        return {"service": self.name, "status": "ok", "open_cases": self.cases.open_count(),
                "outbox_pending": self.outbox.pending()}

"""Routing entrypoints: decide the authority for every complete report, and the tiered workflow
(national admin -> agency admin -> unit liaison) through /admin/ for officials with tokens."""
from __future__ import annotations

import time

from nameko.dependency_providers import Config
from nameko.rpc import rpc
from nameko.web.handlers import http
from werkzeug.wrappers import Response

from contract import errors, events, http as api_http
from contract.batch import apply_batch, event_batches
from contract.auth import ROLES, forbidden
from contract.errors import ApiError
from contract.ids import parse_tracking_id
from contract.metrics import Metrics
from contract.outbox import OutboxRelay
from contract.store import utcnow
from routing import domain, exceptions, forwarding_api, observability, registry_io, schemas
from routing.dependencies import DeskStore, OfficialAuth, RegistryStore
from routing.domain import case_state, inbox, workflow

ADMIN_ROLES = ("national_admin", "agency_admin")


def _body(request) -> dict:
    return api_http.read_json(request) if request.get_data(cache=True).strip() else {}


def route_report(service, event_type: str, report: dict) -> None:
    """Decide the authority for a received report and put it in the workflow (once)."""
    started = time.perf_counter()
    routed = domain.route(report, service.registry.regions(), service.registry.rule_index(),
                          service.config["HUB_CODE"], utcnow(), service.registry.agency_hubs())
    observability.decided(routed["outcome"], time.perf_counter() - started)
    service.desk.route(report["event_id"], routed["item"], routed["entry"], [routed["event"]])


def follow_case(service, event_type: str, event: dict) -> None:
    """The work item follows the report's case (answered: no more actions; closed: out of the
    queues; reopened: back in the liaison's hands); a case event for an unknown report is refused."""
    service.desk.follow_case(event["event_id"], event["tracking_id"],
                             lambda item: case_state.follow_case(item, event_type, event, utcnow()))


# event type -> handler(service, event type, event): what routing does with each event it consumes
EVENTS = {
    events.REPORT_RECEIVED: route_report,
    events.CASE_ANSWERED: follow_case,
    events.CASE_CLOSED: follow_case,
    events.CASE_REOPENED: follow_case,
}


class RoutingService(forwarding_api.ForwardingEntrypoints, api_http.HealthAndMetrics):
    name = "routing"

    config = Config()
    registry = RegistryStore()
    desk = DeskStore()
    auth = OfficialAuth()
    outbox = OutboxRelay()
    metrics = Metrics()

    # --- routing of received reports ------------------------------------------------------------

    @event_batches(EVENTS)
    def consume_events(self, batch):
        return apply_batch(self, batch, EVENTS)

    # --- the tiered workflow (officials, HTTP) --------------------------------------------------

    @http("GET", "/admin/inbox")
    @api_http.api
    def inbox(self, request):
        principal = self._official(request)
        filters = schemas.InboxQuery().load(request.args.to_dict())
        if filters["category_code"] and not self.registry.exists("categories", filters["category_code"]):
            raise ApiError([errors.error("category_code", "invalid", "Unknown category.", "Kategori tidak dikenal.")])
        now, sla = utcnow(), self._sla_days()
        query = inbox.inbox_query(principal, filters, now, sla)
        skip = (filters["page"] - 1) * filters["per_page"]
        items = [inbox.report_view(i, principal, now, sla) for i in self.desk.page(query, skip, filters["per_page"])]
        body = {"items": items, "page": filters["page"], "per_page": filters["per_page"],
                "total": self.desk.count(query), "counts": self.desk.counts_by("status", inbox.counts_query(query))}
        return api_http.json_response(200, schemas.InboxOut().dump(body))

    @http("GET", "/admin/reports/<string:tracking_id>")
    @api_http.api
    def report(self, request, tracking_id):
        principal = self._official(request)
        return api_http.json_response(200, self._view(principal, self._readable(principal, tracking_id)))

    @http("POST", "/admin/reports/<string:tracking_id>/<string:action>")
    @api_http.api
    def act(self, request, tracking_id, action):
        principal = self._official(request)
        if action not in schemas.ACTION_BODIES:
            raise errors.not_found("action", "Action")
        body = schemas.ACTION_BODIES[action]().load(_body(request))
        item = self._readable(principal, tracking_id)
        try:
            updated = self._apply(principal, item, action, body)
        except workflow.ActionRefused as exc:
            observability.refused(action, exc.kind)
            raise exceptions.refused(exc)
        except exceptions.StaleState:
            observability.refused(action, "stale")
            raise exceptions.stale(workflow.actions_for(principal, self.desk.get(item["_id"]) or item))
        observability.acted(action, principal["role"])
        return api_http.json_response(200, self._view(principal, updated))

    def _apply(self, principal: dict, item: dict, action: str, body: dict) -> dict:
        """Check the action against the state machine, then write it, its audit entry and event."""
        workflow.check(principal, item, action)
        if body.get("version") not in (None, item["version"]):
            raise exceptions.StaleState(item["_id"])
        now = utcnow()
        until = None
        if action == "postpone":
            until = workflow.postpone_until(body["until"], item["timezone"], now)
        target = workflow.target_of(principal, item, action, body, self.registry)
        entry = workflow.audit_entry(item, principal, action, target, now, body.get("reason"), until)
        event = workflow.action_event(item, principal, action, target, self.config["HUB_CODE"], body.get("reason"),
                                      until)
        return self.desk.act(item, workflow.moved(action, target, item, now, until), entry, [event])

    def _official(self, request, roles: tuple[str, ...] = ROLES) -> dict:
        """The authenticated official, who must belong to this stack's hub (401/403 otherwise)."""
        principal = self.auth.principal(request, roles=roles)
        if principal["hub"] != self.config["HUB_CODE"]:
            raise forbidden("acting for another hub")
        return principal

    def _readable(self, principal: dict, tracking_id: str) -> dict:
        """The report if it is in the official's read scope; 404 otherwise (existence not revealed)."""
        item = self.desk.get(parse_tracking_id(tracking_id) or tracking_id)  # as typed: "#id-k7m4x-..." too
        if item is None or not workflow.can_read(principal, item):
            raise exceptions.report_not_found()
        return item

    def _view(self, principal: dict, item: dict) -> dict:
        view = inbox.report_view(item, principal, utcnow(), self._sla_days())
        view["history"] = [inbox.audit_view(e) for e in self.desk.history(item["_id"])]
        return schemas.ReportOut().dump(view)

    def _sla_days(self) -> int:
        return int(self.config.get("ROUTING_QUEUE_SLA_DAYS", 3))

    # --- officials' tokens (HTTP for admins, RPC and CLI for operators) -------------------------

    @http("POST", "/admin/officials/<string:official_id>/tokens")
    @api_http.api
    def issue_token_http(self, request, official_id):
        principal = self._official(request, ADMIN_ROLES)
        days = schemas.TokenIn().load(_body(request))["days"]
        if not domain.may_manage_official(principal, self.registry.official(official_id)):
            raise exceptions.official_not_found()
        return api_http.json_response(201, schemas.TokenOut().dump(self.issue_token(official_id, days)))

    @http("DELETE", "/admin/officials/<string:official_id>/tokens")
    @api_http.api
    def revoke_tokens_http(self, request, official_id):
        principal = self._official(request, ADMIN_ROLES)
        if not domain.may_manage_official(principal, self.registry.official(official_id)):
            raise exceptions.official_not_found()
        return api_http.json_response(200, self.revoke_tokens(official_id))

    @rpc
    def issue_token(self, official_id, days=30):
        """A new token for an official (shown once; only its hash is stored)."""
        official = self.registry.official(official_id)
        if official is None:
            raise exceptions.official_not_found()
        token, doc = domain.new_token(official, utcnow(), int(days))
        self.registry.add_token(doc)
        return {"token": token, "official_id": official_id, "expires_at": doc["expires_at"].isoformat()}

    @rpc
    def authenticate(self, token):
        """The principal behind a token, or None (unknown, expired or revoked)."""
        return self.auth.lookup(token) if isinstance(token, str) else None

    @rpc
    def revoke_tokens(self, official_id):
        revoked = self.registry.revoke_tokens(official_id)
        self.auth.forget()
        return {"revoked": revoked}

    # --- the organisation registry ----------------------------------------------------------------

    @rpc
    def import_registry(self, payload):
        """Validate and apply a registry (dict): counts, or contract errors with nothing applied."""
        return self._import(payload if isinstance(payload, dict) else {"_": payload}, {})

    @rpc
    def export_registry(self):
        return self.registry.export()

    @http("POST", "/admin/registry")
    @api_http.api
    def import_registry_http(self, request):
        self._official(request, ("national_admin",))
        try:
            data, lines = registry_io.parse(request.get_data(as_text=True), request.mimetype or "",
                                            request.args.get("kind"))
        except registry_io.RegistryFileError as exc:
            raise ApiError(exc.items)
        return api_http.json_response(200, {"imported": self._import(data, lines)})

    @http("GET", "/admin/registry")
    @api_http.api
    def export_registry_http(self, request):
        self._official(request, ("national_admin",))
        query = schemas.ExportQuery().load(request.args.to_dict())
        registry = self.registry.export()
        if query["format"] == "csv":
            return api_http.csv_response(registry_io.to_csv(registry[query["kind"]]), f"registry-{query['kind']}")
        chosen = {query["kind"]: registry[query["kind"]]} if query["kind"] else registry
        if query["format"] == "json":
            return api_http.json_response(200, chosen)
        return Response(registry_io.to_yaml(chosen), content_type="application/yaml; charset=utf-8")

    def _import(self, data: dict, lines: dict) -> dict:
        registry, problems = registry_io.validate(data, lines, self.registry.known_codes(),
                                                  self.registry.all_rules(), self.registry.unit_agencies(),
                                                  self.registry.hubs())
        if problems:
            raise ApiError(problems)
        counts = self.registry.import_registry(registry, self.config["HUB_CODE"])
        self.auth.forget()  # an official's role or scope may have changed
        return counts

    @http("GET", "/registry/<string:kind>")
    @api_http.api
    def listing(self, request, kind):
        schema = schemas.PUBLIC_LISTINGS.get(kind)
        if schema is None:
            raise errors.not_found("kind", "Registry list")
        items = self.registry.listing(kind, tuple(schema().fields))
        if kind == "categories":
            english = request.headers.get("Accept-Language", "id").lower().startswith("en")
            items = [{**c, "name": c["name_en"] if english else c["name_id"]} for c in items]
        return api_http.json_response(200, {"items": schema(many=True).dump(items)})

    @rpc
    def recipients(self, ref):
        """Contacts of the officials behind a recipient reference (see domain.recipients_query)."""
        query = domain.recipients_query(ref) if isinstance(ref, str) else None
        if query is None:
            return []
        return [{"official_id": o["_id"], "name": o.get("name"), "role": o["role"], "email": o.get("email"),
                 "phone": o.get("phone")} for o in self.registry.officials_where(query)]

    @rpc
    def unit(self, code):
        return self.registry.unit(code)

    @rpc
    def disposition(self, tracking_id):
        """Where a report stands now (queue, agency, unit, status), or None."""
        item = self.desk.get(tracking_id)
        return None if item is None else {k: item.get(k) for k in (
            "queue", "status", "agency_code", "unit_code", "rule_id", "automatic", "suggested_unit_code",
            "target_hub", "version")}

    @rpc
    def history(self, tracking_id):
        """The report's audit trail (oldest first)."""
        return schemas.AuditEntryOut(many=True).dump([inbox.audit_view(e) for e in self.desk.history(tracking_id)])

    @rpc
    def health(self):
        return {"service": self.name, "status": "ok", "registry": self.registry.counts(),
                "outbox_pending": self.outbox.pending()}

    def refresh_metrics(self):
        observability.queue_sizes(self.desk.counts_by("queue", {"status": {"$in": list(workflow.OPEN_STATUSES)}}))


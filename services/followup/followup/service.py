"""Follow-up entrypoints: a case with a deadline for every dispositioned report."""
from __future__ import annotations

from nameko.dependency_providers import Config
from nameko.events import event_handler
from nameko.rpc import rpc
from nameko.web.handlers import http

from contract import events, http as api_http
from contract.consumer import consume
from contract.metrics import Metrics
from contract.outbox import OutboxRelay
from contract.store import utcnow
from followup import domain, schemas
from followup.dependencies import CaseStore


class FollowupService:
    name = "followup"

    config = Config()
    cases = CaseStore()
    outbox = OutboxRelay()
    metrics = Metrics()

    @event_handler("routing", events.REPORT_DISPOSITIONED, requeue_on_error=True)
    def on_report_dispositioned(self, payload):
        def apply(dispositioned):
            sla = {"verification": int(self.config.get("SLA_VERIFICATION_WORKING_DAYS", 3)),
                   "follow_up": int(self.config.get("SLA_FOLLOW_UP_WORKING_DAYS", 5))}
            case = domain.open_case(dispositioned, sla, now=utcnow())
            event = domain.case_opened_event(case, self.config["HUB_CODE"])
            return self.cases.open(dispositioned["event_id"], case, [event])
        consume(self.metrics, events.REPORT_DISPOSITIONED, payload, apply)
        self.outbox.wake()

    @rpc
    def case_for_report(self, tracking_id):
        case = self.cases.for_report(tracking_id)
        return None if case is None else schemas.CaseOut().dump(case)

    @rpc
    def health(self):
        return {"service": self.name, "status": "ok", "open_cases": self.cases.open_count(),
                "outbox_pending": self.outbox.pending()}

    @http("GET", "/health")
    def health_http(self, request):
        return api_http.json_response(200, self.health())

    @http("GET", "/metrics")
    def metrics_http(self, request):
        return api_http.metrics_response()

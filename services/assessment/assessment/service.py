"""Assessment entrypoints: counters per hub, region and agency, kept from events."""
from __future__ import annotations

from nameko.events import event_handler
from nameko.rpc import rpc
from nameko.web.handlers import http

from assessment import domain, schemas
from assessment.dependencies import CounterStore
from contract import events, http as api_http
from contract.consumer import consume
from contract.metrics import Metrics


class AssessmentService:
    name = "assessment"

    counters = CounterStore()
    metrics = Metrics()

    @event_handler("intake", events.REPORT_RECEIVED, requeue_on_error=True)
    def on_report_received(self, payload):
        self._count(events.REPORT_RECEIVED, payload)

    @event_handler("routing", events.REPORT_DISPOSITIONED, requeue_on_error=True)
    def on_report_dispositioned(self, payload):
        self._count(events.REPORT_DISPOSITIONED, payload)

    def _count(self, event_type, payload):
        consume(self.metrics, event_type, payload, lambda event: self.counters.apply(
            event["event_id"], domain.counter_increments(event_type, event)))

    @rpc
    def counts(self):
        return schemas.CountsOut().dump(domain.counts_view(self.counters.all()))

    @http("GET", "/stats/counts")
    def counts_http(self, request):
        return api_http.json_response(200, self.counts())

    @rpc
    def health(self):
        return {"service": self.name, "status": "ok"}

    @http("GET", "/health")
    def health_http(self, request):
        return api_http.json_response(200, self.health())

    @http("GET", "/metrics")
    def metrics_http(self, request):
        return api_http.metrics_response()

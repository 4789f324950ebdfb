"""Routing entrypoints: decide the authority for every complete report."""
from __future__ import annotations

from nameko.dependency_providers import Config
from nameko.events import event_handler
from nameko.rpc import rpc
from nameko.web.handlers import http

from contract import events, http as api_http
from contract.consumer import consume
from contract.errors import ApiError
from contract.metrics import Metrics
from contract.outbox import OutboxRelay
from routing import domain, schemas
from routing.dependencies import RegistryStore


class RoutingService:
    name = "routing"

    config = Config()
    registry = RegistryStore()
    outbox = OutboxRelay()
    metrics = Metrics()

    @event_handler("intake", events.REPORT_RECEIVED, requeue_on_error=True)
    def on_report_received(self, payload):
        def apply(report):
            regions = self.registry.regions()
            chain = domain.region_chain(report["region_code"], regions)
            decision = domain.decide(report, domain.best_rule(self.registry.candidate_rules(report, chain), report, chain))
            timezone = regions.get(report["region_code"], {}).get("timezone", "Asia/Jakarta")
            event = domain.dispositioned_event(report, decision, self.config["HUB_CODE"], timezone)
            return self.registry.record_disposition(report["event_id"], report, decision, [event])
        consume(self.metrics, events.REPORT_RECEIVED, payload, apply)
        self.outbox.wake()

    @rpc
    def import_registry(self, payload):
        """Validate and apply a registry (dict); returns counts, or contract errors."""
        registry = schemas.RegistryIn().load(payload)
        known = self.registry.known_codes()
        problems = domain.registry_problems(registry, known)
        if problems:
            raise ApiError(problems)
        return self.registry.import_registry(registry)

    @rpc
    def unit(self, code):
        return self.registry.unit(code)

    @rpc
    def disposition(self, tracking_id):
        return self.registry.disposition(tracking_id)

    @rpc
    def health(self):
        return {"service": self.name, "status": "ok", "registry": self.registry.counts(),
                "outbox_pending": self.outbox.pending()}

    @http("GET", "/health")
    def health_http(self, request):
        return api_http.json_response(200, self.health())

    @http("GET", "/metrics")
    def metrics_http(self, request):
        return api_http.metrics_response()

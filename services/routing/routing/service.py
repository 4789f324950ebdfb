"""Routing entrypoints: decide the authority for every complete report."""
from __future__ import annotations

from nameko.dependency_providers import Config
from nameko.events import event_handler
from nameko.rpc import rpc
from nameko.web.handlers import http

from contract import errors, events, http as api_http
from contract.auth import token_hash
from contract.consumer import consume
from contract.errors import ApiError
from contract.metrics import Metrics
from contract.outbox import OutboxRelay
from contract.store import utcnow
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
    def issue_token(self, official_id, days=30):
        """A new token for an official (shown once; only its hash is stored)."""
        official = self.registry.official(official_id)
        if official is None:
            raise ApiError([errors.error("official_id", "not_found", "Unknown official.", "Petugas tidak dikenal.")], 404)
        token, doc = domain.new_token(official, utcnow(), int(days))
        self.registry.add_token(doc)
        return {"token": token, "official_id": official_id, "expires_at": doc["expires_at"].isoformat()}

    @rpc
    def authenticate(self, token):
        """The principal behind a token, or None (unknown, expired or revoked)."""
        doc = self.registry.token(token_hash(token)) if isinstance(token, str) else None
        official = self.registry.official(doc["official_id"]) if doc else None
        return domain.principal_for(doc, official, utcnow())

    @rpc
    def revoke_tokens(self, official_id):
        return {"revoked": self.registry.revoke_tokens(official_id)}

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

"""Notification entrypoints: queue a message per recipient when a report moves."""
from __future__ import annotations

from nameko.dependency_providers import Config
from nameko.events import event_handler
from nameko.rpc import rpc
from nameko.web.handlers import http
from prometheus_client import Gauge

from contract import events, http as api_http
from contract.consumer import consume
from contract.metrics import Metrics
from contract.outbox import OutboxRelay
from contract.store import utcnow
from notification import domain, schemas
from notification.dependencies import NotificationStore

BACKLOG = Gauge("lapor_notifications_queued", "Notifications queued and not yet sent.")


class NotificationService:
    name = "notification"

    config = Config()
    notifications = NotificationStore()
    outbox = OutboxRelay()
    metrics = Metrics()

    @event_handler("routing", events.REPORT_DISPOSITIONED, requeue_on_error=True)
    def on_report_dispositioned(self, payload):
        def apply(event):
            queued = domain.for_dispositioned(event, now=utcnow())
            hub = self.config["HUB_CODE"]
            return self.notifications.queue(event["event_id"], queued, [domain.queued_event(n, hub) for n in queued])
        consume(self.metrics, events.REPORT_DISPOSITIONED, payload, apply)
        self.outbox.wake()

    @rpc
    def for_report(self, tracking_id):
        return schemas.NotificationOut(many=True).dump(self.notifications.for_report(tracking_id))

    @rpc
    def health(self):
        backlog = self.notifications.backlog()
        BACKLOG.set(backlog)
        return {"service": self.name, "status": "ok", "queued": backlog, "outbox_pending": self.outbox.pending()}

    @http("GET", "/health")
    def health_http(self, request):
        return api_http.json_response(200, self.health())

    @http("GET", "/metrics")
    def metrics_http(self, request):
        self.health()  # refresh the backlog gauge at scrape time
        return api_http.metrics_response()

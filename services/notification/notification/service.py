"""Notification entrypoints: queue messages when a report moves, deliver them, and the admin API."""
from __future__ import annotations

import secrets

from nameko.dependency_providers import Config
from nameko.rpc import rpc
from nameko.timer import Timer
from nameko.web.handlers import http
from werkzeug.wrappers import Response

from contract import events, http as api_http, scope
from contract.auth import Auth, forbidden
from contract.batch import apply_batch, event_batches
from contract.errors import ApiError, error
from contract.metrics import Metrics
from contract.outbox import OutboxRelay
from contract.store import utcnow
from notification import delivery, domain, exceptions, metrics, schemas, webhooks
from notification.channels import Mailer, SmsGateway, SocialReply, WebhookSender
from notification.courier import Courier, Settings
from notification.dependencies import Directory, NotificationStore, Templates

OFFICIALS = ("national_admin", "agency_admin", "liaison", "supervisor")


class ConfiguredTimer(Timer):
    """A timer whose interval is a config setting (read at setup, like every other setting)."""

    def __init__(self, setting: str, default: float, **kwargs):
        super().__init__(interval=default, **kwargs)
        self.setting = setting

    def setup(self):
        self.interval = float(self.container.config.get(self.setting, self.interval))


configured_timer = ConfiguredTimer.decorator


def officials_of(event_type: str, event: dict) -> list[str]:
    """The officials' recipient references an event concerns."""
    return [ref for kind, ref, *_ in domain.recipients(event_type, event) if kind != "reporter"]


def plan(service, event_type: str, event: dict) -> None:
    """Record every notification the event causes (once), announcing the people's ones."""
    subscribed = [s for s in service.notifications.subscriptions() if webhooks.matches(s, event_type, event)]
    digest = service.notifications.digest_refs(officials_of(event_type, event), batch_refs=officials_of)
    planned = domain.plan(event_type, event, utcnow(), digest, subscribed)
    announced = [domain.queued_event(n, service.config["HUB_CODE"]) for n in planned if n["channel"] != "webhook"]
    service.notifications.queue(event["event_id"], planned, announced)


# event type -> handler(service, event type, event): what notification does with each event it consumes
EVENTS = {
    events.REPORT_RECEIVED: plan,
    events.REPORT_DRAFT_SAVED: plan,
    events.REPORT_DISPOSITIONED: plan,
    events.REPORT_RETURNED: plan,
    events.REPORT_POSTPONED: plan,
    events.REPORT_ARCHIVED: plan,
    events.CASE_OPENED: plan,
    events.CASE_DUE_SOON: plan,
    events.CASE_OVERDUE: plan,
    events.CASE_ESCALATED: plan,
    events.CASE_UPDATED: plan,
    events.CASE_ANSWERED: plan,
    events.REPORTER_REPLIED: plan,
    events.CASE_REOPENED: plan,
    events.CASE_CLOSED: plan,
}


class NotificationService(api_http.HealthAndMetrics):
    name = "notification"

    config = Config()
    notifications = NotificationStore()
    outbox = OutboxRelay()
    metrics = Metrics()
    auth = Auth()
    directory = Directory()
    templates = Templates()
    mailer = Mailer()
    sms = SmsGateway()
    social = SocialReply()
    webhook = WebhookSender()

    # -- events that cause notifications ------------------------------------------------------
    @event_batches(EVENTS)
    def consume_events(self, batch):
        return apply_batch(self, batch, EVENTS)

    # -- the delivery worker ----------------------------------------------------------------
    @configured_timer("DELIVERY_POLL_SECONDS", 2.0)
    def deliver_due(self):
        """Send every due notification (retries included); outcomes are recorded and announced."""
        self._courier().deliver_due()

    @configured_timer("DIGEST_POLL_SECONDS", 60.0)
    def send_digests(self):
        """Once the daily digest hour has passed, queue each official's digest of held messages."""
        courier = self._courier()
        courier.build_digests(courier.digest_cutoff(utcnow()))

    def _courier(self) -> Courier:
        c = self.config
        policy = delivery.RetryPolicy(int(c.get("DELIVERY_MAX_ATTEMPTS", 6)), float(c.get("DELIVERY_BACKOFF_SECONDS", 30)),
                                      float(c.get("DELIVERY_BACKOFF_MAX_SECONDS", 3600)))
        settings = Settings(c["HUB_CODE"], policy, int(c.get("DELIVERY_CONCURRENCY", 10)),
                            float(c.get("DELIVERY_LEASE_SECONDS", 120)), c.get("NOTIFICATION_TIMEZONE", "Asia/Jakarta"),
                            int(c.get("DIGEST_HOUR", 7)), int(c.get("DELIVERY_CLAIM_BATCH", 50)))
        return Courier(self.notifications, self.directory, self.templates, self.mailer, self.sms, self.social,
                       self.webhook, settings, utcnow)

    # -- RPC --------------------------------------------------------------------------------
    @rpc
    def for_report(self, tracking_id):
        return schemas.NotificationOut(many=True).dump(self.notifications.for_report(tracking_id))

    @rpc
    def dead_letters(self, limit=50):
        return schemas.NotificationOut(many=True).dump(self.notifications.dead_letters(int(limit)))

    @rpc
    def health(self):
        counts = self.notifications.counts()
        metrics.backlog(counts)
        return {"service": self.name, "status": "ok", **counts, "outbox_pending": self.outbox.pending()}

    # -- admin HTTP API ---------------------------------------------------------------------
    @http("GET", "/notifications/dead-letters")
    @api_http.api
    def list_dead_letters(self, request):
        self.auth.principal(request, roles=("national_admin",))
        query = schemas.DeadLetterQuery().load(request.args.to_dict())
        found = self.notifications.dead_letters(query["limit"], query.get("channel"), query.get("template"))
        return api_http.json_response(200, schemas.NotificationList().dump({"notifications": found}))

    @http("POST", "/notifications/dead-letters/<string:notification_id>/retry")
    @api_http.api
    def retry_dead_letter(self, request, notification_id):
        principal = self.auth.principal(request, roles=("national_admin",))
        retried = self.notifications.retry(notification_id, utcnow(), principal["official_id"])
        if retried is None:
            if self.notifications.get(notification_id) is None:
                raise exceptions.unknown("notification_id", "Notification", "Notifikasi")
            raise exceptions.not_dead(notification_id)
        metrics.manual_retry(retried.get("delivered_channel") or retried["channel"], retried["template"])
        return api_http.json_response(200, schemas.NotificationOut().dump(retried))

    @http("POST", "/notifications/dead-letters/retry")
    @api_http.api
    def retry_dead_letters(self, request):
        principal = self.auth.principal(request, roles=("national_admin",))
        query = schemas.RetryAllIn().load(api_http.read_json(request))
        retried = 0
        for dead in self.notifications.dead_letters(query["limit"], query.get("channel"), query.get("template")):
            if self.notifications.retry(dead["_id"], utcnow(), principal["official_id"]):
                metrics.manual_retry(dead.get("delivered_channel") or dead["channel"], dead["template"])
                retried += 1
        return api_http.json_response(200, {"retried": retried})

    @http("GET", "/notifications/reports/<string:tracking_id>")
    @api_http.api
    def report_notifications(self, request, tracking_id):
        principal = self.auth.principal(request, roles=OFFICIALS)
        if principal["role"] != "national_admin":  # the report's own read scope (contract.scope)
            try:
                standing = self.directory.report_standing(tracking_id)
            except exceptions.TransientError:
                raise ApiError([error(None, "unavailable")], status=503, headers={"Retry-After": "5"})
            if standing is None or not scope.can_read(principal, standing):
                raise exceptions.unknown("tracking_id", "Report", "Laporan")
        found = self.notifications.for_report(tracking_id)
        return api_http.json_response(200, schemas.NotificationList().dump({"notifications": found}))

    @http("GET", "/notifications/subscriptions")
    @api_http.api
    def list_subscriptions(self, request):
        self.auth.principal(request, roles=("national_admin",))
        found = self.notifications.subscriptions()
        return api_http.json_response(200, schemas.SubscriptionList().dump({"subscriptions": found}))

    @http("POST", "/notifications/subscriptions")
    @api_http.api
    def subscribe(self, request):
        principal = self.auth.principal(request, roles=("national_admin",))
        form = schemas.SubscriptionIn().load(api_http.read_json(request))
        subscription = {**form, "_id": "sub_" + secrets.token_hex(8), "secret": form["secret"] or webhooks.new_secret(),
                        "active": True, "created_at": utcnow(), "created_by": principal["official_id"]}
        self.notifications.add_subscription(subscription)
        return api_http.json_response(201, schemas.SubscriptionCreated().dump(subscription))

    @http("DELETE", "/notifications/subscriptions/<string:subscription_id>")
    @api_http.api
    def unsubscribe(self, request, subscription_id):
        self.auth.principal(request, roles=("national_admin",))
        if not self.notifications.deactivate_subscription(subscription_id, utcnow()):
            raise exceptions.unknown("subscription_id", "Subscription", "Langganan")
        return Response(status=204)

    @http("PUT", "/notifications/preferences/<string:recipient_ref>")
    @api_http.api
    def set_preference(self, request, recipient_ref):
        principal = self.auth.principal(request, roles=OFFICIALS)
        if not schemas.RECIPIENT_REF.match(recipient_ref):
            raise ApiError([error("recipient_ref", "invalid", "Not a valid recipient reference (e.g. unit:BLL-PUPR).",
                                  "Referensi penerima tidak valid (mis. unit:BLL-PUPR).")])
        if not domain.may_manage_preference(principal, recipient_ref):
            raise forbidden("managing this recipient's notifications")
        form = schemas.PreferenceIn().load(api_http.read_json(request))
        saved = self.notifications.set_digest(recipient_ref, form["digest"], principal["official_id"], utcnow())
        return api_http.json_response(200, schemas.PreferenceOut().dump(saved))

    @http("POST", "/notifications/digests")
    @api_http.api
    def send_digests_now(self, request):
        self.auth.principal(request, roles=("national_admin",))
        return api_http.json_response(200, {"digests": self._courier().build_digests(utcnow())})

    def refresh_metrics(self):
        self.health()  # refreshes the backlog gauges


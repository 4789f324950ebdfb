"""Notification entrypoints: queue messages when a report moves, deliver them, and the admin API."""
from __future__ import annotations

from contract.rpc import rpc
from werkzeug.wrappers import Response

from contract import events, registry_names
from contract.auth import Auth
from contract.batch import event_batches, handle_batch
from contract.ids import parse_tracking_id
from contract.http import HealthAndMetrics, endpoint, json_response, read_json
from contract.metrics import Metrics
from contract.outbox import OutboxRelay
from contract.rpc import typed
from contract.store import utcnow
from contract.timers import Wake, configured_timer
from notification import domain, exceptions, handlers, metrics, schemas
from notification.channels import Mailer, SmsGateway, SocialReply, WebhookSender
from notification.courier import Courier, take_back_claims
from notification.dependencies import CourierIdentity, NotificationStore, Templates
from notification.directory import Directory

OFFICIALS = ("national_admin", "agency_admin", "liaison", "supervisor")


# event type -> handler(uow, event type, event): what notification does with each event it consumes
EVENTS = {event_type: handlers.plan_notifications for event_type in (
    events.REPORT_RECEIVED,
    events.REPORT_DRAFT_SAVED,
    events.REPORT_DISPOSITIONED,
    events.REPORT_RETURNED,
    events.REPORT_POSTPONED,
    events.REPORT_ARCHIVED,
    events.REPORT_FORWARDED,  # issue 18: the reporter learns where the report went
    events.CASE_OPENED,
    events.CASE_DUE_SOON,
    events.CASE_OVERDUE,
    events.CASE_ESCALATED,
    events.CASE_UPDATED,
    events.CASE_ANSWERED,
    events.REPORTER_REPLIED,
    events.CASE_REOPENED,
    events.CASE_CLOSED,
)}
EVENTS[events.REGISTRY_UPDATED] = registry_names.registry_updated  # the names messages show


class NotificationService(HealthAndMetrics):
    name = "notification"

    store = NotificationStore()
    outbox = OutboxRelay()
    metrics = Metrics()
    auth = Auth()
    directory = Directory()
    templates = Templates()
    mailer = Mailer()
    sms = SmsGateway()
    social = SocialReply()
    webhook = WebhookSender()
    courier = CourierIdentity()
    wake = Wake()

    # -- events that cause notifications ------------------------------------------------------
    @event_batches(EVENTS)
    def consume_events(self, batch):
        outcomes = handle_batch(self.store, batch, EVENTS)
        if any(outcome == "applied" for outcome, _ in outcomes):
            self.wake("deliver_due")  # what the batch queued is sent now, not at the next poll
        return outcomes

    # -- the delivery worker ----------------------------------------------------------------
    @configured_timer("DELIVERY_POLL_SECONDS", 2.0, wake_setting="DELIVERY_WAKE",
                      gap_setting="DELIVERY_WAKE_GAP_SECONDS", gap=0.5)
    def deliver_due(self):
        """Send every due notification (retries included; woken by a batch of events, else every
        DELIVERY_POLL_SECONDS); outcomes are recorded and announced."""
        Courier(self.store, self.directory, self.templates, self.mailer, self.sms, self.social,
                self.webhook, courier_id=self.courier.id).deliver_due()

    @configured_timer("COURIER_HEARTBEAT_SECONDS", 3.0, eager=True)
    def heartbeat(self):
        """Say this courier is alive (from the start)."""
        self.store.run(handlers.heartbeat, self.courier, utcnow())

    @configured_timer("COURIER_HEARTBEAT_SECONDS", 3.0, eager=True)
    def take_back_orphaned_claims(self):
        """Take back the claims of couriers that are gone (at start: a restart after kill -9)."""
        take_back_claims(self.store, self.courier)

    @configured_timer("DIGEST_POLL_SECONDS", 60.0)
    def send_digests(self):
        """Once the daily digest hour has passed, queue each official's digest of held messages."""
        settings = self.store.settings
        self.store.run(handlers.build_digests, domain.digest_cutoff(utcnow(), settings.timezone, settings.digest_hour))

    # -- RPC --------------------------------------------------------------------------------
    @rpc
    @typed("notification.for_report")
    def for_report(self, tracking_id):
        return self.store.read(handlers.notifications_of_report, tracking_id)

    @rpc
    def dead_letters(self, limit=50):
        return schemas.NotificationOut(many=True).dump(self.store.read(handlers.dead_letters, int(limit)))

    @rpc
    def health(self):
        counts = self.store.read(handlers.backlog)
        metrics.backlog(counts)
        return {"service": self.name, "status": "ok", **counts, "outbox_pending": self.outbox.pending()}

    # -- admin HTTP API ---------------------------------------------------------------------
    @endpoint("GET", "/notifications/dead-letters")
    def list_dead_letters(self, request):
        self.auth.principal(request, roles=("national_admin",))
        query = schemas.DeadLetterQuery().load(request.args.to_dict())
        found = self.store.read(handlers.dead_letters, query["limit"], query.get("channel"), query.get("template"))
        return json_response(200, schemas.NotificationList().dump({"notifications": found}))

    @endpoint("POST", "/notifications/dead-letters/<string:notification_id>/retry")
    def retry_dead_letter(self, request, notification_id):
        principal = self.auth.principal(request, roles=("national_admin",))
        retried = self.store.run(handlers.retry_dead_letter, notification_id, principal["official_id"])
        return json_response(200, schemas.NotificationOut().dump(retried))

    @endpoint("POST", "/notifications/dead-letters/retry")
    def retry_dead_letters(self, request):
        principal = self.auth.principal(request, roles=("national_admin",))
        query = schemas.RetryAllIn().load(read_json(request))
        return json_response(200, {"retried": self.store.run(handlers.retry_dead_letters, query,
                                                             principal["official_id"])})

    @endpoint("GET", "/notifications/reports/<string:tracking_id>")
    def report_notifications(self, request, tracking_id):
        principal = self.auth.principal(request, roles=OFFICIALS)
        canonical = parse_tracking_id(tracking_id)  # a typed ID, forgiving as everywhere (contract.ids)
        if canonical is None:
            raise exceptions.invalid_tracking_id()
        found = self.store.read(handlers.report_notifications, principal, canonical, self.directory)
        return json_response(200, schemas.NotificationList().dump({"notifications": found}))

    @endpoint("GET", "/notifications/subscriptions")
    def list_subscriptions(self, request):
        self.auth.principal(request, roles=("national_admin",))
        found = self.store.read(handlers.subscriptions)
        return json_response(200, schemas.SubscriptionList().dump({"subscriptions": found}))

    @endpoint("POST", "/notifications/subscriptions")
    def subscribe(self, request):
        principal = self.auth.principal(request, roles=("national_admin",))
        form = schemas.SubscriptionIn().load(read_json(request))
        subscription = self.store.run(handlers.subscribe, form, principal["official_id"])
        return json_response(201, schemas.SubscriptionCreated().dump(subscription))

    @endpoint("DELETE", "/notifications/subscriptions/<string:subscription_id>")
    def unsubscribe(self, request, subscription_id):
        self.auth.principal(request, roles=("national_admin",))
        self.store.run(handlers.unsubscribe, subscription_id)
        return Response(status=204)

    @endpoint("PUT", "/notifications/preferences/<string:recipient_ref>")
    def set_preference(self, request, recipient_ref):
        principal = self.auth.principal(request, roles=OFFICIALS)
        handlers.authorize_preference(principal, recipient_ref)  # before the body: the API's error order
        form = schemas.PreferenceIn().load(read_json(request))
        saved = self.store.run(handlers.set_preference, principal, recipient_ref, form)
        return json_response(200, schemas.PreferenceOut().dump(saved))

    @endpoint("POST", "/notifications/digests")
    def send_digests_now(self, request):
        self.auth.principal(request, roles=("national_admin",))
        return json_response(200, {"digests": self.store.run(handlers.build_digests, utcnow())})

    def refresh_metrics(self):
        self.health()  # refreshes the backlog gauges

"""Intake entrypoints: the front door for reports."""
from __future__ import annotations

from nameko.dependency_providers import Config
from nameko.rpc import rpc
from nameko.web.handlers import http

from contract import http as api_http
from contract.ids import parse_tracking_id
from contract.metrics import Metrics
from contract.outbox import OutboxRelay
from contract.store import utcnow
from intake import domain, exceptions, schemas
from intake.dependencies import ReportStore
from intake.tracking import TrackingEntrypoints


def _language(request) -> str:
    return "en" if request.args.get("lang") == "en" or (request.accept_languages.best or "").startswith("en") else "id"


class IntakeService(TrackingEntrypoints):
    name = "intake"

    config = Config()
    reports = ReportStore()
    outbox = OutboxRelay()
    metrics = Metrics()

    @http("POST", "/reports")
    @api_http.api
    def submit_report(self, request):
        form = schemas.ReportIn().load(api_http.read_json(request))
        secret = domain.new_secret()
        report = domain.new_report(form, hub=self.config["HUB_CODE"], now=utcnow(), secret=secret)
        self.reports.add(report, events=[domain.received_event(report)])
        self.outbox.wake()
        receipt = schemas.ReceiptOut().dump({**report, "secret": secret,
                                             "tracking_url": f"/reports/{report['tracking_id']}"})
        return api_http.json_response(201, receipt, {"Location": receipt["tracking_url"]})

    @http("GET", "/reports/<string:tracking_id>")
    @api_http.api
    def track_report(self, request, tracking_id):
        canonical = parse_tracking_id(tracking_id)
        if canonical is None:
            raise exceptions.invalid_tracking_id()
        report = self.reports.get(canonical)
        if report is None:
            raise exceptions.report_not_found()
        view = domain.tracking_view(report, _language(request))
        return api_http.json_response(200, schemas.TrackingOut().dump(view))

    @rpc
    def get_report(self, tracking_id):
        report = self.reports.get(tracking_id)
        return None if report is None else schemas.TrackingOut().dump(domain.tracking_view(report))

    @rpc
    def verify_reporter(self, tracking_id, secret):
        """True when ``secret`` is the reporter secret issued with ``tracking_id`` (for followup)."""
        canonical = parse_tracking_id(tracking_id) if isinstance(tracking_id, str) else None
        stored = self.reports.secret_hash(canonical) if canonical else None
        return domain.secret_matches(stored, secret)

    @rpc
    def reporter_contact(self, reporter_ref):
        """For the notification service at send time; identity never travels in events."""
        report = self.reports.by_reporter_ref(reporter_ref)
        return None if report is None else schemas.ContactOut().dump(domain.reporter_contact(report))

    @rpc
    def health(self):
        return {"service": self.name, "status": "ok", "reports": self.reports.count(),
                "outbox_pending": self.outbox.pending()}

    @http("GET", "/health")
    def health_http(self, request):
        return api_http.json_response(200, self.health())

    @http("GET", "/metrics")
    def metrics_http(self, request):
        return api_http.metrics_response()

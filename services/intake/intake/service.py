"""Intake entrypoints: the front door for reports (web and app here; other channels mixed in)."""
from __future__ import annotations

from nameko.dependency_providers import Config
from nameko.rpc import rpc
from nameko.web.handlers import http

from contract import events, http as api_http
from contract.auth import Auth
from contract.batch import apply_batch, event_batches
from contract.ids import parse_tracking_id
from contract.metrics import Metrics
from contract.store import utcnow
# mixins imported as modules: `nameko run intake.service` must find one service class only
from intake import (acceptance, channels, completeness, domain, evidence_entrypoints, exceptions, history, hubs,
                    open311_entrypoints, schemas, tracking)
from intake import metrics as intake_metrics
from intake.dependencies import ReportStore
from intake.hub_link import HubLink, HubOutboxRelay


def language_of(request) -> str:
    return "en" if request.args.get("lang") == "en" or (request.accept_languages.best or "").startswith("en") else "id"


def client_address(request) -> str:
    """The caller's address: the front door (nginx) sets X-Forwarded-For to its peer."""
    return (request.headers.get("X-Forwarded-For") or request.remote_addr or "").split(",")[0].strip()


def receipt_response(status: int, receipt: dict):
    body = schemas.ReceiptOut().dump(receipt)
    return api_http.json_response(status, body, {"Location": body["tracking_url"]})


def registry_updated(service, event_type: str, event: dict) -> None:
    """routing imported a registry: refresh the copy that reports are checked against."""
    loaded = schemas.RegistryCopyIn().load({"regions": event["regions"], "categories": event["categories"],
                                            "hubs": event["hubs"]})
    service.reports.apply_registry_update(loaded["regions"], loaded["categories"], event["version"],
                                          event["updated_at"], hubs=loaded["hubs"])


# event type -> handler(service, event type, event): what intake does with each event it consumes
EVENTS = {
    **{event_type: tracking.record for event_type in history.TRACKED},
    events.REGISTRY_UPDATED: registry_updated,
}


class IntakeService(acceptance.Acceptance, channels.ChannelEntrypoints, open311_entrypoints.Open311Entrypoints,
                    evidence_entrypoints.EvidenceEntrypoints, hubs.HubEntrypoints, api_http.HealthAndMetrics):
    name = "intake"

    config = Config()
    reports = ReportStore()
    outbox = HubOutboxRelay()
    hub_link = HubLink()
    metrics = Metrics()
    auth = Auth()

    @http("POST", "/reports")
    @intake_metrics.counted("web")
    @api_http.api
    def submit_report(self, request):
        form = schemas.load_report(api_http.read_json(request))
        status, receipt, _ = self._accept(form, sender=client_address(request),
                                          idempotency_key=request.headers.get("Idempotency-Key"))
        return receipt_response(status, receipt)

    @http("PATCH", "/reports/<string:tracking_id>")
    @intake_metrics.counted("web")
    @api_http.api
    def complete_report(self, request, tracking_id):
        changes = schemas.CompletionIn().load(api_http.read_json(request), partial=True)
        draft = self._draft_for(tracking_id, changes.pop("secret", None))
        changes.pop("channel", None)
        missing = completeness.missing_items(domain.merged(draft, changes), draft["channel"],
                                             self.reports.registry()["categories"])
        now = utcnow()
        step = domain.completion(draft, changes, missing, now)
        report = {**domain.merged(draft, step["set"]), **step["set"]}
        event = domain.draft_event(report, now) if missing else domain.received_event(report)
        if not self.reports.complete(draft["_id"], step["set"], step["entry"], [event]):
            raise exceptions.not_a_draft()
        if not missing:
            intake_metrics.received(draft["channel"], report.get("classification"), complete=True)
        receipt = {**report, "missing": missing, "tracking_url": f"/reports/{draft['_id']}"}
        return receipt_response(202 if missing else 200, receipt)

    def _draft_for(self, tracking_id: str, secret: str | None) -> dict:
        canonical = parse_tracking_id(tracking_id)
        if canonical is None:
            raise exceptions.invalid_tracking_id()
        draft = self.reports.get(canonical)
        if draft is None:
            raise exceptions.report_not_found()
        if not domain.secret_matches(draft.get("secret_hash"), secret):
            raise exceptions.wrong_secret()
        if draft["status"] != "incomplete":
            raise exceptions.not_a_draft()
        return draft

    @http("GET", "/reports/<string:tracking_id>")
    @api_http.api
    def track_report(self, request, tracking_id):
        canonical = parse_tracking_id(tracking_id)
        if canonical is None:
            raise exceptions.invalid_tracking_id()
        report = self.reports.with_history(canonical)
        if report is None and (elsewhere := self._elsewhere(canonical)):
            return api_http.json_response(307, {"tracking_id": canonical, "location": elsewhere}, {"Location": elsewhere})
        if report is None:
            raise exceptions.report_not_found()
        view = domain.tracking_view(report, language_of(request))
        return api_http.json_response(200, schemas.TrackingOut().dump(view))

    @rpc
    def get_report(self, tracking_id):
        report = self.reports.with_history(tracking_id)
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
    def load_registry(self, registry):
        """Replace intake's copy of regions (with SMS keywords) and categories; returns counts."""
        loaded = schemas.RegistryCopyIn().load(registry)
        return self.reports.replace_registry(loaded["regions"], loaded["categories"], source="rpc")

    @event_batches(EVENTS)
    def consume_events(self, batch):
        return apply_batch(self, batch, EVENTS)

    @rpc
    def health(self):
        return {"service": self.name, "status": "ok", "reports": self.reports.count(),
                "outbox_pending": self.outbox.pending()}

"""Intake entrypoints: the front door for reports (web and app here; other channels mixed in)."""
from __future__ import annotations

from pathlib import Path

from nameko.dependency_providers import Config
from nameko.rpc import rpc
from nameko.web.handlers import http

from contract import events, http as api_http
from contract.auth import Auth
from contract.batch import apply_batch, event_batches
from contract.ids import parse_tracking_id
from contract.metrics import Metrics
from contract.officials_web import OfficialPages
from contract.store import utcnow
from contract.web import WebAssets, WebPages
# mixins imported as modules: `nameko run intake.service` must find one service class only
from intake import (acceptance, channels, completeness, domain, evidence_entrypoints, exceptions, history, hubs,
                    official_pages, open311_entrypoints, schemas, tracking, web_pages)
from intake import metrics as intake_metrics
from intake.dependencies import ChannelGateways, ReportStore
from intake.hub_link import HubLink, HubOutboxRelay


def language_of(request) -> str:
    return "en" if request.args.get("lang") == "en" or (request.accept_languages.best or "").startswith("en") else "id"


def receipt_response(status: int, receipt: dict):
    body = schemas.ReceiptOut().dump(receipt)
    return api_http.json_response(status, body, {"Location": body["tracking_url"]})


def registry_updated(service, event_type: str, event: dict) -> None:
    """routing imported a registry: refresh the copy that reports are checked against."""
    loaded = schemas.RegistryCopyIn().load({"regions": event["regions"], "categories": event["categories"],
                                            "hubs": event["hubs"]})
    service.reports.apply_registry_update(loaded["regions"], loaded["categories"], event["version"],
                                          event["updated_at"], hubs=loaded["hubs"])


def then(*handlers):
    """One table entry doing each handler's effect in turn (one unit of work, one processed marker)."""
    def handle(service, event_type: str, event: dict) -> None:
        for handler in handlers:
            handler(service, event_type, event)
    handle.__doc__ = " then ".join(h.__name__ for h in handlers)
    return handle


# event type -> handler(service, event type, event): what intake does with each event it consumes
EVENTS = {
    **{event_type: tracking.record for event_type in history.TRACKED},
    # the history step, then the hub network: a transfer out, or a status back to the origin hub
    **{event_type: then(tracking.record, effect) for event_type, effect in hubs.EFFECTS.items()},
    events.REGISTRY_UPDATED: registry_updated,
}


class IntakeService(acceptance.Acceptance, channels.ChannelEntrypoints, open311_entrypoints.Open311Entrypoints,
                    evidence_entrypoints.EvidenceEntrypoints, hubs.HubEntrypoints, web_pages.CitizenPages,
                    official_pages.IntakeOfficialPages, WebAssets, api_http.HealthAndMetrics):
    name = "intake"

    config = Config()
    reports = ReportStore()
    channel_gateways = ChannelGateways()
    outbox = HubOutboxRelay()
    hub_link = HubLink()
    metrics = Metrics()
    auth = Auth()
    web = WebPages(Path(__file__).parent / "templates", Path(__file__).parent / "messages.yml")
    official_web = OfficialPages(Path(__file__).parent / "petugas_templates", Path(__file__).parent / "officials.yml")

    @http("POST", "/reports")
    @intake_metrics.counted("web")
    @api_http.api
    def submit_report(self, request):
        form = schemas.load_report(api_http.read_json(request))
        sender = api_http.client_address(request, self.config.get("TRUSTED_PROXIES", "127.0.0.1,::1"))
        status, receipt, _ = self._accept(form, sender=sender,
                                          idempotency_key=request.headers.get("Idempotency-Key"))
        return receipt_response(status, receipt)

    @http("PATCH", "/reports/<string:tracking_id>")
    @intake_metrics.counted("web")
    @api_http.api
    def complete_report(self, request, tracking_id):
        changes = schemas.CompletionIn().load(api_http.read_json(request), partial=True)
        code, now = changes.pop("completion_code", None), utcnow()
        draft = self._draft_for(tracking_id, changes.pop("secret", None), code, now)
        changes.pop("channel", None)
        missing, report, secret = self._complete(draft, changes, code, now)
        receipt = {**report, "missing": missing, "tracking_url": f"/reports/{draft['_id']}",
                   **({"secret": secret} if secret else {})}
        return receipt_response(202 if missing else 200, receipt)

    def _complete(self, draft: dict, changes: dict, code: str | None = None,
                  now=None) -> tuple[list[dict], dict, str | None]:
        """Apply a reporter's completion to a draft: (items still missing, the report, the new
        secret when a one-time completion code was exchanged for one)."""
        now = now or utcnow()
        missing = completeness.missing_items(domain.merged(draft, changes), draft["channel"],
                                             self.reports.registry()["categories"])
        step = domain.completion(draft, changes, missing, now)
        secret = domain.new_secret() if code else None  # a one-time code is exchanged for a secret
        if secret:
            step["set"].update(domain.code_spent(secret))
        report = {**domain.merged(draft, step["set"]), **step["set"]}
        event = domain.draft_event(report, now) if missing else domain.received_event(report)
        expect = {"completion_code_hash": draft["completion_code_hash"]} if code else None
        if not self.reports.complete(draft["_id"], step["set"], step["entry"], [event], expect=expect):
            raise exceptions.not_a_draft()
        if not missing:
            intake_metrics.received(draft["channel"], report.get("classification"), complete=True)
        return missing, report, secret

    def _draft_for(self, tracking_id: str, secret: str | None, code: str | None = None, now=None) -> dict:
        canonical = parse_tracking_id(tracking_id)
        if canonical is None:
            raise exceptions.invalid_tracking_id()
        draft = self.reports.get(canonical)
        if draft is None:
            raise exceptions.report_not_found()
        if code is not None:
            if not domain.completion_code_matches(draft, code, now or utcnow()):
                raise exceptions.wrong_secret("completion_code")
        elif not domain.secret_matches(draft.get("secret_hash"), secret):
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
    def reporter_contacts(self, reporter_refs):
        """``reporter_contact`` for a batch (the courier's claim): one query; unknown refs are left out."""
        refs = schemas.ContactsIn().load({"reporter_refs": reporter_refs})["reporter_refs"]
        reports = self.reports.by_reporter_refs(sorted(set(refs))) if refs else []
        return schemas.ContactOut(many=True).dump([domain.reporter_contact(r) for r in reports])

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

"""Intake's entrypoints: the front door for reports (web, app, SMS, social, manual entry, Open311),
the tracking views, evidence, the hub network and the events intake keeps its history from.
The Open311 GeoReport v2 channel and its client keys are their own group of entrypoints
(``intake.open311_entrypoints``), on this same service.

Each entrypoint loads its input through a schema, runs one handler (``intake.handlers``) through
the store (``run``: one unit of work committed before the answer; ``read``: read only;
``together``: committed with concurrent submissions, group commit) and dumps or renders the result.
"""
from __future__ import annotations

from pathlib import Path

from marshmallow import ValidationError
from nameko.dependency_providers import Config
from nameko.timer import timer
from werkzeug.wrappers import Response

from contract import errors, events
from contract.routes import url_for
from contract.auth import Auth
from contract.batch import event_batches, handle_batch, then
from contract.http import HealthAndMetrics, attachment, client_address, endpoint, json_response, read_json
from contract.metrics import Metrics
from contract.officials_web import OfficialPages, official_http, official_page
from contract.rpc import TypedRpcProxy, rpc, typed
from contract.web import WebAssets, WebPages, language_of
from contract.web import page as citizen_page
from intake import (channel_schemas, domain, evidence, exceptions, handlers, history, hub_link, metrics, pages,
                    privacy, privacy_schemas, schemas, web_forms)
from intake.dependencies import ChannelGateways, IntakeStore
from intake.entrypoints import (channel_body, counted, evidence_from_page, notifications_of, receipt_response,
                                submitted, wants_a_page)
from intake import hub_registry
from intake.hub_link import HubOutboxRelay, hub_inbound
from intake.open311_entrypoints import Open311Entrypoints

HERE = Path(__file__).parent


# event type -> handler(uow, event type, event): what intake does with each event it consumes
EVENTS = {
    **{event_type: handlers.record_step for event_type in history.TRACKED},
    # the history step, then the hub network: a transfer out, or a status back to the origin hub
    **{event_type: then(handlers.record_step, effect) for event_type, effect in handlers.HUB_EFFECTS.items()},
    events.REGISTRY_UPDATED: handlers.registry_updated,
    events.HUB_PART_PUBLISHED: handlers.publish_hub_part,  # issue 19: this hub's own part, out on the links
}


class IntakeService(Open311Entrypoints, WebAssets, HealthAndMetrics):
    name = "intake"

    config = Config()
    store = IntakeStore()
    channel_gateways = ChannelGateways()
    outbox = HubOutboxRelay()
    metrics = Metrics()
    auth = Auth()
    notification = TypedRpcProxy("notification")  # notification.for_report: a data-subject export's messages
    web = WebPages(HERE / "templates", HERE / "messages.yml")
    official_web = OfficialPages(HERE / "petugas_templates", HERE / "officials.yml")

    # --- reports: the API ------------------------------------------------------------------------
    @endpoint("POST", "/reports", admission=True)  # refused at arrival when over capacity (issue 23)
    @counted("web")
    def submit_report(self, request):
        form = schemas.load_report(read_json(request))
        submission = submitted(self.store, handlers.accept_report, {
            "form": form, "sender": client_address(request, self.store.settings.trusted_proxies),
            "idempotency_key": request.headers.get("Idempotency-Key")})
        return receipt_response(submission["status"], submission["receipt"])

    @endpoint("PATCH", "/reports/<string:tracking_id>")
    @counted("web")
    def complete_report(self, request, tracking_id):
        changes = schemas.CompletionIn().load(read_json(request), partial=True)
        command = {"tracking_id": tracking_id, "secret": changes.pop("secret", None),
                   "completion_code": changes.pop("completion_code", None)}
        changes.pop("channel", None)
        completed = submitted(self.store, handlers.complete_report, {**command, "changes": changes})
        return receipt_response(completed["status"], completed["receipt"])

    @endpoint("GET", "/reports/<string:tracking_id>")
    def track_report(self, request, tracking_id):
        if wants_a_page(request):  # a person's browser (a link in an old message): the tracking page
            return Response(status=303, headers={"Location": url_for("tracking", tracking_id=tracking_id),
                                                 "Vary": "Accept"})
        found = self.store.read(handlers.track_report, {"tracking_id": tracking_id, "language": language_of(request)})
        if "elsewhere" in found:
            return json_response(307, {"tracking_id": found["tracking_id"], "location": found["elsewhere"]},
                                 {"Location": found["elsewhere"]})
        return json_response(200, schemas.TrackingOut().dump(found["view"]))

    # --- other channels ----------------------------------------------------------------------------
    def _gateway(self, channel: str, request) -> str:
        """The authenticated gateway posting into ``channel`` (401 otherwise; see intake.gateways)."""
        gateway = self.channel_gateways.gateway(channel, request)
        if gateway is None:
            raise exceptions.unknown_gateway()
        return gateway

    @endpoint("POST", "/channels/sms")
    @counted("sms")
    def sms_webhook(self, request):
        gateway = self._gateway("sms", request)
        message = channel_schemas.SmsIn().load(channel_body(request))
        answer = submitted(self.store, handlers.accept_sms, {"message": message, "gateway": gateway})
        return json_response(answer["status"], channel_schemas.SmsReplyOut().dump(answer["reply"]))

    @endpoint("POST", "/channels/social")
    @counted("social")
    def social_webhook(self, request):
        gateway = self._gateway("social", request)
        post = channel_schemas.SocialIn().load(read_json(request))
        answer = submitted(self.store, handlers.accept_social, {"post": post, "gateway": gateway})
        return json_response(answer["status"], channel_schemas.SocialReplyOut().dump(answer["reply"]))

    @endpoint("POST", "/channels/manual")
    @counted("manual")
    def manual_entry(self, request):
        official = self.auth.principal(request, roles=("liaison",))
        form = schemas.load_report(read_json(request), schema=channel_schemas.ManualIn)
        submission = submitted(self.store, handlers.accept_manual, {
            "form": form, "official": official, "idempotency_key": request.headers.get("Idempotency-Key")})
        return receipt_response(submission["status"], submission["receipt"])

    # --- personal data (intake.privacy): erasure on request, data-subject export ---------------------
    @endpoint("POST", "/reports/<string:tracking_id>/erasure")
    def erase_personal_data(self, request, tracking_id):
        secret = privacy_schemas.ErasureIn().load(read_json(request))["secret"]
        erased = self.store.run(handlers.erase_on_request, {"tracking_id": tracking_id, "secret": secret})
        return json_response(200, privacy_schemas.ErasureOut().dump(erased))

    @endpoint("GET", "/reports/<string:tracking_id>/personal-data")
    def export_personal_data(self, request, tracking_id):
        principal = self.auth.principal(request, roles=privacy.EXPORTERS)
        canonical = self.store.read(handlers.exportable, {"tracking_id": tracking_id, "principal": principal})
        notifications = notifications_of(self.notification, canonical)
        export = self.store.run(handlers.export_personal_data, {
            "tracking_id": canonical, "principal": principal, "notifications": notifications,
            "secret": request.headers.get("X-Reporter-Secret")})  # the data subject's proof: contacts disclosed
        return json_response(200, privacy_schemas.PersonalDataExportOut().dump(export))

    # --- evidence ----------------------------------------------------------------------------------
    @endpoint("POST", "/reports/<string:tracking_id>/attachments")
    def add_evidence(self, request, tracking_id):
        upload = request.files.get("file")
        added = self.store.run(handlers.add_evidence, {
            "tracking_id": tracking_id, "secret": request.form.get("secret"),
            "data": upload.stream.read(evidence.MAX_BYTES + 1) if upload is not None else None})
        return json_response(202 if "relayed_to" in added else 201, added)  # 202: sent to the hub holding it

    @endpoint("GET", "/reports/<string:tracking_id>/attachments")
    def list_evidence(self, request, tracking_id):
        principal = self.auth.principal(request)
        return json_response(200, self.store.read(handlers.list_evidence,
                                                  {"tracking_id": tracking_id, "principal": principal}))

    @endpoint("GET", "/reports/<string:tracking_id>/attachments/<string:file_id>")
    def get_evidence(self, request, tracking_id, file_id):
        principal = self.auth.principal(request)
        meta, data = self.store.read(handlers.evidence_file, {"tracking_id": tracking_id, "file_id": file_id,
                                                               "principal": principal})
        return Response(data, status=200, content_type=meta["metadata"]["content_type"],
                        headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
                                 "Content-Disposition": attachment(meta["filename"], "evidence")})

    @official_http("GET", "/petugas/bukti/<string:tracking_id>")
    @official_page()
    def evidence_page(self, request, page, principal, tracking_id):
        """Officials' evidence page: the files of a report for the officials handling it (nothing
        about the reporter; anonymous reporters' files had their metadata stripped)."""
        shown = self.store.read(handlers.evidence_page, {"tracking_id": tracking_id, "principal": principal})
        return page.render("evidence.html", **shown)

    # --- citizens' pages ---------------------------------------------------------------------------
    @citizen_page("GET", "/")
    def home_page(self, request):
        return self.web.page(request).render("home.html")

    @citizen_page("GET", "/lapor")
    def report_form_page(self, request):
        values = {"classification": request.args.get("classification", "complaint")}
        return pages.report_form(self.web.page(request), self.store.read(handlers.form_registry),
                                 self.store.settings.evidence_max_files, values, {})

    @citizen_page("POST", "/lapor")
    def report_form_submit(self, request):
        page, limit = self.web.page(request), self.store.settings.evidence_max_files
        page.check_csrf()
        body = web_forms.report_body(request.form, page.lang)
        try:
            form = schemas.load_report(body)
            files = pages.uploads(request, body["is_anonymous"], limit)
            report = submitted(self.store, handlers.accept_report, {
                "form": form, "sender": client_address(request, self.store.settings.trusted_proxies),
                "idempotency_key": request.form.get("form_id") or None})["receipt"]
        except (errors.ApiError, ValidationError) as exc:
            if isinstance(exc, exceptions.RateLimited):
                metrics.rate_limited("web")
            return pages.report_form(page, self.store.read(handlers.form_registry), limit, request.form,
                                     page.field_errors(exc), status=getattr(exc, "status", 400))
        if files:
            self.store.run(handlers.add_evidence_files, {"tracking_id": report["tracking_id"], "files": files})
        if report.get("secret"):
            page.remember_reporter_key(report["tracking_id"], report["secret"])
        return page.redirect(url_for("receipt", tracking_id=report["tracking_id"]))

    @citizen_page("GET", "/lapor/<string:tracking_id>")
    def receipt_page(self, request, tracking_id):
        page = self.web.page(request)
        shown = self.store.read(handlers.receipt, tracking_id)
        if shown["report"]["_id"] != tracking_id:
            return page.redirect(url_for("receipt", tracking_id=shown["report"]["_id"]))
        return pages.receipt(page, shown, self.store.settings.evidence_max_files, {})

    @citizen_page("POST", "/lapor/<string:tracking_id>")
    def receipt_complete(self, request, tracking_id):
        page = self.web.page(request)
        page.check_csrf()
        shown = self.store.read(handlers.receipt, tracking_id)
        tracking_id = shown["report"]["_id"]
        typed = (request.form.get("secret") or "").strip()
        secret = typed or page.reporter_key(tracking_id)
        try:
            self.store.read(handlers.reporter_draft, {"tracking_id": tracking_id, "secret": secret})
            changes = schemas.CompletionIn().load({**web_forms.completion_body(request.form), "secret": secret},
                                                  partial=True)
            changes.pop("secret", None)
            submitted(self.store, handlers.complete_report,
                      {"tracking_id": tracking_id, "secret": secret, "changes": changes})
        except (errors.ApiError, ValidationError) as exc:
            return pages.receipt(page, shown, self.store.settings.evidence_max_files, page.field_errors(exc),
                                 values=request.form, status=getattr(exc, "status", 400))
        if typed:
            page.remember_reporter_key(tracking_id, typed)
        return page.redirect(url_for("receipt", tracking_id=tracking_id))

    @citizen_page("POST", "/lapor/<string:tracking_id>/bukti")
    def evidence_submit(self, request, tracking_id):
        page = self.web.page(request)
        page.check_csrf()
        report = self.store.read(handlers.page_report, tracking_id)
        if not domain.secret_matches(report.get("secret_hash"), page.reporter_key(report["_id"])
                                     or request.form.get("secret")):
            return page.redirect(url_for("tracking", tracking_id=report["_id"], error="secret", _anchor="bukti"))
        refused = evidence_from_page(self.store, request, report)
        if refused:
            return page.redirect(url_for("tracking", tracking_id=report["_id"], error=refused, _anchor="bukti"))
        return page.redirect(url_for("tracking", tracking_id=report["_id"], notice="evidence_added"))

    @citizen_page("GET", "/lapor/<string:tracking_id>/hapus-kontak")
    def erasure_page(self, request, tracking_id):  # the confirmation step (the button on /lacak/<id>)
        return pages.erasure(self.web.page(request), self.store.read(handlers.page_report, tracking_id), {})

    @citizen_page("POST", "/lapor/<string:tracking_id>/hapus-kontak")
    def erasure_submit(self, request, tracking_id):
        page = self.web.page(request)
        page.check_csrf()
        report = self.store.read(handlers.page_report, tracking_id)
        secret = (request.form.get("secret") or "").strip() or page.reporter_key(report["_id"])
        try:
            self.store.run(handlers.erase_on_request, {"tracking_id": report["_id"], "secret": secret})
        except errors.ApiError as exc:
            return pages.erasure(page, report, page.field_errors(exc), status=exc.status)
        return page.redirect(url_for("tracking", tracking_id=report["_id"], notice="contact_erased"))

    @citizen_page("GET", "/publik")
    def public_list_page(self, request):
        filters, number = web_forms.public_filters(request.args), web_forms.page_number(request.args)
        size = web_forms.PUBLIC_PAGE_SIZE
        listing = self.store.read(handlers.public_list, {"filters": filters, "skip": (number - 1) * size, "size": size})
        return pages.public_list(self.web.page(request), listing, filters, number)

    # --- RPC for the other services ----------------------------------------------------------------
    @rpc
    @typed("intake.page_view")
    def page_view(self, tracking_id, lang="id", secret=None):
        """A report as followup's pages show it (``PageViewOut``), or None when there is none."""
        return self.store.read(handlers.page_view, {"tracking_id": tracking_id, "lang": lang, "secret": secret})

    @rpc
    def get_report(self, tracking_id):
        view = self.store.read(handlers.report_view, tracking_id)
        return None if view is None else schemas.TrackingOut().dump(view)

    @rpc
    @typed("intake.verify_reporter")
    def verify_reporter(self, tracking_id, secret):
        """True when ``secret`` is the reporter secret issued with ``tracking_id`` (for followup)."""
        return self.store.read(handlers.verify_reporter, {"tracking_id": tracking_id, "secret": secret})

    @rpc
    @typed("intake.reporter_contact")
    def reporter_contact(self, reporter_ref):
        """For the notification service at send time; identity never travels in events."""
        return self.store.read(handlers.reporter_contact, reporter_ref)

    @rpc
    @typed("intake.completion_link")
    def completion_link(self, reporter_ref, notification_id):
        """For notification's direct message to a social draft's reporter: a fresh one-time link."""
        return self.store.run(handlers.completion_link, {"reporter_ref": reporter_ref, "notification_id": notification_id})

    @rpc
    @typed("intake.reporter_contacts")
    def reporter_contacts(self, reporter_refs):
        """``reporter_contact`` for a batch (the courier's claim): one query; unknown refs are left out."""
        return self.store.read(handlers.reporter_contacts, reporter_refs)

    @rpc
    @typed("intake.relay_reporter_action")
    def relay_reporter_action(self, tracking_id, action, form, secret):
        """The reporter's reply, rating or reopening of a report held at another hub, sent there
        (followup's pages; issue 19): ``{"relayed", "hub", "action_id"}`` or ``{"refused", "hub"}``."""
        return self.store.run(handlers.relay_action, {"tracking_id": tracking_id, "action": action, "form": form,
                                                      "secret": secret})

    @rpc
    @typed("intake.tracking_page_elsewhere")
    def tracking_page_elsewhere(self, tracking_id):
        """For the tracking page of a report this hub does not hold: its page at the issuing hub."""
        return self.store.read(handlers.tracking_page_elsewhere, tracking_id)

    @rpc
    def load_registry(self, registry):
        """Replace intake's copy of regions (with SMS keywords) and categories; returns counts."""
        return self.store.run(handlers.load_registry, schemas.RegistryCopyIn().load(registry))

    @rpc
    def health(self):
        return {"service": self.name, "status": "ok", "reports": self.store.read(handlers.report_count),
                "outbox_pending": self.outbox.pending()}

    # --- events and the hub network ----------------------------------------------------------------
    @event_batches(EVENTS)
    def consume_events(self, batch):
        return handle_batch(self.store, batch, EVENTS)

    @hub_inbound
    def on_hub_message(self, body, user_id=None):
        if hub_registry.is_publication(body):  # issue 19: a part of the registry, from the hub that owns it
            return hub_registry.receive(self.store, handlers.receive_publication, body, user_id)
        message = hub_link.load_message(body, user_id)
        hub_link.receive(message, lambda: self.store.run(handlers.receive_hub_message, message))

    @timer(interval=10, eager=True)
    def hub_housekeeping(self):
        """Declare the links to neighbours in the directory; refresh the hub gauges."""
        neighbours = self.store.read(handlers.declare_links)
        self.refresh_metrics()
        return neighbours

    def refresh_metrics(self) -> None:
        self.store.read(handlers.refresh_gauges)

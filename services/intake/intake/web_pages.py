"""Intake's pages for citizens and the public (docs/web.md): home, the report form, the receipt
(with the completion of a draft), evidence uploads, the public list; and ``page_view``, the RPC
the tracking and public-report pages of followup read a report through."""
from __future__ import annotations

from marshmallow import ValidationError
from nameko.rpc import rpc
from nameko.web.handlers import http

from contract import errors, web as weblayer
from contract.ids import parse_tracking_id
from intake import completeness, domain, evidence, schemas, web_forms


def client_address(request) -> str:
    return (request.headers.get("X-Forwarded-For") or request.remote_addr or "").split(",")[0].strip()


class CitizenPages:
    """Mixed into IntakeService; needs ``self.web``, ``self.reports``, ``self._accept``,
    ``self._complete``, ``self._draft_for`` and ``self._store_evidence``."""

    @http("GET", "/")
    @weblayer.html
    def home_page(self, request):
        return self.web.page(request).render("home.html")

    @http("GET", "/lapor")
    @weblayer.html
    def report_form_page(self, request):
        page = self.web.page(request)
        return self._report_form(page, {"classification": request.args.get("classification", "complaint")}, {})

    @http("POST", "/lapor")
    @weblayer.html
    def report_form_submit(self, request):
        page = self.web.page(request)
        page.check_csrf()
        body = web_forms.report_body(request.form, page.lang)
        try:
            form = schemas.load_report(body)
            files = self._uploads(request, anonymous=body["is_anonymous"])
            status, receipt, report = self._accept(form, sender=client_address(request),
                                                   idempotency_key=request.form.get("form_id") or None)
        except (errors.ApiError, ValidationError) as exc:
            return self._report_form(page, request.form, page.field_errors(exc), status=getattr(exc, "status", 400))
        for data in files:
            self._store_evidence(report, data)
        if receipt.get("secret"):
            page.remember_reporter_key(report["tracking_id"], receipt["secret"])
        return page.redirect(f"/lapor/{report['tracking_id']}")

    @http("GET", "/lapor/<string:tracking_id>")
    @weblayer.html
    def receipt_page(self, request, tracking_id):
        page = self.web.page(request)
        report = self._page_report(tracking_id)
        if report["_id"] != tracking_id:
            return page.redirect(f"/lapor/{report['_id']}")
        return self._receipt(page, report, {})

    @http("POST", "/lapor/<string:tracking_id>")
    @weblayer.html
    def receipt_complete(self, request, tracking_id):
        page = self.web.page(request)
        page.check_csrf()
        report = self._page_report(tracking_id)
        typed = (request.form.get("secret") or "").strip()
        secret = typed or page.reporter_key(report["_id"])
        try:
            draft = self._draft_for(report["_id"], secret)
            changes = schemas.CompletionIn().load({**web_forms.completion_body(request.form), "secret": secret},
                                                  partial=True)
            changes.pop("secret", None)
            self._complete(draft, changes)
        except (errors.ApiError, ValidationError) as exc:
            return self._receipt(page, report, page.field_errors(exc), values=request.form,
                                 status=getattr(exc, "status", 400))
        if typed:
            page.remember_reporter_key(report["_id"], typed)
        return page.redirect(f"/lapor/{report['_id']}")

    @http("POST", "/lapor/<string:tracking_id>/bukti")
    @weblayer.html
    def evidence_submit(self, request, tracking_id):
        page = self.web.page(request)
        page.check_csrf()
        report = self._page_report(tracking_id)
        secret = page.reporter_key(report["_id"]) or request.form.get("secret")
        back = f"/lacak/{report['_id']}"
        if not domain.secret_matches(report.get("secret_hash"), secret):
            return page.redirect(f"{back}?error=secret#bukti")
        try:
            files = self._uploads(request, anonymous=report["is_anonymous"], required=True)
            for data in files:
                self._store_evidence(report, data)
        except errors.ApiError as exc:
            code = "evidence_too_many" if exc.status == 409 or "too many" in str(exc.errors) else "evidence_invalid"
            return page.redirect(f"{back}?error={code}#bukti")
        return page.redirect(f"{back}?notice=evidence_added")

    @http("GET", "/publik")
    @weblayer.html
    def public_list_page(self, request):
        page = self.web.page(request)
        filters, number = web_forms.public_filters(request.args), web_forms.page_number(request.args)
        size = web_forms.PUBLIC_PAGE_SIZE
        found = self.reports.public_page(filters, (number - 1) * size, size)
        registry = self.reports.registry()
        categories = web_forms.category_options(registry["category_docs"], page.lang)
        regions = web_forms.region_options(registry["region_docs"])
        return page.render("public_list.html", reports=[web_forms.public_item(r) for r in found[:size]],
                           filters=filters, number=number, has_next=len(found) > size, categories=categories,
                           regions=regions, category_names=web_forms.names(categories),
                           region_names=web_forms.names(regions),
                           classification_options=[(k, page._("classification." + k)) for k in web_forms.classifications()],
                           status_options=[(s, page._("status." + s)) for s in web_forms.PUBLIC_STATUSES])

    @rpc
    def page_view(self, tracking_id, lang="id", secret=None):
        """A report as the web pages show it (``PageViewOut``), or None when there is none."""
        canonical = parse_tracking_id(tracking_id) if isinstance(tracking_id, str) else None
        report = self.reports.get(canonical) if canonical else None
        if report is None:
            return None
        registry = self.reports.registry()
        categories = web_forms.names(web_forms.category_options(registry["category_docs"], lang))
        regions = web_forms.names(web_forms.region_options(registry["region_docs"]))
        verified = domain.secret_matches(report.get("secret_hash"), secret)
        public = not report["is_confidential"] and report["status"] != "incomplete"
        item = web_forms.public_item(report)
        view = {**domain.tracking_view(report, lang), "reporter_verified": verified, "is_public": public,
                "category_name": categories.get(report.get("category_code")),
                "region_name": regions.get(report.get("region_code")),
                "attachment_count": len(report.get("attachments") or []),
                "reporter_name": item["reporter"] if public else None}
        if verified or public:
            view.update({k: report.get(k) for k in ("description", "location_text", "incident_date")},
                        full_title=report.get("title"))
        return schemas.PageViewOut().dump(view)

    # --- helpers ---------------------------------------------------------------------------
    def _page_report(self, tracking_id: str) -> dict:
        canonical = parse_tracking_id(tracking_id)
        report = self.reports.get(canonical) if canonical else None
        if report is None:
            raise weblayer.NotFoundPage()
        return report

    def _uploads(self, request, anonymous: bool, required: bool = False) -> list[bytes]:
        """The chosen evidence files, each checked before anything is stored."""
        chosen = [f for f in request.files.getlist("evidence") if f and f.filename]
        limit = int(self.config.get("EVIDENCE_MAX_FILES", evidence.MAX_PER_REPORT))
        if required and not chosen:
            raise errors.ApiError([errors.error("evidence", "required")])
        if len(chosen) > limit:
            raise errors.ApiError([errors.error("evidence", "too_many", f"At most {limit} files.",
                                                f"Paling banyak {limit} berkas.")])
        files = []
        for upload in chosen:
            data = upload.stream.read(evidence.MAX_BYTES + 1)
            try:
                evidence.prepare(data, anonymous=anonymous)
            except evidence.BadEvidence:
                raise errors.ApiError([errors.error(
                    "evidence", "invalid", f"{upload.filename}: not accepted; JPEG, PNG or PDF of at most 5 MB.",
                    f"{upload.filename}: tidak diterima; harus JPEG, PNG atau PDF, paling besar 5 MB.")])
            files.append(data)
        return files

    def _options(self, page) -> dict:
        registry = self.reports.registry()
        return {"categories": web_forms.category_options(registry["category_docs"], page.lang),
                "regions": web_forms.region_options(registry["region_docs"]),
                "classifications": web_forms.classifications(), "gesi_markers": web_forms.gesi_markers(),
                "max_files": int(self.config.get("EVIDENCE_MAX_FILES", evidence.MAX_PER_REPORT)),
                "max_bytes": evidence.MAX_BYTES}

    def _report_form(self, page, values, field_errors: dict, status: int = 200):
        return page.render("report_form.html", status=status, values=values, errors=field_errors,
                           form_id=weblayer.new_form_id(), **self._options(page))

    def _receipt(self, page, report: dict, field_errors: dict, values=None, status: int = 200):
        secret = page.reporter_key(report["_id"])
        verified = domain.secret_matches(report.get("secret_hash"), secret)
        missing = []
        if report["status"] == "incomplete":
            missing = completeness.missing_items(report, report["channel"], self.reports.registry()["categories"])
        shown = values if values is not None else (report if verified else {})
        return page.render("receipt.html", status=status, report=report, secret=secret if verified else None,
                           missing=missing, errors=field_errors, values=shown, **self._options(page))

"""Evidence attachments: the reporter uploads (with the secret), officials handling the report read."""
from __future__ import annotations

from nameko.web.handlers import http
from werkzeug.wrappers import Response

from contract import errors, http as api_http
from contract.auth import forbidden
from contract.ids import parse_tracking_id
from contract.store import utcnow
from intake import domain, evidence, exceptions


def _report(reports, tracking_id: str) -> dict:
    canonical = parse_tracking_id(tracking_id)
    if canonical is None:
        raise exceptions.invalid_tracking_id()
    report = reports.get(canonical)
    if report is None:
        raise exceptions.report_not_found()
    return report


class EvidenceEntrypoints:
    """Mixed into IntakeService; needs ``self.reports``, ``self.auth`` and ``self.config``."""

    @http("POST", "/reports/<string:tracking_id>/attachments")
    @api_http.api
    def add_evidence(self, request, tracking_id):
        report = _report(self.reports, tracking_id)
        if not domain.secret_matches(report.get("secret_hash"), request.form.get("secret")):
            raise exceptions.wrong_secret()
        upload = request.files.get("file")
        if upload is None:
            raise errors.ApiError([errors.error("file", "required")])
        entry, content_type = self._store_evidence(report, upload.stream.read(evidence.MAX_BYTES + 1))
        return api_http.json_response(201, {"file_id": entry["file_id"], "content_type": content_type,
                                            "size": entry["size"]})

    def _store_evidence(self, report: dict, data: bytes) -> tuple[dict, str]:
        """Check and keep one file of evidence: (stored entry, content type), or an ApiError."""
        try:
            data, content_type = evidence.prepare(data, anonymous=report["is_anonymous"])
        except evidence.BadEvidence as exc:
            raise errors.ApiError([errors.error("file", "invalid", f"Not accepted: {exc}.",
                                                "Berkas tidak diterima: harus JPEG, PNG atau PDF, paling besar 5 MB.")])
        name = "evidence" + {"image/jpeg": ".jpg", "image/png": ".png"}.get(content_type, ".pdf")
        entry = self.reports.add_attachment(report, data, content_type, name,
                                            int(self.config.get("EVIDENCE_MAX_FILES", evidence.MAX_PER_REPORT)),
                                            utcnow())
        if entry is None:
            raise errors.ApiError([errors.error("file", "too_many", "This report already has the most attachments.",
                                                "Laporan ini sudah memiliki lampiran maksimum.")], status=409)
        return entry, content_type

    @http("GET", "/reports/<string:tracking_id>/attachments")
    @api_http.api
    def list_evidence(self, request, tracking_id):
        report = self._readable_report(request, tracking_id)
        items = [{k: a[k] for k in ("file_id", "content_type", "size", "sha256", "uploaded_at")}
                 for a in report.get("attachments") or []]
        return api_http.json_response(200, {"tracking_id": report["_id"], "attachments": items})

    @http("GET", "/reports/<string:tracking_id>/attachments/<string:file_id>")
    @api_http.api
    def get_evidence(self, request, tracking_id, file_id):
        report = self._readable_report(request, tracking_id)
        found = self.reports.attachment(report["_id"], file_id)
        if found is None:
            raise errors.not_found("file_id", "Attachment")
        meta, data = found
        return Response(data, status=200, content_type=meta["metadata"]["content_type"],
                        headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
                                 "Content-Disposition": f'attachment; filename="{meta["filename"]}"'})

    def _readable_report(self, request, tracking_id: str) -> dict:
        principal = self.auth.principal(request)
        report = _report(self.reports, tracking_id)
        if not evidence.may_read(principal, report):
            raise forbidden("reading this report's evidence")
        return report

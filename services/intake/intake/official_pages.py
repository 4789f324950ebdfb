"""Officials' evidence page (intake owns the report and its attachments): the files of a report
for the officials handling it (``evidence.may_read``, the API's rule), each opened through the
API (``GET /reports/<id>/attachments/<file_id>``, the session cookie authenticates it). Nothing
about the reporter is shown here; anonymous reporters' files had their metadata stripped."""
from __future__ import annotations

from nameko.web.handlers import http

from contract import errors
from contract.ids import parse_tracking_id
from contract.officials_web import official_page
from intake import evidence


class IntakeOfficialPages:
    """Mixed into IntakeService; needs ``official_web``, ``auth`` and ``reports``."""

    @http("GET", "/petugas/bukti/<string:tracking_id>")
    @official_page()
    def evidence_page(self, request, page, principal, tracking_id):
        canonical = parse_tracking_id(tracking_id)
        report = self.reports.get(canonical) if canonical else None
        if report is None or not evidence.may_read(principal, report):
            raise errors.not_found("tracking_id", "Report")  # existence not revealed
        files = [{k: a[k] for k in ("file_id", "content_type", "size", "uploaded_at")}
                 for a in report.get("attachments") or []]
        return page.render("evidence.html", tracking_id=report["_id"], files=files,
                           anonymous=bool(report.get("is_anonymous")))

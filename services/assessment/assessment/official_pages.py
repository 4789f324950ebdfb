"""Officials' monitoring page (assessment owns the KPIs): choose a period (and, for national
admins, an agency) and open the printable monitoring report or its CSV. The report itself is
``GET /assessments/reports/monitoring`` (format html/csv): the session cookie authenticates it
there, with the API's own scope rule (``access.agency_scope``)."""
from __future__ import annotations

from nameko.web.handlers import http

from assessment import access
from contract.officials_web import official_page
from contract.store import utcnow


class AssessmentOfficialPages:
    """Mixed into AssessmentService; needs ``official_web`` and ``auth``."""

    @http("GET", "/petugas/pemantauan")
    @official_page(access.READERS)
    def monitoring_page(self, request, page, principal):
        now = utcnow()
        periods = [str(now.year), f"{now.year}-Q{(now.month - 1) // 3 + 1}", f"{now.year}-{now.month:02d}",
                   str(now.year - 1)]
        return page.render("monitoring_page.html", periods=periods, agency=access.agency_scope(principal, None),
                           national=principal["role"] == "national_admin")

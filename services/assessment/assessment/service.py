"""Assessment entrypoints: KPIs kept from events, self-assessments, targets, reports, open data."""
from __future__ import annotations

from pathlib import Path

from nameko.rpc import RpcProxy, rpc
from nameko.web.handlers import http
from werkzeug.wrappers import Response

from assessment import (access, domain, indicators, kpi, official_pages, periods, public_pages, reports, schemas,
                        selfassessment)
from assessment.dependencies import JOURNAL_BACKLOG, AssessmentStore, Settings
from assessment.survey_api import SurveyEndpoints
from assessment.survey_store import SurveyStore
from contract import events, http as api_http
from contract.auth import Auth
from contract.batch import apply_batch, event_batches
from contract.errors import ApiError, error, not_found
from contract.metrics import Metrics
from contract.officials_web import OfficialPages
from contract.store import utcnow
from contract.web import WebAssets, WebPages

LEGACY = (events.REPORT_RECEIVED, events.REPORT_DISPOSITIONED)


def _year(text: str) -> int:
    if not text.isdigit() or not periods.MIN_YEAR <= int(text) <= periods.MAX_YEAR:
        raise ApiError([error("year", "invalid", "The year must be a four-digit year.",
                              "Tahun harus berupa empat angka.")])
    return int(text)


def fold(service, event_type: str, event: dict) -> None:
    """Fold the event into the report's fact and journal the KPI cell moves (once per event)."""
    legacy = domain.counter_increments(event_type, event) if event_type in LEGACY else []
    service.store.apply_fact_event(event["event_id"], event["tracking_id"],
                                   lambda old: kpi.fold(old, event_type, event), legacy)


# event type -> handler(service, event type, event): what assessment does with each event it consumes
EVENTS = {
    events.REPORT_RECEIVED: fold,
    events.REPORT_DISPOSITIONED: fold,
    events.REPORT_RETURNED: fold,
    events.REPORT_ARCHIVED: fold,
    events.REPORT_FORWARDED: fold,
    events.CASE_OPENED: fold,
    events.CASE_UPDATED: fold,
    events.CASE_ANSWERED: fold,
    events.CASE_CLOSED: fold,
    events.CASE_RATED: fold,
    events.CASE_REOPENED: fold,
    events.CASE_OVERDUE: fold,
}


class AssessmentService(api_http.HealthAndMetrics, SurveyEndpoints, public_pages.PublicPages,
                        official_pages.AssessmentOfficialPages, WebAssets):
    name = "assessment"

    store = AssessmentStore()
    settings = Settings()
    auth = Auth()
    routing = RpcProxy("routing")
    metrics = Metrics()
    surveys = SurveyStore()
    web = WebPages(Path(__file__).parent / "templates", Path(__file__).parent / "messages.yml")
    official_web = OfficialPages(Path(__file__).parent / "petugas_templates", Path(__file__).parent / "officials.yml")

    # -- events: one fact per report, cells moved by the difference --------------------------
    @event_batches(EVENTS)
    def consume_events(self, batch):
        return apply_batch(self, batch, EVENTS)

    # -- self-assessment --------------------------------------------------------------------
    @http("GET", "/assessments/templates")
    @api_http.api
    def templates_http(self, request):
        return api_http.json_response(200, schemas.TemplateOut(many=True).dump(self.store.templates()))

    @http("GET", "/assessments/templates/<template_id>")
    @api_http.api
    def template_http(self, request, template_id):
        return api_http.json_response(200, schemas.TemplateOut().dump(self._template(template_id, 404)))

    @http("POST", "/assessments/templates")
    @api_http.api
    def add_template_http(self, request):
        self.auth.principal(request, roles=("national_admin",))
        template = schemas.TemplateIn().load(api_http.read_json(request))
        problems = selfassessment.template_problems(template)
        if problems:
            raise ApiError(problems)
        if not self.store.add_template(template):
            raise ApiError([error("id", "conflict", "A template with this id exists; templates are never "
                                  "overwritten.", "Templat dengan id ini sudah ada; templat tidak pernah ditimpa.")], 409)
        return api_http.json_response(201, schemas.TemplateOut().dump(template))

    @http("POST", "/assessments/agencies/<agency_code>/self-assessments/<year>")
    @api_http.api
    def submit_self_assessment_http(self, request, agency_code, year):
        principal, year = self._writer(request, agency_code, year)
        body = schemas.SelfAssessmentIn().load(api_http.read_json(request))
        template = self._template(body["template_id"], 400)
        result = selfassessment.evaluate(template, body["scores"], self.settings["bands"], body["priorities"])
        return self._save_version(principal, agency_code, year, template["id"], body["scores"], result, body["note"])

    @http("POST", "/assessments/agencies/<agency_code>/self-assessments/<year>/priorities")
    @api_http.api
    def decide_priorities_http(self, request, agency_code, year):
        principal, year = self._writer(request, agency_code, year)
        body = schemas.PrioritiesIn().load(api_http.read_json(request))
        latest = self.store.self_assessment(agency_code, year) or self._no_assessment()
        template = self._template(latest["template_id"], 400)
        result = selfassessment.evaluate(template, latest["scores"], self.settings["bands"], body["priorities"])
        return self._save_version(principal, agency_code, year, template["id"], latest["scores"], result,
                                  body["note"])

    @http("GET", "/assessments/agencies/<agency_code>/self-assessments/<year>")
    @api_http.api
    def self_assessment_http(self, request, agency_code, year):
        year = self._reader(request, agency_code, year)
        version = request.args.get("version")
        if version is not None and not version.isdigit():
            raise ApiError([error("version", "invalid")])
        found = self.store.self_assessment(agency_code, year, int(version) if version else None)
        return api_http.json_response(200, schemas.SelfAssessmentOut().dump(found or self._no_assessment()))

    @http("GET", "/assessments/agencies/<agency_code>/self-assessments/<year>/history")
    @api_http.api
    def self_assessment_history_http(self, request, agency_code, year):
        year = self._reader(request, agency_code, year)
        versions = self.store.self_assessment_versions(agency_code, year) or self._no_assessment()
        return api_http.json_response(200, schemas.HistoryOut().dump(
            {"agency_code": agency_code, "year": year, "versions": versions}))

    # -- strategic targets ------------------------------------------------------------------
    @http("PUT", "/assessments/agencies/<agency_code>/targets/<year>")
    @api_http.api
    def set_target_http(self, request, agency_code, year):
        principal, year = self._writer(request, agency_code, year)
        body = schemas.TargetIn().load(api_http.read_json(request))
        target = self.store.set_target({"agency_code": agency_code, "year": year, **body,
                                        "set_by": principal["official_id"]})
        return api_http.json_response(200, schemas.TargetOut().dump(self._target_view(target)))

    @http("GET", "/assessments/agencies/<agency_code>/targets/<year>")
    @api_http.api
    def target_http(self, request, agency_code, year):
        year = self._reader(request, agency_code, year)
        target = self.store.target(agency_code, year) or self._raise(not_found("year", "Target"))
        return api_http.json_response(200, schemas.TargetOut().dump(self._target_view(target)))

    # -- KPIs and monitoring reports --------------------------------------------------------
    @http("GET", "/assessments/kpis")
    @api_http.api
    def kpis_http(self, request):
        principal = self.auth.principal(request, roles=access.READERS)
        query = schemas.KpiQuery().load(request.args.to_dict())
        period, scope = self._period_scope(principal, query)
        body = self.kpis(period["period"], query["by"], None if scope == "*" else scope)
        if query["format"] == "csv":
            return api_http.csv_response(reports.to_csv([(query["by"], body["rows"])]),
                                         f"kpi-{scope}-{period['period']}")
        return api_http.json_response(200, schemas.KpiOut().dump(body))

    @rpc
    def kpis(self, period_text, by="all", agency_code=None):
        """KPI rows of one dimension for a period, hub-wide or for one agency."""
        if by not in kpi.DIMENSIONS:
            raise ApiError([error("by", "not_allowed")])
        period, scope = periods.parse(period_text), agency_code or "*"
        rows = indicators.kpi_table(self.store.cells(scope, by, period["keys"]), len(period["months"]))
        return {"period": period["period"], "months": period["months"], "scope": scope, "by": by, "rows": rows}

    @http("GET", "/assessments/reports/monitoring")
    @api_http.api
    def monitoring_http(self, request):
        principal = self.auth.principal(request, roles=access.READERS)
        query = schemas.KpiQuery().load(request.args.to_dict())
        period, scope = self._period_scope(principal, query)
        report = self._monitoring(period, scope)
        if query["format"] == "csv":
            return api_http.csv_response(reports.report_csv(report), f"monitoring-{scope}-{period['period']}")
        if query["format"] == "html":
            return Response(reports.report_html(report), status=200, content_type="text/html; charset=utf-8")
        return api_http.json_response(200, report)

    def _monitoring(self, period, scope):
        keys, months, n = period["keys"], period["months"], len(period["months"])
        totals = next(iter(indicators.kpi_table(self.store.cells(scope, "all", keys), n)), None)
        dims = reports.BREAKDOWNS + (("agency",) if scope == "*" else ())
        breakdowns = {d: indicators.kpi_table(self.store.cells(scope, d, keys), n) for d in dims}
        target = self.store.target(scope, period["year"]) if scope != "*" and period["kind"] == "year" else None
        monthly = indicators.monthly_rows(self.store.cells(scope, "all", months), months)
        return reports.monitoring_report(period, scope, totals, monthly,
                                         breakdowns, indicators.target_view(target, totals) if target else None,
                                         self.settings["colours"])

    # -- public statistics and open data (no authentication) --------------------------------
    @http("GET", "/stats/public")
    @api_http.api
    def public_stats_http(self, request):
        fmt = request.args.get("format", "json")
        if fmt not in ("json", "csv"):
            raise ApiError([error("format", "not_allowed")])
        stats = self.public_stats(request.args.get("period"))
        if fmt == "csv":
            return api_http.csv_response(reports.public_csv(stats), f"statistik-lapor-{stats['period']}")
        return api_http.json_response(200, schemas.PublicStatsOut().dump(stats))

    @rpc
    def public_stats(self, period_text):
        period = periods.parse(period_text)
        keys, n = period["keys"], len(period["months"])
        totals = next(iter(indicators.kpi_table(self.store.cells("*", "all", keys), n)), None)
        view = indicators.public_view(indicators.kpi_table(self.store.cells("*", "agency", keys), n),
                                      indicators.kpi_table(self.store.cells("*", "category", keys), n),
                                      totals, period, self.settings["min_cell_size"], self.settings["colours"])
        return self._public_survey(view, period)

    @rpc
    def counts(self):
        """The exact counters, for services and operators on the broker (not public)."""
        return schemas.CountsOut().dump(domain.counts_view(self.store.legacy_counters(), 0))

    @http("GET", "/stats/counts")
    def counts_http(self, request):
        """The public counters, small cells suppressed like every public figure."""
        return api_http.json_response(200, schemas.CountsOut().dump(
            domain.counts_view(self.store.legacy_counters(), self.settings["min_cell_size"])))

    @rpc
    def health(self):
        return {"service": self.name, "status": "ok", "facts": self.store.fact_count(),
                "events_processed": self.store.processed_count(),
                "kpi_journal_pending": self.store.journal_pending()}

    def refresh_metrics(self):
        JOURNAL_BACKLOG.set(self.store.journal_pending())

    # -- helpers ----------------------------------------------------------------------------
    def _writer(self, request, agency_code, year):
        principal = self.auth.principal(request, roles=access.WRITERS)
        year = _year(year)
        access.require_write(principal, agency_code)
        self._require_agency(agency_code, principal)
        return principal, year

    def _reader(self, request, agency_code, year):
        principal = self.auth.principal(request, roles=access.READERS)
        year = _year(year)
        access.require_read(principal, agency_code)
        return year

    def _period_scope(self, principal, query):
        period = periods.parse(query["period"])
        scope = access.agency_scope(principal, query["agency"])
        if scope is not None:
            self._require_agency(scope, principal)
        return period, scope or "*"

    def _require_agency(self, agency_code, principal):
        """An agency is known if it is the caller's, has reports here, or routing lists its officials."""
        if principal.get("agency_code") == agency_code or self.store.agency_seen(agency_code):
            return
        try:
            known = self.routing.recipients(f"agency:{agency_code}") or \
                self.routing.recipients(f"supervisor:{agency_code}")
        except Exception:
            raise ApiError([error(None, "unavailable")], status=503)
        if not known:
            raise not_found("agency_code", "Agency")

    def _template(self, template_id, status):
        template = self.store.template(template_id)
        if template is None:
            raise ApiError([error("template_id", "not_found", "Unknown questionnaire template.",
                                  "Templat kuesioner tidak dikenal.")], status=status)
        return template

    def _save_version(self, principal, agency_code, year, template_id, scores, result, note):
        saved = self.store.add_self_assessment({
            "agency_code": agency_code, "year": year, "template_id": template_id, "scores": scores, **result,
            "note": note, "submitted_by": principal["official_id"], "submitted_at": utcnow()})
        return api_http.json_response(201, schemas.SelfAssessmentOut().dump(saved))

    def _target_view(self, target):
        actual = next(iter(indicators.kpi_table(self.store.cells(target["agency_code"], "all", [str(target["year"])]),
                                                12)), None)
        return indicators.target_view(target, actual)

    @staticmethod
    def _no_assessment():
        raise not_found("year", "Self-assessment")

    @staticmethod
    def _raise(exc):
        raise exc

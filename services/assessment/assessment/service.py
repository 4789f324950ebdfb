"""Assessment's entrypoints: KPIs kept from events, self-assessments, targets, reports, open data,
the satisfaction survey and the statistics pages.  Each loads through a schema, runs a handler
(``assessment.handlers``) through the store and dumps through a schema or renders a page."""
from __future__ import annotations

from pathlib import Path

from werkzeug.wrappers import Response

from assessment import access, handlers, periods, reports, schemas, stats_page, survey, survey_schemas
from assessment.dependencies import JOURNAL_BACKLOG, AssessmentStore
from contract import events
from contract.auth import Auth
from contract.batch import event_batches, handle_batch
from contract.errors import ApiError, error
from contract.http import HealthAndMetrics, csv_response, endpoint, json_response, read_json
from contract.metrics import Metrics
from contract.officials_web import OfficialPages, official_http, official_page
from contract.rpc import TypedRpcProxy, rpc
from contract import registry_names
from contract.store import utcnow
from contract.web import WebAssets, WebPages, page

HERE = Path(__file__).parent

# event type -> handler(uow, event type, event): what assessment does with each event it consumes
EVENTS = {event_type: handlers.fold_event for event_type in (
    events.REPORT_RECEIVED, events.REPORT_DISPOSITIONED, events.REPORT_RETURNED, events.REPORT_ARCHIVED,
    events.REPORT_FORWARDED, events.CASE_OPENED, events.CASE_UPDATED, events.CASE_ANSWERED, events.CASE_CLOSED,
    events.CASE_RATED, events.CASE_REOPENED, events.CASE_OVERDUE)}
EVENTS[events.REGISTRY_UPDATED] = registry_names.registry_updated  # the names pages and reports show


def survey_output(result: dict, fmt: str) -> Response:
    if fmt == "csv":
        return csv_response(survey.to_csv(result),
                            f"survei-kepuasan-{result['scope'].strip('*') or 'hub'}-{result['period']}")
    return json_response(200, survey_schemas.SurveyResultsOut().dump(result))


class AssessmentService(HealthAndMetrics, WebAssets):
    name = "assessment"

    store = AssessmentStore()
    auth = Auth()
    intake = TypedRpcProxy("intake")    # intake.verify_reporter: a reporter proves the report is theirs
    metrics = Metrics()
    web = WebPages(HERE / "templates", HERE / "messages.yml")
    official_web = OfficialPages(HERE / "petugas_templates", HERE / "officials.yml")

    # -- events: one fact per report, cells moved by the difference --------------------------
    @event_batches(EVENTS)
    def consume_events(self, batch):
        return handle_batch(self.store, batch, EVENTS)

    # -- access: who asks, for which agency and year ------------------------------------------
    def _writer(self, request, agency_code, year):
        principal = self.auth.principal(request, roles=access.WRITERS)
        year = periods.year(year)
        access.require_write(principal, agency_code)
        self.store.read(handlers.require_agency, principal, agency_code)
        return principal, year

    def _reader(self, request, agency_code, year):
        principal = self.auth.principal(request, roles=access.READERS)
        year = periods.year(year)
        access.require_read(principal, agency_code)
        return year

    # -- self-assessment --------------------------------------------------------------------
    @endpoint("GET", "/assessments/templates")
    def templates_http(self, request):
        return json_response(200, schemas.TemplateOut(many=True).dump(self.store.read(handlers.templates)))

    @endpoint("GET", "/assessments/templates/<template_id>")
    def template_http(self, request, template_id):
        return json_response(200, schemas.TemplateOut().dump(self.store.read(handlers.template, template_id)))

    @endpoint("POST", "/assessments/templates")
    def add_template_http(self, request):
        self.auth.principal(request, roles=("national_admin",))
        template = schemas.TemplateIn().load(read_json(request))
        return json_response(201, schemas.TemplateOut().dump(self.store.run(handlers.add_template, template)))

    @endpoint("POST", "/assessments/agencies/<agency_code>/self-assessments/<year>")
    def submit_self_assessment_http(self, request, agency_code, year):
        principal, year = self._writer(request, agency_code, year)
        body = schemas.SelfAssessmentIn().load(read_json(request))
        saved = self.store.run(handlers.submit_self_assessment, {
            **body, "agency_code": agency_code, "year": year, "submitted_by": principal["official_id"]})
        return json_response(201, schemas.SelfAssessmentOut().dump(saved))

    @endpoint("POST", "/assessments/agencies/<agency_code>/self-assessments/<year>/priorities")
    def decide_priorities_http(self, request, agency_code, year):
        principal, year = self._writer(request, agency_code, year)
        body = schemas.PrioritiesIn().load(read_json(request))
        saved = self.store.run(handlers.decide_priorities, {
            **body, "agency_code": agency_code, "year": year, "submitted_by": principal["official_id"]})
        return json_response(201, schemas.SelfAssessmentOut().dump(saved))

    @endpoint("GET", "/assessments/agencies/<agency_code>/self-assessments/<year>")
    def self_assessment_http(self, request, agency_code, year):
        year = self._reader(request, agency_code, year)
        version = request.args.get("version")
        if version is not None and not version.isdigit():
            raise ApiError([error("version", "invalid")])
        found = self.store.read(handlers.self_assessment, agency_code, year, int(version) if version else None)
        return json_response(200, schemas.SelfAssessmentOut().dump(found))

    @endpoint("GET", "/assessments/agencies/<agency_code>/self-assessments/<year>/history")
    def self_assessment_history_http(self, request, agency_code, year):
        year = self._reader(request, agency_code, year)
        history = self.store.read(handlers.self_assessment_history, agency_code, year)
        return json_response(200, schemas.HistoryOut().dump(history))

    # -- strategic targets ------------------------------------------------------------------
    @endpoint("PUT", "/assessments/agencies/<agency_code>/targets/<year>")
    def set_target_http(self, request, agency_code, year):
        principal, year = self._writer(request, agency_code, year)
        body = schemas.TargetIn().load(read_json(request))
        target = self.store.run(handlers.set_target, {"agency_code": agency_code, "year": year, **body,
                                                      "set_by": principal["official_id"]})
        return json_response(200, schemas.TargetOut().dump(target))

    @endpoint("GET", "/assessments/agencies/<agency_code>/targets/<year>")
    def target_http(self, request, agency_code, year):
        year = self._reader(request, agency_code, year)
        return json_response(200, schemas.TargetOut().dump(self.store.read(handlers.target, agency_code, year)))

    # -- KPIs and monitoring reports --------------------------------------------------------
    @endpoint("GET", "/assessments/kpis")
    def kpis_http(self, request):
        principal = self.auth.principal(request, roles=access.READERS)
        query = schemas.KpiQuery().load(request.args.to_dict())
        period, scope = self.store.read(handlers.period_scope, principal, query)
        body = self.store.read(handlers.kpis, period["period"], query["by"], None if scope == "*" else scope)
        if query["format"] == "csv":
            return csv_response(reports.to_csv([(query["by"], body["rows"])]), f"kpi-{scope}-{period['period']}")
        return json_response(200, schemas.KpiOut().dump(body))

    @rpc
    def kpis(self, period_text, by="all", agency_code=None):
        """KPI rows of one dimension for a period, hub-wide or for one agency."""
        return self.store.read(handlers.kpis, period_text, by, agency_code)

    @endpoint("GET", "/assessments/reports/monitoring")
    def monitoring_http(self, request):
        principal = self.auth.principal(request, roles=access.READERS)
        query = schemas.KpiQuery().load(request.args.to_dict())
        period, scope = self.store.read(handlers.period_scope, principal, query)
        report = self.store.read(handlers.monitoring_report, period, scope)
        if query["format"] == "csv":
            return csv_response(reports.report_csv(report), f"monitoring-{scope}-{period['period']}")
        if query["format"] == "html":
            return Response(reports.report_html(report, self.store.read(registry_names.current_names)), status=200,
                            content_type="text/html; charset=utf-8")
        return json_response(200, report)

    # -- public statistics and open data (no authentication) --------------------------------
    @endpoint("GET", "/stats/public")
    def public_stats_http(self, request):
        fmt = request.args.get("format", "json")
        if fmt not in ("json", "csv"):
            raise ApiError([error("format", "not_allowed")])
        stats = self.store.read(handlers.public_stats, request.args.get("period"))
        if fmt == "csv":
            return csv_response(reports.public_csv(stats), f"statistik-lapor-{stats['period']}")
        return json_response(200, schemas.PublicStatsOut().dump(stats))

    @rpc
    def public_stats(self, period_text):
        return self.store.read(handlers.public_stats, period_text)

    @rpc
    def counts(self):
        """The exact counters, for services and operators on the broker (not public)."""
        return schemas.CountsOut().dump(self.store.read(handlers.counts, False))

    @endpoint("GET", "/stats/counts")
    def counts_http(self, request):
        """The public counters, small cells suppressed like every public figure."""
        return json_response(200, schemas.CountsOut().dump(self.store.read(handlers.counts, True)))

    @page("GET", "/statistik")
    def statistics_page(self, request):
        """The published statistics of a chosen period as server-rendered SVG charts (docs/web.md)."""
        view = self.web.page(request)
        shown = self.store.read(handlers.statistics_page, request.args.get("period"), utcnow().date())
        stats, k = shown["stats"], shown["k"]
        charts = stats_page.charts(stats, shown["rating_index"], shown["names"], view.lang, view._, k)
        return view.render("statistics.html", stats=stats, chosen=stats["period"], options=shown["options"],
                           charts=charts, k=k, survey=stats.get("survey") or {}, rating_index=shown["rating_index"])

    @official_http("GET", "/petugas/pemantauan")
    @official_page(access.READERS)
    def monitoring_page(self, request, view, principal):
        """Officials choose a period (national admins also an agency) and open the printable
        monitoring report or its CSV (``GET /assessments/reports/monitoring``)."""
        now = utcnow()
        choices = [str(now.year), f"{now.year}-Q{(now.month - 1) // 3 + 1}", f"{now.year}-{now.month:02d}",
                   str(now.year - 1)]
        return view.render("monitoring_page.html", periods=choices, agency=access.agency_scope(principal, None),
                           national=principal["role"] == "national_admin",
                           names=self.store.read(registry_names.current_names))

    # -- satisfaction survey (SKM, PermenPANRB 14/2017; docs/assessment.md) -------------------
    @endpoint("GET", "/assessments/surveys/templates")
    def survey_templates_http(self, request):
        found = self.store.read(handlers.survey_templates)
        return json_response(200, survey_schemas.SurveyTemplateOut(many=True).dump(found))

    @endpoint("GET", "/assessments/surveys/templates/<template_id>")
    def survey_template_http(self, request, template_id):
        template = self.store.read(handlers.survey_template, template_id)
        return json_response(200, survey_schemas.SurveyTemplateOut().dump(template))

    @endpoint("POST", "/assessments/surveys/templates")
    def add_survey_template_http(self, request):
        self.auth.principal(request, roles=("national_admin",))
        template = survey_schemas.SurveyTemplateIn().load(read_json(request))
        added = self.store.run(handlers.add_survey_template, template)
        return json_response(201, survey_schemas.SurveyTemplateOut().dump(added))

    @endpoint("POST", "/assessments/surveys/responses")
    def survey_response_http(self, request):
        answers = survey_schemas.SurveyResponseIn().load(read_json(request))
        tracking_id = self.store.read(handlers.verify_reporter, answers, self.intake)
        receipt = self.store.run(handlers.record_online_response, tracking_id, answers)
        return json_response(201, survey_schemas.SurveyReceiptOut().dump(receipt))

    @endpoint("POST", "/assessments/agencies/<agency_code>/surveys/paper-responses")
    def paper_response_http(self, request, agency_code):
        principal = self.auth.principal(request, roles=access.SURVEY_ENTRY)
        access.require_survey_entry(principal, agency_code)
        answers = survey_schemas.PaperResponseIn().load(read_json(request))
        receipt = self.store.run(handlers.record_paper_response, agency_code, answers, principal["official_id"])
        return json_response(201, survey_schemas.SurveyReceiptOut().dump(receipt))

    @endpoint("GET", "/assessments/agencies/<agency_code>/surveys")
    def agency_survey_http(self, request, agency_code):
        principal = self.auth.principal(request, roles=access.READERS)
        access.require_read(principal, agency_code)
        query = survey_schemas.SurveyQuery().load(request.args.to_dict())
        result = self.store.read(handlers.agency_survey, principal, agency_code, query)
        return survey_output(result, query["format"])

    @endpoint("GET", "/assessments/surveys")
    def hub_survey_http(self, request):
        self.auth.principal(request, roles=("national_admin",))
        query = survey_schemas.SurveyQuery().load(request.args.to_dict())
        return survey_output(self.store.read(handlers.hub_survey, query), query["format"])

    # -- operations -------------------------------------------------------------------------
    @rpc
    def health(self):
        return {"service": self.name, "status": "ok", **self.store.read(handlers.health)}

    def refresh_metrics(self):
        JOURNAL_BACKLOG.set(self.store.read(handlers.journal_pending))

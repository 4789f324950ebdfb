"""The satisfaction survey's entrypoints (SKM, PermenPANRB 14/2017; docs/assessment.md), a mixin of
:class:`assessment.service.AssessmentService`: it uses the service's ``store``, ``surveys``,
``auth`` and ``settings`` dependencies and its ``_require_agency`` check."""
from __future__ import annotations

from nameko.rpc import RpcProxy
from nameko.web.handlers import http

from assessment import access, kpi, periods, survey, survey_schemas
from assessment.survey_store import paper_key, report_key
from contract import http as api_http
from contract.auth import reporter_verified
from contract.errors import ApiError, error
from contract.ids import parse_tracking_id
from contract.store import utcnow


class SurveyEndpoints:
    # -- satisfaction survey (SKM, PermenPANRB 14/2017; docs/assessment.md) -------------------
    intake = RpcProxy("intake")  # intake.verify_reporter: a reporter proves the report is theirs

    @http("GET", "/assessments/surveys/templates")
    @api_http.api
    def survey_templates_http(self, request):
        found = [{**t, "profile_fields": survey.profile_fields()} for t in self.surveys.templates()]
        return api_http.json_response(200, survey_schemas.SurveyTemplateOut(many=True).dump(found))

    @http("GET", "/assessments/surveys/templates/<template_id>")
    @api_http.api
    def survey_template_http(self, request, template_id):
        template = {**self._survey_template(template_id, 404), "profile_fields": survey.profile_fields()}
        return api_http.json_response(200, survey_schemas.SurveyTemplateOut().dump(template))

    @http("POST", "/assessments/surveys/templates")
    @api_http.api
    def add_survey_template_http(self, request):
        self.auth.principal(request, roles=("national_admin",))
        template = survey_schemas.SurveyTemplateIn().load(api_http.read_json(request))
        problems = survey.template_problems(template)
        if problems:
            raise ApiError(problems)
        if not self.surveys.add_template(template):
            raise ApiError([error("id", "conflict", "A survey template with this id exists; templates are never "
                                  "overwritten.", "Templat survei dengan id ini sudah ada; templat tidak pernah "
                                  "ditimpa.")], 409)
        return api_http.json_response(201, survey_schemas.SurveyTemplateOut().dump(template))

    @http("POST", "/assessments/surveys/responses")
    @api_http.api
    def survey_response_http(self, request):
        body = survey_schemas.SurveyResponseIn().load(api_http.read_json(request))
        self._survey_scores(body)
        tracking_id = self._verify_reporter(body["tracking_id"], body["secret"])
        fact = self.store.fact(tracking_id) or {}
        refusal = survey.not_yet_answerable(kpi.status_of(fact))
        if refusal is not None or not fact.get("agency_code"):
            raise refusal or survey.not_yet_answerable("received")
        now = utcnow()
        return self._record_survey(report_key(tracking_id), "online", fact["agency_code"],
                                   periods.month_of(now, self.surveys.timezone), body, now, None, "tracking_id")

    @http("POST", "/assessments/agencies/<agency_code>/surveys/paper-responses")
    @api_http.api
    def paper_response_http(self, request, agency_code):
        principal = self.auth.principal(request, roles=access.SURVEY_ENTRY)
        access.require_survey_entry(principal, agency_code)
        body = survey_schemas.PaperResponseIn().load(api_http.read_json(request))
        self._survey_scores(body)
        now = utcnow()
        month = survey.form_month(body["filled_on"], survey.local_date(now, self.surveys.timezone))
        return self._record_survey(paper_key(agency_code, body["form_number"]), "paper", agency_code, month, body, now,
                                   principal["official_id"], "form_number")

    @http("GET", "/assessments/agencies/<agency_code>/surveys")
    @api_http.api
    def agency_survey_http(self, request, agency_code):
        principal = self.auth.principal(request, roles=access.READERS)
        access.require_read(principal, agency_code)
        query = survey_schemas.SurveyQuery().load(request.args.to_dict())
        period = periods.parse(query["period"])
        self._require_agency(agency_code, principal)
        result = self._survey_results(agency_code, period)
        result["suggestion_texts"] = self.surveys.suggestions(agency_code, period["months"])
        return self._survey_output(result, query["format"])

    @http("GET", "/assessments/surveys")
    @api_http.api
    def hub_survey_http(self, request):
        self.auth.principal(request, roles=("national_admin",))
        query = survey_schemas.SurveyQuery().load(request.args.to_dict())
        period = periods.parse(query["period"])
        result = self._survey_results("*", period)
        docs = self.surveys.totals_of_agencies(period["keys"][0])
        per_agency = survey.by_scope(docs, self._templates_of(docs))
        result["agencies"] = survey.agency_rows(per_agency)
        return self._survey_output(result, query["format"])

    def _survey_template(self, template_id, status=400):
        template = self.surveys.template(template_id)
        if template is None:
            raise ApiError([error("template_id", "not_found", "Unknown survey template.",
                                  "Templat survei tidak dikenal.")], status=status)
        return template

    def _survey_scores(self, body):
        problems = survey.score_problems(self._survey_template(body["template_id"]), body["scores"])
        if problems:
            raise ApiError(problems)

    def _verify_reporter(self, text, secret):
        """The canonical tracking ID, once intake confirms the secret (403 never says which was wrong)."""
        tracking_id = parse_tracking_id(text)
        if tracking_id is not None and reporter_verified(self.intake, tracking_id, secret, self.surveys.intake_timeout):
            return tracking_id
        raise ApiError([error(None, "invalid_secret", "The tracking ID and secret do not match.",
                              "ID pelacakan dan kode rahasia tidak cocok.")], status=403)

    def _record_survey(self, key, channel, agency_code, month, body, now, entered_by, key_field):
        suggestion = (body["suggestion"] or "").strip() or None
        response = {"_id": key, "channel": channel, "agency_code": agency_code, "month": month,
                    "template_id": body["template_id"], "scores": body["scores"],
                    "profile": {k: v for k, v in body["profile"].items() if v}, "suggestion": suggestion,
                    "entered_by": entered_by, "submitted_at": now}
        if not self.surveys.add_response(response):
            raise survey.already_answered(key_field)
        return api_http.json_response(201, survey_schemas.SurveyReceiptOut().dump({
            **response, "message": "Thank you. Your survey answers have been recorded.",
            "message_id": "Terima kasih. Jawaban survei Anda telah dicatat."}))

    def _templates_of(self, docs):
        return {t["id"]: t for t in self.surveys.templates(sorted({d["template_id"] for d in docs}))}

    def _survey_results(self, scope, period):
        docs = self.surveys.totals(scope, period["keys"][0])
        return {"period": period["period"], "months": period["months"], "scope": scope,
                **survey.results(docs, self._templates_of(docs))}

    def _survey_output(self, result, fmt):
        if fmt == "csv":
            return api_http.csv_response(survey.to_csv(result),
                                         f"survei-kepuasan-{result['scope'].strip('*') or 'hub'}-"
                                         f"{result['period']}")
        return api_http.json_response(200, survey_schemas.SurveyResultsOut().dump(result))

    def _public_survey(self, view, period):
        """Public statistics gain the survey's respondents, IKM and grade (never its answers or
        suggestions), suppressed like the counts."""
        key = period["keys"][0]
        docs, hub = self.surveys.totals_of_agencies(key), self.surveys.totals("*", key)
        templates = self._templates_of(docs + hub)
        return survey.add_public_survey(view, survey.results(hub, templates) if hub else None,
                                        survey.by_scope(docs, templates), self.settings["min_cell_size"])

"""Assessment's part of the public OpenAPI document (read by deploy/local/openapi.py): self-assessment,
targets, KPIs, reports, public statistics, survey."""
from assessment.kpi import DIMENSIONS
from assessment.periods import MAX_YEAR, MIN_YEAR, PERIOD_PATTERN
from assessment.schemas import (CountsOut, HistoryOut, KpiOut, PrioritiesIn, PublicStatsOut, SelfAssessmentIn,
                                SelfAssessmentOut, TargetIn, TargetOut, TemplateIn, TemplateOut)
from assessment.survey_schemas import (PaperResponseIn, SurveyReceiptOut, SurveyResponseIn, SurveyResultsOut,
                                       SurveyTemplateIn, SurveyTemplateOut)
from contract.routes import openapi_path, path_parameter


def _json(schema: str) -> dict:
    return {"content": {"application/json": {"schema": schema}}}


_AUTH = [{"bearerAuth": []}]
_ERR = {"400": {"$ref": "#/components/responses/BadRequest"}, "404": {"$ref": "#/components/responses/NotFound"}}
_P = {"agency": path_parameter("agency_code"),
      "year": path_parameter("year", {"type": "integer", "minimum": MIN_YEAR, "maximum": MAX_YEAR}),
      "period": {"name": "period", "in": "query", "required": True,
                 "schema": {"type": "string", "pattern": PERIOD_PATTERN},
                 "description": "2024, 2024-Q2 or 2024-05"},
      "agency_query": {"name": "agency", "in": "query", "schema": {"type": "string", "minLength": 1, "maxLength": 64}},
      "format": {"name": "format", "in": "query", "schema": {"type": "string", "enum": ["json", "csv", "html"]}}}

OPENAPI_SCHEMAS = {"Counts": CountsOut, "TemplateIn": TemplateIn, "Template": TemplateOut,
                   "SelfAssessmentIn": SelfAssessmentIn, "PrioritiesIn": PrioritiesIn,
                   "SelfAssessment": SelfAssessmentOut, "SelfAssessmentHistory": HistoryOut,
                   "TargetIn": TargetIn, "Target": TargetOut, "Kpis": KpiOut, "PublicStats": PublicStatsOut}
OPENAPI_PATHS = {
    openapi_path("api_stats_counts"): {"get": {
        "summary": "Reports received per hub and region, dispositioned per agency",
        "responses": {"200": {"description": "Counters kept live from events; counts from 1 to "
                                             "min_cell_size - 1 are null (suppressed)", **_json("Counts")}}}},
    openapi_path("stats_public"): {"get": {
        "summary": "Public statistics and open data: Top 5 topics, statuses, completion and indicator per agency",
        "parameters": [_P["period"], {**_P["format"], "schema": {"type": "string", "enum": ["json", "csv"]}}],
        "responses": {"200": {"description": "Small counts suppressed; no report text, no reporter",
                              **_json("PublicStats")}, **_ERR}}},
    openapi_path("api_templates"): {
        "get": {"summary": "Questionnaire templates", "responses": {"200": {
            "description": "All templates", "content": {"application/json": {
                "schema": {"type": "array", "items": {"$ref": "#/components/schemas/Template"}}}}}}},
        "post": {"summary": "Add a questionnaire template (national admin)", "security": _AUTH,
                 "requestBody": {"required": True, **_json("TemplateIn")},
                 "responses": {"201": {"description": "Added", **_json("Template")}, **_ERR,
                               "409": {"$ref": "#/components/responses/Conflict"}}}},
    openapi_path("api_template"): {"get": {
        "summary": "One questionnaire template",
        "parameters": [path_parameter("template_id")],
        "responses": {"200": {"description": "The template", **_json("Template")}, **_ERR}}},
    openapi_path("api_self_assessment"): {
        "post": {"summary": "Submit a self-assessment (new version; never overwrites)", "security": _AUTH,
                 "parameters": [_P["agency"], _P["year"]], "requestBody": {"required": True, **_json("SelfAssessmentIn")},
                 "responses": {"201": {"description": "Scored", **_json("SelfAssessment")}, **_ERR}},
        "get": {"summary": "Latest (or ?version=N) self-assessment", "security": _AUTH,
                "parameters": [_P["agency"], _P["year"]],
                "responses": {"200": {"description": "Result", **_json("SelfAssessment")}, **_ERR}}},
    openapi_path("api_self_assessment_history"): {"get": {
        "summary": "Every version of an agency's self-assessment for a year", "security": _AUTH,
        "parameters": [_P["agency"], _P["year"]],
        "responses": {"200": {"description": "Versions, oldest first", **_json("SelfAssessmentHistory")}, **_ERR}}},
    openapi_path("api_self_assessment_priorities"): {"post": {
        "summary": "The team's final priority order with reasons (new version)", "security": _AUTH,
        "parameters": [_P["agency"], _P["year"]], "requestBody": {"required": True, **_json("PrioritiesIn")},
        "responses": {"201": {"description": "Decided", **_json("SelfAssessment")}, **_ERR}}},
    openapi_path("api_targets"): {
        "put": {"summary": "Set the strategic target for a year", "security": _AUTH,
                "parameters": [_P["agency"], _P["year"]], "requestBody": {"required": True, **_json("TargetIn")},
                "responses": {"200": {"description": "Target with actual and gap", **_json("Target")}, **_ERR}},
        "get": {"summary": "Baseline, target, actual and gap", "security": _AUTH,
                "parameters": [_P["agency"], _P["year"]],
                "responses": {"200": {"description": "Target with actual and gap", **_json("Target")}, **_ERR}}},
    openapi_path("api_kpis"): {"get": {
        "summary": "KPIs per dimension for a period (officials; agency staff see their own agency)",
        "security": _AUTH,
        "parameters": [_P["period"], {"name": "by", "in": "query", "schema": {"type": "string", "enum": list(DIMENSIONS)}},
                       _P["agency_query"], _P["format"]],
        "responses": {"200": {"description": "KPI rows (JSON), CSV or printable HTML", **_json("Kpis")}, **_ERR}}},
    openapi_path("monitoring_report"): {"get": {
        "summary": "Monthly/quarterly monitoring or yearly evaluation report (JSON, CSV or printable HTML)",
        "security": _AUTH,
        "parameters": [_P["period"], _P["agency_query"], _P["format"]],
        "responses": {"200": {"description": "The report"}, **_ERR}}},
}


OPENAPI_SCHEMAS.update({"SurveyTemplateIn": SurveyTemplateIn, "SurveyTemplate": SurveyTemplateOut,
                        "SurveyResponseIn": SurveyResponseIn, "PaperResponseIn": PaperResponseIn,
                        "SurveyReceipt": SurveyReceiptOut, "SurveyResults": SurveyResultsOut})
_SURVEY_FORMAT = {"name": "format", "in": "query", "schema": {"type": "string", "enum": ["json", "csv"]}}
OPENAPI_PATHS.update({
    openapi_path("api_survey_templates"): {
        "get": {"summary": "Satisfaction survey templates (SKM elements, questions, answer labels, profile choices)",
                "responses": {"200": {"description": "All survey templates", "content": {"application/json": {
                    "schema": {"type": "array", "items": {"$ref": "#/components/schemas/SurveyTemplate"}}}}}}},
        "post": {"summary": "Add a survey template (national admin; never overwritten)", "security": _AUTH,
                 "requestBody": {"required": True, **_json("SurveyTemplateIn")},
                 "responses": {"201": {"description": "Added", **_json("SurveyTemplate")}, **_ERR,
                               "409": {"$ref": "#/components/responses/Conflict"}}}},
    openapi_path("api_survey_template"): {"get": {
        "summary": "One survey template",
        "parameters": [path_parameter("template_id")],
        "responses": {"200": {"description": "The template", **_json("SurveyTemplate")}, **_ERR}}},
    openapi_path("api_survey_responses"): {"post": {
        "summary": "A reporter answers the survey for their own answered or closed report (tracking ID + secret)",
        "requestBody": {"required": True, **_json("SurveyResponseIn")},
        "responses": {"201": {"description": "Recorded (once per report)", **_json("SurveyReceipt")}, **_ERR,
                      "403": {"description": "Tracking ID and secret do not match", **_json("Errors")},
                      "409": {"$ref": "#/components/responses/Conflict"},
                      "503": {"description": "Intake cannot check the secret now", **_json("Errors")}}}},
    openapi_path("api_paper_responses"): {"post": {
        "summary": "Enter a paper survey form (the agency's liaison or agency admin)", "security": _AUTH,
        "parameters": [_P["agency"]], "requestBody": {"required": True, **_json("PaperResponseIn")},
        "responses": {"201": {"description": "Recorded", **_json("SurveyReceipt")}, **_ERR,
                      "409": {"$ref": "#/components/responses/Conflict"}}}},
    openapi_path("api_agency_surveys"): {"get": {
        "summary": "An agency's survey results: respondents, NRR per element, IKM, grade, profile, suggestions",
        "security": _AUTH, "parameters": [_P["agency"], _P["period"], _SURVEY_FORMAT],
        "responses": {"200": {"description": "Results (JSON or CSV)", **_json("SurveyResults")}, **_ERR}}},
    openapi_path("api_surveys"): {"get": {
        "summary": "Hub-wide survey results with a row per agency (national admin)", "security": _AUTH,
        "parameters": [_P["period"], _SURVEY_FORMAT],
        "responses": {"200": {"description": "Results (JSON or CSV)", **_json("SurveyResults")}, **_ERR}}},
})

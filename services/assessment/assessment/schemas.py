"""What enters and leaves assessment, and the OpenAPI description of its HTTP API."""
from marshmallow import EXCLUDE, RAISE, Schema, fields, validate

from assessment.kpi import DIMENSIONS
from assessment.survey import CHANNELS, PROFILE_FIELDS

CODE = validate.Regexp(r"^[a-z][a-z0-9_]{1,40}$")
TEMPLATE_ID = validate.Regexp(r"^[a-z0-9][a-z0-9-]{2,63}$")
TEXT = validate.Length(min=1, max=2000)


class AspectIn(Schema):
    code = fields.String(required=True, validate=CODE)
    name_id = fields.String(required=True, validate=validate.Length(min=1, max=200))
    name_en = fields.String(required=True, validate=validate.Length(min=1, max=200))


class StatementIn(Schema):
    number = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=200))
    aspects = fields.List(fields.String(validate=CODE), required=True, validate=validate.Length(min=1, max=5))
    text_id = fields.String(required=True, validate=TEXT)
    text_en = fields.String(required=True, validate=TEXT)


class TemplateHeader(Schema):
    """What every template has: an id (never reused), a name in both languages, its source."""
    class Meta:
        unknown = RAISE

    id = fields.String(required=True, validate=TEMPLATE_ID)
    name_id = fields.String(required=True, validate=validate.Length(min=1, max=300))
    name_en = fields.String(required=True, validate=validate.Length(min=1, max=300))
    source = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=300))


class TemplateIn(TemplateHeader):
    """A questionnaire template: aspects and numbered statements (Indonesian and English)."""
    aspects = fields.List(fields.Nested(AspectIn), required=True, validate=validate.Length(min=1, max=10))
    statements = fields.List(fields.Nested(StatementIn), required=True, validate=validate.Length(min=1, max=200))


class TemplateOut(TemplateIn):
    class Meta:
        unknown = EXCLUDE


class PriorityIn(Schema):
    aspect = fields.String(required=True, validate=CODE)
    priority = fields.Integer(required=True, strict=True)
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=1000))


class SelfAssessmentIn(Schema):
    """A team's scores (statement number -> 1..4) and, optionally, its priority decision."""
    class Meta:
        unknown = RAISE

    template_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    scores = fields.Dict(keys=fields.String(validate=validate.Regexp(r"^\d{1,3}$")), values=fields.Raw(),
                         required=True)
    priorities = fields.List(fields.Nested(PriorityIn), load_default=None, allow_none=True)
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class PrioritiesIn(Schema):
    class Meta:
        unknown = RAISE

    priorities = fields.List(fields.Nested(PriorityIn), required=True, validate=validate.Length(min=1))
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class AspectResult(Schema):
    aspect = fields.String()
    name_id = fields.String()
    name_en = fields.String()
    statements = fields.List(fields.Integer())
    total = fields.Integer()
    count = fields.Integer()
    mean = fields.Float(allow_none=True)
    label_id = fields.String(allow_none=True)
    label_en = fields.String(allow_none=True)


class PriorityOut(Schema):
    aspect = fields.String()
    priority = fields.Integer()
    mean = fields.Float(allow_none=True)
    reason = fields.String(allow_none=True)


class SelfAssessmentOut(Schema):
    agency_code = fields.String()
    year = fields.Integer()
    version = fields.Integer()
    template_id = fields.String()
    scores = fields.Dict(keys=fields.String(), values=fields.Integer())
    aspects = fields.List(fields.Nested(AspectResult))
    suggested_priorities = fields.List(fields.Nested(PriorityOut))
    final_priorities = fields.List(fields.Nested(PriorityOut), allow_none=True)
    note = fields.String(allow_none=True)
    submitted_by = fields.String()
    submitted_at = fields.AwareDateTime()


class HistoryOut(Schema):
    agency_code = fields.String()
    year = fields.Integer()
    versions = fields.List(fields.Nested(SelfAssessmentOut))


class TargetIn(Schema):
    """A strategic target for one agency and year, with its baseline (seed 002/004 tables)."""
    class Meta:
        unknown = RAISE

    baseline_year = fields.Integer(load_default=None, allow_none=True, strict=True,
                                   validate=validate.Range(min=2000, max=2100))
    baseline_received = fields.Integer(load_default=None, allow_none=True, strict=True,
                                       validate=validate.Range(min=0))
    baseline_completed_pct = fields.Float(load_default=None, allow_none=True, validate=validate.Range(min=0, max=100))
    target_received = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))
    target_completed_pct = fields.Float(required=True, validate=validate.Range(min=0, max=100))


class TargetOut(Schema):
    agency_code = fields.String()
    year = fields.Integer()
    baseline_year = fields.Integer(allow_none=True)
    baseline_received = fields.Integer(allow_none=True)
    baseline_completed_pct = fields.Float(allow_none=True)
    target_received = fields.Integer(allow_none=True)
    target_completed_pct = fields.Float(allow_none=True)
    actual_received = fields.Integer()
    actual_completed = fields.Integer()
    actual_completed_pct = fields.Float(allow_none=True)
    gap_received = fields.Integer(allow_none=True)
    gap_completed_pct = fields.Float(allow_none=True)


class KpiQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    period = fields.String(required=True)
    by = fields.String(load_default="all", validate=validate.OneOf(DIMENSIONS))
    agency = fields.String(load_default=None, validate=validate.Length(min=1, max=64))
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "csv", "html")))


class KpiRow(Schema):
    value = fields.String()
    received = fields.Integer()
    average_per_month = fields.Float(allow_none=True)
    completed = fields.Integer()
    completed_pct = fields.Float(allow_none=True)
    unresolved = fields.Integer()
    unresolved_pct = fields.Float(allow_none=True)
    closed_within_sla = fields.Integer()
    closed_within_sla_pct = fields.Float(allow_none=True)
    overdue = fields.Integer()
    first_response_count = fields.Integer()
    avg_first_response_hours = fields.Float(allow_none=True)
    avg_closure_hours = fields.Float(allow_none=True)
    rating_count = fields.Integer()
    rating_avg = fields.Float(allow_none=True)
    ratings = fields.Dict(keys=fields.String(), values=fields.Integer())
    satisfaction_index = fields.Float(allow_none=True)
    statuses = fields.Dict(keys=fields.String(), values=fields.Integer())


class KpiOut(Schema):
    period = fields.String()
    months = fields.List(fields.String())
    scope = fields.String()
    by = fields.String()
    rows = fields.List(fields.Nested(KpiRow))


class PublicAgency(Schema):
    agency_code = fields.String()
    received = fields.Integer(allow_none=True)
    completed = fields.Integer(allow_none=True)
    completed_pct = fields.Float(allow_none=True)
    indicator = fields.String(allow_none=True, metadata={"description": "green / yellow / red (Hijau/Kuning/Merah)"})
    suppressed = fields.Boolean()
    survey_respondents = fields.Integer(allow_none=True, metadata={"description": "Satisfaction survey respondents "
                                                                   "(null: 1 to min_cell_size - 1)"})
    survey_ikm = fields.Float(allow_none=True, metadata={"description": "IKM 25-100 (null below min_cell_size)"})
    survey_grade = fields.String(allow_none=True, metadata={"description": "A / B / C / D (PermenPANRB 14/2017)"})


class PublicTopic(Schema):
    rank = fields.Integer()
    category_code = fields.String()
    received = fields.Integer(allow_none=True)


class PublicSurvey(Schema):
    """Satisfaction survey figures for the public: no answers, no suggestions, small counts suppressed."""
    respondents = fields.Integer(allow_none=True)
    ikm = fields.Float(allow_none=True)
    grade = fields.String(allow_none=True)


class PublicStatsOut(Schema):
    period = fields.String()
    min_cell_size = fields.Integer(metadata={"description": "Counts from 1 to this minus one are shown as null."})
    received = fields.Integer(allow_none=True)
    completed_pct = fields.Float(allow_none=True)
    statuses = fields.Dict(keys=fields.String(), values=fields.Integer(allow_none=True))
    top_topics = fields.List(fields.Nested(PublicTopic))
    agencies = fields.List(fields.Nested(PublicAgency))
    survey = fields.Nested(PublicSurvey, metadata={"description": "Hub-wide satisfaction survey"})


class CountOut(Schema):
    received = fields.Integer(load_default=0)
    dispositioned = fields.Integer(load_default=0)
    triage = fields.Integer(load_default=0)


class CountsOut(Schema):
    hubs = fields.Dict(keys=fields.String(), values=fields.Nested(CountOut))
    regions = fields.Dict(keys=fields.String(), values=fields.Nested(CountOut))
    agencies = fields.Dict(keys=fields.String(), values=fields.Nested(CountOut))


def _json(schema: str) -> dict:
    return {"content": {"application/json": {"schema": schema}}}


_AUTH = [{"bearerAuth": []}]
_ERR = {"400": {"$ref": "#/components/responses/BadRequest"}, "404": {"$ref": "#/components/responses/NotFound"}}
_P = {"agency": {"name": "agency_code", "in": "path", "required": True, "schema": {"type": "string"}},
      "year": {"name": "year", "in": "path", "required": True, "schema": {"type": "integer"}},
      "period": {"name": "period", "in": "query", "required": True, "schema": {"type": "string"},
                 "description": "2024, 2024-Q2 or 2024-05"},
      "format": {"name": "format", "in": "query", "schema": {"type": "string", "enum": ["json", "csv", "html"]}}}
_SA = "/assessments/agencies/{agency_code}/self-assessments/{year}"

OPENAPI_SCHEMAS = {"Counts": CountsOut, "TemplateIn": TemplateIn, "Template": TemplateOut,
                   "SelfAssessmentIn": SelfAssessmentIn, "PrioritiesIn": PrioritiesIn,
                   "SelfAssessment": SelfAssessmentOut, "SelfAssessmentHistory": HistoryOut,
                   "TargetIn": TargetIn, "Target": TargetOut, "Kpis": KpiOut, "PublicStats": PublicStatsOut}
OPENAPI_PATHS = {
    "/stats/counts": {"get": {
        "summary": "Reports received per hub and region, dispositioned per agency",
        "responses": {"200": {"description": "Counters kept live from events", **_json("Counts")}}}},
    "/stats/public": {"get": {
        "summary": "Public statistics and open data: Top 5 topics, statuses, completion and indicator per agency",
        "parameters": [_P["period"], {**_P["format"], "schema": {"type": "string", "enum": ["json", "csv"]}}],
        "responses": {"200": {"description": "Small counts suppressed; no report text, no reporter",
                              **_json("PublicStats")}, **_ERR}}},
    "/assessments/templates": {
        "get": {"summary": "Questionnaire templates", "responses": {"200": {
            "description": "All templates", "content": {"application/json": {
                "schema": {"type": "array", "items": {"$ref": "#/components/schemas/Template"}}}}}}},
        "post": {"summary": "Add a questionnaire template (national admin)", "security": _AUTH,
                 "requestBody": {"required": True, **_json("TemplateIn")},
                 "responses": {"201": {"description": "Added", **_json("Template")}, **_ERR,
                               "409": {"$ref": "#/components/responses/Conflict"}}}},
    "/assessments/templates/{template_id}": {"get": {
        "summary": "One questionnaire template",
        "parameters": [{"name": "template_id", "in": "path", "required": True, "schema": {"type": "string"}}],
        "responses": {"200": {"description": "The template", **_json("Template")}, **_ERR}}},
    _SA: {
        "post": {"summary": "Submit a self-assessment (new version; never overwrites)", "security": _AUTH,
                 "parameters": [_P["agency"], _P["year"]], "requestBody": {"required": True, **_json("SelfAssessmentIn")},
                 "responses": {"201": {"description": "Scored", **_json("SelfAssessment")}, **_ERR}},
        "get": {"summary": "Latest (or ?version=N) self-assessment", "security": _AUTH,
                "parameters": [_P["agency"], _P["year"]],
                "responses": {"200": {"description": "Result", **_json("SelfAssessment")}, **_ERR}}},
    _SA + "/history": {"get": {
        "summary": "Every version of an agency's self-assessment for a year", "security": _AUTH,
        "parameters": [_P["agency"], _P["year"]],
        "responses": {"200": {"description": "Versions, oldest first", **_json("SelfAssessmentHistory")}, **_ERR}}},
    _SA + "/priorities": {"post": {
        "summary": "The team's final priority order with reasons (new version)", "security": _AUTH,
        "parameters": [_P["agency"], _P["year"]], "requestBody": {"required": True, **_json("PrioritiesIn")},
        "responses": {"201": {"description": "Decided", **_json("SelfAssessment")}, **_ERR}}},
    "/assessments/agencies/{agency_code}/targets/{year}": {
        "put": {"summary": "Set the strategic target for a year", "security": _AUTH,
                "parameters": [_P["agency"], _P["year"]], "requestBody": {"required": True, **_json("TargetIn")},
                "responses": {"200": {"description": "Target with actual and gap", **_json("Target")}, **_ERR}},
        "get": {"summary": "Baseline, target, actual and gap", "security": _AUTH,
                "parameters": [_P["agency"], _P["year"]],
                "responses": {"200": {"description": "Target with actual and gap", **_json("Target")}, **_ERR}}},
    "/assessments/kpis": {"get": {
        "summary": "KPIs per dimension for a period (officials; agency staff see their own agency)",
        "security": _AUTH,
        "parameters": [_P["period"], {"name": "by", "in": "query", "schema": {"type": "string", "enum": list(DIMENSIONS)}},
                       {"name": "agency", "in": "query", "schema": {"type": "string"}}, _P["format"]],
        "responses": {"200": {"description": "KPI rows (JSON), CSV or printable HTML", **_json("Kpis")}, **_ERR}}},
    "/assessments/reports/monitoring": {"get": {
        "summary": "Monthly/quarterly monitoring or yearly evaluation report (JSON, CSV or printable HTML)",
        "security": _AUTH,
        "parameters": [_P["period"], {"name": "agency", "in": "query", "schema": {"type": "string"}}, _P["format"]],
        "responses": {"200": {"description": "The report"}, **_ERR}}},
}


# -- satisfaction survey (Survei Kepuasan Masyarakat, PermenPANRB 14/2017) ----------------------
FORM_NUMBER = validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9/._-]{0,39}$")


class SurveyAnswer(Schema):
    score = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=4))
    label_id = fields.String(required=True, validate=validate.Length(min=1, max=200))
    label_en = fields.String(required=True, validate=validate.Length(min=1, max=200))


class SurveyElement(Schema):
    id = fields.String(required=True, validate=CODE)
    name_id = fields.String(required=True, validate=validate.Length(min=1, max=200))
    name_en = fields.String(required=True, validate=validate.Length(min=1, max=200))
    question_id = fields.String(required=True, validate=TEXT)
    question_en = fields.String(required=True, validate=TEXT)
    answers = fields.List(fields.Nested(SurveyAnswer), required=True, validate=validate.Length(equal=4))
    weight = fields.Float(load_default=None, allow_none=True, validate=validate.Range(min=0, max=1))


class SurveyTemplateIn(TemplateHeader):
    """A satisfaction survey: elements (unsur), each with its question and four answer labels."""
    elements = fields.List(fields.Nested(SurveyElement), required=True, validate=validate.Length(min=1, max=30))


class SurveyTemplateOut(SurveyTemplateIn):
    class Meta:
        unknown = EXCLUDE

    profile_fields = fields.Dict(metadata={"description": "The optional respondent profile: field -> "
                                                          "[{value, label_id, label_en}] (fixed choices)"})


def _choice(field: str):
    return fields.String(load_default=None, allow_none=True,
                         validate=validate.OneOf([value for value, _, _ in PROFILE_FIELDS[field]]))


class SurveyProfileIn(Schema):
    """Who answered, as an SKM form asks it; every field optional, never a name or a contact."""
    class Meta:
        unknown = RAISE

    age_band = _choice("age_band")
    sex = _choice("sex")
    education = _choice("education")
    occupation = _choice("occupation")


class _SurveyAnswersIn(Schema):
    class Meta:
        unknown = RAISE

    template_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    scores = fields.Dict(keys=fields.String(validate=validate.Length(min=1, max=64)), values=fields.Raw(),
                         required=True, metadata={"description": "element id -> 1..4"})
    profile = fields.Nested(SurveyProfileIn, load_default=dict)
    suggestion = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000),
                               metadata={"description": "Saran: stored, shown to the agency's officials only, "
                                                        "never published"})


class SurveyResponseIn(_SurveyAnswersIn):
    """A reporter's answers for their own report, proven with the tracking ID and the secret."""
    tracking_id = fields.String(required=True, validate=validate.Length(min=1, max=40))
    secret = fields.String(required=True, validate=validate.Length(min=1, max=100))


class PaperResponseIn(_SurveyAnswersIn):
    """A paper form filled in at the service counter, entered by an official of the agency."""
    filled_on = fields.Date(load_default=None, allow_none=True,
                            metadata={"description": "Date on the form (its month counts); default: today"})
    form_number = fields.String(load_default=None, allow_none=True, validate=FORM_NUMBER,
                                metadata={"description": "The form's serial number: entered once per agency"})


class SurveyReceiptOut(Schema):
    template_id = fields.String()
    agency_code = fields.String()
    month = fields.String()
    channel = fields.String(validate=validate.OneOf(CHANNELS))
    submitted_at = fields.AwareDateTime()
    message = fields.String()
    message_id = fields.String()


class SurveyQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    period = fields.String(required=True)
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "csv")))


class SurveyElementResult(Schema):
    element = fields.String()
    name_id = fields.String()
    name_en = fields.String()
    respondents = fields.Integer()
    total = fields.Integer()
    nrr = fields.Float(allow_none=True, metadata={"description": "Nilai rata-rata (mean, 1-4, two decimals)"})
    weight = fields.Float()
    converted = fields.Float(allow_none=True, metadata={"description": "NRR x 25 (25-100)"})
    grade = fields.String(allow_none=True)
    grade_label_id = fields.String(allow_none=True)
    grade_label_en = fields.String(allow_none=True)


class SurveyTemplateResult(Schema):
    template_id = fields.String()
    name_id = fields.String()
    name_en = fields.String()
    respondents = fields.Integer()
    ikm = fields.Float(allow_none=True)
    grade = fields.String(allow_none=True)
    grade_label_id = fields.String(allow_none=True)
    grade_label_en = fields.String(allow_none=True)
    elements = fields.List(fields.Nested(SurveyElementResult))


class SurveyProfileCount(Schema):
    value = fields.String()
    label_id = fields.String()
    label_en = fields.String()
    count = fields.Integer()


class SurveySuggestionOut(Schema):
    month = fields.String()
    channel = fields.String()
    text = fields.String()


class SurveyAgencyRow(Schema):
    agency_code = fields.String()
    respondents = fields.Integer()
    ikm = fields.Float(allow_none=True)
    grade = fields.String(allow_none=True)
    grade_label_id = fields.String(allow_none=True)
    grade_label_en = fields.String(allow_none=True)


class SurveyResultsOut(Schema):
    period = fields.String()
    months = fields.List(fields.String())
    scope = fields.String(metadata={"description": "The agency's code, or * (hub-wide)"})
    respondents = fields.Integer()
    ikm = fields.Float(allow_none=True, metadata={"description": "Indeks Kepuasan Masyarakat, 25-100"})
    grade = fields.String(allow_none=True)
    grade_label_id = fields.String(allow_none=True)
    grade_label_en = fields.String(allow_none=True)
    channels = fields.Dict(keys=fields.String(), values=fields.Integer())
    suggestions = fields.Integer(metadata={"description": "How many responses carried a suggestion"})
    templates = fields.List(fields.Nested(SurveyTemplateResult))
    profile = fields.Dict(keys=fields.String(), values=fields.List(fields.Nested(SurveyProfileCount)))
    suggestion_texts = fields.List(fields.Nested(SurveySuggestionOut), metadata={
        "description": "Agency view only: the suggestions (newest first, at most 500), without the answers, "
                       "the profile or the report"})
    agencies = fields.List(fields.Nested(SurveyAgencyRow), metadata={"description": "Hub-wide view only"})


_SV = "/assessments/surveys"
OPENAPI_SCHEMAS.update({"SurveyTemplateIn": SurveyTemplateIn, "SurveyTemplate": SurveyTemplateOut,
                        "SurveyResponseIn": SurveyResponseIn, "PaperResponseIn": PaperResponseIn,
                        "SurveyReceipt": SurveyReceiptOut, "SurveyResults": SurveyResultsOut})
_SURVEY_FORMAT = {"name": "format", "in": "query", "schema": {"type": "string", "enum": ["json", "csv"]}}
OPENAPI_PATHS.update({
    _SV + "/templates": {
        "get": {"summary": "Satisfaction survey templates (SKM elements, questions, answer labels, profile choices)",
                "responses": {"200": {"description": "All survey templates", "content": {"application/json": {
                    "schema": {"type": "array", "items": {"$ref": "#/components/schemas/SurveyTemplate"}}}}}}},
        "post": {"summary": "Add a survey template (national admin; never overwritten)", "security": _AUTH,
                 "requestBody": {"required": True, **_json("SurveyTemplateIn")},
                 "responses": {"201": {"description": "Added", **_json("SurveyTemplate")}, **_ERR,
                               "409": {"$ref": "#/components/responses/Conflict"}}}},
    _SV + "/templates/{template_id}": {"get": {
        "summary": "One survey template",
        "parameters": [{"name": "template_id", "in": "path", "required": True, "schema": {"type": "string"}}],
        "responses": {"200": {"description": "The template", **_json("SurveyTemplate")}, **_ERR}}},
    _SV + "/responses": {"post": {
        "summary": "A reporter answers the survey for their own answered or closed report (tracking ID + secret)",
        "requestBody": {"required": True, **_json("SurveyResponseIn")},
        "responses": {"201": {"description": "Recorded (once per report)", **_json("SurveyReceipt")}, **_ERR,
                      "403": {"description": "Tracking ID and secret do not match", **_json("Errors")},
                      "409": {"$ref": "#/components/responses/Conflict"},
                      "503": {"description": "Intake cannot check the secret now", **_json("Errors")}}}},
    "/assessments/agencies/{agency_code}/surveys/paper-responses": {"post": {
        "summary": "Enter a paper survey form (the agency's liaison or agency admin)", "security": _AUTH,
        "parameters": [_P["agency"]], "requestBody": {"required": True, **_json("PaperResponseIn")},
        "responses": {"201": {"description": "Recorded", **_json("SurveyReceipt")}, **_ERR,
                      "409": {"$ref": "#/components/responses/Conflict"}}}},
    "/assessments/agencies/{agency_code}/surveys": {"get": {
        "summary": "An agency's survey results: respondents, NRR per element, IKM, grade, profile, suggestions",
        "security": _AUTH, "parameters": [_P["agency"], _P["period"], _SURVEY_FORMAT],
        "responses": {"200": {"description": "Results (JSON or CSV)", **_json("SurveyResults")}, **_ERR}}},
    _SV: {"get": {
        "summary": "Hub-wide survey results with a row per agency (national admin)", "security": _AUTH,
        "parameters": [_P["period"], _SURVEY_FORMAT],
        "responses": {"200": {"description": "Results (JSON or CSV)", **_json("SurveyResults")}, **_ERR}}},
})

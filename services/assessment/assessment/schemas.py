"""What enters and leaves assessment: self-assessments, targets, KPIs, public statistics.
The satisfaction survey's schemas are in ``survey_schemas``; the OpenAPI description in ``openapi_doc``."""
from marshmallow import EXCLUDE, RAISE, fields, validate

from contract.schema import Schema

from assessment.kpi import DIMENSIONS

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
    """Public counters; null: 1 to min_cell_size - 1 (small-cell suppression)."""
    received = fields.Integer(load_default=0, allow_none=True)
    dispositioned = fields.Integer(load_default=0, allow_none=True)
    triage = fields.Integer(load_default=0, allow_none=True)


class CountsOut(Schema):
    hubs = fields.Dict(keys=fields.String(), values=fields.Nested(CountOut))
    regions = fields.Dict(keys=fields.String(), values=fields.Nested(CountOut))
    agencies = fields.Dict(keys=fields.String(), values=fields.Nested(CountOut))

"""What enters and leaves the satisfaction survey (Survei Kepuasan Masyarakat, PermenPANRB 14/2017)."""
from marshmallow import EXCLUDE, RAISE, fields, validate

from contract.schema import Schema

from assessment.schemas import CODE, TEXT, TemplateHeader
from assessment.survey import CHANNELS, PROFILE_FIELDS

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
                         validate=validate.OneOf(list(PROFILE_FIELDS[field])))


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

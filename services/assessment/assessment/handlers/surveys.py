"""Handlers of the satisfaction survey (SKM, PermenPANRB 14/2017; docs/assessment.md)."""
from __future__ import annotations

from assessment import kpi, periods, survey
from assessment.handlers.statistics import require_agency
from assessment.survey_store import paper_key, report_key
from contract.auth import reporter_verified
from contract import i18n
from contract.errors import ApiError, translated
from contract.ids import parse_tracking_id

TEXTS = i18n.of_service("assessment")  # error texts: ``api.*`` (contract.i18n)


def _template(uow, template_id: str, status: int = 400) -> dict:
    template = uow.surveys.template(template_id)
    if template is None:
        raise ApiError([translated("template_id", "not_found", TEXTS, "api.survey.unknown_template")], status=status)
    return template


def survey_templates(uow) -> list[dict]:
    return [{**t, "profile_fields": survey.profile_fields()} for t in uow.surveys.templates()]


def survey_template(uow, template_id: str) -> dict:
    return {**_template(uow, template_id, 404), "profile_fields": survey.profile_fields()}


def add_survey_template(uow, template: dict) -> dict:
    """Store a new survey template (400 if inconsistent, 409 if its id is taken: never overwritten)."""
    problems = survey.template_problems(template)
    if problems:
        raise ApiError(problems)
    if not uow.surveys.add_template(template):
        raise ApiError([translated("id", "conflict", TEXTS, "api.survey.template_exists")], 409)
    return template


def _check_scores(uow, answers: dict) -> None:
    problems = survey.score_problems(_template(uow, answers["template_id"]), answers["scores"])
    if problems:
        raise ApiError(problems)


def verify_reporter(uow, answers: dict, intake) -> str:
    """The canonical tracking ID of a reporter's answers, once the scores fit the template and intake
    confirms the secret (``intake.verify_reporter``; 403 never says which was wrong)."""
    _check_scores(uow, answers)
    tracking_id = parse_tracking_id(answers["tracking_id"])
    if tracking_id is not None and reporter_verified(intake, tracking_id, answers["secret"],
                                                     uow.settings.intake_timeout):
        return tracking_id
    raise ApiError([translated(None, "invalid_secret", TEXTS, "api.survey.secret_mismatch")], status=403)


def _record(uow, key: str, channel: str, agency_code: str, month: str, answers: dict, now,
            entered_by: str | None, key_field: str) -> dict:
    suggestion = (answers["suggestion"] or "").strip() or None
    response = {"_id": key, "channel": channel, "agency_code": agency_code, "month": month,
                "template_id": answers["template_id"], "scores": answers["scores"],
                "profile": {k: v for k, v in answers["profile"].items() if v}, "suggestion": suggestion,
                "entered_by": entered_by, "submitted_at": now}
    if not uow.surveys.add_response(response):
        raise survey.already_answered(key_field)
    return {**response, "message": TEXTS.text("api.survey.recorded", "en"),
            "message_id": TEXTS.text("api.survey.recorded", "id")}


def record_online_response(uow, tracking_id: str, answers: dict) -> dict:
    """A reporter's answers about their report (verified), once it has been answered or closed:
    counted for the agency holding it, in this month; one response per report."""
    fact = uow.facts.get(tracking_id) or {}
    refusal = survey.not_yet_answerable(kpi.status_of(fact))
    if refusal is not None or not fact.get("agency_code"):
        raise refusal or survey.not_yet_answerable("received")
    now = uow.now()
    return _record(uow, report_key(tracking_id), "online", fact["agency_code"],
                   periods.month_of(now, uow.settings.timezone), answers, now, None, "tracking_id")


def record_paper_response(uow, agency_code: str, answers: dict, entered_by: str) -> dict:
    """A paper form entered by an official of the agency: counted in the month written on it; a
    numbered form once per agency."""
    _check_scores(uow, answers)
    now = uow.now()
    month = survey.form_month(answers["filled_on"], survey.local_date(now, uow.settings.timezone))
    return _record(uow, paper_key(agency_code, answers["form_number"]), "paper", agency_code, month, answers, now,
                   entered_by, "form_number")


def _results(uow, scope: str, period: dict) -> dict:
    docs = uow.surveys.totals(scope, period["keys"][0])
    templates = {t["id"]: t for t in uow.surveys.templates(sorted({d["template_id"] for d in docs}))}
    return {"period": period["period"], "months": period["months"], "scope": scope,
            **survey.results(docs, templates)}


def agency_survey(uow, principal: dict, agency_code: str, query: dict) -> dict:
    """An agency's survey results for a period, with its suggestions (officials only)."""
    period = periods.parse(query["period"])
    require_agency(uow, principal, agency_code)
    result = _results(uow, agency_code, period)
    result["suggestion_texts"] = uow.surveys.suggestions(agency_code, period["months"])
    return result


def hub_survey(uow, query: dict) -> dict:
    """The hub's survey results for a period, with one row per agency."""
    period = periods.parse(query["period"])
    result = _results(uow, "*", period)
    docs = uow.surveys.totals_of_agencies(period["keys"][0])
    templates = {t["id"]: t for t in uow.surveys.templates(sorted({d["template_id"] for d in docs}))}
    result["agencies"] = survey.agency_rows(survey.by_scope(docs, templates))
    return result

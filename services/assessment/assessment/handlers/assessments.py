"""Handlers of self-assessment (questionnaire templates, versions, priorities) and strategic targets."""
from __future__ import annotations

from assessment import indicators, selfassessment
from contract import i18n
from contract.errors import ApiError, not_found, translated

TEXTS = i18n.of_service("assessment")  # error texts: ``api.*`` (contract.i18n)


def _template(uow, template_id: str, status: int) -> dict:
    template = uow.assessments.template(template_id)
    if template is None:
        raise ApiError([translated("template_id", "not_found", TEXTS, "api.selfassessment.unknown_template")],
                       status=status)
    return template


def templates(uow) -> list[dict]:
    return uow.assessments.templates()


def template(uow, template_id: str) -> dict:
    return _template(uow, template_id, 404)


def add_template(uow, template: dict) -> dict:
    """Store a new questionnaire template (400 if inconsistent, 409 if its id is taken: never overwritten)."""
    problems = selfassessment.template_problems(template)
    if problems:
        raise ApiError(problems)
    if not uow.assessments.add_template(template):
        raise ApiError([translated("id", "conflict", TEXTS, "api.selfassessment.template_exists")], 409)
    return template


def _save_version(uow, command: dict, template_id: str, scores: dict, result: dict) -> dict:
    return uow.assessments.add_self_assessment({
        "agency_code": command["agency_code"], "year": command["year"], "template_id": template_id,
        "scores": scores, **result, "note": command["note"], "submitted_by": command["submitted_by"],
        "submitted_at": uow.now()})


def submit_self_assessment(uow, command: dict) -> dict:
    """Score a questionnaire (``selfassessment.evaluate``) and keep it as the next version."""
    template_ = _template(uow, command["template_id"], 400)
    result = selfassessment.evaluate(template_, command["scores"], uow.settings.bands, command["priorities"])
    return _save_version(uow, command, template_["id"], command["scores"], result)


def _no_assessment():
    raise not_found("year", "Self-assessment")


def decide_priorities(uow, command: dict) -> dict:
    """The team's priorities for the latest self-assessment, kept as a new version of it."""
    latest = uow.assessments.self_assessment(command["agency_code"], command["year"]) or _no_assessment()
    template_ = _template(uow, latest["template_id"], 400)
    result = selfassessment.evaluate(template_, latest["scores"], uow.settings.bands, command["priorities"])
    return _save_version(uow, command, template_["id"], latest["scores"], result)


def self_assessment(uow, agency_code: str, year: int, version: int | None = None) -> dict:
    """The latest self-assessment of an agency's year (or one version of it); 404 if none."""
    return uow.assessments.self_assessment(agency_code, year, version) or _no_assessment()


def self_assessment_history(uow, agency_code: str, year: int) -> dict:
    versions = uow.assessments.self_assessment_versions(agency_code, year) or _no_assessment()
    return {"agency_code": agency_code, "year": year, "versions": versions}


def _target_view(uow, target: dict) -> dict:
    """Baseline, target, the year's actual figures and the gap."""
    rows = indicators.kpi_table(uow.kpi.cells(target["agency_code"], "all", [str(target["year"])]), 12)
    return indicators.target_view(target, next(iter(rows), None))


def set_target(uow, command: dict) -> dict:
    """Set an agency's strategic target for a year (a revision; the previous one kept)."""
    return _target_view(uow, uow.assessments.set_target(command))


def target(uow, agency_code: str, year: int) -> dict:
    found = uow.assessments.target(agency_code, year)
    if found is None:
        raise not_found("year", "Target")
    return _target_view(uow, found)

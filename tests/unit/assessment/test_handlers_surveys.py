"""The satisfaction survey's handlers on the fake unit of work."""
from datetime import date

import pytest
import yaml

from assessment import handlers
from assessment.survey_schemas import SurveyTemplateIn
from contract.errors import ApiError
from contract.ids import new_tracking_id
from tests.unit.assessment.test_handlers_statistics import NATIONAL, counted
from tests.unit.assessment.test_survey import ANSWERS, ELEMENTS, SURVEYS


def skm():
    with open(SURVEYS / "skm-lapor-2017.yml") as handle:
        return SurveyTemplateIn().load(yaml.safe_load(handle))


def units_with_reports():
    """ID-0..ID-3 closed, ID-4 and ID-5 only dispositioned, all held by AG1; the SKM template stored."""
    units = counted(reports=6, closed_share=4)
    units.run(handlers.add_survey_template, skm())
    return units


def answers(scores=ANSWERS[0], **extra):
    return {"template_id": "skm-lapor-2017", "scores": dict(zip(ELEMENTS, scores)), "profile": {"sex": "female"},
            "suggestion": None, "filled_on": None, "form_number": None, **extra}


class Intake:
    def __init__(self, secret="s3cret"):
        self.secret = secret

    def verify_reporter(self, tracking_id, secret):
        return secret == self.secret


def test_survey_templates_carry_the_profile_choices_and_are_never_overwritten():
    units = units_with_reports()
    listed = units.read(handlers.survey_templates)
    assert [t["id"] for t in listed] == ["skm-lapor-2017"] and "sex" in listed[0]["profile_fields"]
    assert units.read(handlers.survey_template, "skm-lapor-2017")["elements"][0]["id"] == "persyaratan"
    with pytest.raises(ApiError) as missing:
        units.read(handlers.survey_template, "nope")
    assert missing.value.status == 404
    with pytest.raises(ApiError) as taken:
        units.run(handlers.add_survey_template, skm())
    assert taken.value.status == 409


def test_a_reporter_is_verified_by_intake_after_the_scores_are_checked():
    units, tracking_id = units_with_reports(), new_tracking_id("ID")
    assert units.read(handlers.verify_reporter, {**answers(), "tracking_id": tracking_id.lower(),
                                                 "secret": "s3cret"}, Intake()) == tracking_id
    with pytest.raises(ApiError) as wrong:
        units.read(handlers.verify_reporter, {**answers(), "tracking_id": tracking_id, "secret": "x"}, Intake())
    assert wrong.value.status == 403
    with pytest.raises(ApiError) as incomplete:
        units.read(handlers.verify_reporter, {**answers(scores=ANSWERS[0][:8]), "tracking_id": tracking_id,
                                              "secret": "s3cret"}, Intake())
    assert incomplete.value.status == 400 and incomplete.value.errors[0]["field"] == "scores.sarana_prasarana"


def test_a_reporter_answers_once_about_an_answered_report():
    units = units_with_reports()
    receipt = units.run(handlers.record_online_response, "ID-0", answers(suggestion="  Lebih cepat  "))
    assert (receipt["channel"], receipt["agency_code"], receipt["entered_by"]) == ("online", "AG1", None)
    assert receipt["suggestion"] == "Lebih cepat"
    with pytest.raises(ApiError) as again:
        units.run(handlers.record_online_response, "ID-0", answers())
    assert again.value.status == 409 and again.value.errors[0]["field"] == "tracking_id"
    with pytest.raises(ApiError) as too_early:
        units.run(handlers.record_online_response, "ID-5", answers())
    assert too_early.value.status == 409 and "dispositioned" in too_early.value.errors[0]["message"]
    with pytest.raises(ApiError):
        units.run(handlers.record_online_response, "ID-UNKNOWN", answers())
    assert len(units.state["FakeSurveys"]["survey_responses"]) == 1


def test_a_paper_form_counts_in_the_month_written_on_it_once_per_number():
    units = units_with_reports()
    receipt = units.run(handlers.record_paper_response, "AG1", answers(filled_on=date(2025, 2, 3),
                                                                       form_number="F-1"), "liaison-1")
    assert (receipt["month"], receipt["channel"], receipt["entered_by"]) == ("2025-02", "paper", "liaison-1")
    with pytest.raises(ApiError) as again:
        units.run(handlers.record_paper_response, "AG1", answers(form_number="F-1"), "liaison-1")
    assert again.value.status == 409 and again.value.errors[0]["field"] == "form_number"
    with pytest.raises(ApiError) as future:
        units.run(handlers.record_paper_response, "AG1", answers(filled_on=date(2999, 1, 1)), "liaison-1")
    assert future.value.errors[0]["field"] == "filled_on"


def test_an_agencys_results_have_its_suggestions_and_the_hubs_one_row_per_agency():
    units = units_with_reports()
    for i, scores in enumerate(ANSWERS):
        units.run(handlers.record_paper_response, "AG1", answers(scores, filled_on=date(2025, 3, 1),
                                                                 suggestion=f"saran {i}"), "l1")
    units.run(handlers.record_paper_response, "AG2", answers(filled_on=date(2025, 3, 1)), "l2")
    result = units.read(handlers.agency_survey, NATIONAL, "AG1", {"period": "2025-Q1"})
    assert result["respondents"] == 4 and result["ikm"] == 79.17 and len(result["suggestion_texts"]) == 4
    with pytest.raises(ApiError) as unknown:
        units.read(handlers.agency_survey, NATIONAL, "AG9", {"period": "2025"})
    assert unknown.value.status == 404
    hub = units.read(handlers.hub_survey, {"period": "2025"})
    assert hub["respondents"] == 5 and [a["agency_code"] for a in hub["agencies"]] == ["AG1", "AG2"]
    assert "suggestion_texts" not in hub
    public = units.read(handlers.public_stats, "2025")
    assert public["survey"]["respondents"] == 5 and public["survey"]["ikm"] is not None

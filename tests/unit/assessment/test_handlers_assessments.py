"""Self-assessment and strategic targets on the fake unit of work."""
import pytest

from assessment import handlers
from assessment.schemas import TemplateIn
from contract.errors import ApiError
from tests.fakes.assessment import assessment_units
from tests.unit.assessment.seeds import KOTIM_2021_SCORES, template
from tests.unit.assessment.test_handlers_statistics import counted


@pytest.fixture
def units():
    units = assessment_units()
    units.run(handlers.add_template, TemplateIn().load(template("kotim-2021-20")))
    return units


def submission(**extra):
    return {"agency_code": "AG1", "year": 2021, "template_id": "kotim-2021-20", "scores": KOTIM_2021_SCORES,
            "priorities": [], "note": None, "submitted_by": "a1", **extra}


def test_templates_are_listed_read_and_never_overwritten(units):
    assert [t["id"] for t in units.read(handlers.templates)] == ["kotim-2021-20"]
    assert len(units.read(handlers.template, "kotim-2021-20")["statements"]) == 20
    with pytest.raises(ApiError) as missing:
        units.read(handlers.template, "nope")
    assert missing.value.status == 404
    with pytest.raises(ApiError) as taken:
        units.run(handlers.add_template, TemplateIn().load(template("kotim-2021-20")))
    assert taken.value.status == 409


def test_an_inconsistent_template_is_refused(units):
    broken = TemplateIn().load(template("luwu-2021-22"))
    broken["statements"][0]["aspects"] = ["no_such_aspect"]
    with pytest.raises(ApiError) as refused:
        units.run(handlers.add_template, broken)
    assert refused.value.status == 400 and units.read(handlers.templates)[0]["id"] == "kotim-2021-20"


def test_a_self_assessment_is_scored_and_kept_as_versions(units):
    first = units.run(handlers.submit_self_assessment, submission())
    assert first["version"] == 1 and first["suggested_priorities"][0]["aspect"] == "human_resources"
    assert first["submitted_at"] is not None and first["final_priorities"] is None
    second = units.run(handlers.submit_self_assessment, submission(note="again"))
    assert second["version"] == 2
    assert units.read(handlers.self_assessment, "AG1", 2021)["note"] == "again"
    assert units.read(handlers.self_assessment, "AG1", 2021, 1)["note"] is None
    with pytest.raises(ApiError) as unknown:
        units.run(handlers.submit_self_assessment, submission(template_id="nope"))
    assert unknown.value.status == 400


def test_decided_priorities_become_a_new_version_of_the_latest(units):
    with pytest.raises(ApiError) as none_yet:
        units.run(handlers.decide_priorities, submission())
    assert none_yet.value.status == 404
    units.run(handlers.submit_self_assessment, submission())
    order = ["data_applications", "human_resources", "policy_institutions", "coordination_monitoring",
             "stakeholder_participation"]
    decided = units.run(handlers.decide_priorities, submission(
        scores=None, priorities=[{"aspect": a, "priority": i, "reason": "r"} for i, a in enumerate(order, 1)]))
    assert decided["version"] == 2 and decided["scores"] == KOTIM_2021_SCORES
    assert [p["aspect"] for p in decided["final_priorities"]] == order


def test_history_lists_every_version_or_404(units):
    units.run(handlers.submit_self_assessment, submission())
    units.run(handlers.submit_self_assessment, submission())
    history = units.read(handlers.self_assessment_history, "AG1", 2021)
    assert [v["version"] for v in history["versions"]] == [1, 2]
    with pytest.raises(ApiError):
        units.read(handlers.self_assessment_history, "AG1", 2022)
    with pytest.raises(ApiError):
        units.read(handlers.self_assessment, "AG2", 2021)


def test_a_target_is_revised_and_compared_with_the_years_figures():
    units = counted(reports=6, closed_share=3)
    command = {"agency_code": "AG1", "year": 2025, "target_received": 5, "target_completed_pct": 40.0,
               "set_by": "a1"}
    first = units.run(handlers.set_target, command)
    assert first["actual_received"] == 6 and first["gap_received"] == 1 and first["gap_completed_pct"] == 10.0
    units.run(handlers.set_target, {**command, "target_received": 8})
    assert units.read(handlers.target, "AG1", 2025)["gap_received"] == -2
    assert len(units.state["FakeAssessments"]["target_history"]) == 1        # the first target kept
    with pytest.raises(ApiError) as missing:
        units.read(handlers.target, "AG1", 2024)
    assert missing.value.status == 404

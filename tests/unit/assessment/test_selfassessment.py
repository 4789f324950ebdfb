import pytest

from assessment import selfassessment as sa
from assessment.schemas import TemplateIn
from contract.errors import ApiError
from tests.unit.assessment.seeds import KOTIM_2021_SCORES, LUWU_2021_SCORES, template


@pytest.fixture
def kotim():
    return TemplateIn().load(template("kotim-2021-20"))


@pytest.fixture
def luwu():
    return TemplateIn().load(template("luwu-2021-22"))


def test_shipped_templates_are_sound(kotim, luwu):
    assert sa.template_problems(kotim) == [] and len(kotim["statements"]) == 20
    assert sa.template_problems(luwu) == [] and len(luwu["statements"]) == 22
    two_aspects = [s["number"] for s in luwu["statements"] if len(s["aspects"]) == 2]
    assert two_aspects == [9, 10, 12, 13]
    assert all(s["text_id"] and s["text_en"] for s in kotim["statements"] + luwu["statements"])


def test_seed_004_scores_give_the_published_means_labels_and_priorities(kotim):
    result = sa.evaluate(kotim, KOTIM_2021_SCORES, sa.DEFAULT_BANDS)
    means = {a["aspect"]: a["mean"] for a in result["aspects"]}
    assert means == {"policy_institutions": 3.33, "human_resources": 1.80, "data_applications": 2.33,
                     "stakeholder_participation": 4.00, "coordination_monitoring": 3.00}
    labels = {a["aspect"]: a["label_id"] for a in result["aspects"]}
    assert labels["stakeholder_participation"] == "SANGAT BAIK" and labels["human_resources"] == "KURANG"
    assert [(p["aspect"], p["priority"]) for p in result["suggested_priorities"][:2]] == [
        ("human_resources", 1), ("data_applications", 2)]
    assert result["final_priorities"] is None


def test_seed_002_two_aspect_statements_count_in_both_and_team_decides(luwu):
    decision = [{"aspect": "stakeholder_participation", "priority": 1, "reason": "awareness pimpinan cukup baik"},
                {"aspect": "coordination_monitoring", "priority": 2, "reason": "rapat 1 kali/tahun"},
                {"aspect": "data_applications", "priority": 3, "reason": "belum terintegrasi"},
                {"aspect": "policy_institutions", "priority": 4, "reason": "sudah ada SK Bupati"},
                {"aspect": "human_resources", "priority": 5, "reason": "pejabat penghubung kompeten"}]
    result = sa.evaluate(luwu, LUWU_2021_SCORES, sa.DEFAULT_BANDS, decision)
    by = {a["aspect"]: a for a in result["aspects"]}
    assert by["policy_institutions"]["statements"] == [2, 5, 9, 10, 12, 13] and by["policy_institutions"]["mean"] == 2.83
    assert by["human_resources"]["count"] == 11 and by["human_resources"]["mean"] == 2.64
    assert by["coordination_monitoring"]["mean"] == 2.50
    assert by["stakeholder_participation"]["mean"] is None and by["stakeholder_participation"]["label_id"] is None
    assert [p["aspect"] for p in result["suggested_priorities"]] == [
        "coordination_monitoring", "human_resources", "data_applications", "policy_institutions",
        "stakeholder_participation"]
    assert [p["aspect"] for p in result["final_priorities"]] == [d["aspect"] for d in decision]


@pytest.mark.parametrize("value", [0, 5, 2.5, "3", True, None])
def test_scores_outside_one_to_four_name_the_statement(kotim, value):
    with pytest.raises(ApiError) as caught:
        sa.evaluate(kotim, {**KOTIM_2021_SCORES, "7": value}, sa.DEFAULT_BANDS)
    assert [(e["field"], e["code"]) for e in caught.value.errors] == [("scores.7", "range")]


def test_missing_and_extra_statements_are_reported(kotim):
    scores = {k: v for k, v in KOTIM_2021_SCORES.items() if k != "20"} | {"21": 3}
    with pytest.raises(ApiError) as caught:
        sa.evaluate(kotim, scores, sa.DEFAULT_BANDS)
    assert [(e["field"], e["code"]) for e in caught.value.errors] == [
        ("scores.20", "required"), ("scores.21", "unknown_field")]


def test_a_decision_must_rank_every_aspect_once(kotim):
    bad = [{"aspect": "human_resources", "priority": 1}, {"aspect": "human_resources", "priority": 1},
           {"aspect": "nonsense", "priority": 9}]
    with pytest.raises(ApiError) as caught:
        sa.evaluate(kotim, KOTIM_2021_SCORES, sa.DEFAULT_BANDS, bad)
    fields = [e["field"] for e in caught.value.errors]
    assert "priorities.1.aspect" in fields and "priorities.2.aspect" in fields and "priorities" in fields


def test_bands_are_configurable_and_half_up_rounding():
    bands = [{"min": 1, "label_id": "RENDAH", "label_en": "LOW"}, {"min": 3, "label_id": "TINGGI", "label_en": "HIGH"}]
    assert sa.label_for(sa.round2(sa.Decimal("2.995")), bands)["label_id"] == "TINGGI"
    assert sa.bands_problems([{"min": 2, "label_id": "x", "label_en": "x"}]) != []
    assert sa.bands_problems(sa.DEFAULT_BANDS) == []

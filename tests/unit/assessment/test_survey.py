"""The satisfaction survey's arithmetic (PermenPANRB 14/2017), checked against hand computation."""
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from assessment import survey
from assessment.survey_schemas import SurveyTemplateIn

SURVEYS = Path(__file__).resolve().parents[3] / "deploy" / "assessment" / "surveys"
ELEMENTS = ["persyaratan", "prosedur", "waktu", "biaya", "produk", "kompetensi", "perilaku",
            "penanganan_pengaduan", "sarana_prasarana"]
# Four respondents; columns are the nine elements in template order.
ANSWERS = [[4, 4, 3, 4, 3, 3, 4, 3, 3],
           [3, 3, 3, 4, 3, 3, 3, 3, 3],
           [2, 3, 2, 4, 2, 3, 3, 2, 3],
           [3, 4, 3, 4, 3, 4, 4, 3, 3]]


@pytest.fixture
def skm():
    with open(SURVEYS / "skm-lapor-2017.yml") as handle:
        return SurveyTemplateIn().load(yaml.safe_load(handle))


def response(scores, agency="PEMKAB-BULELENG", month="2026-11", template_id="skm-lapor-2017", **extra):
    return {"agency_code": agency, "month": month, "template_id": template_id, "channel": "online",
            "scores": dict(zip(ELEMENTS, scores)) if isinstance(scores, list) else scores, **extra}


def totals(responses):
    """Total documents as the store keeps them, summed in memory from contributions."""
    docs = defaultdict(lambda: defaultdict(int))
    for r in responses:
        for tid, inc in survey.contributions(r).items():
            for key, value in inc.items():
                docs[tid][key] += value
    return [{"_id": tid, **survey.parse_total_id(tid), **values} for tid, values in docs.items()]


def scope_bucket(docs, scope, bucket):
    return [d for d in docs if d["scope"] == scope and d["bucket"] == bucket]


def test_shipped_template_has_the_nine_permenpanrb_elements_bilingual(skm):
    assert survey.template_problems(skm) == []
    assert [e["id"] for e in skm["elements"]] == ELEMENTS
    for element in skm["elements"]:
        assert element["question_id"] and element["question_en"]
        assert [a["score"] for a in element["answers"]] == [1, 2, 3, 4]
        assert all(a["label_id"] and a["label_en"] for a in element["answers"])
    assert set(survey.weights(skm).values()) == {survey.Fraction(1, 9)}


def test_hand_computed_index_of_four_respondents(skm):
    # Element sums 12 14 11 16 11 13 14 11 12 over 4 respondents: NRR 3.00 3.50 2.75 4.00 2.75
    # 3.25 3.50 2.75 3.00; their sum is 28.5; IKM = 28.5 x 1/9 x 25 = 79.1666... -> 79.17 (B, Baik).
    docs = totals([response(a) for a in ANSWERS])
    result = survey.results(scope_bucket(docs, "PEMKAB-BULELENG", "2026-11"), {"skm-lapor-2017": skm})
    assert result["respondents"] == 4 and result["ikm"] == 79.17
    assert (result["grade"], result["grade_label_id"], result["grade_label_en"]) == ("B", "Baik", "Good")
    block = result["templates"][0]
    assert [e["nrr"] for e in block["elements"]] == [3.0, 3.5, 2.75, 4.0, 2.75, 3.25, 3.5, 2.75, 3.0]
    assert [e["converted"] for e in block["elements"]] == [75.0, 87.5, 68.75, 100.0, 68.75, 81.25, 87.5, 68.75, 75.0]
    assert [e["grade"] for e in block["elements"]] == ["C", "B", "C", "A", "C", "B", "B", "C", "C"]
    assert block["elements"][0]["weight"] == 0.1111 and block["elements"][3]["total"] == 16
    assert result["channels"] == {"online": 4, "paper": 0}
    # the same figures for the quarter, the year and hub-wide (one document each)
    for scope, bucket in (("PEMKAB-BULELENG", "2026-Q4"), ("PEMKAB-BULELENG", "2026"), ("*", "2026")):
        assert len(scope_bucket(docs, scope, bucket)) == 1
        assert survey.results(scope_bucket(docs, scope, bucket), {"skm-lapor-2017": skm})["ikm"] == 79.17


def test_template_weights_replace_equal_weights():
    template = {"id": "w", "name_id": "w", "name_en": "w", "elements": [
        {"id": "a", "name_id": "A", "name_en": "A", "weight": 0.5},
        {"id": "b", "name_id": "B", "name_en": "B", "weight": 0.3},
        {"id": "c", "name_id": "C", "name_en": "C", "weight": 0.2}]}
    counters = {"n": 2, "n|a": 2, "sum|a": 8, "n|b": 2, "sum|b": 6, "n|c": 2, "sum|c": 4}
    # (4 x 0.5 + 3 x 0.3 + 2 x 0.2) x 25 = 3.3 x 25 = 82.5
    result = survey.template_result(template, counters)
    assert result["ikm"] == 82.5 and result["grade"] == "B"


@pytest.mark.parametrize("ikm, grade", [
    ("100.00", "A"), ("88.31", "A"), ("88.30", "B"), ("76.61", "B"), ("76.60", "C"),
    ("65.00", "C"), ("64.99", "D"), ("25.00", "D")])
def test_grade_boundaries(ikm, grade):
    assert survey.grade_for(Decimal(ikm))["grade"] == grade
    assert survey.grade_for(float(ikm))["grade"] == grade


def test_grade_is_taken_after_rounding_the_index_to_two_decimals():
    one = {"id": "x", "name_id": "x", "name_en": "x", "elements": [{"id": "x", "name_id": "X", "name_en": "X"}]}
    # NRR 3.5322 -> 88.305 -> 88.31 (A); NRR 3.532 -> 88.30 (B); 2.5998 -> 64.995 -> 65.00 (C)
    assert survey.template_result(one, {"n": 5000, "n|x": 5000, "sum|x": 17661})["ikm"] == 88.31
    assert survey.template_result(one, {"n": 5000, "n|x": 5000, "sum|x": 17661})["grade"] == "A"
    assert survey.template_result(one, {"n": 5000, "n|x": 5000, "sum|x": 17660})["grade"] == "B"
    low = survey.template_result(one, {"n": 5000, "n|x": 5000, "sum|x": 12999})
    assert (low["ikm"], low["grade"]) == (65.0, "C")
    assert survey.grade_for(None)["grade"] is None


def test_index_over_two_templates_is_the_respondent_weighted_mean(skm):
    short = {"id": "short", "name_id": "Pendek", "name_en": "Short",
             "elements": [{"id": "waktu", "name_id": "Waktu", "name_en": "Time"}]}
    docs = totals([response(a) for a in ANSWERS] + [response({"waktu": 4}, template_id="short")])
    result = survey.results(scope_bucket(docs, "*", "2026-11"), {"skm-lapor-2017": skm, "short": short})
    # (4 x 79.1666... + 1 x 100) / 5 = 83.3333... -> 83.33
    assert result["respondents"] == 5 and result["ikm"] == 83.33
    assert [b["template_id"] for b in result["templates"]] == ["skm-lapor-2017", "short"]


def test_contributions_count_profile_channel_and_suggestion():
    r = response(ANSWERS[0], profile={"sex": "female", "education": "s1"}, suggestion="Perbaiki situs.",
                 channel="paper")
    parts = survey.contributions(r)
    assert sorted(parts) == sorted(f"{s}|skm-lapor-2017|{b}" for s in ("*", "PEMKAB-BULELENG")
                                   for b in ("2026-11", "2026-Q4", "2026"))
    one = next(iter(parts.values()))
    assert one["n"] == 1 and one["channel|paper"] == 1 and one["suggestions"] == 1 and one["sum|persyaratan"] == 4
    assert one["p|sex|female"] == 1 and one["p|age_band|not_given"] == 1 and one["p|occupation|not_given"] == 1
    assert all(isinstance(v, int) for v in one.values())  # sums stay exact
    assert "Perbaiki" not in repr(parts)                    # the text itself is never counted


def test_profile_breakdown_lists_every_choice_and_adds_up():
    docs = totals([response(ANSWERS[0], profile={"age_band": "age_30_39", "sex": "male"}),
                   response(ANSWERS[1], profile={"sex": "female"}), response(ANSWERS[2])])
    profile = survey.results(scope_bucket(docs, "*", "2026"), {})["profile"]
    assert set(profile) == {"age_band", "sex", "education", "occupation"}
    for field, rows in profile.items():
        assert sum(r["count"] for r in rows) == 3 and rows[-1]["value"] == "not_given"
        assert all(r["label_id"] and r["label_en"] for r in rows)
    assert {r["value"]: r["count"] for r in profile["sex"]} == {"male": 1, "female": 1, "not_given": 1}


def test_answers_must_cover_every_element_once_within_1_to_4(skm):
    scores = dict(zip(ELEMENTS, ANSWERS[0]))
    assert survey.score_problems(skm, scores) == []
    bad = {**{k: v for k, v in scores.items() if k != "waktu"}, "biaya": 5, "perilaku": 0, "kecepatan": 3,
           "produk": True, "kompetensi": 2.5}
    assert [(p["field"], p["code"]) for p in survey.score_problems(skm, bad)] == [
        ("scores.waktu", "required"), ("scores.kecepatan", "unknown_field"), ("scores.biaya", "range"),
        ("scores.produk", "range"), ("scores.kompetensi", "range"), ("scores.perilaku", "range")]
    assert all(p["message"] and p["message_id"] for p in survey.score_problems(skm, bad))


def test_inconsistent_templates_are_refused(skm):
    answers = skm["elements"][0]["answers"]
    twice = {**skm, "elements": skm["elements"] + [skm["elements"][0]]}
    assert [p["field"] for p in survey.template_problems(twice)] == ["elements"]
    three = {**skm, "elements": [{**skm["elements"][0], "answers": answers[:3]}]}
    assert [p["field"] for p in survey.template_problems(three)] == ["elements.0.answers"]
    some_weights = {**skm, "elements": [{**skm["elements"][0], "weight": 0.5}] + skm["elements"][1:]}
    assert [p["code"] for p in survey.template_problems(some_weights)] == ["invalid"]
    wrong_sum = {**skm, "elements": [{**e, "weight": 0.1} for e in skm["elements"]]}
    assert "1" in survey.template_problems(wrong_sum)[0]["message"]
    right_sum = {**skm, "elements": [{**e, "weight": w} for e, w in
                                     zip(skm["elements"], [0.2, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1])]}
    assert survey.template_problems(right_sum) == []


def test_public_figures_suppress_fewer_than_k_respondents(skm):
    four = survey.results(scope_bucket(totals([response(a) for a in ANSWERS]), "*", "2026"), {"skm-lapor-2017": skm})
    assert survey.public_figures(four, 5) == {"respondents": None, "ikm": None, "grade": None}
    five = survey.results(scope_bucket(totals([response(a) for a in ANSWERS + [ANSWERS[0]]]), "*", "2026"),
                          {"skm-lapor-2017": skm})
    shown = survey.public_figures(five, 5)
    assert shown["respondents"] == 5 and shown["ikm"] is not None and shown["grade"] in "ABCD"
    assert survey.public_figures(None, 5) == {"respondents": 0, "ikm": None, "grade": None}

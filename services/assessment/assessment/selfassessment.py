"""Self-assessment (penilaian mandiri): aspect means, labels from bands, priorities.

Rules from seeds 002 and 004: each statement is scored 1 (lowest) to 4 (highest) and belongs
to one or more aspects; an aspect's score is the mean of its statements (two decimals); the
lowest aspects are suggested as the first priorities; the team may decide another order, with
a written reason per aspect.  Both the suggestion and the decision are kept.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from contract import i18n
from contract.errors import ApiError, translated

TEXTS = i18n.of_service("assessment")  # error texts: ``api.*`` (contract.i18n)

MIN_SCORE, MAX_SCORE = 1, 4

# (lower bound inclusive, label in Bahasa Indonesia, label in English), ascending.  The 1-4
# scale in four equal intervals of 0.75: 4.00 reads SANGAT BAIK and 1.80 KURANG, as seed 004.
DEFAULT_BANDS: list[dict[str, Any]] = [
    {"min": 1.00, "label_id": "SANGAT KURANG", "label_en": "VERY POOR"},
    {"min": 1.76, "label_id": "KURANG", "label_en": "POOR"},
    {"min": 2.51, "label_id": "BAIK", "label_en": "GOOD"},
    {"min": 3.26, "label_id": "SANGAT BAIK", "label_en": "VERY GOOD"},
]


def round2(value: Decimal) -> Decimal:
    """Half-up rounding to two decimals, as people round by hand (3.335 -> 3.34)."""
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def template_problems(template: dict) -> list[dict]:
    """Contract errors for a questionnaire template that is inconsistent (empty if sound)."""
    problems = []
    codes = [a["code"] for a in template["aspects"]]
    if len(set(codes)) != len(codes):
        problems.append(translated("aspects", "invalid", TEXTS, "api.selfassessment.unique_aspects"))
    numbers = [s["number"] for s in template["statements"]]
    if sorted(numbers) != list(range(1, len(numbers) + 1)):
        problems.append(translated("statements", "invalid", TEXTS, "api.selfassessment.numbering"))
    for i, statement in enumerate(template["statements"]):
        unknown = [a for a in statement["aspects"] if a not in codes]
        if unknown or not statement["aspects"]:
            problems.append(translated(f"statements.{i}.aspects", "invalid", TEXTS, "api.selfassessment.known_aspects",
                                       unknown=", ".join(unknown)))
    return problems


def score_problems(template: dict, scores: dict[str, int]) -> list[dict]:
    """Contract errors for a submission: every statement scored once, each 1-4, no extras."""
    problems = []
    expected = {str(s["number"]) for s in template["statements"]}
    for number in sorted(expected - set(scores), key=int):
        problems.append(translated(f"scores.{number}", "required", TEXTS, "api.selfassessment.no_score", number=number))
    for number in sorted(set(scores) - expected, key=lambda n: (len(n), n)):
        problems.append(translated(f"scores.{number}", "unknown_field", TEXTS, "api.selfassessment.no_statement",
                                   number=number))
    for number, value in scores.items():
        if number in expected and (isinstance(value, bool) or not isinstance(value, int)
                                   or not MIN_SCORE <= value <= MAX_SCORE):
            problems.append(translated(f"scores.{number}", "range", TEXTS, "api.selfassessment.score_range"))
    return problems


def label_for(mean: Decimal | None, bands: list[dict]) -> dict | None:
    """The band a mean falls in (the highest band whose lower bound it reaches)."""
    if mean is None:
        return None
    chosen = None
    for band in sorted(bands, key=lambda b: b["min"]):
        if mean >= Decimal(str(band["min"])):
            chosen = band
    return {"label_id": chosen["label_id"], "label_en": chosen["label_en"]} if chosen else None


def aspect_results(template: dict, scores: dict[str, int], bands: list[dict]) -> list[dict]:
    """Per aspect, in template order: statements, sum, count, mean (two decimals) and label.

    An aspect without statements in the template has no mean (``None``).
    """
    results = []
    for aspect in template["aspects"]:
        numbers = [s["number"] for s in template["statements"] if aspect["code"] in s["aspects"]]
        total = sum(scores[str(n)] for n in numbers)
        mean = round2(Decimal(total) / len(numbers)) if numbers else None
        results.append({"aspect": aspect["code"], "name_id": aspect["name_id"], "name_en": aspect["name_en"],
                        "statements": numbers, "total": total, "count": len(numbers),
                        "mean": float(mean) if mean is not None else None, **(label_for(mean, bands) or
                                                                              {"label_id": None, "label_en": None})})
    return results


def suggested_priorities(results: list[dict]) -> list[dict]:
    """Lowest mean first (priority 1); ties keep template order; aspects without a mean last."""
    order = {r["aspect"]: i for i, r in enumerate(results)}
    scored = sorted((r for r in results if r["mean"] is not None), key=lambda r: (r["mean"], order[r["aspect"]]))
    unscored = [r for r in results if r["mean"] is None]
    return [{"aspect": r["aspect"], "priority": i, "mean": r["mean"]}
            for i, r in enumerate(scored + unscored, start=1)]


def decided_priorities(template: dict, decision: list[dict]) -> list[dict]:
    """The team's final order, validated: every aspect exactly once, priorities 1..n."""
    codes = [a["code"] for a in template["aspects"]]
    problems = []
    seen_aspects, seen_priorities = set(), set()
    for i, item in enumerate(decision):
        if item["aspect"] not in codes:
            problems.append(translated(f"priorities.{i}.aspect", "not_allowed", TEXTS,
                                       "api.selfassessment.unknown_aspect"))
        elif item["aspect"] in seen_aspects:
            problems.append(translated(f"priorities.{i}.aspect", "invalid", TEXTS, "api.selfassessment.aspect_once"))
        if not 1 <= item["priority"] <= len(codes) or item["priority"] in seen_priorities:
            problems.append(translated(f"priorities.{i}.priority", "range", TEXTS, "api.selfassessment.priorities",
                                       count=len(codes)))
        seen_aspects.add(item["aspect"])
        seen_priorities.add(item["priority"])
    for code in codes:
        if code not in seen_aspects:
            problems.append(translated("priorities", "required", TEXTS, "api.selfassessment.no_priority", code=code))
    if problems:
        raise ApiError(problems)
    return sorted(({"aspect": d["aspect"], "priority": d["priority"], "reason": d.get("reason")} for d in decision),
                  key=lambda d: d["priority"])


def evaluate(template: dict, scores: dict[str, int], bands: list[dict],
             decision: list[dict] | None = None) -> dict:
    """A complete self-assessment result, or ApiError listing every problem in the scores."""
    problems = score_problems(template, scores)
    if problems:
        raise ApiError(problems)
    results = aspect_results(template, scores, bands)
    return {"aspects": results, "suggested_priorities": suggested_priorities(results),
            "final_priorities": decided_priorities(template, decision) if decision else None}


def bands_problems(bands: list[dict]) -> list[str]:
    """Why a configured band list is unusable (empty if fine)."""
    if not bands:
        return ["no bands configured"]
    mins = [float(b["min"]) for b in bands]
    if sorted(mins) != mins or len(set(mins)) != len(mins):
        return ["band lower bounds must be strictly ascending"]
    if mins[0] > MIN_SCORE:
        return [f"the lowest band must start at {MIN_SCORE}"]
    return []

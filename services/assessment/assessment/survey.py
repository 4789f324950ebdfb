"""The public satisfaction survey (Survei Kepuasan Masyarakat, SKM) on the complaint service.

Rules from Peraturan Menteri PANRB No. 14 Tahun 2017: each element (unsur) is answered 1 to 4;
its *nilai rata-rata* (NRR) is the mean of its answers; the index is the weighted sum of the NRR
(weights 1/number of elements unless the template gives them) times 25, so it lies between 25
and 100; the grade (mutu pelayanan) comes from the index:

    A 88.31-100.00 Sangat Baik · B 76.61-88.30 Baik · C 65.00-76.60 Kurang Baik · D 25.00-64.99 Tidak Baik

The index is computed from the exact sums (``Fraction``) and rounded once, half-up, to two
decimals; the NRR shown per element is rounded the same way but never fed back into the index.

Responses are counted into *totals* keyed ``scope|template|bucket`` (scope ``*`` for the hub and
the agency's code; bucket the month, quarter and year of the response) with whole-number counters
only, so sums stay exact and a quarter or a year is one document per template.
"""
from __future__ import annotations

import io
from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Iterable
from zoneinfo import ZoneInfo

from assessment.indicators import suppress
from assessment.periods import quarter_of
from assessment.selfassessment import round2
from contract import csvfile, i18n
from contract.errors import ApiError, error, translated

MIN_SCORE, MAX_SCORE, SCALE = 1, 4, 25
CHANNELS = ("online", "paper")
NOT_GIVEN = "not_given"

# (lowest index of the grade, grade), highest first; the grade's label is ``survey.grade.<grade>``
# in assessment's catalogue (contract.i18n), as are every label below.
GRADES = (
    (Decimal("88.31"), "A"),
    (Decimal("76.61"), "B"),
    (Decimal("65.00"), "C"),
    (Decimal("25.00"), "D"),
)
TEXTS = i18n.of_service("assessment")

# The respondent profile of an SKM form: fixed choices, every field optional (labels:
# ``survey.profile.<field>.<value>``). No name, no contact details: the survey is anonymous by design.
PROFILE_FIELDS: dict[str, tuple[str, ...]] = {
    "age_band": ("under_20", "age_20_29", "age_30_39", "age_40_49", "age_50_59", "age_60_plus"),
    "sex": ("male", "female"),
    "education": ("sd_or_below", "smp", "sma", "diploma", "s1", "s2_plus"),
    "occupation": ("civil_servant", "military", "police", "private_employee", "self_employed", "student", "other"),
}


def labels(key: str, default: str | None = None) -> tuple[str, str]:
    """(Bahasa Indonesia, English) of a catalogue key (``default`` in both when it has none)."""
    if key not in TEXTS and default is not None:
        return default, default
    return TEXTS.text(key, "id"), TEXTS.text(key, "en")


def profile_choices(field: str) -> list[tuple[str, str, str]]:
    """(value, label in Bahasa Indonesia, label in English) of each choice of a profile field."""
    return [(value, *labels(f"survey.profile.{field}.{value}")) for value in PROFILE_FIELDS[field]]


# -- templates and answers ------------------------------------------------------------------
def template_problems(template: dict) -> list[dict]:
    """Contract errors for a survey template that is inconsistent (empty if sound)."""
    problems = []
    ids = [e["id"] for e in template["elements"]]
    if len(set(ids)) != len(ids):
        problems.append(translated("elements", "invalid", TEXTS, "api.survey.unique_ids"))
    for i, element in enumerate(template["elements"]):
        if sorted(a["score"] for a in element["answers"]) != list(range(MIN_SCORE, MAX_SCORE + 1)):
            problems.append(translated(f"elements.{i}.answers", "invalid", TEXTS, "api.survey.answer_labels"))
    given = [e.get("weight") for e in template["elements"]]
    if any(w is not None for w in given):
        if any(w is None or w <= 0 for w in given):
            problems.append(translated("elements", "invalid", TEXTS, "api.survey.weights_all_or_none"))
        elif abs(sum(Fraction(str(w)) for w in given) - 1) > Fraction(1, 1000):
            problems.append(translated("elements", "invalid", TEXTS, "api.survey.weights_sum"))
    return problems


def weights(template: dict) -> dict[str, Fraction]:
    """element id -> weight: the template's, else 1/number of elements (PermenPANRB 14/2017)."""
    elements = template["elements"]
    if all(e.get("weight") is not None for e in elements):
        return {e["id"]: Fraction(str(e["weight"])) for e in elements}
    return {e["id"]: Fraction(1, len(elements)) for e in elements}


def score_problems(template: dict, scores: dict) -> list[dict]:
    """Contract errors for a response: every element answered once, each 1-4, no extras."""
    problems = []
    expected = [e["id"] for e in template["elements"]]
    for element in expected:
        if element not in scores:
            problems.append(translated(f"scores.{element}", "required", TEXTS, "api.survey.no_answer", element=element))
    for element in sorted(set(scores) - set(expected)):
        problems.append(translated(f"scores.{element}", "unknown_field", TEXTS, "api.survey.no_element",
                                   element=element))
    for element in expected:
        value = scores.get(element)
        if element in scores and (isinstance(value, bool) or not isinstance(value, int)
                                  or not MIN_SCORE <= value <= MAX_SCORE):
            problems.append(translated(f"scores.{element}", "range", TEXTS, "api.survey.score_range"))
    return problems


# -- the index --------------------------------------------------------------------------------
def _decimal(value: Fraction) -> Decimal:
    return round2(Decimal(value.numerator) / Decimal(value.denominator))


def grade_for(ikm: Decimal | float | None) -> dict:
    """The PermenPANRB grade of an index already rounded to two decimals (None: no grade)."""
    if ikm is not None:
        value = Decimal(str(ikm))
        for lowest, grade in GRADES:
            if value >= lowest:
                label_id, label_en = labels(f"survey.grade.{grade}")
                return {"grade": grade, "grade_label_id": label_id, "grade_label_en": label_en}
    return {"grade": None, "grade_label_id": None, "grade_label_en": None}


def exact_index(template: dict, counters: dict[str, int]) -> Fraction | None:
    """(sum of NRR x weight) x 25, exactly; elements nobody answered leave the weights renormalised."""
    w = weights(template)
    answered = {e: w[e] for e in w if counters.get(f"n|{e}", 0) > 0}
    if not answered:
        return None
    total_weight = sum(answered.values())
    return SCALE * sum(weight * Fraction(counters[f"sum|{e}"], counters[f"n|{e}"])
                       for e, weight in answered.items()) / total_weight


def template_result(template: dict, counters: dict[str, int]) -> dict:
    """Respondents, per element the NRR (two decimals) and its value on 25-100, the index and grade."""
    w = weights(template)
    elements = []
    for element in template["elements"]:
        n, total = counters.get(f"n|{element['id']}", 0), counters.get(f"sum|{element['id']}", 0)
        nrr = Fraction(total, n) if n else None
        converted = _decimal(nrr * SCALE) if n else None
        elements.append({"element": element["id"], "name_id": element["name_id"], "name_en": element["name_en"],
                         "respondents": n, "total": total, "nrr": float(_decimal(nrr)) if n else None,
                         "weight": float(round(Decimal(w[element["id"]].numerator) / w[element["id"]].denominator, 4)),
                         "converted": float(converted) if converted is not None else None,
                         **grade_for(converted)})
    exact = exact_index(template, counters)
    ikm = _decimal(exact) if exact is not None else None
    return {"template_id": template["id"], "name_id": template["name_id"], "name_en": template["name_en"],
            "respondents": counters.get("n", 0), "ikm": float(ikm) if ikm is not None else None,
            **grade_for(ikm), "elements": elements, "_exact": exact}


def combined(blocks: list[dict]) -> tuple[int, Decimal | None]:
    """Respondents and index over several templates: the respondent-weighted mean of their exact
    indexes (the same as the single template's index when there is one)."""
    scored = [b for b in blocks if b["_exact"] is not None]
    n = sum(b["respondents"] for b in blocks)
    weight = sum(b["respondents"] for b in scored)
    if not weight:
        return n, None
    return n, _decimal(sum(b["_exact"] * b["respondents"] for b in scored) / weight)


# -- totals: what one response adds, and reading them back ----------------------------------
def total_id(scope: str, template_id: str, bucket: str) -> str:
    return f"{scope}|{template_id}|{bucket}"


def parse_total_id(tid: str) -> dict:
    scope, template_id, bucket = tid.split("|")
    return {"scope": scope, "template_id": template_id, "bucket": bucket}


def counters(response: dict) -> dict[str, int]:
    """Whole-number counters one response adds to each of its totals."""
    out = {"n": 1, f"channel|{response['channel']}": 1, "suggestions": int(bool(response.get("suggestion")))}
    for element, score in response["scores"].items():
        out[f"n|{element}"] = 1
        out[f"sum|{element}"] = int(score)
    profile = response.get("profile") or {}
    for field in PROFILE_FIELDS:
        out[f"p|{field}|{profile.get(field) or NOT_GIVEN}"] = 1
    return out


def contributions(response: dict) -> dict[str, dict[str, int]]:
    """total id -> counters: the agency's and the hub's totals for the month, quarter and year."""
    month = response["month"]
    values = counters(response)
    return {total_id(scope, response["template_id"], bucket): values
            for scope in ("*", response["agency_code"]) for bucket in (month, quarter_of(month), month[:4])}


def sum_totals(docs: Iterable[dict]) -> dict[str, dict[str, int]]:
    """template id -> summed counters over total documents (of one scope and one bucket)."""
    out: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for doc in docs:
        row = out[doc["template_id"]]
        for key, value in doc.items():
            if key not in ("_id", "scope", "template_id", "bucket") and isinstance(value, int):
                row[key] += value
    return out


def profile_breakdown(counts: dict[str, int]) -> dict[str, list[dict]]:
    """Per profile field, every choice (and "not given") with its label and count."""
    return {field: [{"value": value, "label_id": label_id, "label_en": label_en,
                     "count": counts.get(f"p|{field}|{value}", 0)}
                    for value, label_id, label_en in profile_choices(field) + [(NOT_GIVEN, *labels("survey.profile.not_given"))]]
            for field in PROFILE_FIELDS}


def results(docs: Iterable[dict], templates: dict[str, dict]) -> dict:
    """Respondents, index, grade, one block per template, channels and the profile breakdown."""
    per_template = sum_totals(docs)
    blocks, everything = [], defaultdict(int)
    for template_id, c in sorted(per_template.items(), key=lambda kv: (-kv[1].get("n", 0), kv[0])):
        template = templates.get(template_id) or {"id": template_id, "name_id": template_id,
                                                  "name_en": template_id, "elements": []}
        blocks.append(template_result(template, c))
        for key, value in c.items():
            everything[key] += value
    respondents, ikm = combined(blocks)
    for block in blocks:
        block.pop("_exact")
    return {"respondents": respondents, "ikm": float(ikm) if ikm is not None else None, **grade_for(ikm),
            "channels": {channel: everything.get(f"channel|{channel}", 0) for channel in CHANNELS},
            "suggestions": everything.get("suggestions", 0), "templates": blocks,
            "profile": profile_breakdown(everything)}


def by_scope(docs: Iterable[dict], templates: dict[str, dict]) -> dict[str, dict]:
    """scope -> results, for total documents of many scopes (one bucket)."""
    grouped: dict[str, list[dict]] = defaultdict(list)
    for doc in docs:
        grouped[doc["scope"]].append(doc)
    return {scope: results(group, templates) for scope, group in grouped.items()}


def public_figures(result: dict | None, k: int) -> dict:
    """Respondents, index and grade for public statistics; fewer than ``k`` respondents: nulls."""
    n = (result or {}).get("respondents", 0)
    small = n < k
    ikm = None if small else result["ikm"]
    return {"respondents": suppress(n, k), "ikm": ikm, "grade": grade_for(ikm)["grade"]}


# -- who may answer, and when -----------------------------------------------------------------
ANSWERED_STATES = ("answered", "closed")
def not_yet_answerable(status: str) -> ApiError | None:
    """409 naming the report's state, unless the report has been answered or closed."""
    if status in ANSWERED_STATES:
        return None
    label_id, label_en = labels(f"survey.status.{status}", default=status)
    return ApiError([error("tracking_id", "not_answered",
                           TEXTS.text("api.survey.not_answered", "en", label=label_en, status=status),
                           TEXTS.text("api.survey.not_answered", "id", label=label_id, status=status))], status=409)


def already_answered(field: str = "tracking_id") -> ApiError:
    if field == "form_number":
        return ApiError([translated(field, "conflict", TEXTS, "api.survey.paper_form_entered")], 409)
    return ApiError([translated(field, "conflict", TEXTS, "api.survey.already_answered")], 409)


def form_month(filled_on: date | None, today: date) -> str:
    """The month a paper form counts in: the date written on it (not in the future), else today's."""
    if filled_on is not None and filled_on > today:
        raise ApiError([translated("filled_on", "range", TEXTS, "api.survey.future_date")])
    day = filled_on or today
    return f"{day.year}-{day.month:02d}"


# -- public statistics and CSV ----------------------------------------------------------------
def add_public_survey(view: dict, hub: dict | None, per_agency: dict[str, dict], k: int) -> dict:
    """Public statistics with the survey: hub-wide and per agency respondents, IKM and grade,
    suppressed below ``k`` respondents.  Agencies with survey answers but no reports are added."""
    view["survey"] = public_figures(hub, k)
    listed = set()
    for row in view["agencies"]:
        listed.add(row["agency_code"])
        figures = public_figures(per_agency.get(row["agency_code"]), k)
        row.update(survey_respondents=figures["respondents"], survey_ikm=figures["ikm"], survey_grade=figures["grade"])
    for code in sorted(set(per_agency) - listed):
        figures = public_figures(per_agency[code], k)
        view["agencies"].append({"agency_code": code, "received": 0, "completed": 0, "completed_pct": None,
                                 "indicator": None, "suppressed": False, "survey_respondents": figures["respondents"],
                                 "survey_ikm": figures["ikm"], "survey_grade": figures["grade"]})
    return view


CSV_COLUMNS = ("period", "scope", "section", "template_id", "key", "label_id", "label_en", "respondents", "nrr",
               "ikm", "grade", "count", "channel", "text")


def to_csv(result: dict) -> str:
    """Survey results as one CSV table (sections: total, template, element, channel, profile, agency,
    suggestion)."""
    out = io.StringIO()
    writer = csvfile.writer(out)
    writer.writerow(CSV_COLUMNS)

    def row(section, **values):
        values = {"period": result["period"], "scope": result["scope"], "section": section, **values}
        writer.writerow(["" if values.get(c) is None else values.get(c) for c in CSV_COLUMNS])
    row("total", key="*", respondents=result["respondents"], ikm=result["ikm"], grade=result["grade"],
        label_id=result["grade_label_id"], label_en=result["grade_label_en"])
    for block in result["templates"]:
        row("template", template_id=block["template_id"], key=block["template_id"], label_id=block["name_id"],
            label_en=block["name_en"], respondents=block["respondents"], ikm=block["ikm"], grade=block["grade"])
        for e in block["elements"]:
            row("element", template_id=block["template_id"], key=e["element"], label_id=e["name_id"],
                label_en=e["name_en"], respondents=e["respondents"], nrr=e["nrr"], ikm=e["converted"], grade=e["grade"])
    for channel, count in result["channels"].items():
        row("channel", key=channel, count=count)
    for field, counts in result["profile"].items():
        for c in counts:
            row("profile", key=f"{field}={c['value']}", label_id=c["label_id"], label_en=c["label_en"], count=c["count"])
    for agency in result.get("agencies") or []:
        row("agency", key=agency["agency_code"], respondents=agency["respondents"], ikm=agency["ikm"],
            grade=agency["grade"])
    for suggestion in result.get("suggestion_texts") or []:
        row("suggestion", key=suggestion["month"], channel=suggestion["channel"], text=suggestion["text"])
    return out.getvalue()


def local_date(moment: datetime, timezone: str) -> date:
    """The calendar date of an instant in the reporting time zone."""
    return moment.astimezone(ZoneInfo(timezone)).date()


def profile_fields() -> dict[str, list[dict]]:
    """The fixed profile choices with their labels, for forms."""
    return {field: [{"value": v, "label_id": i, "label_en": e} for v, i, e in profile_choices(field)]
            for field in PROFILE_FIELDS}


def agency_rows(per_agency: dict[str, dict]) -> list[dict]:
    """One row per agency (hub-wide view): respondents, IKM and grade, most respondents first."""
    rows = [{"agency_code": code, "respondents": r["respondents"], "ikm": r["ikm"], "grade": r["grade"],
             "grade_label_id": r["grade_label_id"], "grade_label_en": r["grade_label_en"]}
            for code, r in per_agency.items()]
    return sorted(rows, key=lambda r: (-r["respondents"], r["agency_code"]))

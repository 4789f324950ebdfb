import pytest

from routing import domain

REGIONS = {"51": {"_id": "51", "parent": None}, "5108": {"_id": "5108", "parent": "51"}}
RULES = [
    {"_id": "bll-infra", "category_code": "infrastruktur", "region_code": "5108", "agency_code": "BLL", "unit_code": "BLL-PUPR", "automatic": True},
    {"_id": "bll-any", "region_code": "5108", "agency_code": "BLL", "automatic": False},
    {"_id": "bali-listrik", "category_code": "listrik", "region_code": "51", "agency_code": "PLN", "unit_code": "PLN-BALI", "automatic": True},
    {"_id": "listrik", "category_code": "listrik", "agency_code": "PLN", "automatic": False},
]


def report(**kw):
    return {"classification": "complaint", "category_code": "infrastruktur", "region_code": "5108", "gesi": [], **kw}


def route(r):
    chain = domain.region_chain(r["region_code"], REGIONS)
    return domain.decide(r, domain.best_rule(RULES, r, chain))


def test_most_specific_rule_wins_and_dispositions_to_unit():
    assert route(report()) == {"queue": "unit", "agency_code": "BLL", "unit_code": "BLL-PUPR",
                               "rule_id": "bll-infra", "automatic": True}


def test_district_report_matches_province_rule_over_national_one():
    assert route(report(category_code="listrik"))["rule_id"] == "bali-listrik"


def test_suggestion_rule_leaves_report_in_agency_queue():
    decision = route(report(category_code="kesehatan"))
    assert decision["queue"] == "agency" and decision["unit_code"] is None and not decision["automatic"]


def test_no_rule_means_national_triage_never_nowhere():
    decision = route(report(category_code="kesehatan", region_code="7317"))
    assert decision["queue"] == "national_triage" and decision["agency_code"] is None


def test_registry_problems_name_bad_references_and_ties():
    registry = {"rules": [{"id": "a", "category_code": "x", "agency_code": "NOPE"},
                          {"id": "b", "category_code": "x", "agency_code": "NOPE"}]}
    problems = domain.registry_problems(registry, {"categories": {"x"}})
    codes = {(p["field"], p["code"]) for p in problems}
    assert ("rules.0.agency_code", "not_found") in codes and ("rules", "conflict") in codes


@pytest.mark.parametrize("code,chain", [("5108", ["5108", "51"]), ("51", ["51"]), ("9999", ["9999"])])
def test_region_chain(code, chain):
    assert domain.region_chain(code, REGIONS) == chain

import random

import pytest

from routing import domain

REGIONS = {"51": {"_id": "51", "parent": None, "hub": "ID"}, "5108": {"_id": "5108", "parent": "51", "hub": "ID"},
           "35": {"_id": "35", "parent": None, "hub": "35"}, "3578": {"_id": "3578", "parent": "35", "hub": "35"}}
RULES = [
    {"_id": "bll-infra", "category_code": "infrastruktur", "region_code": "5108", "agency_code": "BLL", "unit_code": "BLL-PUPR", "automatic": True},
    {"_id": "bll-any", "region_code": "5108", "agency_code": "BLL", "unit_code": "BLL-UMUM", "automatic": False},
    {"_id": "bali-listrik", "category_code": "listrik", "region_code": "51", "agency_code": "PLN", "unit_code": "PLN-BALI", "automatic": True},
    {"_id": "listrik", "category_code": "listrik", "agency_code": "PLN", "automatic": False},
    {"_id": "bll-women", "region_code": "5108", "gesi": "women", "agency_code": "BLL", "unit_code": "BLL-DP3A", "priority": 2},
    {"_id": "bll-disability", "region_code": "5108", "gesi": "disability", "agency_code": "BLL", "unit_code": "BLL-DINSOS", "priority": 1},
    {"_id": "bali-national-road", "category_code": "infrastruktur", "region_code": "51", "keywords": ["jalan nasional"],
     "agency_code": "PUPR", "unit_code": "BPJN-BALI"},
]


def report(**kw):
    return {"classification": "complaint", "category_code": "infrastruktur", "region_code": "5108", "gesi": [],
            "title": "Jalan rusak", "description": "Lubang besar di Jl. Pramuka", **kw}


def route(r, rules=RULES):
    chain = domain.region_chain(r["region_code"], REGIONS)
    return domain.decide(r, domain.RuleIndex(rules).best(r, chain))


def test_most_specific_rule_wins_and_dispositions_to_unit():
    assert route(report()) == {"queue": "unit", "agency_code": "BLL", "unit_code": "BLL-PUPR",
                               "rule_id": "bll-infra", "automatic": True}


def test_district_report_matches_province_rule_over_national_one():
    assert route(report(category_code="listrik"))["rule_id"] == "bali-listrik"


def test_suggestion_rule_leaves_report_in_agency_queue_with_the_unit_suggested():
    decision = route(report(category_code="kesehatan"))
    assert decision["queue"] == "agency" and decision["unit_code"] is None and not decision["automatic"]
    routed = domain.route(report(category_code="kesehatan", **_received()), REGIONS, domain.RuleIndex(RULES), "ID", _now())
    assert routed["item"]["suggested_unit_code"] == "BLL-UMUM" and routed["outcome"] == "suggestion"


def test_no_rule_means_national_triage_never_nowhere():
    decision = route(report(category_code="kesehatan", region_code="7317"))
    assert decision["queue"] == "national_triage" and decision["agency_code"] is None


def test_keywords_make_a_rule_more_specific_and_match_whole_words():
    assert route(report(description="Jalan Nasional Singaraja-Gilimanuk rusak"))["rule_id"] == "bali-national-road"
    assert route(report(description="jalan nasionalis"))["rule_id"] == "bll-infra"


def test_gesi_rules_apply_to_marked_reports_and_priority_breaks_their_tie():
    assert route(report(category_code="bansos", gesi=["disability"]))["unit_code"] == "BLL-DINSOS"
    assert route(report(category_code="bansos", gesi=["disability", "women"]))["unit_code"] == "BLL-DP3A"
    assert route(report(category_code="bansos"))["rule_id"] == "bll-any"


def test_index_decides_exactly_as_a_full_scan():
    rng = random.Random(7)
    regions = ["51", "5108", "35", "3578", None]
    rules = [{"_id": f"r{i}", "classification": rng.choice([None, "complaint", "aspiration"]),
              "category_code": rng.choice([None, "a", "b", "c"]), "region_code": rng.choice(regions),
              "gesi": rng.choice([None, None, "women"]), "keywords": rng.choice([[], [], ["banjir"]]),
              "priority": i, "agency_code": "X"} for i in range(300)]
    index = domain.RuleIndex(rules)
    for _ in range(300):
        r = report(classification=rng.choice(["complaint", "aspiration"]), category_code=rng.choice("abc"),
                   region_code=rng.choice(["5108", "3578", "51"]), gesi=rng.choice([[], ["women"]]),
                   description=rng.choice(["banjir besar", "jalan"]))
        chain = domain.region_chain(r["region_code"], REGIONS)
        assert index.best(r, chain) == _prepared(domain.best_rule(rules, r, chain)), r


def _prepared(rule):
    return None if rule is None else {**rule, "_keywords": tuple(rule.get("keywords") or ())}


def test_ties_are_refused_at_load_time_including_gesi_and_keywords():
    base = {"category_code": "x", "region_code": "5108", "agency_code": "A"}
    assert domain.check_rule_ties([{"_id": "a", **base}, {"_id": "b", **base}]) == [("a", "b")]
    gesi = [{"_id": "w", **base, "gesi": "women"}, {"_id": "d", **base, "gesi": "disability"}]
    assert domain.check_rule_ties(gesi) == [("w", "d")]
    assert domain.check_rule_ties([gesi[0], {**gesi[1], "priority": 1}]) == []
    words = [{"_id": "k1", **base, "keywords": ["banjir"]}, {"_id": "k2", **base, "keywords": ["longsor"]}]
    assert domain.check_rule_ties(words) == [("k1", "k2")]
    assert domain.check_rule_ties([{"_id": "a", **base}, {"_id": "b", **base, "gesi": "women"}]) == []


def test_registry_problems_name_bad_references_and_ties_with_stored_rules():
    registry = {"rules": [{"id": "a", "category_code": "x", "agency_code": "NOPE"},
                          {"id": "b", "category_code": "x", "agency_code": "NOPE"}]}
    problems = domain.registry_problems(registry, {"categories": {"x"}})
    codes = {(p["field"], p["code"]) for p in problems}
    assert ("rules.0.agency_code", "not_found") in codes and ("rules.1", "conflict") in codes
    stored = [{"_id": "old", "category_code": "y", "agency_code": "A"}]
    clash = domain.registry_problems({"rules": [{"id": "new", "category_code": "y", "agency_code": "A"}]},
                                     {"categories": {"y"}, "agencies": {"A"}}, stored)
    assert [(p["field"], p["code"]) for p in clash] == [("rules.0", "conflict")]
    replaced = domain.registry_problems({"rules": [{"id": "old", "category_code": "y", "agency_code": "A"}]},
                                        {"categories": {"y"}, "agencies": {"A"}}, stored)
    assert replaced == []  # re-importing the same rule is idempotent, not a tie with itself


def test_a_district_must_sit_under_its_province():
    registry = {"hubs": [{"code": "ID"}], "regions": [
        {"code": "51", "level": "province", "hub": "ID"},
        {"code": "7317", "level": "district", "parent": "51", "hub": "ID"}]}
    assert [p["field"] for p in domain.registry_problems(registry, {})] == ["regions.1.parent"]


def test_a_regions_time_zone_is_its_provinces_so_deadlines_and_pages_agree():
    """One time zone rule (issue 21): routing decides deadlines in the region's registry zone and
    every page shows the province's zone (contract.webdates), so the registry may not disagree."""
    registry = {"hubs": [{"code": "ID"}], "regions": [
        {"code": "51", "level": "province", "hub": "ID", "timezone": "Asia/Makassar"},
        {"code": "5108", "level": "district", "parent": "51", "hub": "ID", "timezone": "Asia/Jakarta"},
        {"code": "62", "level": "province", "hub": "ID", "timezone": "Asia/Jakarta"},
        {"code": "94", "level": "province", "hub": "ID", "timezone": "Asia/Makassar"}]}
    problems = domain.registry_problems(registry, {})
    assert [p["field"] for p in problems] == ["regions.1.timezone", "regions.3.timezone"]
    assert "WITA (Asia/Makassar)" in problems[0]["message"] and "WIT (Asia/Jayapura)" in problems[1]["message"]


def test_report_of_another_hubs_region_is_forwarded_with_the_whole_report():
    received = {**report(region_code="3578"), **_received()}
    routed = domain.route(received, REGIONS, domain.RuleIndex(RULES), "ID", _now())
    assert routed["outcome"] == "forwarded" and routed["item"]["queue"] == "forwarded"
    event = routed["event"]
    assert event["event_type"] == "report_forwarded" and event["payload"]["target_hub"] == "35"
    assert event["payload"]["report"]["description"] == received["description"]
    assert routed["entry"]["action"] == "forward"


@pytest.mark.parametrize("code,chain", [("5108", ["5108", "51"]), ("51", ["51"]), ("9999", ["9999"])])
def test_region_chain(code, chain):
    assert domain.region_chain(code, REGIONS) == chain


def _now():
    from datetime import datetime, timezone
    return datetime(2026, 11, 2, 3, 0, tzinfo=timezone.utc)


def _received():
    from datetime import date
    return {"tracking_id": "ID-K7M4X-9XQ2B", "origin_hub": "ID", "target_hub": "ID", "channel": "web",
            "event_id": "e1", "schema_version": 1, "occurred_at": _now(), "hub": "ID",
            "location_text": None, "incident_date": date(2026, 11, 1), "is_anonymous": True,
            "is_confidential": False, "reporter_ref": "rpt_1", "language": "id", "received_at": _now()}

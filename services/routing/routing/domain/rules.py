"""Routing rules: which authority acts on a report (no wrong door: never nowhere).

A rule matches on classification, category, region (a district rule also covers nothing above
it; a province rule covers its districts), an optional GESI marker and optional keywords.
Precedence is explicit: the rule with the highest :func:`specificity` wins; two rules that could
match the same report at the same rank are refused when the registry is loaded
(:func:`check_rule_ties`), so a decision is never a coin toss.
"""
from __future__ import annotations

import re
from collections import defaultdict
from typing import Iterable

from contract import events

MATCH_FIELDS = ("classification", "category_code", "region_code", "gesi", "keywords")
_NOT_WORD = re.compile(r"[^0-9a-z]+")


def normalise_text(text: str) -> str:
    """Lower case, every run of non-alphanumerics one space, padded: ``' jalan rusak '``."""
    return f" {_NOT_WORD.sub(' ', (text or '').lower()).strip()} "


def region_chain(region_code: str, regions: dict[str, dict]) -> list[str]:
    """The region and its ancestors, most specific first (district, then province)."""
    chain, code = [], region_code
    while code and code in regions and code not in chain:
        chain.append(code)
        code = regions[code].get("parent")
    return chain or [region_code]


def criteria(rule: dict) -> int:
    """How many match criteria a rule sets."""
    return sum(bool(rule.get(f)) for f in MATCH_FIELDS)


def specificity(rule: dict, chain: list[str]) -> tuple:
    """A matching rule's rank; higher wins. In order: number of criteria set, depth of its
    region (district over province over everywhere), then category, GESI marker, keywords,
    classification, and last the rule's explicit ``priority``."""
    region = rule.get("region_code")
    region_score = 0 if region is None else len(chain) - chain.index(region)
    return (criteria(rule), region_score, rule.get("category_code") is not None,
            rule.get("gesi") is not None, bool(rule.get("keywords")),
            rule.get("classification") is not None, rule.get("priority") or 0)


def _keywords_match(rule: dict, text: str) -> bool:
    return any(f" {k} " in text for k in rule["_keywords"])


def matches(rule: dict, report: dict, chain: list[str], text: str | None = None) -> bool:
    """Does ``rule`` apply to ``report`` (whose region ancestry is ``chain``)?"""
    if rule.get("keywords") and "_keywords" not in rule:
        rule = prepare(rule)
    return ((rule.get("classification") in (None, report["classification"]))
            and (rule.get("category_code") in (None, report["category_code"]))
            and (rule.get("region_code") is None or rule["region_code"] in chain)
            and (rule.get("gesi") is None or rule["gesi"] in (report.get("gesi") or []))
            and (not rule.get("keywords") or _keywords_match(rule, text if text is not None else report_text(report))))


def report_text(report: dict) -> str:
    return normalise_text(f"{report.get('title', '')} {report.get('description', '')}")


def prepare(rule: dict) -> dict:
    """The rule with its keywords normalised once (``_keywords``)."""
    return {**rule, "_keywords": tuple(normalise_text(k).strip() for k in rule.get("keywords") or ())}


def best_rule(rules: Iterable[dict], report: dict, chain: list[str]) -> dict | None:
    """The most specific matching rule, or None (the report then goes to national triage)."""
    text = report_text(report)
    candidates = [r for r in rules if matches(r, report, chain, text)]
    if not candidates:
        return None
    return max(candidates, key=lambda r: (specificity(r, chain), r["_id"]))


class RuleIndex:
    """Rules bucketed by (classification, category, region): a decision looks at no more than
    2 x 2 x (regions in the chain + 1) buckets, whatever the number of rules loaded."""

    def __init__(self, rules: Iterable[dict]):
        self.buckets: dict[tuple, list[dict]] = defaultdict(list)
        self.size = 0
        for rule in rules:
            key = (rule.get("classification"), rule.get("category_code"), rule.get("region_code"))
            self.buckets[key].append(prepare(rule))
            self.size += 1

    def best(self, report: dict, chain: list[str]) -> dict | None:
        text = None
        best, best_rank = None, None
        for classification in (report["classification"], None):
            for category in (report["category_code"], None):
                for region in (*chain, None):
                    for rule in self.buckets.get((classification, category, region), ()):
                        if rule.get("gesi") is not None and rule["gesi"] not in (report.get("gesi") or []):
                            continue
                        if rule["_keywords"]:
                            text = report_text(report) if text is None else text
                            if not _keywords_match(rule, text):
                                continue
                        rank = (specificity(rule, chain), rule["_id"])
                        if best_rank is None or rank > best_rank:
                            best, best_rank = rule, rank
        return best


def tie_key(rule: dict) -> tuple:
    """Rules sharing this key could match one report at the same rank (see module docstring)."""
    return (rule.get("classification"), rule.get("category_code"), rule.get("region_code"),
            rule.get("gesi") is not None, bool(rule.get("keywords")), rule.get("priority") or 0)


def check_rule_ties(rules: Iterable[dict]) -> list[tuple[str, str]]:
    """Pairs of rules that could match the same report at the same rank: refused at load time.

    Two GESI rules (or two keyword rules) on the same classification, category and region can
    both match one report (it may carry both markers or words); give one a higher ``priority``.
    """
    seen: dict[tuple, str] = {}
    ties = []
    for rule in rules:
        key = tie_key(rule)
        if key in seen:
            ties.append((seen[key], rule["_id"]))
        else:
            seen[key] = rule["_id"]
    return ties


def hub_for(chain: list[str], regions: dict[str, dict]) -> str | None:
    """The hub responsible for the most specific region of the chain that names one."""
    for code in chain:
        hub = regions.get(code, {}).get("hub")
        if hub:
            return hub
    return None


def decide(report: dict, rule: dict | None) -> dict:
    """The disposition of a report given the best rule (or none).

    An automatic rule dispositions at once (to its unit, else its agency); a suggestion rule
    leaves the report in the agency admin's queue with the unit only suggested.
    """
    if rule is None:
        return {"queue": "national_triage", "agency_code": None, "unit_code": None,
                "rule_id": None, "automatic": True}
    automatic = rule.get("automatic", True)
    unit = rule.get("unit_code") if automatic else None
    return {"queue": "unit" if unit else "agency", "agency_code": rule["agency_code"],
            "unit_code": unit, "rule_id": rule["_id"], "automatic": automatic}


def outcome(decision: dict) -> str:
    """The decision's label for metrics: national_triage, automatic or suggestion."""
    if decision["rule_id"] is None:
        return "national_triage"
    return "automatic" if decision["automatic"] else "suggestion"


def dispositioned_event(report: dict, decision: dict, hub: str, timezone: str, actor: str = "system") -> dict:
    """The ``report_dispositioned`` outbox entry for a report and where it now stands."""
    return events.build(
        events.REPORT_DISPOSITIONED, hub=hub, tracking_id=report["tracking_id"],
        origin_hub=report["origin_hub"], actor=actor, region_code=report["region_code"],
        category_code=report["category_code"], classification=report["classification"],
        channel=report["channel"], reporter_ref=report["reporter_ref"],
        is_anonymous=report["is_anonymous"], language=report.get("language", "id"),
        region_timezone=timezone, queue=decision["queue"], agency_code=decision["agency_code"],
        unit_code=decision["unit_code"], rule_id=decision["rule_id"], automatic=decision["automatic"])


def forwarded_event(report: dict, target_hub: str, hub: str, reason: str | None = None) -> dict:
    """The ``report_forwarded`` outbox entry: the whole received report for the other hub."""
    return events.build(
        events.REPORT_FORWARDED, hub=hub, tracking_id=report["tracking_id"], origin_hub=report["origin_hub"],
        target_hub=target_hub, reason=reason or f"region {report['region_code']} belongs to hub {target_hub}",
        report=report)

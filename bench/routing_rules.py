"""Routing decisions with 10,000 rules loaded: time per decision (issue 4: under 1 ms).

    PYTHONPATH=services/contract:services/routing .venv/bin/python bench/routing_rules.py

Builds a registry-sized rule set (500 districts x 20 categories, plus province, GESI and
keyword rules), then routes 20,000 random reports through the RuleIndex (the decision) and
through domain.route (decision + work item + contract event), and checks a sample against a
full scan so that the speed is not bought with a different answer.
"""
from __future__ import annotations

import gc
import random
import statistics
import time
from datetime import date, datetime, timezone

from contract.ids import check_symbol
from routing import domain

CATEGORIES = [f"cat{c:02d}" for c in range(20)]
PROVINCES = [f"{p}" for p in range(11, 36)]  # 25 provinces
DISTRICTS = [f"{p}{d:02d}" for p in PROVINCES for d in range(1, 21)]  # 500 districts


def build_rules(rng: random.Random) -> list[dict]:
    rules = [{"_id": f"d-{d}-{c}", "category_code": c, "region_code": d, "agency_code": f"PEMKAB-{d}",
              "unit_code": f"{d}-{c}", "automatic": rng.random() < 0.8} for d in DISTRICTS for c in CATEGORIES]
    rules = rules[:9460]
    rules += [{"_id": f"p-{p}-{c}", "category_code": c, "region_code": p, "agency_code": f"PEMPROV-{p}"}
              for p in PROVINCES for c in CATEGORIES[:16]]  # 400
    rules += [{"_id": f"g-{d}", "region_code": d, "gesi": "women", "agency_code": f"PEMKAB-{d}"} for d in DISTRICTS[:100]]
    rules += [{"_id": f"k-{p}", "category_code": "cat00", "region_code": p, "keywords": ["jalan nasional"],
               "agency_code": "KEMENPUPR"} for p in PROVINCES[:25]]
    rules += [{"_id": f"n-{c}", "category_code": c, "agency_code": "NASIONAL", "automatic": False}
              for c in CATEGORIES[:15]]
    return rules[:10000]


def make_report(rng: random.Random, n: int) -> dict:
    region = rng.choice(DISTRICTS + ["9471"])
    now = datetime.now(timezone.utc)
    symbols = f"{n:05d}0000"  # a valid tracking ID (check symbol): events refuse made-up ones
    return {"tracking_id": f"ID-{symbols[:5]}-{symbols[5:]}{check_symbol(symbols)}", "origin_hub": "ID", "target_hub": "ID", "channel": "web",
            "event_id": f"e{n}", "schema_version": 1, "occurred_at": now, "hub": "ID",
            "classification": rng.choice(["complaint", "aspiration"]), "category_code": rng.choice(CATEGORIES),
            "region_code": region, "gesi": rng.choice([[], [], ["women"]]), "title": "Laporan warga",
            "description": rng.choice(["Jalan nasional rusak parah", "Pelayanan lambat di kantor"]),
            "location_text": None, "incident_date": date.today(), "is_anonymous": False, "is_confidential": False,
            "reporter_ref": "rpt_bench", "language": "id", "received_at": now}


def percentile(values: list[float], q: float) -> float:
    return sorted(values)[min(len(values) - 1, int(q * len(values)))]


def main() -> None:
    rng = random.Random(4)
    rules = build_rules(rng)
    assert not domain.check_rule_ties(rules), "the bench rule set must be loadable"
    regions = {p: {"_id": p, "parent": None, "hub": "ID", "timezone": "Asia/Jakarta"} for p in PROVINCES}
    regions.update({d: {"_id": d, "parent": d[:2], "hub": "ID", "timezone": "Asia/Jakarta"} for d in DISTRICTS})
    started = time.perf_counter()
    index = domain.RuleIndex(rules)
    built = time.perf_counter() - started
    reports = [make_report(rng, n) for n in range(20000)]

    for report in reports[:500]:  # warm-up
        index.best(report, domain.region_chain(report["region_code"], regions))
    gc.collect()
    decisions = []
    for report in reports:
        t0 = time.perf_counter()
        chain = domain.region_chain(report["region_code"], regions)
        index.best(report, chain)
        decisions.append(time.perf_counter() - t0)
    routes = []
    now = datetime.now(timezone.utc)
    for report in reports[:5000]:
        t0 = time.perf_counter()
        domain.route(report, regions, index, "ID", now)
        routes.append(time.perf_counter() - t0)
    for report in reports[:300]:  # same answer as a full scan
        chain = domain.region_chain(report["region_code"], regions)
        expected = domain.best_rule(rules, report, chain)
        got = index.best(report, chain)
        assert (got and got["_id"]) == (expected and expected["_id"]), report
    scan = []
    for report in reports[:200]:
        t0 = time.perf_counter()
        domain.best_rule(rules, report, domain.region_chain(report["region_code"], regions))
        scan.append(time.perf_counter() - t0)

    ms = 1000
    print(f"rules loaded: {index.size}; index built in {built * ms:.1f} ms")
    print(f"decision (RuleIndex.best), {len(decisions)} reports: mean {statistics.mean(decisions) * ms:.4f} ms, "
          f"p50 {percentile(decisions, .5) * ms:.4f} ms, p99 {percentile(decisions, .99) * ms:.4f} ms, "
          f"max {max(decisions) * ms:.3f} ms -> {len(decisions) / sum(decisions):,.0f} decisions/s")
    print(f"full route (decision + work item + validated contract event), {len(routes)} reports: "
          f"mean {statistics.mean(routes) * ms:.4f} ms, p99 {percentile(routes, .99) * ms:.4f} ms "
          f"-> {len(routes) / sum(routes):,.0f} routes/s")
    print(f"for comparison, a full scan of every rule: mean {statistics.mean(scan) * ms:.2f} ms")
    verdict = "PASS" if percentile(decisions, .99) < 0.001 else "FAIL"
    print(f"target: one decision under 1 ms with 10,000 rules (p99): {verdict}")


if __name__ == "__main__":
    main()

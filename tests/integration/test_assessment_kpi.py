"""A year of generated events through the real broker into assessment; every KPI is checked
against a count made independently from the raw generated data, then again after a rebuild."""
import os
import random
import subprocess
import sys
from collections import defaultdict
from datetime import datetime, timedelta, timezone

import pytest
import requests
from nameko.standalone.events import event_dispatcher

from assessment.service import AssessmentService
from contract import events
from contract.ids import check_symbol
from tests.conftest import ROOT
from tests.integration.conftest import settled, wait_for

YEAR = 2025
AGENCIES = {"PEMKAB-KOTIM": ["KTM-PUPR", "KTM-DLH"], "PEMKAB-LUWU": ["LWU-PUPR", "LWU-DINKES"],
            "PLN": ["PLN-UID-BALI"]}
CATEGORIES = ["infrastruktur", "kesehatan", "lingkungan", "listrik", "pendidikan", "bansos"]
CHANNELS = ["web", "sms", "mobile", "social", "manual"]
REGIONS = ["6202", "7317", "5108"]
CLASSES = ["complaint", "aspiration", "information_request"]
GESI = ["women", "disability", "elderly"]
WIB = timedelta(hours=7)  # Asia/Jakarta, the reporting time zone


def generate(n, seed=7):
    """Reports (the truth, as plain dicts) and the events that tell their story."""
    rnd = random.Random(seed)
    reports, stream = [], []
    start = datetime(YEAR, 1, 1, tzinfo=timezone.utc) - WIB
    for i in range(n):
        symbols = f"T{i:04d}{rnd.randrange(10**4):04d}"  # a valid ID (check symbol), as a hub issues them
        tid = f"ID-{symbols[:5]}-{symbols[5:]}{check_symbol(symbols)}"
        at = start + timedelta(minutes=rnd.randrange(365 * 24 * 60))
        r = {"tid": tid, "at": at, "channel": rnd.choice(CHANNELS), "classification": rnd.choice(CLASSES),
             "category": rnd.choice(CATEGORIES), "region": rnd.choice(REGIONS),
             "gesi": sorted(rnd.sample(GESI, rnd.choice([0, 0, 1, 2]))), "agency": None, "unit": None,
             "first": None, "closed": None, "on_time": None, "rating": None}
        reports.append(r)
        base = {"tracking_id": tid, "origin_hub": "ID"}
        stream.append(("intake", events.REPORT_RECEIVED, at, dict(
            base, target_hub="ID", channel=r["channel"], classification=r["classification"],
            category_code=r["category"], region_code=r["region"], title="judul", description="isi",
            is_anonymous=rnd.random() < 0.3, is_confidential=rnd.random() < 0.1, reporter_ref="rpt",
            gesi=r["gesi"], received_at=at)))
        disp = dict(base, actor="system", region_code=r["region"], category_code=r["category"],
                    classification=r["classification"], channel=r["channel"], reporter_ref="rpt", is_anonymous=False,
                    automatic=True)
        if rnd.random() < 0.12:  # stays in national triage
            stream.append(("routing", events.REPORT_DISPOSITIONED, at + timedelta(minutes=5),
                           dict(disp, queue="national_triage", agency_code=None)))
            continue
        first_agency = rnd.choice(list(AGENCIES))
        stream.append(("routing", events.REPORT_DISPOSITIONED, at + timedelta(minutes=5),
                       dict(disp, queue="agency", agency_code=first_agency)))
        r["agency"] = first_agency
        if rnd.random() < 0.08:
            stream.append(("routing", events.REPORT_ARCHIVED, at + timedelta(hours=3), dict(
                base, actor="adm", actor_role="agency_admin", agency_code=first_agency, queue="archive")))
            continue
        r["agency"] = rnd.choice(list(AGENCIES)) if rnd.random() < 0.15 else first_agency  # re-dispositioned
        r["unit"] = rnd.choice(AGENCIES[r["agency"]])
        opened = at + timedelta(hours=rnd.randrange(1, 48))
        case = dict(base, case_id=f"C{i}", agency_code=r["agency"], unit_code=r["unit"])
        stream.append(("followup", events.CASE_OPENED, opened, dict(
            case, stage="follow_up", sla_working_days=5, due_at=opened + timedelta(days=7), opened_at=opened)))
        if rnd.random() < 0.1:
            stream.append(("followup", events.CASE_OVERDUE, opened + timedelta(days=7), dict(
                case, due_at=opened + timedelta(days=7), indicator="red")))
        if rnd.random() < 0.2:
            continue
        first = opened + timedelta(minutes=rnd.randrange(30, 5 * 24 * 60))
        r["first"] = first
        stream.append(("followup", rnd.choice([events.CASE_UPDATED, events.CASE_ANSWERED]), first, dict(
            case, message_id=f"M{i}", author_role="liaison")))
        if rnd.random() < 0.25:
            continue
        closed = first + timedelta(minutes=rnd.randrange(60, 20 * 24 * 60))
        r["closed"], r["on_time"] = closed, rnd.random() < 0.7
        stream.append(("followup", events.CASE_CLOSED, closed, dict(
            case, closed_by="reporter", on_time=r["on_time"], opened_at=opened, first_response_at=first)))
        if rnd.random() < 0.6:
            r["rating"] = rnd.randint(1, 5)
            stream.append(("followup", events.CASE_RATED, closed + timedelta(hours=1), dict(case, rating=r["rating"])))
        if rnd.random() < 0.15:
            stream.append(("followup", events.CASE_REOPENED, closed + timedelta(days=1), dict(case, reason="belum")))
            if rnd.random() < 0.5:
                r["closed"], r["on_time"] = closed + timedelta(days=3), False
                stream.append(("followup", events.CASE_CLOSED, r["closed"], dict(
                    case, closed_by="system", on_time=False, opened_at=opened, first_response_at=first)))
            else:
                r["closed"] = r["on_time"] = None
    built = []
    for source, event_type, occurred, fields in stream:
        payload = events.build(event_type, hub="ID", **fields)["payload"]
        payload["occurred_at"] = occurred.isoformat()
        built.append((source, event_type, payload))
    return reports, built


def expected_rows(reports, months, key):
    """The KPI rows, counted directly from the generated truth (no assessment code involved)."""
    groups = defaultdict(list)
    for r in reports:
        if (r["at"] + WIB).strftime("%Y-%m") in months:
            for value in key(r):
                groups[value].append(r)
    rows = {}
    for value, rs in groups.items():
        done = [r for r in rs if r["closed"]]
        first = [r for r in rs if r["first"]]
        rated = [r for r in rs if r["rating"]]
        rows[value] = {
            "received": len(rs), "completed": len(done), "unresolved": len(rs) - len(done),
            "average_per_month": len(rs) / len(months),
            "completed_pct": 100 * len(done) / len(rs), "unresolved_pct": 100 * (len(rs) - len(done)) / len(rs),
            "closed_within_sla_pct": 100 * sum(r["on_time"] for r in done) / len(done) if done else None,
            "avg_first_response_hours": sum((r["first"] - r["at"]).total_seconds() for r in first) / 3600 / len(first)
            if first else None,
            "avg_closure_hours": sum((r["closed"] - r["at"]).total_seconds() for r in done) / 3600 / len(done)
            if done else None,
            "rating_count": len(rated),
            "rating_avg": sum(r["rating"] for r in rated) / len(rated) if rated else None}
    return rows


KEYS = {"all": lambda r: ["*"], "agency": lambda r: [r["agency"] or "-"], "unit": lambda r: [r["unit"] or "-"],
        "category": lambda r: [r["category"]], "channel": lambda r: [r["channel"]],
        "region": lambda r: [r["region"]], "classification": lambda r: [r["classification"]],
        "gesi": lambda r: r["gesi"]}
PERIODS = [f"{YEAR}-{m:02d}" for m in range(1, 13)] + [f"{YEAR}-Q{q}" for q in range(1, 5)] + [str(YEAR)]


def check_all(rpc, reports):
    checked = 0
    for period in PERIODS:
        for scope in [None, *AGENCIES]:
            if scope and len(period) == 7 and "Q" not in period:
                continue  # per-agency monthly views are covered by the quarters and the year
            in_scope = [r for r in reports if scope is None or r["agency"] == scope]
            for dim, key in KEYS.items():
                answer = rpc.assessment.kpis(period, dim, scope)
                expected = expected_rows(in_scope, answer["months"], key)
                got = {row["value"]: row for row in answer["rows"]}
                assert set(got) == set(expected), (period, scope, dim)
                for value, exp in expected.items():
                    for field, number in exp.items():
                        assert got[value][field] == pytest.approx(number, abs=0.0051 if "pct" not in field else 0.051), \
                            (period, scope, dim, value, field)
                        checked += 1
    return checked


def test_a_year_of_events_gives_every_kpi_and_a_rebuild_gives_the_same(start_services, rpc, service_config,
                                                                       mongo_client):
    urls = start_services(AssessmentService)
    reports, stream = generate(150)
    dispatch = event_dispatcher(service_config)
    replays = random.Random(3).sample(stream, 40)
    for source, event_type, payload in stream + replays:  # 40 redelivered events must count once
        dispatch(source, event_type, payload)
    wait_for(lambda: settled(rpc.assessment.health(), len(stream)), timeout=180, interval=0.5)
    assert rpc.assessment.health()["facts"] == len(reports)
    assert check_all(rpc, reports) > 5000

    year = requests.get(f"{urls['assessment']}/stats/public?period={YEAR}", timeout=5).json()
    assert year["received"] == len(reports)
    assert year["top_topics"][0]["received"] == max(
        sum(r["category"] == c for r in reports) for c in CATEGORIES)

    database = service_config["MONGODB_DATABASE_PREFIX"] + "assessment"
    cells = mongo_client[database].kpi_cells
    cells.update_many({}, {"$unset": {"dims.category": ""}})   # damage the aggregates ...
    cells.update_many({"part": "all"}, {"$inc": {"dims.all.*.received": 1000}})
    command = [sys.executable, "-m", "assessment.cli", "rebuild", "--mongodb-uri", service_config["MONGODB_URI"],
               "--database", database]
    env = {**os.environ, "PYTHONPATH": f"{ROOT}/services/contract:{ROOT}/services/assessment"}
    assert subprocess.run(command + ["--check"], env=env, capture_output=True, timeout=120).returncode == 1
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "rebuilt" in done.stdout and "100%" in done.stderr, done.stderr
    assert subprocess.run(command + ["--check"], env=env, capture_output=True, timeout=120).returncode == 0
    assert check_all(rpc, reports) > 5000                 # ... and the rebuild restores every number

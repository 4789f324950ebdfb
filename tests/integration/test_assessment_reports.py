"""Monitoring reports (JSON, CSV, printable HTML), targets, and the public statistics."""
import csv
import io
import json
import uuid
from html.parser import HTMLParser

import pytest
import requests
from nameko.rpc import rpc as rpc_entrypoint
from nameko.standalone.events import event_dispatcher

from assessment.service import AssessmentService
from tests.conftest import free_port
from tests.integration.conftest import DEMO_REGISTRY, settled, wait_for
from tests.integration.test_assessment_kpi import YEAR, generate


class OfficialsDirectory:
    """Stands in for routing's officials (outside assessment's bounded context): the real
    routing would also route the generated reports and add dispositions of its own."""
    name = "routing"

    def __init__(self):
        import yaml
        with open(DEMO_REGISTRY) as handle:
            self.officials = {o["official_id"]: o for o in yaml.safe_load(handle)["officials"]}

    @rpc_entrypoint
    def authenticate(self, token):
        official = self.officials.get(token.removeprefix("test-"))
        return official and {k: official.get(k) for k in ("official_id", "name", "role", "hub", "agency_code",
                                                           "unit_code")}

    @rpc_entrypoint
    def recipients(self, ref):
        kind, _, code = ref.partition(":")
        return [o for o in self.officials.values() if kind == "agency" and o.get("agency_code") == code]


@pytest.fixture(scope="module")
def loaded(servers, vhost_pipeline, request):
    """One assessment service with a generated year of reports for the module's tests, which only read
    (one target, PEMKAB-KOTIM's, is written and read by one test alone): on a vhost and databases of
    its own, as the conftest's per-test ``service_config`` gives, started and loaded once."""
    from urllib.parse import urlparse

    from nameko.containers import get_container_cls
    from nameko.standalone.rpc import ClusterRpcProxy
    amqp = urlparse(request.config.getoption("RABBIT_AMQP_URI"))
    with vhost_pipeline.get() as vhost:
        config = {"AMQP_URI": f"{amqp.scheme}://{amqp.netloc}/{vhost}", "username": amqp.username, "vhost": vhost,
                  "MONGODB_URI": servers["mongodb_uri"], "MONGODB_DATABASE_PREFIX": f"t{uuid.uuid4().hex[:10]}_",
                  "HUB_CODE": "ID", "SLA_VERIFICATION_WORKING_DAYS": 3, "SLA_FOLLOW_UP_WORKING_DAYS": 5}
        port = free_port()
        containers = [get_container_cls(config)(cls, {**config, "WEB_SERVER_ADDRESS": address})
                      for cls, address in ((OfficialsDirectory, f"127.0.0.1:{free_port()}"),
                                           (AssessmentService, f"127.0.0.1:{port}"))]
        try:
            for container in containers:
                container.start()
            reports, stream = generate(120, seed=11)
            dispatch = event_dispatcher(config)
            for source, event_type, payload in stream:
                dispatch(source, event_type, payload)
            with ClusterRpcProxy(config, timeout=10) as rpc:
                wait_for(lambda: settled(rpc.assessment.health(), len(stream)), timeout=120, interval=0.5)

            def call(path, official=None, **kwargs):
                headers = {"Authorization": f"Bearer test-{official}"} if official else {}  # OfficialsDirectory's
                return requests.request(kwargs.pop("method", "GET"), f"http://127.0.0.1:{port}{path}",
                                        headers=headers, timeout=10, **kwargs)
            yield call, reports, stream
        finally:
            for container in containers:
                container.kill()


class Page(HTMLParser):
    """Collects what a reader of the printed report would see: tags, ids, text."""

    def __init__(self):
        super().__init__()
        self.tags, self.ids, self.text, self.stack = [], set(), [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.ids.update(v for k, v in attrs if k == "id")

    def handle_data(self, data):
        self.text.append(data)


def test_yearly_evaluation_with_target_json_csv_and_printable_html(loaded):
    call, reports, _ = loaded
    kotim = [r for r in reports if r["agency"] == "PEMKAB-KOTIM"]
    done = sum(1 for r in kotim if r["closed"])
    target = call(f"/assessments/agencies/PEMKAB-KOTIM/targets/{YEAR}", "adm-kotim", method="PUT", json={
        "baseline_year": 2020, "baseline_received": 22, "baseline_completed_pct": 54.5,
        "target_received": 30, "target_completed_pct": 100})
    assert target.status_code == 200, target.text
    assert target.json()["actual_received"] == len(kotim) and target.json()["gap_received"] == len(kotim) - 30
    assert call(f"/assessments/agencies/PEMKAB-KOTIM/targets/{YEAR}", "adm-luwu").status_code == 403
    bad = call(f"/assessments/agencies/PEMKAB-KOTIM/targets/{YEAR}", "adm-kotim", method="PUT",
               json={"target_received": -1, "target_completed_pct": 120})
    assert sorted(e["field"] for e in bad.json()["errors"]) == ["target_completed_pct", "target_received"]

    report = call(f"/assessments/reports/monitoring?period={YEAR}", "adm-kotim").json()
    assert report["agency_code"] == "PEMKAB-KOTIM" and report["title_id"] == "Laporan Evaluasi Tahunan"
    assert report["totals"]["received"] == len(kotim) and report["totals"]["completed"] == done
    assert [m["value"] for m in report["monthly"]] == [f"{YEAR}-{m:02d}" for m in range(1, 13)]
    assert sum(m["received"] for m in report["monthly"]) == len(kotim)
    assert report["target"]["target_received"] == 30

    quarter = call(f"/assessments/reports/monitoring?period={YEAR}-Q2&format=csv", "adm-kotim")
    assert quarter.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(quarter.text)))
    assert [r["value"] for r in rows if r["section"] == "month"] == [f"{YEAR}-04", f"{YEAR}-05", f"{YEAR}-06"]
    total = next(r for r in rows if r["section"] == "total")
    assert int(total["received"]) == sum(int(r["received"]) for r in rows if r["section"] == "month")

    html = call(f"/assessments/reports/monitoring?period={YEAR}&format=html", "adm-kotim")
    assert html.headers["Content-Type"].startswith("text/html")
    page = Page()
    page.feed(html.text)
    assert {"summary", "chart", "target", "indicator"} <= page.ids
    assert page.tags.count("rect") == 2 * 12 + 2  # received and completed per month, plus the legend
    text = " ".join(page.text)
    assert "Laporan Evaluasi Tahunan" in text and f"{len(kotim)}" in text and "<script" not in html.text


def test_agency_staff_see_only_their_agency(loaded):
    call, reports, _ = loaded
    assert call(f"/assessments/kpis?period={YEAR}&agency=PEMKAB-LUWU", "adm-kotim").status_code == 403
    own = call(f"/assessments/kpis?period={YEAR}&by=unit", "lo-ktm-dlh").json()
    assert own["scope"] == "PEMKAB-KOTIM" and {r["value"] for r in own["rows"]} <= {"KTM-PUPR", "KTM-DLH", "-"}  # "-": archived before a unit
    everyone = call(f"/assessments/kpis?period={YEAR}&by=agency&format=csv", "nas-admin-1")
    counted = {r["value"]: int(r["received"]) for r in csv.DictReader(io.StringIO(everyone.text))}
    assert sum(counted.values()) == len(reports)
    assert call(f"/assessments/kpis?period={YEAR}&by=colour", "nas-admin-1").json()["errors"][0]["field"] == "by"
    assert call(f"/assessments/kpis?period={YEAR}").status_code == 401


def test_public_statistics_hide_text_reporters_and_small_cells(loaded):
    call, reports, stream = loaded
    body = call(f"/stats/public?period={YEAR}")
    assert body.status_code == 200
    stats = body.json()
    assert stats["received"] == len(reports) and stats["min_cell_size"] == 5
    assert [t["rank"] for t in stats["top_topics"]] == [1, 2, 3, 4, 5]
    raw = json.dumps(stats)
    assert "judul" not in raw and "isi" not in raw and "rpt" not in raw and "tracking" not in raw
    month = call(f"/stats/public?period={YEAR}-03").json()
    small = [a for a in month["agencies"] if a["suppressed"]]
    assert all(a["received"] is None and a["indicator"] is None for a in small)
    assert all(v is None or v == 0 or v >= 5 for v in month["statuses"].values())
    for agency in stats["agencies"]:
        if not agency["suppressed"]:
            assert agency["indicator"] in ("green", "yellow", "red")
    open_data = call(f"/stats/public?period={YEAR}&format=csv")
    rows = list(csv.DictReader(io.StringIO(open_data.text)))
    assert {r["section"] for r in rows} == {"total", "status", "top_topic", "agency"}
    assert call("/stats/public?period=2025&format=xml").json()["errors"][0]["field"] == "format"

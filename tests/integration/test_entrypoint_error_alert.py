"""An HTTP 500 reaches nameko, moves ``lapor_entrypoint_errors_total`` and fires LaporEntrypointErrors.

Errors are mapped where nameko sees them (``contract.http.endpoint``'s ``response_from_exception``),
so the exception reaches ``worker_result``: the caller gets the error format (500 ``internal``,
no traceback), the error counter moves, and a caller's own error (a 4xx) is not counted. The
alert's promtool test then runs on the series this real request produced: the metric names and
labels scraped from /metrics, and the increments observed per request, replayed over the
alert's window."""
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import requests
import yaml
from contract.webserver import http

from contract import errors
from contract.http import endpoint, metrics_response
from contract.metrics import Metrics
from contract.web import NotFoundPage, WebPages, page

PROMETHEUS = Path(__file__).resolve().parents[2] / "deploy" / "prometheus"
SERVICE = "errprobe"


class ErrorProbe:
    name = SERVICE
    metrics = Metrics()

    @endpoint("GET", "/boom")
    def boom(self, request):
        raise RuntimeError("a bug")

    @endpoint("GET", "/refused")
    def refused(self, request):
        raise errors.ApiError([errors.error("secret", "invalid", "The secret is wrong.", "Kode rahasia salah.")],
                              status=403)

    web = WebPages()

    @page("GET", "/halaman-rusak")
    def broken_page(self, request):
        raise RuntimeError("a bug in a page")

    @page("GET", "/halaman-hilang")
    def missing_page(self, request):
        raise NotFoundPage()

    @http("GET", "/metrics")
    def metrics_http(self, request):
        return metrics_response()


def scrape(base: str) -> dict[str, float]:
    """The probe's entrypoint series: 'name{labels}' -> value."""
    series = {}
    for line in requests.get(f"{base}/metrics", timeout=5).text.splitlines():
        match = re.match(r'^(lapor_entrypoint_(?:errors|calls)_total)(\{[^}]*service="errprobe"[^}]*\}) (\S+)$', line)
        if match:
            series[match[1] + match[2]] = float(match[3])
    return series


@pytest.fixture
def probe(start_probe):
    return start_probe(ErrorProbe)


def test_a_500_is_in_the_error_format_moves_the_error_metric_and_fires_its_alert(probe, tmp_path):
    before = scrape(probe)
    answer = requests.get(f"{probe}/boom", timeout=5)
    assert answer.status_code == 500
    assert [(e["field"], e["code"]) for e in answer.json()["errors"]] == [(None, "internal")]
    assert "Traceback" not in answer.text and "a bug" not in answer.text
    refused = requests.get(f"{probe}/refused", timeout=5)
    assert refused.status_code == 403 and refused.json()["errors"][0]["field"] == "secret"
    after = scrape(probe)
    increments = {name: value - before.get(name, 0.0) for name, value in after.items()}
    boom_errors = 'lapor_entrypoint_errors_total{entrypoint="boom",service="errprobe"}'
    boom_calls = 'lapor_entrypoint_calls_total{entrypoint="boom",service="errprobe"}'
    refused_calls = 'lapor_entrypoint_calls_total{entrypoint="refused",service="errprobe"}'
    assert increments[boom_errors] == 1 and increments[boom_calls] == 1
    assert increments[refused_calls] == 1
    assert increments.get('lapor_entrypoint_errors_total{entrypoint="refused",service="errprobe"}', 0) == 0

    promtool = shutil.which("promtool")
    assert promtool, "promtool not found: install Debian's prometheus package (make install does)"
    # the real series, each growing by what one request added, once a minute for 20 minutes
    input_series = [{"series": name, "values": f"0+{increments.get(name, 0):g}x20"}
                    for name in (boom_errors, boom_calls, refused_calls)]
    test = {"rule_files": [str(PROMETHEUS / "alerts.yml")], "evaluation_interval": "1m",
            "tests": [{"interval": "1m", "input_series": input_series, "alert_rule_test": [
                {"eval_time": "20m", "alertname": "LaporEntrypointErrors", "exp_alerts": [
                    {"exp_labels": {"severity": "warning", "service": SERVICE, "entrypoint": "boom"},
                     "exp_annotations": {"summary": f"{SERVICE}.boom: more than 5% of calls fail"}}]}]}]}
    path = tmp_path / "real_series_test.yml"
    path.write_text(yaml.safe_dump(test))
    done = subprocess.run([promtool, "test", "rules", str(path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_page_that_fails_renders_the_error_page_and_moves_the_error_metric(probe):
    before = scrape(probe)
    broken = requests.get(f"{probe}/halaman-rusak", timeout=5)
    assert broken.status_code == 500 and broken.headers["Content-Type"].startswith("text/html")
    assert "a bug in a page" not in broken.text and "<html" in broken.text.lower()
    missing = requests.get(f"{probe}/halaman-hilang", headers={"Accept-Language": "en"}, timeout=5)
    assert missing.status_code == 404 and missing.headers["Content-Type"].startswith("text/html")
    after = scrape(probe)
    errors_of = 'lapor_entrypoint_errors_total{{entrypoint="{}",service="errprobe"}}'.format
    assert after[errors_of("broken_page")] - before.get(errors_of("broken_page"), 0) == 1
    assert after.get(errors_of("missing_page"), 0) == before.get(errors_of("missing_page"), 0)  # not ours

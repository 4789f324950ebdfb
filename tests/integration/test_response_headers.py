"""Every answer of every service says ``nosniff``, and whatever a browser renders carries the pages'
security headers even when its handler set none (issue 20: the printable monitoring report had no
CSP, X-Frame-Options or nosniff, and JSON replies no nosniff)."""
import pytest
import requests
from contract.webserver import http
from werkzeug.wrappers import Response

from contract.http import json_response


class HeaderProbe:
    name = "headerprobe"

    @http("GET", "/report.html")
    def printable(self, request):
        return Response("<!doctype html><title>Laporan</title><p>Rekap", content_type="text/html; charset=utf-8")

    @http("GET", "/data.json")
    def data(self, request):
        return json_response(200, {"ok": True})

    @http("GET", "/own.html")
    def own(self, request):
        return Response("<p>x", content_type="text/html", headers={"X-Frame-Options": "SAMEORIGIN"})


@pytest.fixture
def probe(start_probe):
    return start_probe(HeaderProbe)


def test_rendered_answers_carry_the_security_headers_and_every_answer_nosniff(probe):
    page = requests.get(f"{probe}/report.html", timeout=5)
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Frame-Options"] == "DENY"
    data = requests.get(f"{probe}/data.json", timeout=5)
    assert data.headers["X-Content-Type-Options"] == "nosniff" and "Content-Security-Policy" not in data.headers
    missing = requests.get(f"{probe}/nowhere", timeout=5)
    assert missing.status_code == 404 and missing.headers["X-Content-Type-Options"] == "nosniff"
    assert requests.get(f"{probe}/own.html", timeout=5).headers["X-Frame-Options"] == "SAMEORIGIN"  # kept

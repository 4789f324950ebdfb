"""Every answer from the front door and the services is in the documented error format (issue 13):
nginx's own errors (400, 405, 413, 502-504) and the services' routing misses (404, 405 with Allow),
in the Open311 error list under /open311/."""
import os
import subprocess

import pytest
import requests

from tests.conftest import LOCAL, ROOT, free_port
from tests.integration.test_intake_submission import intake


@pytest.fixture(scope="module")
def front_door():
    """The front door alone (no service behind it), on ports of its own."""
    port = free_port()
    env = {**os.environ, "LAPOR_RUN_DIR": str(ROOT / ".run" / f"frontdoor-test-{port}"), "LAPOR_HTTP_PORT": str(port)}
    subprocess.run([str(LOCAL / "frontdoor.sh"), "start"], env=env, check=True, timeout=60,
                   stdout=subprocess.DEVNULL)
    yield f"http://127.0.0.1:{port}"
    subprocess.run([str(LOCAL / "frontdoor.sh"), "stop"], env=env, check=True, timeout=60, stdout=subprocess.DEVNULL)


def api_error(answer, status: int, code: str) -> None:
    assert answer.status_code == status, (answer.status_code, answer.text[:200])
    assert answer.headers["Content-Type"].startswith("application/json"), answer.headers["Content-Type"]
    item = answer.json()["errors"][0]
    assert item["code"] == code and item["message"] and item["message_id"]


def raw(url: str, request_line_path: str, extra: str = "") -> tuple[int, str, str]:
    """A request sent as written (requests would normalise ``..`` and ``%00``)."""
    import socket
    host, port = url.split("//")[1].split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(f"GET {request_line_path} HTTP/1.1\r\nHost: x\r\n{extra}Connection: close\r\n\r\n".encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.decode().partition("\r\n\r\n")
    return int(head.split()[1]), head.lower(), body


def test_nginx_errors_are_json(front_door):
    api_error(requests.post(f"{front_door}/openapi.json", timeout=5), 405, "method_not_allowed")
    assert requests.post(f"{front_door}/openapi.json", timeout=5).headers["Allow"] == "GET, HEAD"
    api_error(requests.post(f"{front_door}/reports", data=b"x" * (26 * 1024 * 1024), timeout=30), 413, "too_large")
    unavailable = requests.post(f"{front_door}/reports", json={}, timeout=5)
    api_error(unavailable, 503, "unavailable")
    assert unavailable.headers["Retry-After"] == "5"
    for path, extra in (("/reports/%2e%2e/%2e%2e/etc/passwd", ""), ("/reports%00", ""),
                        ("/reports", f"X-Big: {'a' * 20000}\r\n")):
        status, head, body = raw(front_door, path, extra)
        assert status == 400 and "content-type: application/json" in head and '"code": "bad_request"' in body, \
            (path, status, body[:200])


def test_nginx_errors_under_open311_are_open311_lists(front_door):
    as_json = requests.get(f"{front_door}/open311/v2/requests.json", timeout=5)
    assert as_json.status_code == 503 and as_json.json()[0]["code"] == 503
    as_xml = requests.get(f"{front_door}/open311/v2/requests.xml", timeout=5)
    assert as_xml.headers["Content-Type"].startswith("text/xml") and "<code>503</code>" in as_xml.text


def test_service_routing_misses_are_json_with_allow(start_services, service_config):
    base = intake(start_services, service_config)
    api_error(requests.get(f"{base}/reports/LAP-1/nothing/here", timeout=5), 404, "not_found")
    wrong = requests.delete(f"{base}/reports", timeout=5)
    api_error(wrong, 405, "method_not_allowed")
    assert "POST" in wrong.headers["Allow"]
    open311 = requests.delete(f"{base}/open311/v2/requests.xml", timeout=5)
    assert open311.status_code == 405 and "<code>405</code>" in open311.text and "GET" in open311.headers["Allow"]
    assert requests.get(f"{base}/open311/v2/nothing.json", timeout=5).json()[0]["code"] == 404

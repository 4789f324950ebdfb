"""The trusted-proxy rule is in one place (issue 20: intake's web form believed the leftmost
X-Forwarded-For even on a direct port, so anyone could pick the address its rate limit counted)."""
import re
from pathlib import Path

from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from contract.http import client_address

SERVICES = Path(__file__).resolve().parents[3] / "services"


def test_only_contract_http_reads_x_forwarded_for():
    readers = sorted(str(path.relative_to(SERVICES)) for path in SERVICES.rglob("*.py")
                     if re.search(r"""headers(\.get\(|\[)["']X-Forwarded-For""", path.read_text(encoding="utf-8")))
    assert readers == ["contract/contract/http.py"], readers


def request(remote: str, forwarded: str | None) -> Request:
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    return Request(EnvironBuilder(path="/lapor", headers=headers, environ_base={"REMOTE_ADDR": remote}).get_environ())


def test_the_header_is_believed_from_the_front_door_only():
    assert client_address(request("203.0.113.9", "198.51.100.1"), "127.0.0.1,::1") == "203.0.113.9"
    assert client_address(request("127.0.0.1", "198.51.100.1"), "127.0.0.1,::1") == "198.51.100.1"
    # a forged leftmost hop through the front door: the nearest untrusted hop counts
    assert client_address(request("127.0.0.1", "1.2.3.4, 198.51.100.1"), "127.0.0.1,::1") == "198.51.100.1"

"""Issue 19, the citizen keeps one place, on the three real hubs (deploy/hubs/hubs.yml): a citizen
files a Bali report at the national hub (the wrong door), it is forwarded to Bali (51), and at the
national hub's page the citizen replies, adds evidence, rates and reopens; Bali sees each, and
its liaison's answer shows on the national page. Buleleng (5108) speaks version 1: a report held
behind it cannot take those actions from its origin, and the origin's page says so."""
from __future__ import annotations

import io
import re
import time

import pytest
import requests
from nameko.standalone.rpc import ClusterRpcProxy
from PIL import Image

from tests.credentials import bearer
from tests.factories import make_report
from tests.hubs.conftest import submit_report
from tests.waiting import wait_for

pytestmark = pytest.mark.e2e
BALI = {"region_code": "51", "category_code": "bencana", "location_text": "Karangasem",
        "description": "Tanah longsor menutup jalan antar desa di Karangasem, warga belum mendapat bantuan."}
ANSWER = "Jalan sudah dibuka kembali oleh BPBD pada 3 Desember; bantuan logistik sudah disalurkan."


def filed(hub, **fields) -> tuple[str, str]:
    response = submit_report(hub.url, make_report(**fields))
    assert response.status_code == 201, response.text
    return response.json()["tracking_id"], response.json()["secret"]


def steps(hub, tracking_id: str) -> list[dict]:
    answer = requests.get(f"{hub.url}/reports/{tracking_id}", timeout=10)
    return answer.json()["history"] if answer.status_code == 200 else []


def has_step(hub, tracking_id: str, step: str, **detail) -> bool:
    return any(h["step"] == step and all(h["detail"].get(k) == v for k, v in detail.items())
               for h in steps(hub, tracking_id))


class Citizen:
    """A browser session on the origin's tracking page, unlocked with the secret."""

    def __init__(self, hub, tracking_id: str, secret: str):
        self.hub, self.tracking_id, self.session = hub, tracking_id, requests.Session()
        assert self.post("kunci", {"secret": secret}).status_code == 303

    def page(self) -> str:
        return self.session.get(f"{self.hub.url}/lacak/{self.tracking_id}", timeout=10).text

    def token(self) -> str:
        return re.search(r'name="csrf_token" value="([^"]+)"', self.page()).group(1)

    def post(self, action: str, form: dict, files=None, path: str = "lacak") -> requests.Response:
        token = self.token()
        return self.session.post(f"{self.hub.url}/{path}/{self.tracking_id}/{action}", data={**form, "csrf_token": token},
                                 files=files, allow_redirects=False, timeout=15)


def owner_case(hub, tracking_id: str) -> dict | None:
    answer = requests.get(f"{hub.url}/cases/{tracking_id}", timeout=10)
    return answer.json() if answer.status_code == 200 else None


def owner_messages(hub, tracking_id: str, secret: str) -> list[dict]:
    answer = requests.get(f"{hub.url}/cases/{tracking_id}/messages", headers={"X-Reporter-Secret": secret}, timeout=10)
    return answer.json()["messages"] if answer.status_code == 200 else []


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (30, 120, 30)).save(out, "JPEG")
    return out.getvalue()


def test_a_citizen_replies_adds_evidence_rates_and_reopens_where_they_filed(hub_stacks):
    origin, owner = hub_stacks["ID"], hub_stacks["51"]
    tracking_id, secret = filed(origin, **BALI)
    wait_for(lambda: owner_case(owner, tracking_id), timeout=40, interval=0.3)
    wait_for(lambda: has_step(origin, tracking_id, "hub_case_opened"), timeout=30, interval=0.3)
    citizen = Citizen(origin, tracking_id, secret)
    page = citizen.page()
    assert 'id="deadline"' in page and " WITA</time>" in page and "/balas" in page  # the owner's deadline, here

    # a reply at the origin reaches the owner's conversation
    started = time.monotonic()
    replied = citizen.post("balas", {"body": "Longsor susulan terjadi tadi malam, jalan tertutup lagi."})
    assert replied.status_code == 303 and replied.headers["Location"].endswith("notice=replied")
    wait_for(lambda: any("Longsor susulan" in m["body"] for m in owner_messages(owner, tracking_id, secret)),
             timeout=30, interval=0.3)
    print(f"figure: reply posted at ID -> in 51's conversation: {time.monotonic() - started:.2f} s")

    # evidence added at the origin is stored by the owner
    added = citizen.post("bukti", {}, files={"evidence": ("foto.jpg", jpeg(), "image/jpeg")}, path="lapor")
    assert added.status_code == 303 and "notice=evidence_added" in added.headers["Location"], added.headers
    wait_for(lambda: has_step(owner, tracking_id, "hub_action_received", action="evidence"), timeout=30, interval=0.3)
    with ClusterRpcProxy({"AMQP_URI": owner.amqp_uri}, timeout=10) as rpc:
        assert rpc.intake.page_view(tracking_id, "id", secret)["attachment_count"] == 1

    # the owner's liaison answers; the answer shows on the origin's page
    liaison = bearer({"MONGODB_URI": owner.mongodb_uri}, "lo-bali-bpbd")
    verified = requests.post(f"{owner.url}/admin/reports/{tracking_id}/verify", json={}, headers=liaison, timeout=10)
    assert verified.status_code == 200, verified.text
    wait_for(lambda: (owner_case(owner, tracking_id) or {}).get("verified_at_unit"), timeout=30, interval=0.3)
    answered = requests.post(f"{owner.url}/cases/{tracking_id}/answer", json={"body": ANSWER}, headers=liaison,
                             timeout=10)
    assert answered.status_code == 201, answered.text
    started = time.monotonic()
    wait_for(lambda: ANSWER in citizen.page() and "/nilai" in citizen.page(), timeout=30, interval=0.3)
    print(f"figure: answer at 51 -> on ID's page: {time.monotonic() - started:.2f} s")

    # a rating at the origin closes the owner's case; a reopening there opens it again
    rated = citizen.post("nilai", {"rating": "4", "comment": "Cukup cepat."})
    assert rated.status_code == 303 and rated.headers["Location"].endswith("notice=rated")
    wait_for(lambda: (owner_case(owner, tracking_id) or {}).get("status") == "closed", timeout=30, interval=0.3)
    assert owner_case(owner, tracking_id)["rating"] == 4
    wait_for(lambda: "/buka-kembali" in citizen.page(), timeout=30, interval=0.3)
    reopened = citizen.post("buka-kembali", {"reason": "Longsor susulan menutup jalan lagi sejak pagi."})
    assert reopened.status_code == 303 and reopened.headers["Location"].endswith("notice=reopened")
    wait_for(lambda: (owner_case(owner, tracking_id) or {}).get("status") == "open", timeout=30, interval=0.3)
    wait_for(lambda: has_step(origin, tracking_id, "hub_reopened"), timeout=30, interval=0.3)
    # each action was applied once at the owner
    received = [h["detail"]["action"] for h in steps(owner, tracking_id) if h["step"] == "hub_action_received"]
    assert sorted(received) == ["evidence", "rate", "reopen", "reply"]


def test_behind_a_version_1_hub_the_origin_refuses_the_action_and_says_why(hub_stacks):
    origin, owner = hub_stacks["5108"], hub_stacks["51"]  # Buleleng writes version 1 (deploy/hubs/hubs.yml)
    tracking_id, secret = filed(origin, **BALI)
    wait_for(lambda: has_step(origin, tracking_id, "hub_case_opened"), timeout=40, interval=0.3)
    citizen = Citizen(origin, tracking_id, secret)
    page = citizen.page()
    assert 'id="relay-blocked"' in page and "/balas" not in page and 'id="owner-page"' in page
    refused = citizen.post("balas", {"body": "Longsor susulan terjadi tadi malam."})
    assert refused.status_code == 409 and "belum dapat menerima" in refused.text
    assert not owner_messages(owner, tracking_id, secret)

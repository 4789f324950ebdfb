"""Every intake channel end to end on the running stack, through the front door."""
import re
import time
import uuid
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import pytest
import requests
from nameko.standalone.rpc import ClusterRpcProxy

from tests.e2e.conftest import gateway_headers
from tests.credentials import issue_token
from tests.factories import make_report
from tests.waiting import json_lines, wait_for

pytestmark = pytest.mark.e2e
RUN = uuid.uuid4().hex[:8]


@pytest.fixture(scope="module")
def rpc(servers):
    with ClusterRpcProxy({"AMQP_URI": servers["amqp_uri"]}, timeout=10) as proxy:
        yield proxy


def routed(stack, tracking_id, timeout=5.0):
    """The tracking view once routing has acted on the report."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        view = requests.get(f"{stack['base']}/reports/{tracking_id}", timeout=5).json()
        if view.get("assignment"):
            return view
        time.sleep(0.1)
    raise AssertionError(f"{tracking_id} was not routed: {view}")


def test_sms_with_region_keyword_is_routed_to_the_regional_agency(stack):
    answer = requests.post(f"{stack['base']}/channels/sms", timeout=10, headers=gateway_headers(stack, "sms"), json={
        "message_id": f"e2e-{RUN}-1", "from": "+6281311110001", "text": "Singaraja Jalan rusak di depan SD 3 sejak Senin"})
    assert answer.status_code == 201 and len(answer.json()["reply"]) <= 160
    view = routed(stack, answer.json()["tracking_id"])
    assert view["channel"] == "sms" and view["region_code"] == "5108"
    assert view["assignment"]["agency_code"] == "PEMKAB-BULELENG"


def test_sms_without_keyword_goes_to_national_triage(stack):
    answer = requests.post(f"{stack['base']}/channels/sms", timeout=10, headers=gateway_headers(stack, "sms"), data={
        "message_id": f"e2e-{RUN}-2", "from": "+6281311110002", "text": "Pelayanan KTP di kecamatan sangat lambat sekali"})
    assert answer.status_code == 201 and "Admin Nasional" in answer.json()["reply"]
    assert routed(stack, answer.json()["tracking_id"])["assignment"]["queue"] == "national_triage"


def test_social_mention_is_recorded_once(stack):
    post = {"post_id": f"e2e-{RUN}", "author_handle": "warga_luwu",
            "text": "@LAPOR1708 puskesmas di Belopa tutup di jam layanan tanpa pemberitahuan #lapor"}
    first = requests.post(f"{stack['base']}/channels/social", json=post, timeout=10,
                          headers=gateway_headers(stack, "social"))
    again = requests.post(f"{stack['base']}/channels/social", json=post, timeout=10,
                          headers=gateway_headers(stack, "social"))
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["tracking_id"] == first.json()["tracking_id"]
    view = routed(stack, first.json()["tracking_id"])
    assert view["channel"] == "social" and view["region_code"] == "7317"


def recorded(stack, name: str) -> list[dict]:
    """What the stack's recording gateway kept in ``sinks/<name>`` (deploy/local/sms_recorder.py)."""
    path = Path(stack["env"]["LAPOR_RUN_DIR"]) / "sinks" / name
    return json_lines(path)


def test_a_social_drafts_completion_link_goes_only_by_direct_message(stack):
    """Issue 20: the public reply names the tracking ID only; the one-time link, on this stack's own
    front door, reaches the reporter by direct message; the public text completes nothing."""
    base = stack["base"]
    post = {"post_id": f"dm-{RUN}", "author_handle": f"dm_{RUN}", "text": "@LAPOR1708 lampu jalan mati #lapor"}
    answer = requests.post(f"{base}/channels/social", json=post, timeout=10, headers=gateway_headers(stack, "social"))
    assert answer.status_code == 202, answer.text
    tracking_id, public = answer.json()["tracking_id"], answer.json()["reply"]
    assert tracking_id in public and "http" not in public and "kode" not in public
    dm, = wait_for(lambda: [m["body"] for m in recorded(stack, "social_dm.jsonl")
                            if m["body"].get("tracking_id") == tracking_id], timeout=30, interval=0.2)
    assert dm["handle"] == f"@dm_{RUN}" and dm["kind"] == "direct_message"
    link = re.search(r"(https?://\S+/lapor/(\S+)\?kode=(\S+))", dm["text"])
    assert link and link.group(1).startswith(f"{base}/lapor/{tracking_id}?kode="), dm["text"]  # this stack's port
    replies = [m["body"]["text"] for m in recorded(stack, "social.jsonl") if m["body"].get("tracking_id") == tracking_id]
    assert not any("kode" in text or link.group(3) in text for text in replies)  # nothing on the public timeline
    url = f"{base}/reports/{tracking_id}"
    for word in set(re.split(r"[\s:.]+", public)) - {""}:  # a stranger who read the public reply
        assert requests.patch(url, json={"completion_code": word, "description": "diambil alih"},
                              timeout=10).status_code in (400, 403)
    assert requests.get(f"{base}/lapor/{tracking_id}", timeout=10).status_code < 500
    done = requests.patch(url, timeout=10, json={
        "completion_code": link.group(3), "location_text": "Jl. Ahmad Yani, Singaraja",
        "description": "Lampu jalan di Jl. Ahmad Yani Singaraja mati total sejak seminggu, jalan gelap dan rawan"})
    assert done.status_code in (200, 202) and done.json()["secret"], done.text


def test_manual_entry_by_liaison_already_resolved(stack):
    token = issue_token({"MONGODB_URI": stack["stores"]["routing"]}, "lo-bll-pupr")
    entry = {**make_report(), "original_channel": "walk_in", "received_on": date.today().isoformat(),
             "resolution": {"answer": "Sudah ditambal oleh tim UPTD pada hari yang sama.",
                            "resolved_at": "2026-11-20T03:00:00+00:00"}}
    answer = requests.post(f"{stack['base']}/channels/manual", json=entry, timeout=10,
                           headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 201, answer.text
    view = routed(stack, answer.json()["tracking_id"])
    assert view["channel"] == "manual" and view["status"] == "answered"
    assert "resolved_by_unit" in [h["step"] for h in view["history"]]


def test_open311_post_and_read_back_in_json_and_xml(stack, rpc):
    key = rpc.intake.issue_open311_key(f"e2e-{RUN}")["api_key"]
    created = requests.post(f"{stack['base']}/open311/v2/requests.xml", timeout=10, data={
        "api_key": key, "service_code": "lingkungan", "jurisdiction_id": "6202", "address_string": "Jl. Tjilik Riwut km 5",
        "description": "Sampah menumpuk di tepi jalan sejak dua minggu dan menimbulkan bau"})
    assert created.status_code == 201, created.text
    request_id = ET.fromstring(created.content).find("request/service_request_id").text
    routed(stack, request_id)
    one = requests.get(f"{stack['base']}/open311/v2/requests/{request_id}.json", timeout=10).json()[0]
    assert one["status"] == "open" and one["agency_responsible"] == "Pemerintah Kabupaten Kotawaringin Timur"
    services = requests.get(f"{stack['base']}/open311/v2/services.json", timeout=10).json()
    assert "lingkungan" in {s["service_code"] for s in services}


def test_web_draft_completed_with_secret_is_then_routed(stack):
    draft = requests.post(f"{stack['base']}/reports", timeout=10,
                          json={k: v for k, v in make_report().items() if k != "incident_date"})
    assert draft.status_code == 202 and [m["field"] for m in draft.json()["missing"]] == ["incident_date"]
    receipt = draft.json()
    done = requests.patch(f"{stack['base']}/reports/{receipt['tracking_id']}", timeout=10,
                          json={"secret": receipt["secret"], "incident_date": date.today().isoformat()})
    assert done.status_code == 200
    assert routed(stack, receipt["tracking_id"])["assignment"]["unit_code"] == "BLL-PUPR"

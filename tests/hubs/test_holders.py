"""Issue 18 on three real hubs (national ID, Bali 51, Buleleng 5108): no report without a holder,
and one receipt.

- A report forwarded by hand to every hub the form offers reaches a holder: exactly one hub holds
  it; a hub already on its path is not offered, and a forward there is a 409 naming why.
- A refused forward (a relay that cannot reach the target) comes back to the sender's triage, with
  the reason on the officials' page and plain words on the citizen's timeline.
- One receipt per forwarded report, counted at the three hubs' mail catchers.
"""
from __future__ import annotations

import re
import subprocess
import uuid

import pytest
import requests
import yaml
from nameko.standalone.rpc import ClusterRpcProxy

from contract import sealing
from contract.store import acquire_client, release_client
from tests.credentials import bearer
from tests.conftest import ROOT
from tests.factories import make_report
from tests.hubs.conftest import RUN_DIR, submit_report
from tests.waiting import json_lines, wait_for

pytestmark = pytest.mark.e2e
# pelayanan-publik in Buleleng: no rule of its own, so the Buleleng agency admin's queue (rule
# bll-any) at whichever hub holds it; adm-buleleng may forward it there (Bukan Wewenang)
AGENCY_QUEUE = {"region_code": "5108", "category_code": "pelayanan-publik", "location_text": "Kantor Camat Sukasada",
                "description": "Antrean layanan di kantor camat Sukasada tidak tertib, warga menunggu sejak pagi."}
RECEIPT_SUBJECT = "Laporan Anda telah diterima"


ADMIN = {"ID": "nas-admin-1", "51": "adm-bali", "5108": "adm-buleleng"}  # an admin who belongs to each hub


@pytest.fixture(scope="module")
def officials(hub_stacks):
    """Each hub's admin's bearer header (an official acts only at the hub they belong to)."""
    return {code: bearer({"MONGODB_URI": hub.mongodb_uri}, ADMIN[code]) for code, hub in hub_stacks.items()}


def file(hub, **fields) -> str:
    response = submit_report(hub.url, make_report(**fields))
    assert response.status_code == 201, response.text
    return response.json()["tracking_id"]


def desk(hub, headers, tracking_id: str) -> dict | None:
    answer = requests.get(f"{hub.url}/admin/reports/{tracking_id}", headers=headers, timeout=10)
    return answer.json() if answer.status_code == 200 else None


def disposition(hub, tracking_id: str) -> dict | None:
    with ClusterRpcProxy({"AMQP_URI": hub.amqp_uri}, timeout=10) as rpc:
        return rpc.routing.disposition(tracking_id)


def holders(hubs, tracking_id: str) -> list[str]:
    """The hubs whose routing holds the report (it is there and not forwarded on)."""
    return [code for code, hub in hubs.items()
            if (d := disposition(hub, tracking_id)) is not None and d["status"] != "forwarded"]


def held_at(hubs, code: str, tracking_id: str) -> dict:
    """Wait until hub ``code`` holds the report; where it stands there."""
    return wait_for(lambda: (d := disposition(hubs[code], tracking_id)) and d["status"] != "forwarded" and d,
                    timeout=60, interval=0.3)


def offered_on_page(hub, headers, tracking_id: str) -> list[str]:
    page = requests.get(f"{hub.url}/petugas/laporan/{tracking_id}", headers=headers, timeout=10)
    assert page.status_code == 200, page.text[:300]
    select = re.search(r'<select id="forward-target_hub"[^>]*>(.*?)</select>', page.text, re.S)
    return [v for v in re.findall(r'<option value="([^"]*)"', select.group(1)) if v] if select else []


def forward(hub, headers, tracking_id: str, target: str) -> requests.Response:
    return requests.post(f"{hub.url}/admin/reports/{tracking_id}/forward", headers=headers, timeout=10,
                         json={"target_hub": target, "reason": "Bukan wewenang simpul ini: uji pemegang laporan"})


def test_a_report_forwarded_by_hand_to_every_hub_the_form_offers_reaches_one_holder(hub_stacks, officials):
    hubs = hub_stacks
    network = {h["code"] for h in yaml.safe_load((RUN_DIR / "directory.yml").read_text())["hubs"]}
    # filed at Buleleng, in its agency admin's queue: the form and the API offer the other two hubs
    # (and any hub only Buleleng's directory names, as the last test of this file leaves in its store)
    probe = file(hubs["5108"], **AGENCY_QUEUE)
    held_at(hubs, "5108", probe)
    offered = offered_on_page(hubs["5108"], officials["5108"], probe)
    assert sorted(offered) == sorted(desk(hubs["5108"], officials["5108"], probe)["forward_targets"])
    assert {"51", "ID"} <= set(offered) and "5108" not in offered
    for target in offered:  # one report per offered hub
        tracking_id = file(hubs["5108"], **AGENCY_QUEUE)
        held_at(hubs, "5108", tracking_id)
        sent = forward(hubs["5108"], officials["5108"], tracking_id, target)
        assert sent.status_code == 200, sent.text
        if target not in network:  # the network does not know it: refused on the way, back here
            back = wait_for(lambda: (d := disposition(hubs["5108"], tracking_id)) and d["status"] == "returned"
                            and d, timeout=60, interval=0.3)
            assert back["queue"] == "national_triage" and holders(hubs, tracking_id) == ["5108"]
            continue
        there = held_at(hubs, target, tracking_id)
        assert there["queue"] == "national_triage"  # Buleleng's agency admin cannot act there: its triage
        assert holders(hubs, tracking_id) == [target]
        if target == "ID":  # and on from there: ID offers only what lies off the path 5108 -> 51 -> ID
            view = desk(hubs["ID"], officials["ID"], tracking_id)
            assert view["hub_path"] == ["5108", "51", "ID"] and view["forward_targets"] == []
            assert offered_on_page(hubs["ID"], officials["ID"], tracking_id) == []
            refused = forward(hubs["ID"], officials["ID"], tracking_id, "51")
            assert refused.status_code == 409 and refused.json()["errors"][0]["code"] == "visited"
            assert holders(hubs, tracking_id) == ["ID"]


def test_the_reported_case_a_forward_to_a_hub_already_visited_is_refused_and_the_report_stays_held(
        hub_stacks, officials):
    hubs = hub_stacks
    tracking_id = file(hubs["ID"], **AGENCY_QUEUE)  # ID -> 51 -> 5108
    held_at(hubs, "5108", tracking_id)
    view = desk(hubs["5108"], officials["5108"], tracking_id)
    assert view["forward_targets"] == [] and view["hub_path"] == ["ID", "51", "5108"]
    assert offered_on_page(hubs["5108"], officials["5108"], tracking_id) == []
    for target in ("51", "ID"):
        refused = forward(hubs["5108"], officials["5108"], tracking_id, target)
        assert refused.status_code == 409, refused.text
        error, = refused.json()["errors"]
        assert error["field"] == "target_hub" and error["code"] == "visited"
        assert target.lower() in error["message"].lower() and "simpul" in error["message_id"].lower()
    assert holders(hubs, tracking_id) == ["5108"]
    assert desk(hubs["5108"], officials["5108"], tracking_id)["allowed_actions"]


def mails(hub) -> list[dict]:
    index = hub.run_dir / "sinks" / "mail" / "index.jsonl"
    return json_lines(index)


def test_one_receipt_per_forwarded_report_counted_at_the_mail_catchers(hub_stacks, officials):
    hubs = hub_stacks
    email = f"pelapor-{uuid.uuid4().hex[:10]}@example.com"
    tracking_ids = [file(hubs[origin], reporter={"name": "Ketut Sari", "email": email}, **AGENCY_QUEUE)
                    for origin in ("ID", "51", "ID")]  # each forwarded to 5108, the owner
    for tracking_id in tracking_ids:
        held_at(hubs, "5108", tracking_id)
    def reporters_mail() -> dict:
        return {code: [m["subject"] for m in mails(hub) if email in m["to"]] for code, hub in hubs.items()}

    def settled() -> bool:
        # each origin's receipt has gone out, and the owner's later message (its disposition) has
        # arrived: its report_received was handled before, so a receipt from it would be there too
        to = reporters_mail()
        receipts_out = all(any(s == f"{RECEIPT_SUBJECT}: {t}" for s in to[t.split("-")[0]]) for t in tracking_ids)
        return receipts_out and len(to["5108"]) >= len(tracking_ids)
    wait_for(settled, timeout=90, interval=0.5)
    to_reporter = reporters_mail()
    receipts = {code: [s for s in subjects if s.startswith(RECEIPT_SUBJECT)] for code, subjects in to_reporter.items()}
    for tracking_id in tracking_ids:
        got = [(code, s) for code, subjects in receipts.items() for s in subjects if tracking_id in s]
        assert got == [(tracking_id.split("-")[0], f"{RECEIPT_SUBJECT}: {tracking_id}")], to_reporter
    # the hub where it was filed said where it went; the owner sent its step, and no receipt
    assert sum(1 for s in to_reporter["ID"] + to_reporter["51"] if "Simpul Kabupaten Buleleng" in s) == len(tracking_ids)
    assert not [s for s in to_reporter["5108"] if s.startswith(RECEIPT_SUBJECT)]


def add_hub_at(hub, code: str) -> None:
    """Import at ``hub`` alone a directory naming one more hub (a child of ID) the others do not know."""
    directory = yaml.safe_load((RUN_DIR / "directory.yml").read_text())
    directory["hubs"].append({"code": code, "name": f"Simpul uji {code}", "tier": "province", "parent": "ID",
                              "public_url": "http://127.0.0.1:9", "public_key": sealing.new_key_pair()[1]})
    path = hub.run_dir / f"directory-with-{code}.yml"
    path.write_text(yaml.safe_dump(directory))
    subprocess.run([str(ROOT / "deploy" / "local" / "cli.sh"), "routing", "import", str(path)], env=hub.env,
                   check=True, timeout=120, capture_output=True)

    def intake_knows() -> bool:
        client = acquire_client(hub.mongodb_uri)
        try:
            doc = client["lapor_intake"].registry.find_one({"_id": "current"}) or {}
            return any(h.get("code") == code for h in doc.get("hubs") or [])
        finally:
            release_client(hub.mongodb_uri)
    wait_for(intake_knows, timeout=60, interval=0.5)


def test_a_refused_forward_comes_back_to_the_senders_triage_with_the_reason(hub_stacks, officials):
    hubs = hub_stacks
    add_hub_at(hubs["5108"], "52")  # 5108 believes in a hub 52 under ID; 51, the relay, does not
    tracking_id = file(hubs["5108"], **AGENCY_QUEUE)
    held_at(hubs, "5108", tracking_id)
    assert "52" in desk(hubs["5108"], officials["5108"], tracking_id)["forward_targets"]
    assert forward(hubs["5108"], officials["5108"], tracking_id, "52").status_code == 200
    back = wait_for(lambda: (d := disposition(hubs["5108"], tracking_id)) and d["status"] == "returned" and d,
                    timeout=60, interval=0.3)
    assert back["queue"] == "national_triage"
    assert holders(hubs, tracking_id) == ["5108"]
    with ClusterRpcProxy({"AMQP_URI": hubs["5108"].amqp_uri}, timeout=10) as rpc:
        audit = rpc.routing.history(tracking_id)[-1]  # what the officials' page lists
    assert audit["action"] == "handed_back" and "hub 51 sent it back" in audit["reason"] and "52" in audit["reason"]
    citizen = requests.get(f"{hubs['5108'].url}/reports/{tracking_id}", timeout=10).json()
    assert citizen["delivery"]["state"] == "returned" and "antrean verifikasi" in citizen["delivery"]["label"]
    assert citizen["status"] == "triage" and "hub_returned" in [h["step"] for h in citizen["history"]]
    timeline = requests.get(f"{hubs['5108'].url}/lacak/{tracking_id}", timeout=10).text
    assert "tidak dapat menerima laporan ini" in timeline

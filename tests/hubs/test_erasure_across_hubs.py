"""Erasure across hubs on three real hubs (national ID, Bali 51, Buleleng 5108, all on message
version 2): a Bali report filed at the national hub goes to Bali (51), whose BPBD liaison hands it
back to the province's agency admin, who forwards it by hand to Buleleng (5108). Three hubs then
hold the reporter's name, email and phone: ID (where the citizen filed), 51 (which handed it on)
and 5108 (which holds it). When the citizen erases their personal data at ID, the erasure goes to
51 and 5108 over the links, each acknowledges it, and no store of any hub holds the name, the
email or the phone any more.

The stacks are this module's own (deploy/hubs/hubs.sh with a hubs file written here: the demo
three hubs without Buleleng's ``message_version: 1``, which would keep the erasure from crossing
its link), on ports LAPOR_TEST_NETWORK_OFFSET (default LAPOR_TEST_HUBS_OFFSET + 1) + 0..2, stopped
at the end of the module (LAPOR_TEST_KEEP_SERVERS=1 leaves them running)."""
from __future__ import annotations

import os
import re
import secrets

import pytest
import requests
import yaml
from bson import json_util
from nameko.standalone.rpc import ClusterRpcProxy

from contract import localstack
from contract.store import acquire_client, release_client
from tests.conftest import ROOT
from tests.credentials import bearer
from tests.factories import make_report
from tests.hubs.conftest import submit_report
from tests.hubs.network import BASE, hub_env, hubs_sh
from tests.waiting import wait_for

pytestmark = pytest.mark.e2e

RUN_DIR = ROOT / ".run" / f"test-erasure-{BASE}"
HUBS_FILE = RUN_DIR / "hubs.yml"
# a Bali disaster report: Bali's BPBD (rule bali-bencana) at 51
BALI = {"region_code": "51", "category_code": "bencana", "location_text": "Kubutambahan, Buleleng",
        "description": "Tanah longsor menutup jalan desa di Kubutambahan; perbaikan jalan desa wewenang kabupaten."}


def _hubs_sh(*args: str, check: bool = True, timeout: float = 400) -> str:
    return hubs_sh(RUN_DIR, *args, check=check, timeout=timeout)


class Hub:
    def __init__(self, code: str):
        env = hub_env(RUN_DIR, code, HUBS_FILE)
        uris = localstack.env_uris(env)
        self.code, self.amqp_uri, self.mongodb_uri = code, uris["amqp"], uris["mongodb"]
        self.url = f"http://127.0.0.1:{env['LAPOR_HTTP_PORT']}"

    def holds(self, tracking_id: str) -> bool:
        with ClusterRpcProxy({"AMQP_URI": self.amqp_uri}, timeout=10) as rpc:
            found = rpc.routing.disposition(tracking_id)
        return found is not None and found["status"] != "forwarded"

    def stored_text(self) -> str:
        """Every document of every database of this hub's store, as text (evidence chunks aside)."""
        client = acquire_client(self.mongodb_uri)
        try:
            texts = []
            for name in client.list_database_names():
                if not name.startswith("lapor"):
                    continue
                for collection in client[name].list_collection_names():
                    if not collection.endswith(".chunks"):
                        texts += [json_util.dumps(doc) for doc in client[name][collection].find()]
            return "\n".join(texts)
        finally:
            release_client(self.mongodb_uri)


@pytest.fixture(scope="module")
def hubs():
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    demo = yaml.safe_load((ROOT / "deploy" / "hubs" / "hubs.yml").read_text())
    for number, hub in enumerate(demo["hubs"]):
        hub.pop("message_version", None)
        hub["offset"] = number
    HUBS_FILE.write_text(yaml.safe_dump(demo))
    try:
        _hubs_sh("start", str(HUBS_FILE))
        yield {code: Hub(code) for code in ("ID", "51", "5108")}
    finally:
        if not os.environ.get("LAPOR_TEST_KEEP_SERVERS"):
            _hubs_sh("stop", str(HUBS_FILE), check=False, timeout=300)


def accepted_by(origin: Hub, tracking_id: str) -> set[str]:
    history = requests.get(f"{origin.url}/reports/{tracking_id}", timeout=10).json()["history"]
    return {h["detail"].get("hub") for h in history if h["step"] in ("hub_accepted", "hub_erased")} | \
        {f"erased:{h['detail'].get('hub')}" for h in history if h["step"] == "hub_erased"}


def test_an_erasure_where_the_citizen_filed_erases_every_hubs_copy(hubs):
    name = "Ni Luh " + "".join(secrets.choice("BCDFGHJKLMNPRSTW") + secrets.choice("aiueo") for _ in range(4))
    email = f"erasure-{secrets.token_hex(6)}@example.com"
    phone = "+62812" + "".join(secrets.choice("0123456789") for _ in range(8))
    response = submit_report(hubs["ID"].url, make_report(reporter={"name": name, "email": email, "phone": phone},
                                                         **BALI))
    assert response.status_code == 201, response.text
    tracking_id, secret = response.json()["tracking_id"], response.json()["secret"]

    # ID -> 51 (BPBD's liaison), handed back to the province's agency admin, forwarded by hand to 5108
    wait_for(lambda: hubs["51"].holds(tracking_id), timeout=60, interval=0.3)
    liaison = bearer({"MONGODB_URI": hubs["51"].mongodb_uri}, "lo-bali-bpbd")
    returned = requests.post(f"{hubs['51'].url}/admin/reports/{tracking_id}/return", headers=liaison, timeout=10,
                             json={"reason": "Jalan desa wewenang kabupaten, bukan BPBD provinsi"})
    assert returned.status_code == 200, returned.text
    admin = bearer({"MONGODB_URI": hubs["51"].mongodb_uri}, "adm-bali")
    sent = requests.post(f"{hubs['51'].url}/admin/reports/{tracking_id}/forward", headers=admin, timeout=10,
                         json={"target_hub": "5108", "reason": "Bukan wewenang provinsi: uji penghapusan data"})
    assert sent.status_code == 200, sent.text
    wait_for(lambda: hubs["5108"].holds(tracking_id), timeout=60, interval=0.3)
    wait_for(lambda: {"51", "5108"} <= accepted_by(hubs["ID"], tracking_id), timeout=60, interval=0.3)
    digits = re.sub(r"\D", "", phone)[-10:]
    for hub in hubs.values():  # each of the three holds the identity now
        text = hub.stored_text()
        assert name in text and email in text and digits in text, hub.code

    erased = requests.post(f"{hubs['ID'].url}/reports/{tracking_id}/erasure", json={"secret": secret}, timeout=15)
    assert erased.status_code == 200, erased.text
    assert sorted(erased.json()["hubs"]) == ["51", "5108"] and erased.json()["hubs_not_reached"] == []
    wait_for(lambda: {"erased:51", "erased:5108"} <= accepted_by(hubs["ID"], tracking_id), timeout=60, interval=0.3)
    for hub in hubs.values():  # no store of any hub holds the name, the email or the phone
        text = hub.stored_text()
        assert name not in text and email not in text and digits not in text, hub.code

"""Erasure across hubs on three real hubs (national ID, Bali 51, Buleleng 5108, all on message
version 2): a Buleleng report filed at Bali goes to Buleleng (5108), whose agency admin forwards it
by hand to the national hub (ID, through 51). Three hubs then hold the reporter's name, email and
phone: 51 (where the citizen filed), 5108 (which handed it on) and ID (which holds it). When the
citizen erases their personal data at 51, the erasure goes to 5108 and ID over the links, each
acknowledges it, and no store of any hub holds the name, the email or the phone any more.

The stacks are this module's own (deploy/hubs/hubs.sh with a hubs file written here: the demo
three hubs without Buleleng's ``message_version: 1``, which would keep the erasure from crossing
its link), on ports LAPOR_TEST_NETWORK_OFFSET (default LAPOR_TEST_HUBS_OFFSET + 1) + 0..2, stopped
at the end of the module (LAPOR_TEST_KEEP_SERVERS=1 leaves them running)."""
from __future__ import annotations

import os
import re
import secrets
import subprocess

import pytest
import requests
import yaml
from bson import json_util
from nameko.standalone.rpc import ClusterRpcProxy

from contract import localstack
from contract.store import acquire_client, release_client
from tests.conftest import PATIENT_FRONT_DOOR, ROOT
from tests.credentials import bearer
from tests.factories import make_report
from tests.hubs.conftest import submit_report
from tests.waiting import wait_for

pytestmark = pytest.mark.e2e

BASE = int(os.environ.get("LAPOR_TEST_NETWORK_OFFSET", int(os.environ.get("LAPOR_TEST_HUBS_OFFSET", "100")) + 1))
RUN_DIR = ROOT / ".run" / f"test-erasure-{BASE}"
HUBS_FILE = RUN_DIR / "hubs.yml"
# pelayanan-publik in Buleleng: its agency admin's queue at 5108 (rule bll-any), who may forward it
AGENCY_QUEUE = {"region_code": "5108", "category_code": "pelayanan-publik", "location_text": "Kantor Camat Sukasada",
                "description": "Antrean layanan di kantor camat Sukasada tidak tertib, warga menunggu sejak pagi."}


def _hubs_env() -> dict:
    return {**os.environ, "PYTHONWARNINGS": "ignore", "LAPOR_HUBS_DIR": str(RUN_DIR),
            "LAPOR_HUBS_OFFSET": str(BASE), **PATIENT_FRONT_DOOR}


def _hubs_sh(*args: str, check: bool = True, timeout: float = 400) -> str:
    return subprocess.run([str(ROOT / "deploy" / "hubs" / "hubs.sh"), *args], env=_hubs_env(), check=check,
                          timeout=timeout, stdout=subprocess.PIPE, text=True).stdout


class Hub:
    def __init__(self, code: str):
        env = dict(pair.split("=", 1) for line in _hubs_sh("env", code, str(HUBS_FILE)).splitlines()
                   for pair in line.removeprefix("export ").split())
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
    response = submit_report(hubs["51"].url, make_report(reporter={"name": name, "email": email, "phone": phone},
                                                         **AGENCY_QUEUE))
    assert response.status_code == 201, response.text
    tracking_id, secret = response.json()["tracking_id"], response.json()["secret"]

    # 51 -> 5108 (its agency admin's queue); forwarded by hand to ID (5108 -> 51 -> ID)
    wait_for(lambda: hubs["5108"].holds(tracking_id), timeout=60, interval=0.3)
    admin = bearer({"MONGODB_URI": hubs["5108"].mongodb_uri}, "adm-buleleng")
    sent = requests.post(f"{hubs['5108'].url}/admin/reports/{tracking_id}/forward", headers=admin, timeout=10,
                         json={"target_hub": "ID", "reason": "Bukan wewenang simpul ini: uji penghapusan data"})
    assert sent.status_code == 200, sent.text
    wait_for(lambda: hubs["ID"].holds(tracking_id), timeout=60, interval=0.3)
    wait_for(lambda: {"5108", "ID"} <= accepted_by(hubs["51"], tracking_id), timeout=60, interval=0.3)
    digits = re.sub(r"\D", "", phone)[-10:]
    for hub in hubs.values():  # each of the three holds the identity now
        text = hub.stored_text()
        assert name in text and email in text and digits in text, hub.code

    erased = requests.post(f"{hubs['51'].url}/reports/{tracking_id}/erasure", json={"secret": secret}, timeout=15)
    assert erased.status_code == 200, erased.text
    assert sorted(erased.json()["hubs"]) == ["5108", "ID"] and erased.json()["hubs_not_reached"] == []
    wait_for(lambda: {"erased:5108", "erased:ID"} <= accepted_by(hubs["51"], tracking_id), timeout=60, interval=0.3)
    for hub in hubs.values():  # no store of any hub holds the name, the email or the phone
        text = hub.stored_text()
        assert name not in text and email not in text and digits not in text, hub.code

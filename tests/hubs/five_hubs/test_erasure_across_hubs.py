"""Erasure across hubs on real hubs (tests/hubs/network.py: the five-hub network, every hub on message
version 2; this test uses national ID, Bali 51 and Buleleng 5108): a Bali report filed at the national
hub goes to Bali (51), whose BPBD liaison hands it back to the province's agency admin, who forwards
it by hand to Buleleng (5108). Three hubs then hold the reporter's name, email and phone: ID (where
the citizen filed), 51 (which handed it on) and 5108 (which holds it). When the citizen erases their
personal data at ID, the erasure goes to 51 and 5108 over the links, each acknowledges it, and no
store of any hub holds the name, the email or the phone any more.

The network is the package's (conftest.py: ``network``), shared with the longest-path tests: the
session's three hubs (deploy/hubs/hubs.yml) would not do, their Buleleng is on message version 1,
which keeps an erasure from crossing its link."""
from __future__ import annotations

import re
import secrets

import pytest
import requests

from tests.credentials import bearer
from tests.factories import make_report
from tests.hubs.conftest import submit_report
from tests.hubs.network import Hub
from tests.waiting import wait_for

pytestmark = pytest.mark.e2e

# a Bali disaster report: Bali's BPBD (rule bali-bencana) at 51
BALI = {"region_code": "51", "category_code": "bencana", "location_text": "Kubutambahan, Buleleng",
        "description": "Tanah longsor menutup jalan desa di Kubutambahan; perbaikan jalan desa wewenang kabupaten."}


def accepted_by(origin: Hub, tracking_id: str) -> set[str]:
    history = requests.get(f"{origin.url}/reports/{tracking_id}", timeout=10).json()["history"]
    return {h["detail"].get("hub") for h in history if h["step"] in ("hub_accepted", "hub_erased")} | \
        {f"erased:{h['detail'].get('hub')}" for h in history if h["step"] == "hub_erased"}


def test_an_erasure_where_the_citizen_filed_erases_every_hubs_copy(network):
    hubs = {code: network[code] for code in ("ID", "51", "5108")}
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
    for hub in network.values():  # no store of any of the five hubs holds the name, the email or the phone
        text = hub.stored_text()
        assert name not in text and email not in text and digits not in text, hub.code

"""The directory and the registry travel down the tree (issue 19), on the three real stacks of
deploy/hubs (national ID -> Bali 51 -> Buleleng 5108; Buleleng's link speaks version 1).

A registry change imported at the national hub (a new category, a renamed national region, and a
rename of Buleleng's own region, which is not the national hub's to publish) reaches Buleleng by
itself: the national hub publishes its part signed and versioned, Bali believes it, applies it and
passes it on. A publication forged with a link account (the national hub's part signed by Bali) and
an older version signed by its owner are refused at Buleleng, counted, and change nothing.
"""
from __future__ import annotations

import json
import subprocess
import time
import uuid
from datetime import datetime, timezone

import pytest
import requests
import yaml
from kombu import Connection, Producer

from contract import hubnet, hubregistry, hubsign, hubwire
from tests.conftest import ROOT
from tests.hubs.conftest import RUN_DIR
from tests.hubs.test_hub_trust import dead_letters, metric
from tests.waiting import wait_for

pytestmark = pytest.mark.e2e


def categories(hub) -> dict[str, str]:
    response = requests.get(f"{hub.url}/registry/categories", headers={"Accept-Language": "en"}, timeout=10)
    assert response.status_code == 200, response.text
    return {c["code"]: c["name"] for c in response.json()["items"]}


def regions(hub) -> dict[str, str]:
    return {r["code"]: r["name"] for r in requests.get(f"{hub.url}/registry/regions", timeout=10).json()["items"]}


def import_at(hub, registry: dict, tmp_path) -> None:
    path = tmp_path / f"registry-{hub.code}-{uuid.uuid4().hex[:6]}.yml"
    path.write_text(yaml.safe_dump(registry, allow_unicode=True, sort_keys=False))
    subprocess.run([str(ROOT / "deploy" / "local" / "cli.sh"), "routing", "import", str(path)], env=hub.env,
                   check=True, timeout=120, stdout=subprocess.DEVNULL)


def publish_on_link(hubs, sender: str, receiver: str, body: dict) -> None:
    """``body`` into ``receiver``'s inbound exchange with ``sender``'s link account, as its shovel."""
    uri = hubs[sender].secrets()["neighbours"][receiver]["amqp_uri"]
    with Connection(uri, transport_options={"confirm_publish": True}) as connection:
        Producer(connection.default_channel, auto_declare=False).publish(
            json.dumps(body), exchange=hubnet.IN_EXCHANGE, routing_key="", delivery_mode=2,
            content_type="application/json", content_encoding="utf-8", user_id=hubnet.link_user(sender),
            message_id=body["message_id"])


def test_a_registry_change_at_the_national_hub_reaches_the_district_and_forgeries_are_refused(hub_stacks, tmp_path):
    hubs = hub_stacks
    national, district = hubs["ID"], hubs["5108"]
    registry = yaml.safe_load((RUN_DIR / "ID" / "registry.yml").read_text())
    code = f"uji-{uuid.uuid4().hex[:6]}"
    registry["categories"].append({"code": code, "name_id": "Uji sebaran", "name_en": "Propagation test"})
    for region in registry["regions"]:
        if region["code"] == "7317":
            region["name"] = f"Kabupaten Luwu ({code})"
        if region["code"] == "5108":  # Buleleng's own: not the national hub's to publish
            region["name"] = "Diubah oleh simpul nasional"
    assert code not in categories(district)
    import_at(national, registry, tmp_path)
    imported = time.monotonic()
    wait_for(lambda: code in categories(district), timeout=60, interval=0.2)
    print(f"\nregistry change at ID visible at 5108 (two links) after {time.monotonic() - imported:.2f} s")
    assert regions(district)["7317"] == f"Kabupaten Luwu ({code})"
    assert regions(district)["5108"] == "Kabupaten Buleleng"
    assert code in categories(hubs["51"])

    # forged: the national hub's part signed by Bali, sent on Bali's link to Buleleng
    now = datetime.now(timezone.utc)
    bali_key = hubsign.read_private_key(RUN_DIR / "51" / "secrets" / "hub-signing.key")
    forged = hubregistry.new_publication("ID", "registry", 10 ** 15, {"categories": []}, now, bali_key)
    # older: the national hub's own key, an earlier version of its part (a replayed old copy)
    national_key = hubsign.read_private_key(RUN_DIR / "ID" / "secrets" / "hub-signing.key")
    older = hubregistry.new_publication("ID", "registry", 1, {"categories": []}, now, national_key)
    before = {reason: metric(district, "lapor_hub_registry_refused_total", owner="ID", part="registry",
                             reason=reason) for reason in ("bad_signature", "not_newer")}
    dead_before = dead_letters(district)
    for publication in (forged, older):
        body = hubregistry.message_to(publication, "51", ["ID"], now)
        publish_on_link(hubs, "51", "5108", {**body, "schema_version": hubwire.PREVIOUS_VERSION})
    for reason in ("bad_signature", "not_newer"):
        wait_for(lambda: metric(district, "lapor_hub_registry_refused_total", owner="ID", part="registry",
                                reason=reason) >= before[reason] + 1, timeout=60, interval=0.5)
    assert dead_letters(district) == dead_before + 1  # the forgery; the older copy is only counted
    assert code in categories(district) and len(categories(district)) > 1


def link_metric(hub, neighbour: str, name: str = "lapor_hub_link_up", **labels) -> float | None:
    """A sample of the hub's link metrics (contract.hubmetrics, HTTP port + 6); None when absent."""
    text = requests.get(f"http://127.0.0.1:{int(hub.env['LAPOR_HTTP_PORT']) + 6}/metrics", timeout=10).text
    want = {"hub": hub.code, "neighbour": neighbour, **labels}
    for line in text.splitlines():
        if line.startswith(name + "{"):
            found = dict(pair.split("=", 1) for pair in line[len(name) + 1:line.index("}")].split(","))
            if {k: v.strip('"') for k, v in found.items()} == want:
                return float(line.rsplit(" ", 1)[1])
    return None


def stored_hubs(hub) -> set[str]:
    from pymongo import MongoClient
    with MongoClient(hub.mongodb_uri, serverSelectionTimeoutMS=5000) as client:
        return {doc["_id"] for doc in client["lapor_routing"]["hubs"].find({}, {"_id": 1})}


def test_an_invited_district_joins_its_province_its_entry_reaches_every_hub_and_its_link_is_monitored(hub_stacks):
    from contract import sealing

    hubs = hub_stacks
    province = hubs["51"]
    code = next(c for c in ("5171", "5103", "5104", "5105") if c not in stored_hubs(province))
    invited = subprocess.run([str(ROOT / "deploy" / "local" / "cli.sh"), "routing", "hub-invite", code],
                             env=province.env, check=True, timeout=120, capture_output=True, text=True).stdout
    token = invited.split()[0]
    body = {"token": token, "code": code, "name": "Simpul Kota Denpasar", "public_url": "http://127.0.0.1:9",
            "public_key": sealing.new_key_pair()[1], "signing_key": hubsign.generate_key()[1]}
    assert link_metric(province, code) is None
    wrong = requests.post(f"{province.url}/hubs/join", json={**body, "token": "join_" + "x" * 32}, timeout=30)
    assert wrong.status_code == 403 and wrong.json()["errors"][0]["field"] == "token"
    joined = requests.post(f"{province.url}/hubs/join", json=body, timeout=30)
    assert joined.status_code == 201, joined.text
    assert joined.json()["hub"]["parent"] == "51" and joined.json()["neighbours"] == ["51"]
    again = requests.post(f"{province.url}/hubs/join", json=body, timeout=30)
    assert again.status_code == 409 and again.json()["errors"][0]["code"] == "conflict"
    # the province owns its districts' entries: its directory part travels up and across by itself
    for other in ("ID", "5108"):
        wait_for(lambda: code in stored_hubs(hubs[other]), timeout=60, interval=0.3)
    # the province's link metrics read the directory at each scrape: the new link is watched at once
    # (down until its shovel runs: LaporHubLinkDown fires after 5 minutes)
    assert link_metric(province, code) == 0
    assert link_metric(province, code, "lapor_hub_link_state", state="absent") == 1

"""Hubs believe only their neighbours, and hubs one version apart keep forwarding (issue 18), on
the three real stacks of deploy/hubs (national ID, Bali 51, Buleleng 5108).

A hub message is believed only from the link of a neighbour (the shovel's broker-validated
``user_id``), signed by it (version 2) or, unsigned, from a neighbour the directory still declares
on version 1; naming only hubs of the directory; a status only from a hub the report was handed
to. Here someone holding a link account (hub 51's login on the national broker, hub 5108's on
Bali's) publishes forged messages: each is dead-lettered, counted, and changes nothing. Buleleng
is declared on the previous version in deploy/hubs/hubs.yml (and writes it): reports cross its
link both ways, unsigned, while ID and 51 sign theirs.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
import requests
from kombu import Connection, Producer

from contract import hubnet, hubsign, hubwire
from contract.ids import new_tracking_id
from tests.hubs.test_three_hubs import OWNED, file, owner_case, steps, view
from tests.waiting import wait_for

pytestmark = pytest.mark.e2e
NOW = datetime.now(timezone.utc)


def metric(hub, name: str, **labels) -> float:
    """A sample of the hub's intake metrics (its HTTP port + 1), 0 when absent."""
    text = requests.get(f"http://127.0.0.1:{int(hub.env['LAPOR_HTTP_PORT']) + 1}/metrics", timeout=10).text
    want = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        if line.startswith(name + "{") and ",".join(sorted(line[len(name) + 1:line.index("}")].split(","))) == want:
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def dead_letters(hub) -> int:
    with Connection(hub.amqp_uri) as connection:
        return connection.default_channel.queue_declare(hubnet.DEAD_QUEUE, passive=True).message_count


def publish_as_link(hubs, sender: str, receiver: str, body: dict) -> None:
    """``body`` published into ``receiver``'s inbound exchange with ``sender``'s link account (its
    login there, from its links.yml), stamped with that user as its shovel does."""
    uri = hubs[sender].secrets()["neighbours"][receiver]["amqp_uri"]
    with Connection(uri, transport_options={"confirm_publish": True}) as connection:
        producer = Producer(connection.default_channel, auto_declare=False)  # a link user declares nothing
        producer.publish(json.dumps(body), exchange=hubnet.IN_EXCHANGE, routing_key="", delivery_mode=2, content_type="application/json",
                         content_encoding="utf-8", user_id=hubnet.link_user(sender),
                         message_id=body.get("message_id"))


def forged_status(tracking_id: str, origin: str, source: str, step: str = "closed") -> dict:
    return hubwire.dump(hubwire.new_message("status", tracking_id, origin, source, origin, [source], NOW,
                                            status={"step": step, "at": NOW, "owner_hub": source, "detail": {}}))


def forged_transfer(origin: str, sender: str, target: str) -> dict:
    return hubwire.dump(hubwire.new_message(
        "transfer", new_tracking_id(origin), origin, sender, target, [sender], NOW,
        transfer={"report": {"title": "Palsu", "description": "Laporan palsu dari akun tautan.",
                             "classification": "complaint", "category_code": "infrastruktur", "region_code": "5108",
                             "channel": "web", "is_anonymous": True, "is_confidential": False, "received_at": NOW},
                  "reason": "palsu", "forwarded_by": "system"}))


def refused_at(hub, reasons: dict[str, int], before: dict[str, float], dead_before: int) -> None:
    wait_for(lambda: dead_letters(hub) >= dead_before + sum(reasons.values()), timeout=60, interval=0.5)
    for reason, count in reasons.items():
        wait_for(lambda: metric(hub, "lapor_hub_messages_refused_total", reason=reason) >= before[reason] + count,
                 timeout=30, interval=0.5)


def test_forged_statuses_sent_with_a_link_account_are_dead_lettered_and_change_nothing(hub_stacks):
    hubs = hub_stacks
    national = hubs["ID"]
    local = file(national, **OWNED["ID"])  # the national hub's own report, never forwarded
    wait_for(lambda: owner_case(national, local), timeout=30, interval=0.3)  # settled: its case is open
    page = view(national, local).json()
    reasons = {"bad_signature": 1, "unsigned": 1, "not_holder": 0}
    before = {r: metric(national, "lapor_hub_messages_refused_total", reason=r) for r in reasons}
    dead = dead_letters(national)
    # with hub 51's link account but not its signing key: a signature of another key, or none at all
    stranger, _ = hubsign.generate_key()
    publish_as_link(hubs, "51", "ID", hubwire.for_neighbour(forged_status(local, "ID", "51"), 2, stranger))
    publish_as_link(hubs, "51", "ID", hubwire.for_neighbour(forged_status(local, "ID", "51", "not_ours"), 1, None))
    refused_at(national, reasons, before, dead)
    after = view(national, local).json()
    assert after["status"] == page["status"] and after.get("delivery") == page.get("delivery")
    assert not [s for s in steps(national, local) if s.startswith("hub_")]

    # Bali's own report and Buleleng's link account: Buleleng is still on version 1, so its unsigned
    # messages are believed as far as trust allows: never a status about a report it was not handed
    province = hubs["51"]
    bali = file(province, **OWNED["51"])
    wait_for(lambda: owner_case(province, bali), timeout=30, interval=0.3)
    page = view(province, bali).json()
    before = {"not_holder": metric(province, "lapor_hub_messages_refused_total", reason="not_holder")}
    dead = dead_letters(province)
    publish_as_link(hubs, "5108", "51", hubwire.for_neighbour(forged_status(bali, "51", "5108"), 1, None))
    refused_at(province, {"not_holder": 1}, before, dead)
    assert view(province, bali).json()["status"] == page["status"]


def test_forged_transfers_sent_with_a_link_account_are_dead_lettered_and_store_nothing(hub_stacks):
    hubs = hub_stacks
    national, province = hubs["ID"], hubs["51"]
    stranger, _ = hubsign.generate_key()
    before_id = {r: metric(national, "lapor_hub_messages_refused_total", reason=r)
                 for r in ("bad_signature", "unknown_hub", "wrong_link")}
    dead = dead_letters(national)
    unsigned_origin = forged_transfer("51", "51", "ID")
    unknown_origin = forged_transfer("63", "63", "ID")  # a hub in no directory
    pretending = forged_transfer("5108", "5108", "ID")  # "I am 5108" on 51's link
    publish_as_link(hubs, "51", "ID", hubwire.for_neighbour(unsigned_origin, 2, stranger))
    publish_as_link(hubs, "51", "ID", hubwire.for_neighbour({**unknown_origin, "hops": ["63", "51"]}, 2, stranger))
    publish_as_link(hubs, "51", "ID", hubwire.for_neighbour(pretending, 2, stranger))
    refused_at(national, {"bad_signature": 1, "unknown_hub": 1, "wrong_link": 1}, before_id, dead)
    # through Buleleng's (version 1) link: an unknown origin is refused even unsigned-but-allowed
    before_51 = {"unknown_hub": metric(province, "lapor_hub_messages_refused_total", reason="unknown_hub")}
    dead_51 = dead_letters(province)
    publish_as_link(hubs, "5108", "51", hubwire.for_neighbour(forged_transfer("63", "5108", "51") | {
        "hops": ["5108"]}, 1, None))
    refused_at(province, {"unknown_hub": 1}, before_51, dead_51)
    for hub in (national, province):  # nothing was stored: no hub holds these reports
        for message in (unsigned_origin, unknown_origin, pretending):
            assert view(hub, message["tracking_id"]).status_code in (307, 404)


def test_a_hub_on_the_previous_message_version_forwards_and_receives(hub_stacks):
    hubs = hub_stacks
    district, province, national = hubs["5108"], hubs["51"], hubs["ID"]
    assert next(h for h in district.directory() if h["code"] == "5108")["message_version"] == 1
    version1_in = {"51": metric(province, "lapor_hub_messages_believed_total", neighbour="5108", version="1"),
                   "5108": metric(district, "lapor_hub_messages_believed_total", neighbour="51", version="1")}
    signed_in = metric(national, "lapor_hub_messages_believed_total", neighbour="51", version="2")
    # filed at the district (version 1) for the national hub, and at the national hub for the district
    up = file(district, description="Jalan nasional rusak parah di Singaraja, lubang besar membahayakan "
                                    "pengendara setiap malam.")
    down = file(national, **OWNED["5108"])
    assert wait_for(lambda: owner_case(national, up), timeout=60, interval=0.5)
    assert wait_for(lambda: owner_case(district, down), timeout=60, interval=0.5)
    wait_for(lambda: "hub_case_opened" in steps(district, up), timeout=60, interval=0.5)
    wait_for(lambda: "hub_case_opened" in steps(national, down), timeout=60, interval=0.5)
    # Bali read version 1 from Buleleng and wrote version 1 to it; ID and 51 signed theirs
    assert metric(province, "lapor_hub_messages_believed_total", neighbour="5108", version="1") > version1_in["51"]
    assert metric(district, "lapor_hub_messages_believed_total", neighbour="51", version="1") > version1_in["5108"]
    assert metric(national, "lapor_hub_messages_believed_total", neighbour="51", version="2") > signed_in
    assert metric(district, "lapor_hub_messages_believed_total", neighbour="51", version="2") == 0

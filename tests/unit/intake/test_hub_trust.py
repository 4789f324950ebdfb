"""Whom a hub believes (intake.hub_trust, at the start of receive_hub_message), on the fake unit of
work: a message must come on a neighbour's link, be signed by that neighbour (or, unsigned, come
from a neighbour still declared on version 1), name only hubs of the directory with its source
among its hops, and a status must come from a hub the report was handed to. Anything else is
dead-lettered, counted by reason, and changes nothing."""
from datetime import datetime, timezone
from types import SimpleNamespace

import pytest

from contract import events, hubnet, hubwire
from contract.ids import new_tracking_id
from intake import handlers, hub_trust, schemas, transfer
from intake.dependencies import Settings
from intake.hub_link import DeadLetter, HubOutboxRelay, Link, load_message
from tests.factories import make_report
from tests.fakes.hub_wire import SIGNING, arrive, signed_directory
from tests.fakes.intake import intake_units
from tests.unit.intake.test_transfer import DIRECTORY, KEYS

NOW = datetime(2026, 12, 6, 5, 0, tzinfo=timezone.utc)
FORWARDED = {"target_hub": "7317", "reason": "region 7317", "actor": "system", "manual": False}


def hub(code: str, versions: dict | None = None):
    units = intake_units(Settings(hub_code=code), registry={
        "hubs": signed_directory(DIRECTORY, versions), "categories": [{"code": "infrastruktur"}],
        "regions": [{"code": "7317", "name": "Kabupaten Luwu", "level": "district"}]})
    units.shared["private_key"] = KEYS[code][0]
    return units


def filed_at(units) -> dict:
    return units.run(handlers.accept_report, {"form": schemas.load_report(make_report(region_code="7317"))})["report"]


def hub_messages(units) -> list[dict]:
    return [e["payload"] for e in units.outbox if e.get("exchange") == hubnet.OUT_EXCHANGE]


def report_at(units, tracking_id: str) -> dict:
    return units.state["FakeReports"]["reports"][tracking_id]


def refused(units, arrived: dict, reason: str) -> None:
    """``arrived`` is dead-lettered for ``reason``, counted, and nothing is staged or stored."""
    before = hub_trust.REFUSED.labels(reason)._value.get()
    outbox = list(units.outbox)
    with pytest.raises(DeadLetter) as caught:
        units.run(handlers.receive_hub_message, arrived)
    assert isinstance(caught.value, hub_trust.Untrusted) and caught.value.reason == reason, caught.value
    assert hub_trust.REFUSED.labels(reason)._value.get() == before + 1
    assert units.outbox == outbox


def forwarded_transfer() -> tuple:
    origin = hub("5108")
    report = filed_at(origin)
    origin.run(handlers.send_transfer, events.REPORT_FORWARDED, {**FORWARDED, "tracking_id": report["_id"]})
    return origin, report, hub_messages(origin)[-1]


def status(tracking_id: str, source: str = "7317", hops=("7317", "73", "ID", "51"), step: str = "closed") -> dict:
    detail = {"returned": "true", "target_hub": "7317"} if step == "not_ours" else {}
    return hubwire.dump(hubwire.new_message("status", tracking_id, "5108", source, "5108", list(hops), NOW,
                                            status={"step": step, "at": NOW, "owner_hub": source, "detail": detail}))


def test_a_signed_transfer_from_the_neighbour_it_came_from_is_relayed():
    _, _, message = forwarded_transfer()
    assert hub("51").run(handlers.receive_hub_message, arrive(message)) == "relayed"


def test_a_message_not_from_a_neighbours_link_is_refused():
    _, _, message = forwarded_transfer()
    relay = hub("51")
    refused(relay, load_message(hubwire.for_neighbour(message, 2, SIGNING["5108"][0]), None), "no_link")
    refused(relay, load_message(hubwire.for_neighbour(message, 2, SIGNING["5108"][0]), "lapor"), "no_link")
    refused(hub("7317"), arrive(message), "not_neighbour")  # 5108's link does not end at 7317


def test_a_forged_source_or_sender_is_refused():
    _, _, message = forwarded_transfer()
    relay = hub("ID")
    # 51's link account sends a message claiming it was put on the link by another hub
    refused(relay, arrive({**message, "hops": ["5108"]}, link="51", key=SIGNING["51"][0]), "wrong_link")
    # signed by 51 on its own link, but naming a source that is not on its path
    refused(relay, arrive({**message, "source_hub": "73", "hops": ["5108", "51"]}), "forged_source")


def test_a_message_naming_a_hub_outside_the_directory_is_refused():
    _, _, message = forwarded_transfer()
    unknown_origin = {**message, "tracking_id": new_tracking_id("63"), "origin_hub": "63", "source_hub": "63",
                      "hops": ["63", "5108"]}
    refused(hub("51"), arrive(unknown_origin), "unknown_hub")
    refused(hub("51"), arrive({**message, "hops": ["35", "5108"]}), "unknown_hub")


def test_a_bad_signature_is_refused():
    _, _, message = forwarded_transfer()
    relay = hub("51")
    refused(relay, arrive(message, key=SIGNING["73"][0]), "bad_signature")  # someone else's key
    tampered = arrive(message)
    tampered["wire"]["body"] = {**tampered["wire"]["body"], "target_hub": "51"}
    refused(relay, tampered, "bad_signature")
    body = hubwire.for_neighbour(message, 2, SIGNING["5108"][0])
    body.pop("signature")
    refused(relay, load_message(body, "hub-5108"), "bad_signature")
    no_key = intake_units(Settings(hub_code="51"), registry={"hubs": [
        {k: v for k, v in h.items() if k != "signing_key"} for h in signed_directory(DIRECTORY)]})
    refused(no_key, arrive(message), "no_signing_key")


def test_a_previous_version_message_is_believed_only_on_a_link_declared_on_it():
    _, _, message = forwarded_transfer()
    assert hub("51", {"5108": 1}).run(handlers.receive_hub_message, arrive(message, version=1)) == "relayed"
    refused(hub("51"), arrive(message, version=1), "unsigned")             # 5108 is declared on version 2
    refused(hub("51", {"73": 1}), arrive(message, version=1), "unsigned")  # another hub's window is not 5108's
    # a hub itself declared on version 1 (not upgraded) is written version 1 by all: it reads it from all
    assert hub("51", {"51": 1}).run(handlers.receive_hub_message, arrive(message, version=1)) == "relayed"
    # a neighbour declared on version 1 may still sign: a version-2 message from it is checked as such
    assert hub("51", {"5108": 1}).run(handlers.receive_hub_message, arrive(message)) == "relayed"


def test_a_status_from_a_hub_that_never_held_the_report_changes_nothing():
    origin = hub("5108")
    local = filed_at(origin)  # never forwarded: a forged "closed" from the owner of another report
    refused(origin, arrive(status(local["_id"])), "not_holder")
    assert report_at(origin, local["_id"])["status"] == local["status"]
    assert "hub_delivery" not in report_at(origin, local["_id"])


def test_a_status_from_the_hub_it_was_handed_to_or_a_relay_on_the_way_is_applied():
    origin, report, _ = forwarded_transfer()  # handed to 7317, via 51, ID and 73
    assert origin.run(handlers.receive_hub_message, arrive(status(report["_id"]))) == "applied"
    assert report_at(origin, report["_id"])["status"] == "closed"
    origin, report, _ = forwarded_transfer()
    back = status(report["_id"], "ID", ["ID", "51"], step="not_ours")  # ID could not pass it on
    assert origin.run(handlers.receive_hub_message, arrive(back)) == "applied"
    assert report_at(origin, report["_id"])["hub_delivery"]["state"] == "returned"


def test_a_status_from_a_hub_off_the_reports_path_is_refused():
    directory = DIRECTORY + [{"code": "35", "tier": "province", "parent": "ID", "public_key": KEYS["73"][1]}]
    origin = intake_units(Settings(hub_code="5108"), registry={"hubs": signed_directory(directory)})
    origin.shared["private_key"] = KEYS["5108"][0]
    report = filed_at(origin)
    origin.run(handlers.send_transfer, events.REPORT_FORWARDED, {**FORWARDED, "tracking_id": report["_id"]})
    refused(origin, arrive(status(report["_id"], "35", ["35", "ID", "51"])), "not_holder")
    assert report_at(origin, report["_id"])["hub_delivery"]["state"] == "waiting"
    assert report_at(origin, report["_id"])["status"] != "closed"
    assert hub_trust.holders(report_at(origin, report["_id"]), "5108", signed_directory(directory)) == \
        {"51", "ID", "73", "7317"}


def test_the_relay_signs_each_message_in_the_version_its_neighbour_declared():
    link = Link.__new__(Link)
    link.signing_key, link.write_version, link.versions = SIGNING["51"][0], 2, {"ID": 2, "5108": 1}
    relay = HubOutboxRelay()
    relay.container = SimpleNamespace(dependencies=[SimpleNamespace(shared={"hub_link": link})])
    relay.exchange = SimpleNamespace(name="intake.events")
    _, _, message = forwarded_transfer()
    relayed = transfer.relayed(hubwire.load(message), "51")
    entry = {"_id": "x", "exchange": hubnet.OUT_EXCHANGE, "routing_key": "ID", "payload": relayed}
    up = relay._message(entry)["body"]
    assert up["schema_version"] == 2 and hub_trust.hubsign.verify(up, SIGNING["51"][1])
    down = relay._message({**entry, "routing_key": "5108"})["body"]
    assert down["schema_version"] == 1 and "signature" not in down
    link.write_version = 1  # a hub acting as one not yet upgraded writes version 1 to everyone
    link.versions = {"ID": 1}
    assert relay._message(entry)["body"]["schema_version"] == 1

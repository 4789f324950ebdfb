"""The transfer logic between hubs (intake.transfer): out, relay, accept, status back."""
from datetime import datetime, timedelta, timezone

import pytest

from contract import events, hubwire, sealing
from contract.ids import new_tracking_id
from intake import domain, transfer

NOW = datetime(2026, 11, 30, 5, 0, tzinfo=timezone.utc)
KEYS = {code: sealing.new_key_pair() for code in ("ID", "51", "73", "5108", "7317")}
DIRECTORY = [
    {"code": "ID", "tier": "national", "parent": None, "public_url": "https://lapor.example", "public_key": KEYS["ID"][1]},
    {"code": "51", "tier": "province", "parent": "ID", "public_key": KEYS["51"][1]},
    {"code": "73", "tier": "province", "parent": "ID", "public_key": KEYS["73"][1]},
    {"code": "5108", "tier": "district", "parent": "51", "public_key": KEYS["5108"][1]},
    {"code": "7317", "tier": "district", "parent": "73", "public_key": KEYS["7317"][1]},
]


def make_report(hub="5108", **overrides) -> dict:
    form = {"channel": "web", "classification": "complaint", "category_code": "jalan", "region_code": "7317",
            "title": "Jalan rusak", "description": "Jalan berlubang besar sejak Senin.", "is_anonymous": True,
            "reporter": {"name": "Kadek", "email": "kadek@example.com"}}
    report = domain.new_report(form, hub=hub, now=NOW, secret="ABCD-EFGH-JKMN", missing=[])
    report.update(overrides)
    return report


def send(report, target="7317", here="5108", files=()):
    return transfer.outbound(report, target, here, DIRECTORY, sealing.seal, list(files), "region 7317", "system",
                             False, NOW)


def test_a_transfer_goes_to_the_parent_first_with_the_identity_sealed_for_the_owner():
    report = make_report()
    message, hop = send(report, files=[({"filename": "a.png", "content_type": "image/png", "sha256": "0" * 64}, b"png")])
    assert hop == "51"
    assert message["hops"] == ["5108"] and message["target_hub"] == "7317" and message["origin_hub"] == "5108"
    assert message["tracking_id"] == report["tracking_id"]
    body = message["transfer"]
    assert "kadek" not in str(body).lower()
    opened = sealing.unseal(body["sealed_reporter"], KEYS["7317"][0])
    assert opened["email"] == "kadek@example.com" and opened["secret_hash"] == report["secret_hash"]
    with pytest.raises(sealing.SealError):  # a relay cannot open it
        sealing.unseal(body["sealed_reporter"], KEYS["51"][0])
    assert body["report"]["is_anonymous"] is True and body["evidence"][0]["filename"] == "a.png"


def test_a_hub_missing_from_the_directory_or_without_a_key_is_undeliverable():
    with pytest.raises(transfer.Undeliverable):
        send(make_report(), target="9471")
    keyless = [dict(h, public_key=None) if h["code"] == "7317" else h for h in DIRECTORY]
    with pytest.raises(transfer.Undeliverable):
        transfer.outbound(make_report(), "7317", "5108", keyless, sealing.seal, [], "r", "system", False, NOW)


def test_each_hub_on_the_path_relays_and_the_owner_accepts():
    sent, hop = send(make_report())
    message, here = hubwire.load(sent), hop
    while True:
        action, detail = transfer.arrival(message, here, DIRECTORY)
        if action == "accept":
            break
        assert action == "relay"
        message, here = hubwire.load(transfer.relayed(message, here)), detail
    assert message["hops"] + [here] == ["5108", "51", "ID", "73", "7317"]
    assert message["transfer"]["sealed_reporter"] == sent["transfer"]["sealed_reporter"]  # passed on unchanged


def test_a_relay_refuses_a_loop_and_the_transfer_goes_back_to_its_origin_as_not_ours():
    message = hubwire.load(send(make_report())[0])
    looped = hubwire.load(hubwire.dump({**message, "hops": ["5108", "ID"]}))  # 51 would send it to ID: visited
    action, reason = transfer.arrival(looped, "51", DIRECTORY)
    assert action == "refuse" and "ID" in reason
    back, hop = transfer.refusal(looped, "51", reason, DIRECTORY, NOW)
    assert hop == "5108" and back["kind"] == "status" and back["target_hub"] == "5108"
    assert back["status"]["step"] == "not_ours" and back["status"]["detail"]["returned"] == "true"
    assert transfer.arrival({**message, "hops": ["5108", "51"]}, "51", DIRECTORY)[0] == "refuse"  # visited here


def test_the_owner_stores_the_report_under_the_same_id_and_marks_its_received_event():
    report = make_report()
    message, _ = send(report)
    identity = sealing.unseal(message["transfer"]["sealed_reporter"], KEYS["7317"][0])
    accepted = transfer.accepted_report(hubwire.load(message), identity, "7317", NOW, "rpt_x")
    assert accepted["_id"] == report["tracking_id"] and accepted["origin_hub"] == "5108"
    assert accepted["target_hub"] == "7317" and accepted["reporter"]["name"] == "Kadek"
    assert accepted["secret_hash"] == report["secret_hash"] and accepted["is_anonymous"] is True
    event = transfer.received_event(accepted)
    assert event["event_type"] == events.REPORT_RECEIVED
    assert event["payload"]["forwarded_from"] == "5108" and event["payload"]["hub"] == "7317"
    assert "Kadek" not in str(event["payload"])


def test_status_messages_travel_back_to_the_origin_and_move_its_tracking_page():
    origin = make_report(hub="5108", hub_delivery=transfer.waiting_delivery("7317", "51", NOW))
    owner = make_report(hub="5108", forwarded_in={"hops": ["5108", "51", "ID", "73", "7317"]})
    accepted, hop = transfer.status(owner, "accepted", {}, "7317", DIRECTORY, NOW + timedelta(seconds=1))
    assert hop == "73" and accepted["target_hub"] == "5108"
    update = transfer.origin_update(origin, hubwire.load(accepted))
    assert update["set"]["hub_delivery"]["state"] == "accepted" and "status" not in update["set"]
    assert update["entry"]["step"] == "hub_accepted" and update["entry"]["detail"]["hub"] == "7317"
    origin["hub_delivery"] = update["set"]["hub_delivery"]
    closed, _ = transfer.status(owner, "closed", {"agency_code": "PEMKAB-LUWU"}, "7317", DIRECTORY,
                                NOW + timedelta(days=3))
    assert transfer.origin_update(origin, hubwire.load(closed))["set"]["status"] == "closed"
    origin["hub_delivery"]["status_at"] = NOW + timedelta(days=3)
    late, _ = transfer.status(owner, "dispositioned", {}, "7317", DIRECTORY, NOW + timedelta(seconds=2))
    stale = transfer.origin_update(origin, hubwire.load(late))
    assert stale["set"] == {} and stale["entry"]["step"] == "hub_dispositioned"  # history only


def test_a_numeric_hub_code_is_a_string_all_the_way():
    report = make_report(hub="5108")
    assert report["tracking_id"].startswith("5108-")
    message, _ = send(report)
    assert all(isinstance(h, str) for h in message["hops"] + [message["origin_hub"], message["target_hub"]])


def test_another_hubs_tracking_id_points_to_that_hub():
    assert transfer.hub_entry(DIRECTORY, new_tracking_id("ID").split("-")[0])["public_url"] == "https://lapor.example"


def test_transient_errors_are_retried_in_the_worker_and_dead_letters_are_not(monkeypatch):
    from intake import hub_link
    monkeypatch.setattr(hub_link.time, "sleep", lambda seconds: None)
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise ConnectionError("store unreachable")
        return "accepted"
    assert hub_link.with_backoff(flaky) == "accepted" and len(calls) == 3

    def malformed():
        calls.append(1)
        raise hub_link.DeadLetter("bad")
    calls.clear()
    with pytest.raises(hub_link.DeadLetter):
        hub_link.with_backoff(malformed)
    assert len(calls) == 1
    with pytest.raises(ConnectionError):
        hub_link.with_backoff(lambda: (_ for _ in ()).throw(ConnectionError("down")), attempts=2)


def test_a_transfer_refused_on_the_way_puts_the_report_back_into_the_origins_triage():
    origin = make_report(hub="5108", hub_delivery=transfer.waiting_delivery("7317", "51", NOW))
    message = hubwire.load(send(origin)[0])
    back, _ = transfer.refusal(hubwire.load(hubwire.dump({**message, "hops": ["5108", "51"]})), "ID",
                               "no path to hub 7317", DIRECTORY, NOW)
    update = transfer.origin_update(origin, hubwire.load(back))
    assert update["set"]["hub_delivery"]["state"] == "returned" and update["set"]["status"] == "triage"
    event = transfer.handed_back_event(origin, hubwire.load(back), "5108")
    assert event["event_type"] == events.REPORT_HANDED_BACK and event["payload"]["from_hub"] == "ID"

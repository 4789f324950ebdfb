"""Issue 18, no report without a holder: intake's path rules on the fake unit of work. A report
that cannot be sent stays in this hub's triage; a transfer refused on the way is answered back to
the hub that sent it (its last holder), not to the origin; the owner acknowledges to that hub; a
report nobody acknowledged is counted."""
from datetime import timedelta

from contract import events, hubwire
from intake import handlers, transfer
from tests.fakes.hub_wire import arrive, signed_directory
from tests.unit.intake.test_handlers_hubs import filed_at, hub, sent
from tests.unit.intake.test_transfer import DIRECTORY


def forward(units, tracking_id: str, target: str, manual: bool = True) -> None:
    units.run(handlers.send_transfer, events.REPORT_FORWARDED,
              {"tracking_id": tracking_id, "target_hub": target, "reason": "Bukan wewenang kami",
               "actor": "adm-1" if manual else "system", "manual": manual})


def deliver(units, message: dict, hops: list[str]) -> str:
    return units.run(handlers.receive_hub_message, arrive({**message, "hops": hops}))


def held_at(code: str, filed_at_hub: str = "7317") -> tuple:
    """A report filed at ``filed_at_hub`` and accepted at ``code``: (origin units, holder units, id)."""
    origin = hub(filed_at_hub)
    report = filed_at(origin)
    forward(origin, report["_id"], code, manual=False)
    (message, _), = sent(origin)
    holder = hub(code)
    route = {"ID": ["7317", "73"], "5108": ["7317", "73", "ID", "51"]}[code]
    assert deliver(holder, message, route) == "accepted"
    return origin, holder, report["_id"]


def test_the_reported_bug_a_hand_forward_to_a_hub_already_visited_keeps_the_report_in_triage_here():
    origin, holder, tracking_id = held_at("5108")  # 7317 -> 73 -> ID -> 51 -> 5108
    before = len(sent(holder))
    forward(holder, tracking_id, "51")             # 51 relayed it: it has seen this report
    stored = holder.state["FakeReports"]["reports"][tracking_id]
    assert stored["hub_delivery"]["state"] == "kept" and "51" in stored["hub_delivery"]["reason"]
    assert stored["status"] == "triage"  # the citizen's page: waiting for triage here, not "forwarded"
    assert holder.published[-1] == events.REPORT_HANDED_BACK  # routing: back into 5108's triage
    assert len(sent(holder)) == before  # nothing sent that would be refused, the origin not misled


def test_a_transfer_never_carries_this_hub_twice_in_its_hops():
    origin, holder, tracking_id = held_at("ID")    # 7317 -> 73 -> ID
    forward(holder, tracking_id, "5108")           # ID -> 51 -> 5108: nobody on the way has seen it
    transfer_out, _ = sent(holder)[-2]
    assert transfer_out["hops"] == ["7317", "73", "ID"] and transfer_out["target_hub"] == "5108"
    assert hubwire.load(transfer_out)  # a valid message (a hub twice would be refused by every receiver)


def test_a_transfer_refused_on_the_way_goes_back_to_the_hub_that_sent_it_and_into_its_triage():
    origin, holder, tracking_id = held_at("ID")
    forward(holder, tracking_id, "5108")
    (transfer_out, hop), (not_ours, _) = sent(holder)[-2:]
    assert hop == "51" and not_ours["target_hub"] == "7317"
    relay = hub("51")
    relay.run(lambda uow: uow.registry.replace([], [], hubs=[h for h in signed_directory(DIRECTORY) if h["code"] != "5108"]))
    assert deliver(relay, transfer_out, transfer_out["hops"]) == "refused"
    (back, back_hop), = sent(relay)
    assert back["target_hub"] == "ID" and back_hop == "ID"  # the last holder, not the origin 7317
    assert deliver(holder, back, ["51"]) == "applied"
    stored = holder.state["FakeReports"]["reports"][tracking_id]
    assert stored["hub_delivery"]["state"] == "returned" and stored["status"] == "triage"
    assert stored["history"][-1]["step"] == "hub_returned"
    assert holder.published[-1] == events.REPORT_HANDED_BACK
    told, told_hop = sent(holder)[-1]  # the origin, told ID holds it again
    assert told["target_hub"] == "7317" and told["status"]["step"] == "accepted" and told_hop == "73"
    assert deliver(origin, told, ["ID", "73"]) == "applied"
    assert origin.state["FakeReports"]["reports"][tracking_id]["hub_delivery"] == {
        **origin.state["FakeReports"]["reports"][tracking_id]["hub_delivery"], "state": "accepted", "hub": "ID"}


def test_the_owner_acknowledges_to_the_hub_that_handed_it_over_as_well_as_to_the_origin():
    origin, holder, tracking_id = held_at("ID")
    forward(holder, tracking_id, "5108")
    transfer_out, _ = sent(holder)[-2]
    owner = hub("5108")
    assert deliver(owner, transfer_out, ["7317", "73", "ID", "51"]) == "accepted"
    targets = sorted(m["target_hub"] for m, _ in sent(owner) if m["status"]["step"] == "accepted")
    assert targets == ["7317", "ID"]
    ack = next(m for m, _ in sent(owner) if m["target_hub"] == "ID")
    assert deliver(holder, ack, ["5108", "51"]) == "applied"
    assert holder.state["FakeReports"]["reports"][tracking_id]["hub_delivery"]["state"] == "accepted"


def test_reports_nobody_acknowledged_after_the_timeout_are_counted():
    origin = hub("5108")
    report = filed_at(origin)
    forward(origin, report["_id"], "7317", manual=False)
    now = origin.read(lambda uow: uow.now())
    timeout = origin.read(lambda uow: uow.settings.hub_ack_timeout)
    assert origin.read(lambda uow: uow.hubs.unacknowledged(now - timedelta(seconds=timeout))) == 0
    later = now + timedelta(seconds=timeout + 1)
    assert origin.read(lambda uow: uow.hubs.unacknowledged(later - timedelta(seconds=timeout))) == 1
    (message, _), = sent(origin)
    owner = hub("7317")
    deliver(owner, message, ["5108", "51", "ID", "73"])
    (ack, _), = sent(owner)
    deliver(origin, ack, ["7317", "73", "ID", "51"])
    assert origin.read(lambda uow: uow.hubs.unacknowledged(later - timedelta(seconds=timeout))) == 0


def test_the_citizen_reads_a_returned_report_in_plain_words():
    from intake import history
    assert "triage queue here" in history.STEP_LABELS["hub_returned"][1]
    assert "antrean verifikasi" in history.delivery_view({"hub": "51", "state": "returned"}, "id")["label"]
    assert transfer.path_of({"forwarded_in": {"hops": ["ID", "51", "5108"]}}, "5108") == ["ID", "51", "5108"]
    assert transfer.path_of({}, "5108") == ["5108"]

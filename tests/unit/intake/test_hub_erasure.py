"""Erasure across hubs (intake.handlers.hub_erasure) on the fake unit of work: the reporter erases
their personal data at the hub where they filed (5108), and the hub holding the forwarded report
(7317, four links away) erases its copy once, on the origin's word only, and acknowledges it."""
import pytest

from intake import handlers
from intake.hub_link import DeadLetter
from tests.factories import make_report
from tests.fakes.hub_wire import arrive, signed_directory
from tests.fakes.intake import intake_units
from intake import schemas
from intake.dependencies import Settings
from tests.unit.intake.test_handlers_hubs import forward, hub, sent
from tests.unit.intake.test_transfer import DIRECTORY, KEYS

TO_OWNER = ["5108", "51", "ID", "73"]  # the hops of a message from 5108 as it reaches 7317
TO_ORIGIN = ["7317", "73", "ID", "51"]


def filed(origin) -> dict:
    form = schemas.load_report(make_report(region_code="7317", reporter={
        "name": "Made Wirawan", "email": "made@example.com", "phone": "081234567890"}))
    return origin.run(handlers.accept_report, {"form": form})["receipt"]


def forwarded_and_accepted(origin, owner) -> dict:
    receipt = filed(origin)
    forward(origin, receipt["tracking_id"])
    (transfer, _), = sent(origin)
    assert owner.run(handlers.receive_hub_message, arrive({**transfer, "hops": TO_OWNER})) == "accepted"
    (accepted, _), = sent(owner)
    assert origin.run(handlers.receive_hub_message, arrive({**accepted, "hops": TO_ORIGIN})) == "applied"
    return receipt


def of_kind(units, kind: str) -> list[tuple[dict, str]]:
    return [(m, hop) for m, hop in sent(units) if m["kind"] == kind]


def stored(units, tracking_id: str) -> dict:
    return units.state["FakeReports"]["reports"][tracking_id]


def test_the_owner_erases_its_copy_once_on_the_origins_word_and_acknowledges_it():
    origin, owner = hub("5108"), hub("7317")
    receipt = forwarded_and_accepted(origin, owner)
    tracking_id = receipt["tracking_id"]
    assert stored(owner, tracking_id)["reporter"]["email"] == "made@example.com"

    answer = origin.run(handlers.erase_on_request, {"tracking_id": tracking_id, "secret": receipt["secret"]})
    assert answer["hubs"] == ["7317"] and answer["hubs_not_reached"] == []
    assert stored(origin, tracking_id)["reporter"] == {}
    (erasure, hop), = of_kind(origin, "erasure")
    assert hop == "51" and erasure["target_hub"] == "7317" and erasure["erasure"]["reason"] == "request"
    assert stored(origin, tracking_id)["history"][-1]["step"] == "hub_erasure_sent"

    arrived = arrive({**erasure, "hops": TO_OWNER})
    assert owner.run(handlers.receive_hub_message, arrived) == "applied"
    copy = stored(owner, tracking_id)
    assert copy["reporter"] == {} and copy["personal_data_erasure_reason"] == "request"
    audit, = owner.run(lambda uow: uow.privacy.audit_of(tracking_id))
    assert audit["via_hub"] == "5108" and "reporter.email" in audit["fields"]
    (ack, back), = of_kind(owner, "status")[1:]  # after the acceptance
    assert back == "73" and ack["status"]["step"] == "erased" and ack["status"]["detail"]["already"] == "false"
    assert owner.run(handlers.receive_hub_message, arrived) == "duplicate"  # a redelivery: nothing again
    assert len(of_kind(owner, "status")) == 2

    acked = arrive({**ack, "hops": TO_ORIGIN})
    assert origin.run(handlers.receive_hub_message, acked) == "applied"
    assert origin.run(handlers.receive_hub_message, acked) == "duplicate"
    steps = [h for h in stored(origin, tracking_id)["history"] if h["step"] == "hub_erased"]
    assert [h["detail"]["hub"] for h in steps] == ["7317"]
    again = origin.run(handlers.erase_on_request, {"tracking_id": tracking_id, "secret": receipt["secret"]})
    assert again["already"] and again["hubs"] == ["7317"] and len(of_kind(origin, "erasure")) == 1


def test_an_erasure_not_from_the_reports_origin_is_refused_and_changes_nothing():
    origin, owner = hub("5108"), hub("7317")
    receipt = forwarded_and_accepted(origin, owner)
    origin.run(handlers.erase_on_request, {"tracking_id": receipt["tracking_id"], "secret": receipt["secret"]})
    (erasure, _), = of_kind(origin, "erasure")
    forged = {**erasure, "message_id": "f" * 32, "source_hub": "ID", "hops": ["ID", "73"]}
    with pytest.raises(DeadLetter):
        owner.run(handlers.receive_hub_message, arrive(forged))
    assert stored(owner, receipt["tracking_id"])["reporter"]["name"] == "Made Wirawan"


def test_a_hub_accepting_the_report_after_the_erasure_is_asked_too():
    origin, owner = hub("5108"), hub("7317")
    receipt = filed(origin)
    forward(origin, receipt["tracking_id"])
    (transfer, _), = sent(origin)
    assert owner.run(handlers.receive_hub_message, arrive({**transfer, "hops": TO_OWNER})) == "accepted"
    answer = origin.run(handlers.erase_on_request, {"tracking_id": receipt["tracking_id"], "secret": receipt["secret"]})
    assert answer["hubs"] == [] and of_kind(origin, "erasure") == []  # not accepted yet, as far as 5108 knows
    (accepted, _), = sent(owner)
    origin.run(handlers.receive_hub_message, arrive({**accepted, "hops": TO_ORIGIN}))
    (erasure, _), = of_kind(origin, "erasure")
    assert erasure["target_hub"] == "7317"
    assert owner.run(handlers.receive_hub_message, arrive({**erasure, "hops": TO_OWNER})) == "applied"
    assert stored(owner, receipt["tracking_id"])["reporter"] == {}


def test_behind_a_version_1_hub_the_erasure_is_not_sent_and_the_answer_says_which_hub():
    def old(code):
        units = intake_units(Settings(hub_code=code), registry={
            "hubs": signed_directory(DIRECTORY, {"51": 1}), "categories": [{"code": "infrastruktur"}],
            "regions": [{"code": "7317", "name": "Kabupaten Luwu", "level": "district"}]})
        units.shared["private_key"] = KEYS[code][0]
        return units
    origin, owner = old("5108"), old("7317")
    receipt = forwarded_and_accepted(origin, owner)
    answer = origin.run(handlers.erase_on_request, {"tracking_id": receipt["tracking_id"], "secret": receipt["secret"]})
    assert answer["hubs"] == [] and answer["hubs_not_reached"] == ["7317"] and of_kind(origin, "erasure") == []
    assert stored(origin, receipt["tracking_id"])["reporter"] == {}  # erased here all the same

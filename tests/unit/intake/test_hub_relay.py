"""Issue 19, the citizen keeps one place (intake.handlers.hub_relay) on the fake unit of work: the
origin relays the reporter's actions to the hub holding the report, the owner applies each once
and believes only the origin, the owner's case comes back, and a version-1 route carries none."""
import pytest

from contract import errors, events, hubnet
from contract.registry_names import names_of_registry
from intake import handlers, hub_trust
from intake.handlers import hub_relay
from intake.hub_link import DeadLetter
from tests.fakes.hub_wire import SIGNING, arrive, signed_directory
from tests.unit.intake.test_evidence import GPS, jpeg
from tests.unit.intake.test_handlers_hubs import filed_at, forward, hub, sent
from tests.unit.intake.test_transfer import DIRECTORY

PATH = ["5108", "51", "ID", "73"]  # the hubs an action from 5108 crosses before 7317
BACK = ["7317", "73", "ID", "51"]


def secret_of(units, tracking_id: str) -> str:
    """The reporter's secret: the fake report keeps its hash, so a known secret is set for the test."""
    from intake import domain
    units.state["FakeReports"]["reports"][tracking_id]["secret_hash"] = domain.secret_hash("RAHA-SIA1-2345")
    return "RAHA-SIA1-2345"


def handed_over(versions=None, **report):
    """A report filed at 5108, forwarded to 7317, accepted there; the acceptance back at 5108."""
    origin, owner = hub("5108"), hub("7317")
    if versions:
        for units in (origin, owner):
            units.run(lambda uow: uow.registry.replace([], [{"code": "infrastruktur"}],
                                                       hubs=signed_directory(DIRECTORY, versions)))
    report = filed_at(origin, **report)
    secret = secret_of(origin, report["_id"])
    forward(origin, report["_id"])
    (transfer, _), = sent(origin)
    assert owner.run(handlers.receive_hub_message, arrive({**transfer, "hops": PATH})) == "accepted"
    (accepted, _), = sent(owner)
    back(origin, accepted)
    return origin, owner, report["_id"], secret


def back(origin, status) -> str:
    return origin.run(handlers.receive_hub_message, arrive({**status, "hops": BACK}))


def owner_step(owner, origin, event_type: str, tracking_id: str, **payload) -> None:
    """The owner's case event, told to the origin, and applied there."""
    before = len(sent(owner))
    owner.run(handlers.tell_origin, event_type, {"tracking_id": tracking_id, "origin_hub": "5108",
                                                 "occurred_at": owner.clock(), **payload})
    for message, _ in sent(owner)[before:]:
        assert back(origin, message) == "applied"


def opened(owner, origin, tracking_id):
    owner_step(owner, origin, events.CASE_OPENED, tracking_id, agency_code="PEMKAB-LUWU", stage="follow_up",
               due_at=owner.clock().replace(year=2030), case_id="c1")


def relay(origin, tracking_id, secret, action="reply", **form) -> dict:
    form = form or {"body": "Lubangnya makin besar setelah hujan."}
    return origin.run(handlers.relay_action, {"tracking_id": tracking_id, "action": action, "form": form,
                                              "secret": secret})


def actions(units) -> list[dict]:
    return [(m, hop) for m, hop in sent(units) if m["kind"] == "action"]


def test_the_origin_relays_a_reply_to_the_holder_once_its_case_is_open_and_refuses_before():
    origin, owner, tid, secret = handed_over()
    assert relay(origin, tid, secret) == {"refused": "no_case", "hub": "7317"}  # no follow-up opened there yet
    with pytest.raises(errors.ApiError) as wrong:
        relay(origin, tid, "SALA-HRAH-ASIA")
    assert wrong.value.status == 403
    opened(owner, origin, tid)
    outcome = relay(origin, tid, secret)
    assert outcome["relayed"] and outcome["hub"] == "7317"
    (message, hop), = actions(origin)
    assert hop == "51" and message["target_hub"] == "7317" and message["source_hub"] == "5108"
    assert message["message_id"] == message["action"]["action_id"] == outcome["action_id"]
    assert message["action"]["body"] == "Lubangnya makin besar setelah hujan." and "secret" not in message["action"]
    stored = origin.state["FakeReports"]["reports"][tid]
    assert stored["history"][-1]["step"] == "hub_action_sent"
    assert [m["author_role"] for m in stored["hub_case"]["messages"]] == ["reporter"]  # shown on its page
    assert relay(origin, tid, secret, "rate", rating=5) == {"refused": "not_open", "hub": "7317"}  # not answered


def test_the_owner_applies_a_relayed_reply_once_by_its_action_id():
    origin, owner, tid, secret = handed_over()
    opened(owner, origin, tid)
    relay(origin, tid, secret)
    (message, _), = actions(origin)
    arrived = arrive({**message, "hops": PATH})
    assert owner.run(handlers.receive_hub_message, arrived) == "applied"
    relayed = [e for e in owner.outbox if e.get("event_type") == events.REPORTER_ACTION_RELAYED]
    assert len(relayed) == 1 and relayed[0]["payload"]["body"] == "Lubangnya makin besar setelah hujan."
    assert relayed[0]["payload"]["from_hub"] == "5108" and relayed[0]["payload"]["action"] == "reply"
    assert owner.run(handlers.receive_hub_message, arrived) == "duplicate"
    # the same action under another message id (sent again by the origin's operator): still once
    again = arrive({**message, "message_id": "another-message-1234", "hops": PATH})
    assert owner.run(handlers.receive_hub_message, again) == "duplicate"
    assert len([e for e in owner.outbox if e.get("event_type") == events.REPORTER_ACTION_RELAYED]) == 1
    history = owner.state["FakeReports"]["reports"][tid]["history"]
    assert [h["step"] for h in history].count("hub_action_received") == 1


def test_the_owner_refuses_an_unsigned_a_foreign_signed_or_a_not_origin_action():
    origin, owner, tid, secret = handed_over()
    opened(owner, origin, tid)
    relay(origin, tid, secret)
    (message, _), = actions(origin)
    on_link = {**message, "hops": PATH}
    with pytest.raises(hub_trust.Untrusted) as unsigned:
        owner.run(handlers.receive_hub_message, arrive(on_link, version=1))
    assert unsigned.value.reason == "unsigned"
    with pytest.raises(hub_trust.Untrusted) as foreign:
        owner.run(handlers.receive_hub_message, arrive(on_link, key=SIGNING["ID"][0]))  # 73's link, ID's key
    assert foreign.value.reason == "bad_signature"
    # hub 73 (a relay on the way) speaking for the reporter: signed by itself, but not the origin
    forged = {**message, "source_hub": "73", "hops": ["73"], "message_id": "forged-by-73-000001"}
    with pytest.raises(DeadLetter) as not_origin:
        owner.run(handlers.receive_hub_message, arrive(forged))
    assert not_origin.value.reason == "not_origin"
    assert not [e for e in owner.outbox if e.get("event_type") == events.REPORTER_ACTION_RELAYED]


def test_evidence_added_at_the_origin_is_cleaned_and_stored_once_by_the_owner():
    origin, owner, tid, _ = handed_over(is_anonymous=True)
    report = origin.state["FakeReports"]["reports"][tid]
    with_gps = jpeg()
    assert GPS in with_gps
    outcome = origin.run(handlers.add_evidence_files, {"tracking_id": tid, "files": [with_gps]})
    assert outcome["relayed"]
    (message, _), = actions(origin)
    item, = message["action"]["evidence"]
    assert item["content_type"] == "image/jpeg" and report["is_anonymous"]
    import base64
    assert GPS not in base64.b64decode(item["data"])  # an anonymous report's file is cleaned before it leaves
    arrived = arrive({**message, "hops": PATH})
    assert owner.run(handlers.receive_hub_message, arrived) == "applied"
    assert owner.run(handlers.receive_hub_message, arrived) == "duplicate"
    assert len(owner.state["FakeReports"]["reports"][tid]["attachments"]) == 1
    # several files at once: one action each (each message well under the store's document limit)
    origin.run(handlers.add_evidence_files, {"tracking_id": tid, "files": [jpeg(False), jpeg(True)]})
    assert len(actions(origin)) == 3 and all(len(m["action"]["evidence"]) == 1 for m, _ in actions(origin))


def test_the_owners_answer_deadline_and_indicator_come_back_to_the_origin_page_and_not_to_the_public():
    origin, owner, tid, secret = handed_over()
    opened(owner, origin, tid)
    due = owner.clock().replace(year=2030)
    owner_step(owner, origin, events.CASE_DUE_SOON, tid, stage="follow_up", due_at=due, indicator="yellow",
               case_status="open")
    owner_step(owner, origin, events.CASE_ANSWERED, tid, message_id="msg_1", author_role="liaison",
               body="Jalan sudah ditambal pada 3 Desember.", case_status="answered", case_due_at=due,
               reopen_until=due, agency_code="PEMKAB-LUWU")
    case = origin.state["FakeReports"]["reports"][tid]["hub_case"]
    assert case["case_status"] == "answered" and case["indicator"] == "yellow" and case["due_at"] == due
    assert case["messages"][-1]["body"] == "Jalan sudah ditambal pada 3 Desember."
    mine = origin.read(handlers.page_view, {"tracking_id": tid, "lang": "id", "secret": secret})
    assert mine["hub_case"]["messages"][-1]["body"] == "Jalan sudah ditambal pada 3 Desember."
    anyone = origin.read(handlers.page_view, {"tracking_id": tid, "lang": "id", "secret": None})
    assert anyone["hub_case"]["messages"] == [] and anyone["hub_case"]["case_status"] == "answered"
    public = origin.read(handlers.track_report, {"tracking_id": tid})["view"]
    assert "ditambal" not in repr(public["history"])  # the history (public API) never carries the text
    # now the reporter may rate and reopen there
    assert relay(origin, tid, secret, "rate", rating=4, comment="Cepat.")["relayed"]
    assert relay(origin, tid, secret, "reopen", reason="Tambalannya sudah rusak lagi.")["relayed"]


def test_a_version_1_hub_on_the_way_gets_no_action_and_no_new_step():
    """Hub 51 (between 5108 and 7317) still reads version 1: it would dead-letter a kind it does not
    know, so the origin refuses with the hub's code and the owner sends only version-1 steps."""
    origin, owner, tid, secret = handed_over(versions={"51": 1})
    opened(owner, origin, tid)
    assert relay(origin, tid, secret) == {"refused": "version", "hub": "51"}
    assert origin.run(handlers.add_evidence_files, {"tracking_id": tid, "files": [jpeg(False)]}) \
        == {"refused": "version", "hub": "51"}
    assert actions(origin) == []
    before = len(sent(owner))
    owner.run(handlers.tell_origin, events.CASE_UPDATED, {"tracking_id": tid, "origin_hub": "5108",
                                                          "occurred_at": owner.clock(), "message_id": "m",
                                                          "body": "Sedang dikerjakan."})
    assert len(sent(owner)) == before  # "updated" is not a version-1 step
    owner.run(handlers.tell_origin, events.CASE_ANSWERED, {"tracking_id": tid, "origin_hub": "5108",
                                                           "occurred_at": owner.clock(), "message_id": "m2",
                                                           "body": "Sudah ditambal.", "case_status": "answered"})
    answered = sent(owner)[-1][0]["status"]
    assert answered["step"] == "answered" and "message_body" not in answered["detail"]  # version 1's detail only
    page = origin.read(handlers.page_view, {"tracking_id": tid, "lang": "id", "secret": secret})
    assert page["hub_case"]["relay_blocked_by"] == "51"


def test_the_api_evidence_upload_of_a_forwarded_report_is_relayed_or_refused_with_the_reason():
    origin, owner, tid, secret = handed_over(versions={"7317": 1})
    with pytest.raises(errors.ApiError) as refused:
        origin.run(handlers.add_evidence, {"tracking_id": tid, "secret": secret, "data": jpeg(False)})
    assert refused.value.status == 409 and refused.value.errors[0]["code"] == "relay_version"
    assert "7317" in refused.value.errors[0]["message_id"] and "7317" in refused.value.errors[0]["message"]
    # with the registry's names the hub is named, not coded (as followup's answer and the pages do)
    origin.run(lambda uow: uow.names.replace(names_of_registry(
        {"hubs": [{"code": "7317", "name_id": "Simpul Kabupaten Luwu", "name_en": "Luwu Regency hub"}]})))
    with pytest.raises(errors.ApiError) as refused:
        origin.run(handlers.add_evidence, {"tracking_id": tid, "secret": secret, "data": jpeg(False)})
    item = refused.value.errors[0]
    assert item["message_id"].startswith("Simpul Kabupaten Luwu belum") and "7317" not in item["message_id"]
    assert item["message"].startswith("Luwu Regency hub cannot yet") and "7317" not in item["message"]
    origin, owner, tid, secret = handed_over()
    added = origin.run(handlers.add_evidence, {"tracking_id": tid, "secret": secret, "data": jpeg(False)})
    assert added["relayed_to"] == "7317" and len(actions(origin)) == 1
    assert hubnet.OUT_EXCHANGE  # published on the hub link, not stored here
    assert not origin.state["FakeReports"]["reports"][tid].get("attachments")


def test_holder_of_a_local_report_is_nobody():
    origin = hub("5108")
    report = filed_at(origin)
    assert hub_relay.holder_of(origin.state["FakeReports"]["reports"][report["_id"]], "5108") is None
    secret = secret_of(origin, report["_id"])
    assert relay(origin, report["_id"], secret) == {"refused": "not_forwarded", "hub": "5108"}


def test_the_owners_messages_to_the_reporter_link_to_the_origin_page_and_the_origin_sends_none():
    with_urls = [{**h, "public_url": f"http://hub-{h['code']}.example"} for h in DIRECTORY]
    origin, owner, tid, secret = handed_over()
    for units in (origin, owner):
        units.run(lambda uow: uow.registry.replace([], [{"code": "infrastruktur"}], hubs=signed_directory(with_urls)))
    ref = owner.state["FakeReports"]["reports"][tid]["reporter_ref"]
    contact = owner.read(handlers.reporter_contact, ref)
    assert contact["tracking_url"] == f"http://hub-5108.example/lacak/{tid}"
    assert owner.read(handlers.reporter_contacts, [ref])[0]["tracking_url"] == contact["tracking_url"]
    local = filed_at(owner)
    assert owner.read(handlers.reporter_contact, local["reporter_ref"])["tracking_url"] is None
    # the owner's steps reach the origin's page but no event there: its notification sends nothing twice
    published = list(origin.published)
    opened(owner, origin, tid)
    owner_step(owner, origin, events.CASE_ANSWERED, tid, message_id="msg_1", author_role="liaison",
               body="Sudah ditambal.", case_status="answered")
    assert origin.published == published


def test_the_case_fields_survive_the_event_contract_from_followup_to_the_origin():
    """The answer as followup emits it (built and loaded through contract.events, as intake's consumer
    loads it) carries the case's state and the official's words to the origin."""
    import json
    from datetime import timedelta

    from intake.service import EVENTS
    origin, owner, tid, secret = handed_over()
    opened(owner, origin, tid)
    now = owner.clock()
    payload = events.build(events.CASE_ANSWERED, hub="7317", tracking_id=tid, origin_hub="5108", case_id="c1",
                           agency_code="PEMKAB-LUWU", stage="follow_up", case_status="answered",
                           case_due_at=now + timedelta(days=3), reopen_until=now + timedelta(days=9),
                           message_id="msg_1", author_role="liaison", excerpt="Sudah", has_attachments=False,
                           body="Sudah ditambal seluruhnya.")["payload"]
    loaded = events.load(events.CASE_ANSWERED, json.loads(json.dumps(payload)))
    before = len(sent(owner))
    owner.run(EVENTS[events.CASE_ANSWERED], events.CASE_ANSWERED, loaded)
    (status, _), = sent(owner)[before:]
    assert back(origin, status) == "applied"
    case = origin.read(handlers.page_view, {"tracking_id": tid, "lang": "id", "secret": secret})["hub_case"]
    assert case["case_status"] == "answered" and case["reopen_until"] == now + timedelta(days=9)
    assert case["messages"][-1]["body"] == "Sudah ditambal seluruhnya."

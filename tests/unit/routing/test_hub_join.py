"""A hub joins its parent with a one-time token (routing.handlers.hubjoin) on the fake unit of work:
the parent's operator invites a code; the new hub's keys and address with the token add it as the
parent's child, published with the parent's directory part; a wrong, used, expired or other hub's
token is refused and audited, and changes nothing."""
from datetime import timedelta

import pytest

from contract import events, hublink, hubsign, sealing
from contract.errors import ApiError
from routing import handlers
from tests.unit.routing.test_hub_parts import hub, published


def joining(token: str, code: str = "5171") -> dict:
    return {"token": token, "code": code, "name": "Simpul Kota Denpasar", "public_url": "http://127.0.0.1:11460",
            "public_key": sealing.new_key_pair()[1], "signing_key": hubsign.generate_key()[1], "message_version": None}


def audit(units) -> list[tuple[str, str | None]]:
    return [(e["action"], e.get("reason")) for e in units.state["routing"].get("hub_joins", {}).values()]


def test_an_invited_district_joins_its_province_and_its_entry_is_published():
    province = hub("51")
    invited = province.run(handlers.invite_hub, "5171", 24)
    assert invited["token"].startswith("join_") and invited["code"] == "5171"
    province.outbox.clear()
    joined = province.run(handlers.join_hub, joining(invited["token"]), "127.0.0.1")
    assert joined["hub"]["parent"] == "51" and joined["hub"]["tier"] == "district"
    assert joined["neighbours"] == ["51"]
    assert {h["code"] for h in joined["directory"]} >= {"ID", "51", "5108", "5171"}
    assert "officials" not in joined["registry"]  # the new hub starts from the registry its parent holds
    assert {r["code"] for r in joined["registry"]["regions"]} >= {"51", "5108", "7317"}
    directory = published(province)["directory"]["document"]["hubs"]
    assert {h["code"] for h in directory} == {"5108", "5171"}  # the province's part: its districts
    assert events.REGISTRY_UPDATED in province.published
    assert audit(province) == [("invited", None), ("joined", None)]


@pytest.mark.parametrize("case, reason, status", [
    ("wrong", "wrong_token", 403), ("other", "other_code", 403), ("used", "used_token", 409),
    ("expired", "expired_token", 410)])
def test_a_wrong_used_expired_or_other_hubs_token_is_refused_audited_and_changes_nothing(case, reason, status):
    province = hub("51")
    token = province.run(handlers.invite_hub, "5171", 1)["token"]
    if case == "used":
        province.run(handlers.join_hub, joining(token), "127.0.0.1")
    if case == "expired":
        province.clock.now += timedelta(hours=1, seconds=1)
    before = province.read(handlers.export_registry)["hubs"]
    province.outbox.clear()
    body = joining("join_" + "x" * 32 if case == "wrong" else token, "5172" if case == "other" else "5171")
    assert province.run(handlers.join_hub, body, "203.0.113.9") == {"refused": reason}
    assert province.read(handlers.export_registry)["hubs"] == before and province.published == []
    assert audit(province)[-1] == ("join_refused", reason)
    refusal = handlers.join_refusal(reason)
    assert refusal.status == status and refusal.errors[0]["message_id"] and refusal.errors[0]["message"]


def test_a_district_invites_nobody_and_a_known_code_is_not_invited():
    with pytest.raises(ApiError) as refused:
        hub("5108").run(handlers.invite_hub, "510801", 24)
    assert refused.value.errors[0]["code"] == "not_allowed"
    with pytest.raises(ApiError) as refused:
        hub("51").run(handlers.invite_hub, "5108", 24)
    assert refused.value.errors[0]["field"] == "code" and refused.value.status == 409


def test_a_join_with_its_link_keeps_the_new_hubs_login_hashed_and_its_own_for_the_shovel_and_answers_it():
    province = hub("51", link_address="127.0.0.1:5912")
    token = province.run(handlers.invite_hub, "5171", 24)["token"]
    mine = "p" * 40  # the password of hub-51 on the new hub's broker
    joined = province.run(handlers.join_hub, {**joining(token), "link": {"amqp_address": "127.0.0.1:5942",
                                                                         "password": mine}}, "127.0.0.1")
    link = joined["link"]
    assert link["user"] == "hub-5171" and link["parent_user"] == "hub-51" and link["amqp_address"] == "127.0.0.1:5912"
    assert len(link["password"]) >= 32 and link["password"] != mine
    stored = province.state["routing"]["hub_links"]["5171"]
    assert (stored["neighbour_address"], stored["neighbour_password"]) == ("127.0.0.1:5942", mine)  # the shovel's
    # the new hub's login here is only verified (by this broker): its hash is kept, never the password
    assert hublink.hash_matches(link["password"], stored["inbound_password_hash"])
    assert link["password"] not in repr(province.state["routing"]["hub_links"])
    audited = repr(province.state["routing"]["hub_joins"])
    assert mine not in audited and link["password"] not in audited  # never in the audit


def test_a_join_without_a_link_keeps_no_link_and_a_bad_link_is_refused_naming_the_field():
    from marshmallow import ValidationError
    from routing import schemas

    province = hub("51")
    token = province.run(handlers.invite_hub, "5171", 24)["token"]
    assert "link" not in province.run(handlers.join_hub, joining(token), "127.0.0.1")
    assert "hub_links" not in province.state["routing"]
    body = {k: v for k, v in joining(token).items() if k != "message_version"}
    with pytest.raises(ValidationError) as refused:
        schemas.JoinIn().load({**body, "link": {"amqp_address": "no port", "password": "short"}})
    assert set(refused.value.messages["link"]) == {"amqp_address", "password"}

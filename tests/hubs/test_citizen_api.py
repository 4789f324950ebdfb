"""Issue 19, the citizen keeps one place, through the JSON API on the three real hubs: a Bali report
filed at the national hub (the wrong door) is forwarded to Bali (51); at the national hub's API the
reporter replies (``POST /cases/{id}/replies``), adds evidence (``POST /reports/{id}/attachments``),
rates and reopens; each answer is a 202 naming the hub it went to, each action reaches Bali once,
and each is a step of the reporter's timeline at the national hub (``GET /reports/{id}``)."""
from __future__ import annotations

import requests
import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from tests.credentials import bearer
from tests.hubs.test_citizen_one_place import ANSWER, BALI, filed, has_step, jpeg, owner_case, owner_messages, steps
from tests.waiting import wait_for

pytestmark = pytest.mark.e2e


def sent(origin, path: str, body: dict) -> requests.Response:
    return requests.post(f"{origin.url}{path}", json=body, timeout=15)


def relayed(response: requests.Response) -> str:
    assert response.status_code == 202, response.text
    assert response.json()["relayed_to"] == "51", response.text
    return response.json()["action_id"]


def test_the_reporters_api_actions_at_the_origin_reach_the_owner_and_show_on_the_timeline(hub_stacks):
    origin, owner = hub_stacks["ID"], hub_stacks["51"]
    tracking_id, secret = filed(origin, **BALI)
    wait_for(lambda: owner_case(owner, tracking_id), timeout=40, interval=0.3)
    wait_for(lambda: has_step(origin, tracking_id, "hub_case_opened"), timeout=30, interval=0.3)
    cases = f"/cases/{tracking_id}"

    # the same refusals as for a local case, before anything is sent
    wrong = sent(origin, f"{cases}/replies", {"secret": "SALA-HSEK-RET0", "body": "Longsor susulan."})
    assert wrong.status_code == 403 and wrong.json()["errors"][0]["field"] == "secret", wrong.text
    bad = sent(origin, f"{cases}/replies", {"secret": secret, "body": ""})
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "body", bad.text

    relayed(sent(origin, f"{cases}/replies", {"secret": secret, "body": "Longsor susulan menutup jalan lagi."}))
    wait_for(lambda: any("Longsor susulan" in m["body"] for m in owner_messages(owner, tracking_id, secret)),
             timeout=30, interval=0.3)
    added = requests.post(f"{origin.url}/reports/{tracking_id}/attachments", data={"secret": secret},
                          files={"file": ("foto.jpg", jpeg(), "image/jpeg")}, timeout=15)
    relayed(added)
    wait_for(lambda: has_step(owner, tracking_id, "hub_action_received", action="evidence"), timeout=30, interval=0.3)
    with ClusterRpcProxy({"AMQP_URI": owner.amqp_uri}, timeout=10) as rpc:
        assert rpc.intake.page_view(tracking_id, "id", secret)["attachment_count"] == 1

    # the rating is refused while the owner has not answered, naming the hub; then taken
    early = sent(origin, f"{cases}/rating", {"secret": secret, "rating": 4})
    assert early.status_code == 409 and early.json()["errors"][0]["code"] == "relay_not_open", early.text
    assert "Bali" in early.json()["errors"][0]["message_id"]  # the hub by name
    liaison = bearer({"MONGODB_URI": owner.mongodb_uri}, "lo-bali-bpbd")
    verified = requests.post(f"{owner.url}/admin/reports/{tracking_id}/verify", json={}, headers=liaison, timeout=10)
    assert verified.status_code == 200, verified.text
    wait_for(lambda: (owner_case(owner, tracking_id) or {}).get("verified_at_unit"), timeout=30, interval=0.3)
    answered = requests.post(f"{owner.url}{cases}/answer", json={"body": ANSWER}, headers=liaison, timeout=10)
    assert answered.status_code == 201, answered.text
    wait_for(lambda: has_step(origin, tracking_id, "hub_answered"), timeout=30, interval=0.3)
    relayed(sent(origin, f"{cases}/rating", {"secret": secret, "rating": 4, "comment": "Cukup cepat."}))
    wait_for(lambda: (owner_case(owner, tracking_id) or {}).get("status") == "closed", timeout=30, interval=0.3)
    assert owner_case(owner, tracking_id)["rating"] == 4
    wait_for(lambda: has_step(origin, tracking_id, "hub_closed"), timeout=30, interval=0.3)
    relayed(sent(origin, f"{cases}/reopen", {"secret": secret, "reason": "Longsor susulan menutup jalan lagi."}))
    wait_for(lambda: (owner_case(owner, tracking_id) or {}).get("status") == "open", timeout=30, interval=0.3)
    wait_for(lambda: has_step(origin, tracking_id, "hub_reopened"), timeout=30, interval=0.3)

    # on the reporter's timeline where they filed: each action sent, once; at the owner: each received, once
    actions = {"reply", "evidence", "rate", "reopen"}
    timeline = [h for h in steps(origin, tracking_id) if h["step"] == "hub_action_sent"]
    assert sorted(h["detail"]["action"] for h in timeline) == sorted(actions)
    assert all(h["detail"]["hub"] == "51" and h["label"] for h in timeline)
    received = [h["detail"]["action"] for h in steps(owner, tracking_id) if h["step"] == "hub_action_received"]
    assert sorted(received) == sorted(actions)

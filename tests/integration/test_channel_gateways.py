"""Channel webhooks trust only their gateways (issue 13): a gateway signs (HMAC, as outgoing
webhooks do) or shows its secret; limits per phone, per gateway and per channel; idempotency
keys per gateway; sliding-window limits; X-Forwarded-For believed from configured proxies only."""
import json
import re
import time

import requests
from pymongo.collection import Collection

from contract.signing import signed_headers
from intake.cli import CliStore
from tests.factories import make_report
from tests.integration.test_intake_submission import SMS_GATEWAY, SMS_GATEWAY_SECRET, SOCIAL_GATEWAY, intake

SECOND_SMS = "sms:gw-second=second-sms-gateway-secret"
SECOND = {"Authorization": "Bearer second-sms-gateway-secret"}


def sms(n: int, phone: str = "+6281234000100", message_id: str | None = None) -> dict:
    return {"message_id": message_id or f"gw-{n}", "from": phone, "text": f"buleleng Jalan rusak parah nomor {n} "
            "di depan sekolah dasar sejak minggu lalu"}


def signed(body: dict, secret: str = SMS_GATEWAY_SECRET, gateway: str = "gw-test", now: float | None = None):
    payload = json.dumps(body).encode()
    return payload, {"Content-Type": "application/json", "X-Lapor-Gateway": gateway,
                     **signed_headers(secret, payload, now)}


def test_channels_refuse_anyone_but_their_gateways(start_services, service_config):
    base = intake(start_services, service_config)
    victim = "+6281234000777"
    draft = requests.post(f"{base}/channels/sms", json={"message_id": "v-1", "from": victim, "text": "luwu rusak"},
                          headers=SMS_GATEWAY, timeout=5)
    assert draft.status_code == 202
    forged = {"message_id": "f-1", "from": victim, "text": "jalan tidak rusak, abaikan saja laporan saya ini"}
    for headers in ({}, {"Authorization": "Bearer guessed-secret-123456"}, SOCIAL_GATEWAY):
        answer = requests.post(f"{base}/channels/sms", json=forged, headers=headers, timeout=5)
        assert answer.status_code == 401 and answer.json()["errors"][0]["code"] == "unauthenticated"
    post = {"post_id": "p-9", "author_handle": "korban", "text": "@LAPOR1708 jalan rusak di Singaraja"}
    assert requests.post(f"{base}/channels/social", json=post, timeout=5).status_code == 401
    assert requests.post(f"{base}/channels/social", json=post, headers=SMS_GATEWAY, timeout=5).status_code == 401

    payload, headers = signed(sms(1))
    assert requests.post(f"{base}/channels/sms", data=payload, headers=headers, timeout=5).status_code == 201
    payload, headers = signed(sms(2), now=time.time() - 3600)  # a captured request replayed an hour later
    assert requests.post(f"{base}/channels/sms", data=payload, headers=headers, timeout=5).status_code == 401
    payload, headers = signed(sms(3), gateway="gw-other")
    assert requests.post(f"{base}/channels/sms", data=payload, headers=headers, timeout=5).status_code == 401
    payload, headers = signed(sms(4))
    assert requests.post(f"{base}/channels/sms", data=payload + b" ", headers=headers, timeout=5).status_code == 401
    assert draft.json()["status"] == "incomplete"


def test_rotating_phones_meet_the_gateway_and_channel_limits(start_services, service_config):
    base = intake(start_services, service_config, GATEWAY_RATE_LIMIT_MAX=3, CHANNEL_RATE_LIMIT_MAX=4,
                  CHANNEL_GATEWAYS=f"sms:gw-test={SMS_GATEWAY_SECRET},{SECOND_SMS}")
    for n in range(3):
        answer = requests.post(f"{base}/channels/sms", json=sms(n, phone=f"+62812340002{n:02d}"), headers=SMS_GATEWAY,
                               timeout=5)
        assert answer.status_code == 201, answer.text
    limited = requests.post(f"{base}/channels/sms", json=sms(9, phone="+6281234000299"), headers=SMS_GATEWAY, timeout=5)
    assert limited.status_code == 429 and "gateway" in limited.json()["errors"][0]["message"]
    assert int(limited.headers["Retry-After"]) >= 1
    assert requests.post(f"{base}/channels/sms", json=sms(10, phone="+6281234000310"), headers=SECOND,
                         timeout=5).status_code == 201
    everyone = requests.post(f"{base}/channels/sms", json=sms(11, phone="+6281234000311"), headers=SECOND, timeout=5)
    assert everyone.status_code == 429 and "channel" in everyone.json()["errors"][0]["message"]


def test_idempotency_keys_are_per_gateway_and_per_message(start_services, service_config):
    base = intake(start_services, service_config, CHANNEL_GATEWAYS=f"sms:gw-test={SMS_GATEWAY_SECRET},{SECOND_SMS}")
    first = requests.post(f"{base}/channels/sms", json=sms(1, message_id="1001"), headers=SMS_GATEWAY, timeout=5)
    again = requests.post(f"{base}/channels/sms", json=sms(1, message_id="1001"), headers=SMS_GATEWAY, timeout=5)
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["tracking_id"] == first.json()["tracking_id"]
    # the same (guessable) message id from another gateway, or for another message, is a report of its own
    other = requests.post(f"{base}/channels/sms", json=sms(2, phone="+6281234000999", message_id="1001"),
                          headers=SECOND, timeout=5)
    reused = requests.post(f"{base}/channels/sms", json=sms(3, phone="+6281234000998", message_id="1001"),
                           headers=SMS_GATEWAY, timeout=5)
    assert other.status_code == 201 and reused.status_code == 201
    assert len({first.json()["tracking_id"], other.json()["tracking_id"], reused.json()["tracking_id"]}) == 3


def test_limit_is_a_sliding_window_not_a_fixed_one(start_services, service_config, mongo_client):
    intake(start_services, service_config)
    db = mongo_client[f"{service_config['MONGODB_DATABASE_PREFIX']}intake"]
    units = CliStore(mongo_client, db).units()

    def rate_limited(key, limit, window):
        return units.run(lambda uow: uow.limits.count(key, limit, window))
    window = next(w for w in range(600, 700) if time.time() % w < w - 30)  # not at a window's very end
    previous = int(time.time() // window) - 1
    db.rate_limits.insert_one({"_id": f"burst:{previous}", "count": 1000})  # a burst just before the boundary
    assert rate_limited("burst", 10, window) is not None  # right after it: still over the limit
    assert rate_limited("calm", 10, window) is None


def test_forwarded_for_is_believed_from_trusted_proxies_only(start_services, service_config):
    base = intake(start_services, service_config, RATE_LIMIT_MAX=2, TRUSTED_PROXIES="10.0.0.1")
    for n in range(2):
        spoofed = {"X-Forwarded-For": f"203.0.113.{n}"}
        assert requests.post(f"{base}/reports", json=make_report(), headers=spoofed, timeout=5).status_code == 201
    third = requests.post(f"{base}/reports", json=make_report(), headers={"X-Forwarded-For": "198.51.100.9"}, timeout=5)
    assert third.status_code == 429  # the three came from one address (127.0.0.1), whatever they claimed
    trusting = intake(start_services, service_config, RATE_LIMIT_MAX=2)  # the front door on loopback is trusted
    for n in range(3):
        assert requests.post(f"{trusting}/reports", json=make_report(), headers={"X-Forwarded-For": f"192.0.2.{n}"},
                             timeout=5).status_code == 201


def test_a_social_draft_is_completed_through_its_one_time_link(start_services, service_config, rpc, mongo_client):
    """Issue 20: the public reply holds no link; the link is minted for notification's direct message
    (``intake.completion_link``), and a newer one replaces it."""
    base = intake(start_services, service_config, SOCIAL_COMPLETION_URL="https://lapor.example/lapor/<tracking_id>?kode=<code>")
    post = {"post_id": "1790000000000000077", "author_handle": "warga_luwu", "text": "@LAPOR1708 jalan rusak #lapor"}
    draft = requests.post(f"{base}/channels/social", json=post, headers=SOCIAL_GATEWAY, timeout=5)
    assert draft.status_code == 202 and "secret" not in draft.json()
    tracking_id = draft.json()["tracking_id"]
    assert "http" not in draft.json()["reply"] and "kode" not in draft.json()["reply"]
    ref = mongo_client[f"{service_config['MONGODB_DATABASE_PREFIX']}intake"].reports.find_one(
        {"_id": tracking_id})["reporter_ref"]
    link = re.search(r"https://lapor\.example/lapor/(\S+)\?kode=(\S+)", rpc.intake.completion_link(ref, "ntf_1")["url"])
    assert link and link.group(1) == tracking_id
    code = link.group(2)
    url = f"{base}/reports/{tracking_id}"
    assert requests.patch(url, json={"completion_code": "AAAA-BBBB-CCCC", "description": "x"},
                          timeout=5).status_code == 403
    done = requests.patch(url, timeout=5, json={
        "completion_code": code, "location_text": "Jl. Andi Djemma, Belopa",
        "description": "Jalan poros Belopa berlubang besar sejak banjir minggu lalu, dua motor jatuh kemarin"})
    assert done.status_code == 200, done.text
    secret = done.json()["secret"]  # the code is exchanged for the reporter's own secret
    assert requests.patch(url, json={"completion_code": code, "title": "Jalan poros rusak"}, timeout=5).status_code == 403
    assert requests.patch(url, json={"secret": secret, "title": "Jalan poros rusak"}, timeout=5).status_code == 409
    assert rpc.intake.completion_link(ref, "ntf_2") is None  # completed: no new link
    again = requests.post(f"{base}/channels/social", json=post, headers=SOCIAL_GATEWAY, timeout=5)
    assert again.status_code == 200 and "kode=" not in again.json()["reply"]


def test_a_past_window_is_read_once_per_key(start_services, service_config, mongo_client, monkeypatch):
    """Issue 12: a past window no longer changes, so the next submissions of the same key in this window
    cost one write (the count) and no read of the past window; another key reads its own once."""
    intake(start_services, service_config)
    db = mongo_client[f"{service_config['MONGODB_DATABASE_PREFIX']}intake"]
    units = CliStore(mongo_client, db).units()

    def rate_limited(key, limit, window):
        return units.run(lambda uow: uow.limits.count(key, limit, window))
    window = next(w for w in range(600, 700) if time.time() % w < w - 30)  # not at a window's very end
    db.rate_limits.insert_one({"_id": f"steady:{int(time.time() // window) - 1}", "count": 6})
    reads: list[dict] = []
    real = Collection.find_one
    monkeypatch.setattr(Collection, "find_one", lambda self, *a, **kw: (reads.append(a[0]), real(self, *a, **kw))[1])
    assert [rate_limited("steady", 10, window) for _ in range(3)] == [None, None, None]
    assert rate_limited("steady", 3, window) is not None  # the 6 weighed in (and 4 here): over 3
    rate_limited("other", 10, window)
    assert [r["_id"].split(":")[0] for r in reads] == ["steady", "other"]

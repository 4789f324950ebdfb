"""SMS gateway, social mentions and a liaison's manual entry, on the real broker and store."""
from datetime import datetime, timezone

import requests

from routing.service import RoutingService
from tests.factories import make_report
from tests.integration.conftest import track
from tests.integration.test_intake_submission import SMS_GATEWAY, SOCIAL_GATEWAY, intake
from tests.credentials import issue_token


def db_of(mongo_client, service_config):
    return mongo_client[f"{service_config['MONGODB_DATABASE_PREFIX']}intake"]


def test_sms_region_keyword_reply_and_gateway_redelivery(start_services, service_config, mongo_client, rpc):
    base = intake(start_services, service_config)
    message = {"message_id": "gw-001", "from": "+6281234000001",
               "text": "buleleng  Jalan rusak di depan SD 3 sejak Senin"}
    response = requests.post(f"{base}/channels/sms", headers=SMS_GATEWAY, json=message, timeout=5)
    assert response.status_code == 201
    body = response.json()
    assert body["region_code"] == "5108" and len(body["reply"]) <= 160
    assert body["tracking_id"] in body["reply"] and "Kode rahasia" in body["reply"]
    secret = body["reply"].split("Kode rahasia: ")[1][:14]
    assert rpc.intake.verify_reporter(body["tracking_id"], secret) is True

    again = requests.post(f"{base}/channels/sms", headers=SMS_GATEWAY, data=message, timeout=5)  # form-encoded, same id
    assert again.status_code == 200 and again.json()["tracking_id"] == body["tracking_id"]
    assert db_of(mongo_client, service_config).reports.count_documents({}) == 1
    contact = rpc.intake.reporter_contact(db_of(mongo_client, service_config).reports.find_one()["reporter_ref"])
    assert contact["phone"] == "+6281234000001" and contact["channel"] == "sms"


def test_sms_unknown_region_multipart_english_and_too_short(start_services, service_config, mongo_client):
    base = intake(start_services, service_config)
    parts = {"message_id": "gw-002", "from": "+6281234000002", "lang": "en",
             "parts": [{"seq": 2, "text": "dekat pasar sejak minggu lalu"}, {"seq": 1, "text": "Atlantis banjir besar "}]}
    body = requests.post(f"{base}/channels/sms", headers=SMS_GATEWAY, json=parts, timeout=5).json()
    assert body["region_code"] == "00" and "national triage" in body["reply"]
    stored = db_of(mongo_client, service_config).reports.find_one({"_id": body["tracking_id"]})
    assert stored["description"] == "Atlantis banjir besar dekat pasar sejak minggu lalu"
    short = requests.post(f"{base}/channels/sms", headers=SMS_GATEWAY, json={"message_id": "gw-003", "from": "+6281234000003",
                                                       "text": "Luwu rusak"}, timeout=5)
    assert short.status_code == 202 and "kronologi terlalu singkat" in short.json()["reply"]
    assert len(short.json()["reply"]) <= 160 and track(base, short.json()["tracking_id"])["status"] == "incomplete"
    bad = requests.post(f"{base}/channels/sms", headers=SMS_GATEWAY, json={"message_id": "x", "from": "not-a-phone", "text": "a"},
                        timeout=5)
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "from"


def test_social_mention_once_per_post(start_services, service_config, mongo_client):
    base = intake(start_services, service_config)
    post = {"post_id": "1790000000000000001", "author_handle": "warga_sampit",
            "text": "@LAPOR1708 banjir setinggi lutut di Sampit sejak pagi, jalan tidak bisa dilewati #lapor"}
    first = requests.post(f"{base}/channels/social", headers=SOCIAL_GATEWAY, json=post, timeout=5)
    second = requests.post(f"{base}/channels/social", headers=SOCIAL_GATEWAY, json=post, timeout=5)
    assert first.status_code == 201 and second.status_code == 200
    assert first.json()["tracking_id"] == second.json()["tracking_id"]
    assert "@warga_sampit" in first.json()["reply"] and "secret" not in first.json()
    stored = db_of(mongo_client, service_config).reports.find_one({"_id": first.json()["tracking_id"]})
    assert stored["region_code"] == "6202" and stored["channel"] == "social" and "@LAPOR1708" not in stored["description"]
    assert db_of(mongo_client, service_config).reports.count_documents({}) == 1
    unrelated = requests.post(f"{base}/channels/social", headers=SOCIAL_GATEWAY, json={**post, "post_id": "2", "text": "cuaca cerah hari ini"},
                              timeout=5)
    assert unrelated.status_code == 400 and unrelated.json()["errors"][0]["code"] == "not_a_mention"


def test_manual_entry_by_a_liaison_records_officer_channel_and_resolution(start_services, service_config,
                                                                          mongo_client, rpc, demo_registry):
    urls = start_services(RoutingService)
    base = intake(start_services, service_config)
    rpc.routing.import_registry(demo_registry)
    liaison = issue_token(service_config, "lo-bll-pupr")
    admin = issue_token(service_config, "adm-buleleng")
    entry = {**make_report(), "original_channel": "letter", "received_on": make_report()["incident_date"],
             "resolution": {"answer": "Lubang sudah ditambal oleh Dinas PUPR pada hari Rabu.",
                            "resolved_at": datetime.now(timezone.utc).isoformat()}}
    assert requests.post(f"{base}/channels/manual", json=entry, timeout=5).status_code == 401
    forbidden = requests.post(f"{base}/channels/manual", json=entry, timeout=5,
                              headers={"Authorization": f"Bearer {admin}"})
    assert forbidden.status_code == 403
    response = requests.post(f"{base}/channels/manual", json=entry, timeout=5,
                             headers={"Authorization": f"Bearer {liaison}"})
    assert response.status_code == 201, response.text
    tracking_id = response.json()["tracking_id"]
    view = track(base, tracking_id)
    assert view["status"] == "answered" and view["channel"] == "manual"
    assert [h["step"] for h in view["history"]] == ["received", "resolved_by_unit"]
    db = db_of(mongo_client, service_config)
    assert db.reports.find_one({"_id": tracking_id})["source"]["entered_by"]["official_id"] == "lo-bll-pupr"
    event = db.outbox.find_one({"payload.tracking_id": tracking_id})["payload"]
    assert event["original_channel"] == "letter" and event["entered_by"] == "lo-bll-pupr"
    assert event["resolution"].startswith("Lubang sudah ditambal")
    wrong = requests.post(f"{base}/channels/manual", json={**entry, "original_channel": "pigeon"}, timeout=5,
                          headers={"Authorization": f"Bearer {liaison}"})
    assert wrong.status_code == 400 and wrong.json()["errors"][0]["field"] == "original_channel"
    assert urls["routing"]


def test_next_sms_from_the_same_phone_completes_the_draft(start_services, service_config, mongo_client):
    base = intake(start_services, service_config)
    phone = "+6281234000009"
    draft = requests.post(f"{base}/channels/sms", headers=SMS_GATEWAY, json={"message_id": "gw-101", "from": phone, "text": "Luwu rusak"},
                          timeout=5).json()
    assert draft["status"] == "incomplete" and "Balas SMS ini" in draft["reply"]
    other = requests.post(f"{base}/channels/sms", headers=SMS_GATEWAY, timeout=5, json={
        "message_id": "gw-102", "from": "+6281234000010", "text": "jembatan gantung di Belopa putus sejak kemarin sore"})
    assert other.json()["tracking_id"] != draft["tracking_id"]  # another phone: a report of its own
    done = requests.post(f"{base}/channels/sms", headers=SMS_GATEWAY, timeout=5, json={
        "message_id": "gw-103", "from": phone, "text": "jembatan gantung di Belopa putus sejak kemarin sore"})
    assert done.status_code == 200 and done.json()["tracking_id"] == draft["tracking_id"]
    assert "sudah lengkap" in done.json()["reply"] and len(done.json()["reply"]) <= 160
    again = requests.post(f"{base}/channels/sms", headers=SMS_GATEWAY, timeout=5, json={
        "message_id": "gw-103", "from": phone, "text": "jembatan gantung di Belopa putus sejak kemarin sore"})
    assert again.status_code == 200 and again.json()["tracking_id"] == draft["tracking_id"]
    db = db_of(mongo_client, service_config)
    stored = db.reports.find_one({"_id": draft["tracking_id"]})
    assert stored["status"] == "received" and stored["region_code"] == "7317"
    assert stored["description"] == "rusak jembatan gantung di Belopa putus sejak kemarin sore"
    assert db.reports.count_documents({}) == 2
    assert sorted(e["event_type"] for e in db.outbox.find({"payload.tracking_id": draft["tracking_id"]})) == [
        "report_draft_saved", "report_received"]

"""Web submissions on the real broker and store: drafts, completion, replays, limits, duplicates."""
import requests

from intake.service import IntakeService
from tests.conftest import ROOT
from tests.factories import make_report
from tests.integration.conftest import metric, track, wait_for

REGISTRY = str(ROOT / "deploy" / "demo" / "region.yml")


SMS_GATEWAY_SECRET, SOCIAL_GATEWAY_SECRET = "sms-gateway-test-secret-1", "social-bridge-test-secret-1"
GATEWAYS = f"sms:gw-test={SMS_GATEWAY_SECRET},social:bridge-test={SOCIAL_GATEWAY_SECRET}"
SMS_GATEWAY = {"Authorization": f"Bearer {SMS_GATEWAY_SECRET}"}
SOCIAL_GATEWAY = {"Authorization": f"Bearer {SOCIAL_GATEWAY_SECRET}"}


def intake(start_services, service_config, **settings):
    config = {**service_config, "REGISTRY_FILE": REGISTRY, "RATE_LIMIT_EXEMPT": "", "CHANNEL_GATEWAYS": GATEWAYS,
              **settings}
    return start_services(IntakeService, config=config)["intake"]


def outbox(mongo_client, service_config, tracking_id):
    db = mongo_client[f"{service_config['MONGODB_DATABASE_PREFIX']}intake"]
    return sorted(e["event_type"] for e in db.outbox.find({"payload.tracking_id": tracking_id}))


def test_draft_is_kept_then_completed_with_the_secret(start_services, service_config, mongo_client):
    base = intake(start_services, service_config)
    draft = make_report(description="Jalan rusak parah", location_text=None, category_code="sihir",
                        is_anonymous=True)
    del draft["incident_date"]
    response = requests.post(f"{base}/reports", json=draft, timeout=5)
    assert response.status_code == 202
    receipt = response.json()
    tracking_id, secret = receipt["tracking_id"], receipt["secret"]
    assert receipt["status"] == "incomplete"
    assert [(m["field"], m["code"]) for m in receipt["missing"]] == [
        ("description", "too_short"), ("location_text", "required"), ("incident_date", "required"),
        ("category_code", "unknown_category")]
    assert outbox(mongo_client, service_config, tracking_id) == ["report_draft_saved"]
    assert track(base, tracking_id)["status"] == "incomplete"

    url = f"{base}/reports/{tracking_id}"
    assert requests.patch(url, json={"secret": "AAAA-BBBB-CCCC", "location_text": "Jl. Pramuka"},
                          timeout=5).status_code == 403
    partial = requests.patch(url, json={"secret": secret, "location_text": "Jl. Pramuka, Singaraja",
                                        "category_code": "infrastruktur"}, timeout=5)
    assert partial.status_code == 202
    assert [m["field"] for m in partial.json()["missing"]] == ["description", "incident_date"]
    done = requests.patch(url, json={"secret": secret, "incident_date": make_report()["incident_date"],
                                     "description": make_report()["description"]}, timeout=5)
    assert done.status_code == 200 and done.json()["status"] == "received" and done.json()["missing"] == []
    assert outbox(mongo_client, service_config, tracking_id) == [
        "report_draft_saved", "report_draft_saved", "report_received"]
    received = mongo_client[f"{service_config['MONGODB_DATABASE_PREFIX']}intake"].outbox.find_one(
        {"payload.tracking_id": tracking_id, "event_type": "report_received"})["payload"]
    assert received["is_anonymous"] is True and received["location_text"] == "Jl. Pramuka, Singaraja"
    steps = [h["step"] for h in track(base, tracking_id)["history"]]
    assert steps == ["draft_saved", "draft_saved", "completed"]
    again = requests.patch(url, json={"secret": secret, "title": "Jalan rusak sekali"}, timeout=5)
    assert again.status_code == 409


def test_idempotency_key_returns_the_first_report_and_stores_nothing_new(start_services, service_config,
                                                                         mongo_client):
    base = intake(start_services, service_config)
    headers = {"Idempotency-Key": "web-form-7f3a"}
    report = make_report()
    first = requests.post(f"{base}/reports", json=report, headers=headers, timeout=5)
    replay = requests.post(f"{base}/reports", json=report, headers=headers, timeout=5)  # the client's resend
    assert first.status_code == 201 and replay.status_code == 200
    assert replay.json()["tracking_id"] == first.json()["tracking_id"] and "secret" not in replay.json()
    db = mongo_client[f"{service_config['MONGODB_DATABASE_PREFIX']}intake"]
    assert db.reports.count_documents({}) == 1 and db.outbox.count_documents({}) == 1
    # another client reusing the key for another report gets its own, not the first one's receipt
    other = requests.post(f"{base}/reports", json=make_report(title="Lain lagi"), headers=headers, timeout=5)
    assert other.status_code == 201 and other.json()["tracking_id"] != first.json()["tracking_id"]
    assert other.json()["secret"] and db.reports.count_documents({}) == 2
    bad = requests.post(f"{base}/reports", json=make_report(), headers={"Idempotency-Key": "a b"}, timeout=5)
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "Idempotency-Key"


LIMITED = 'lapor_intake_rate_limited_total{channel="web"}'
RECEIVED = 'lapor_intake_reports_received_total{channel="web",classification="complaint",completeness="complete"}'


def test_rate_limit_per_sender_answers_429_with_retry_after(start_services, service_config):
    base = intake(start_services, service_config, RATE_LIMIT_MAX=2, RATE_LIMIT_WINDOW_SECONDS=600)
    limited_before, received_before = metric(base, LIMITED), metric(base, RECEIVED)
    alice, bob = {"X-Forwarded-For": "203.0.113.7"}, {"X-Forwarded-For": "198.51.100.4"}
    codes = [requests.post(f"{base}/reports", json=make_report(), headers=alice, timeout=5).status_code
             for _ in range(3)]
    assert codes == [201, 201, 429]
    limited = requests.post(f"{base}/reports", json=make_report(), headers=alice, timeout=5)
    assert 0 < int(limited.headers["Retry-After"]) <= 2 * 600  # sliding window: the previous window weighs in
    assert requests.post(f"{base}/reports", json=make_report(), headers=bob, timeout=5).status_code == 201
    assert metric(base, LIMITED) - limited_before == 2
    assert metric(base, RECEIVED) - received_before == 3


def test_near_duplicate_is_linked_not_dropped(start_services, service_config, mongo_client):
    base = intake(start_services, service_config)
    first = requests.post(f"{base}/reports", json=make_report(), timeout=5).json()["tracking_id"]
    other = requests.post(f"{base}/reports", json=make_report(category_code="kesehatan"), timeout=5).json()
    second = requests.post(f"{base}/reports", json=make_report(), timeout=5).json()["tracking_id"]
    db = mongo_client[f"{service_config['MONGODB_DATABASE_PREFIX']}intake"]
    assert db.reports.find_one({"_id": second})["possible_duplicate_of"] == first
    assert db.reports.find_one({"_id": other["tracking_id"]})["possible_duplicate_of"] is None
    event = db.outbox.find_one({"payload.tracking_id": second})["payload"]
    assert event["possible_duplicate_of"] == first
    view = wait_for(lambda: track(base, second))
    assert [h["step"] for h in view["history"]] == ["received", "possible_duplicate"]
    assert first not in str(view)  # another report's ID is for the admins, not the public view


COMMITTED = 'lapor_store_transactions_total{outcome="committed",service="intake"}'
INSERTS = 'lapor_store_commands_total{command="insert",service="intake"}'


def test_store_work_is_counted_per_service_from_command_monitoring(start_services, service_config):
    base = intake(start_services, service_config)
    committed_before, inserts_before = metric(base, COMMITTED), metric(base, INSERTS)
    assert requests.post(f"{base}/reports", json=make_report(), timeout=5).status_code == 201
    # one transaction: the report and its outbox entry (two inserts) committed together
    assert metric(base, COMMITTED) - committed_before == 1
    assert metric(base, INSERTS) - inserts_before == 2


def test_concurrent_submissions_share_one_commit_and_one_idempotency_key_keeps_one_report(
        start_services, service_config, mongo_client):
    """Group commit (issue 12): four POSTs at once are committed together; two of them carry the same
    Idempotency-Key and body, so they land in the same group: one report, the resend its replay."""
    import eventlet
    base = intake(start_services, service_config, GROUP_COMMIT_MAX_SIZE=4, GROUP_COMMIT_MAX_WAIT_SECONDS=5,
                      GROUP_COMMIT_CONCURRENCY=1)
    committed_before = metric(base, COMMITTED)
    same, key = make_report(title="Sama persis judulnya"), {"Idempotency-Key": "group-commit-41c2"}
    posts = [(make_report(title="Laporan pertama"), {}), (same, key), (same, key), (make_report(title="Laporan kedua"), {})]
    pool = eventlet.GreenPool()
    answers = list(pool.imap(lambda p: requests.post(f"{base}/reports", json=p[0], headers=p[1], timeout=30), posts))
    codes = [a.status_code for a in answers]
    assert codes[0] == codes[3] == 201 and sorted(codes[1:3]) == [200, 201], [a.text for a in answers]
    assert answers[1].json()["tracking_id"] == answers[2].json()["tracking_id"]
    db = mongo_client[f"{service_config['MONGODB_DATABASE_PREFIX']}intake"]
    assert db.reports.count_documents({}) == 3 and db.outbox.count_documents({}) == 3
    # three reports, one commit (the resend's own try, alone after the group, found the key and rolled back)
    assert metric(base, COMMITTED) - committed_before == 1


def test_near_duplicates_committed_in_one_group_are_linked_to_each_other(start_services, service_config, mongo_client):
    """Three similar reports about one road, at once, committed in one group: the group's near-duplicate
    candidates are read once for all of them, and each but the first is linked to an earlier one of
    the group (the group's own reports were not seen: their candidates are written at the commit)."""
    import eventlet
    base = intake(start_services, service_config, GROUP_COMMIT_MAX_SIZE=3, GROUP_COMMIT_MAX_WAIT_SECONDS=5,
                  GROUP_COMMIT_CONCURRENCY=1, RATE_LIMIT_EXEMPT="127.0.0.1,::1")
    committed_before = metric(base, COMMITTED)
    road = "Jalan Raya Seririt berlubang besar di depan pasar, membahayakan pengendara motor"
    reports = [make_report(title=f"Jalan berlubang {i}", description=f"{road} sejak minggu lalu") for i in range(3)]
    answers = list(eventlet.GreenPool().imap(
        lambda report: requests.post(f"{base}/reports", json=report, timeout=30), reports))
    assert [a.status_code for a in answers] == [201] * 3, [a.text for a in answers]
    assert metric(base, COMMITTED) - committed_before == 1  # one group
    db = mongo_client[f"{service_config['MONGODB_DATABASE_PREFIX']}intake"]
    ids = [a.json()["tracking_id"] for a in answers]
    links = {i: db.reports.find_one({"_id": i})["possible_duplicate_of"] for i in ids}
    assert sorted(link is None for link in links.values()) == [False, False, True], links
    assert all(link in ids for link in links.values() if link)

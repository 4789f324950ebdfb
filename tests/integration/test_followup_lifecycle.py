"""A report's whole follow-up on the real broker and store: from submission through intake and
routing to a conversation, a rated closure and a reopening, with officials' tokens and the
reporter's tracking ID + secret (checked by intake.verify_reporter)."""
import requests
from nameko.standalone.events import event_dispatcher

from contract import events
from intake.service import IntakeService
from routing.service import RoutingService
from tests.factories import make_report
from tests.integration import test_followup_support as support
from tests.integration.conftest import wait_for
from tests.integration.test_followup_support import dispositioned, emitted, followup_db, handled, received, utc
from tests.credentials import bearer

start_followup = support.start_followup  # the fixture


def codes(response):
    return [(e["field"], e["code"]) for e in response.json()["errors"]]


def test_report_from_submission_to_rated_closure_and_reopening(
        start_services, start_followup, rpc, service_config, mongo_client, demo_registry):
    config = {**service_config, "AUTH_CACHE_SECONDS": 0}
    urls = start_services(IntakeService, RoutingService, config=config)
    rpc.routing.import_registry(demo_registry)
    base = start_followup()[0]
    clock, followup = start_followup.clock, start_followup.containers[0]
    # the only report: intake -> routing -> follow-up, whose consumer opens the case on the disposition
    with handled(followup, event=events.REPORT_DISPOSITIONED):
        receipt = requests.post(f"{urls['intake']}/reports", json=make_report(), timeout=5).json()
    tracking_id, secret = receipt["tracking_id"], receipt["secret"]
    case = rpc.followup.case_for_report(tracking_id)
    assert case
    assert (case["unit_code"], case["stage"], case["indicator"]) == ("BLL-PUPR", "follow_up", "green")

    liaison, other = bearer(service_config, "lo-bll-pupr"), bearer(service_config, "lo-bll-dinkes")
    update = {"body": "Tim sudah meninjau lokasi; perbaikan dijadwalkan.",
              "attachments": [{"name": "foto.jpg", "url": "https://files.example.go.id/foto.jpg"}]}
    assert requests.post(f"{base}/cases/{tracking_id}/updates", json=update, timeout=5).status_code == 401
    assert requests.post(f"{base}/cases/{tracking_id}/updates", json=update, headers=other, timeout=5).status_code == 403
    clock.now = utc(2026, 11, 17, 3)
    posted = requests.post(f"{base}/cases/{tracking_id}/updates", json=update, headers=liaison, timeout=5)
    assert posted.status_code == 201 and posted.json()["attachments"][0]["name"] == "foto.jpg"

    clock.now = utc(2026, 11, 17, 5)
    wrong = requests.post(f"{base}/cases/{tracking_id}/replies", json={"secret": "WRONG-SECRET", "body": "x"}, timeout=5)
    assert wrong.status_code == 403 and codes(wrong) == [("secret", "invalid_secret")]
    reply = requests.post(f"{base}/cases/{tracking_id}/replies", json={"secret": secret, "body": "Terima kasih."},
                          timeout=5)
    assert reply.status_code == 201 and reply.json()["author_role"] == "reporter"
    early = requests.post(f"{base}/cases/{tracking_id}/rating", json={"secret": secret, "rating": 5}, timeout=5)
    assert early.status_code == 409 and codes(early) == [("rating", "not_answered")]

    clock.now = utc(2026, 11, 18, 3)
    answer = {"body": "Jalan sudah ditambal pada 18 November.", "attachments": []}
    not_yet = requests.post(f"{base}/cases/{tracking_id}/answer", json=answer, headers=liaison, timeout=5)
    assert not_yet.status_code == 409 and codes(not_yet) == [(None, "not_in_liaison_hands")]
    with handled(followup, event=events.REPORT_VERIFIED, tracking_id=tracking_id):
        verified = requests.post(f"{urls['routing']}/admin/reports/{tracking_id}/verify", json={}, headers=liaison,
                                 timeout=5)
        assert verified.status_code == 200, verified.text
    assert rpc.followup.case_for_report(tracking_id)["verified_at_unit"]
    assert requests.post(f"{base}/cases/{tracking_id}/answer", json=answer, headers=liaison, timeout=5).status_code == 201
    again = requests.post(f"{base}/cases/{tracking_id}/answer", json=answer, headers=liaison, timeout=5)
    assert again.status_code == 409 and codes(again) == [(None, "not_open")]
    thread = requests.get(f"{base}/cases/{tracking_id}/messages", headers={"X-Reporter-Secret": secret}, timeout=5)
    assert [m["kind"] for m in thread.json()["messages"]] == ["update", "reply", "answer"]

    out_of_range = requests.post(f"{base}/cases/{tracking_id}/rating", json={"secret": secret, "rating": 7}, timeout=5)
    assert out_of_range.status_code == 400 and codes(out_of_range) == [("rating", "range")]
    rated = requests.post(f"{base}/cases/{tracking_id}/rating",
                          json={"secret": secret, "rating": 2, "comment": "Tambalan sudah rusak lagi"}, timeout=5)
    assert rated.status_code == 200 and rated.json()["status"] == "closed" and rated.json()["rating"] == 2
    assert rated.json()["indicator"] == "closed_on_time"
    twice = requests.post(f"{base}/cases/{tracking_id}/rating", json={"secret": secret, "rating": 3}, timeout=5)
    assert twice.status_code == 409

    clock.now = utc(2026, 11, 19, 3)
    reopened = requests.post(f"{base}/cases/{tracking_id}/reopen",
                             json={"secret": secret, "reason": "Jalan berlubang lagi"}, timeout=5)
    assert reopened.status_code == 200 and reopened.json()["status"] == "open"
    assert reopened.json()["due_at"] == "2026-11-26T23:59:59+08:00" and reopened.json()["reopen_count"] == 1

    tallies = rpc.followup.summary({"unit_code": "BLL-PUPR"})["counts"]
    assert tallies == rpc.followup.summary({"unit_code": "BLL-PUPR"}, True)["counts"]
    assert (tallies["green"], tallies["closed_on_time"]) == (1, 0)  # reopened: open again, not counted twice
    view = requests.get(f"{base}/cases/{tracking_id}", headers={"Accept-Language": "en"}, timeout=5).json()
    assert [h["step"] for h in view["history"]] == [
        "case_opened", "case_updated", "reporter_replied", "report_verified", "case_answered", "case_rated",
        "case_closed", "case_reopened"]
    assert view["history"][-1]["label"] == "Follow-up reopened" and "body" not in str(view)
    db = followup_db(mongo_client, service_config)
    assert emitted(db, tracking_id) == ["case_opened", "case_updated", "reporter_replied", "case_opened",
                                        "case_answered", "case_rated", "case_closed", "case_reopened"]
    metrics = requests.get(f"{base}/metrics", timeout=5).text
    assert 'lapor_followup_cases_reopened_total{agency="PEMKAB-BULELENG"}' in metrics
    assert 'lapor_followup_first_response_seconds_count{agency="PEMKAB-BULELENG"}' in metrics


def test_unknown_case_and_bad_tracking_id_answer_in_the_error_format(start_followup, start_services):
    base = start_followup()[0]
    reopening = {"secret": "abcd", "reason": "tidak puas"}
    # no case here: followup asks intake whether another hub holds the report; intake is not there
    # (its RPC queue unknown to the broker): a 503 to try again, not a 500
    absent = requests.post(f"{base}/cases/ID-00000-00000/reopen", json=reopening, timeout=15)
    assert absent.status_code == 503 and absent.headers.get("Retry-After"), absent.text
    assert absent.json()["errors"][0]["code"] == "unavailable"
    start_services(IntakeService)
    missing, = wait_for(lambda: (r := requests.post(f"{base}/cases/ID-00000-00000/reopen", json=reopening,
                                                    timeout=15)).status_code != 503 and [r], timeout=30)
    assert missing.status_code == 404 and missing.json()["errors"][0]["field"] == "tracking_id", missing.text
    bad = requests.get(f"{base}/cases/not-a-ticket", timeout=5)
    assert bad.status_code == 400 and codes(bad) == [("tracking_id", "invalid")]


def test_public_comments_are_moderated_and_kept(start_services, start_followup, rpc, service_config, demo_registry):
    urls = start_services(RoutingService, config={**service_config, "AUTH_CACHE_SECONDS": 0})
    rpc.routing.import_registry(demo_registry)
    base = start_followup()[0]
    dispatch = event_dispatcher(service_config)
    public, secret_report = dispositioned(), dispositioned()
    sent = [(received(opening["tracking_id"], confidential), opening)
            for opening, confidential in ((public, False), (secret_report, True))]
    with handled(start_followup.containers[0], *[event for pair in sent for event in pair]):
        for facts, opening in sent:
            dispatch("intake", events.REPORT_RECEIVED, facts)
            dispatch("routing", events.REPORT_DISPOSITIONED, opening)
    tid = public["tracking_id"]
    assert requests.get(f"{base}/cases/{tid}/comments", timeout=5).status_code == 200
    posted = requests.post(f"{base}/cases/{tid}/comments", json={"name": "Warga", "body": "Lubangnya makin besar"},
                           timeout=5)
    assert posted.status_code == 201
    comment_id = posted.json()["comment_id"]
    blocked = requests.post(f"{base}/cases/{secret_report['tracking_id']}/comments", json={"body": "halo"}, timeout=5)
    assert blocked.status_code == 409 and codes(blocked) == [(None, "comments_not_allowed")]

    hide_url = f"{base}/cases/{tid}/comments/{comment_id}/hide"
    assert requests.post(hide_url, json={"reason": "Mengandung SARA"}, headers=bearer(service_config, "lo-lwu-pupr"),
                         timeout=5).status_code == 403
    assert codes(requests.post(hide_url, json={}, headers=bearer(service_config, "adm-buleleng"), timeout=5)) == [
        ("reason", "required")]
    hidden = requests.post(hide_url, json={"reason": "Mengandung SARA"}, headers=bearer(service_config, "adm-buleleng"), timeout=5)
    assert hidden.status_code == 200 and hidden.json()["hidden"] is True
    assert requests.post(hide_url, json={"reason": "lagi"}, headers=bearer(service_config, "adm-buleleng"),
                         timeout=5).status_code == 409
    shown = requests.get(f"{base}/cases/{tid}/comments", timeout=5).json()["comments"]
    assert shown == [{"comment_id": comment_id, "name": None, "body": None, "at": shown[0]["at"], "hidden": True,
                      "hidden_reason": "Mengandung SARA"}]
    assert urls  # routing served the tokens


def test_manual_entry_already_resolved_opens_answered(start_followup, rpc, service_config, mongo_client):
    start_followup()
    dispatch = event_dispatcher(service_config)
    opening = dispositioned(channel="manual", queue="agency", unit_code=None, automatic=False)
    tracking_id = opening["tracking_id"]
    entry = events.build(events.REPORT_RECEIVED, hub="ID", tracking_id=tracking_id, origin_hub="ID", target_hub="ID",
                         channel="manual", classification="complaint", category_code="infrastruktur",
                         region_code="5108", title="Lampu jalan mati", description="Dilaporkan lewat telepon.",
                         is_anonymous=False, is_confidential=False, reporter_ref="rpt_test",
                         received_at=utc(2026, 11, 13, 2), entered_by="lo-bll-pupr",
                         resolution="Lampu sudah diganti petugas.", resolved_at=utc(2026, 11, 14, 2))["payload"]
    db = followup_db(mongo_client, service_config)
    with handled(start_followup.containers[0], entry, opening):
        dispatch("intake", events.REPORT_RECEIVED, entry)
        dispatch("routing", events.REPORT_DISPOSITIONED, opening)
    case = rpc.followup.case_for_report(tracking_id)
    assert (case["status"], case["indicator"]) == ("answered", "closed_on_time")
    assert case["sla_policy_id"] == "default"  # no policy file in this config: defaults
    assert emitted(db, tracking_id) == ["case_opened", "case_answered"]
    assert db.messages.find_one({"tracking_id": tracking_id})["body"] == "Lampu sudah diganti petugas."

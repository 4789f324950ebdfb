"""Personal data has a lifetime (issue 20), on the real broker and store with every service: a
reporter's identity is erased after the retention (the sweep, report closed by the real follow-up)
and on the reporter's request (the secret); afterwards no database of the hub holds the canary
contact values, assessment's KPIs and public statistics are what they were, the privacy audit has
one entry per erasure, the metric counts them, no message reaches the erased reporter, and the
data-subject export is the admins' (audited) and refused to the next role down."""
import json
from datetime import datetime, timedelta, timezone

import requests

from contract import events
from tests.credentials import bearer
from tests.factories import make_report
from tests.integration.conftest import ALL_SERVICES, handled, track, wait_for
from tests.integration.conftest_notification import *  # noqa: F403  (fixtures: smtp, notification_config, ...)
from tests.integration.conftest_notification import metric

CLOSED = {"name": "Komang Kanari Tutup", "email": "kanari.tutup@example.net", "phone": "+6281355550101"}
ASKED = {"name": "Ketut Kanari Minta", "email": "kanari.minta@example.net", "phone": "+6281355550202"}
CANARIES = [v for person in (CLOSED, ASKED) for v in person.values()] + ["6281355550101", "6281355550202"]


def _documents(client, database: str) -> str:
    db = client[database]
    return "\n".join(json.dumps(doc, default=str, ensure_ascii=False)
                     for name in db.list_collection_names() for doc in db[name].find())


def _statistics(rpc, urls) -> dict:
    year = str(datetime.now(timezone.utc).year)
    return {"kpis": {by: rpc.assessment.kpis(year, by) for by in ("all", "agency", "category")},
            "public": rpc.assessment.public_stats(year), "counts": rpc.assessment.counts(),
            "public_counts": requests.get(f"{urls['assessment']}/stats/counts", timeout=5).json()}


def _closed_by_the_real_follow_up(urls, containers, config, tracking_id, secret):
    liaison = bearer(config, "lo-bll-pupr")
    # then the liaison may answer
    with handled(containers["followup"], event=events.REPORT_VERIFIED, tracking_id=tracking_id):
        verified = requests.post(f"{urls['routing']}/admin/reports/{tracking_id}/verify", json={}, headers=liaison,
                                 timeout=5)
        assert verified.status_code == 200, verified.text
    answer = {"body": "Jalan sudah ditambal.", "attachments": []}
    assert requests.post(f"{urls['followup']}/cases/{tracking_id}/answer", json=answer, headers=liaison,
                         timeout=5).status_code == 201
    # intake's tracking view records it
    with handled(containers["intake"], event=events.CASE_CLOSED, tracking_id=tracking_id):
        rated = requests.post(f"{urls['followup']}/cases/{tracking_id}/rating", json={"secret": secret, "rating": 4},
                              timeout=5)
        assert rated.status_code == 200 and rated.json()["status"] == "closed"
    assert track(urls["intake"], tracking_id)["status"] == "closed"


def test_erasure_by_retention_and_by_request_leaves_no_contact_and_the_statistics_as_they_were(
        notification_config, start_services, rpc, demo_registry, smtp, mongo_client):
    config = {**notification_config, "PERSONAL_DATA_RETENTION_DAYS": 1, "PERSONAL_DATA_SWEEP_SECONDS": 0.2}
    urls = start_services(*ALL_SERVICES, config=config)
    rpc.routing.import_registry(demo_registry)
    containers = start_services.containers
    filed = {}
    # the only two reports: follow-up opens each one's case when it handles its disposition
    with handled(containers["followup"], event=events.REPORT_DISPOSITIONED, count=2):
        for key, person in (("closed", CLOSED), ("asked", ASKED)):
            answer = requests.post(f"{urls['intake']}/reports", json=make_report(reporter=person), timeout=5).json()
            filed[key] = (answer["tracking_id"], answer["secret"])
    for tracking_id, _ in filed.values():
        assert rpc.followup.case_for_report(tracking_id)
    _closed_by_the_real_follow_up(urls, containers, notification_config, *filed["closed"])
    for tracking_id, _ in filed.values():  # every message so far sent: the reporters got their receipts
        wait_for(lambda: all(n["status"] == "sent" for n in rpc.notification.for_report(tracking_id)), timeout=20)
    assert smtp.to(CLOSED["email"]) and smtp.to(ASKED["email"])
    wait_for(lambda: rpc.assessment.health()["kpi_journal_pending"] == 0, timeout=15)
    before = _statistics(rpc, urls)
    prefix = notification_config["MONGODB_DATABASE_PREFIX"]
    intake_db = mongo_client[f"{prefix}intake"]
    assert CLOSED["email"] in _documents(mongo_client, f"{prefix}intake")  # the scan sees a contact where it is
    mails_at_erasure = len(smtp.to(ASKED["email"]))

    # on request: the reporter, with the secret
    asked_id, asked_secret = filed["asked"]
    wrong = requests.post(f"{urls['intake']}/reports/{asked_id}/erasure", json={"secret": "WRON-GSEC-RET1"}, timeout=5)
    assert wrong.status_code == 403 and wrong.json()["errors"][0]["field"] == "secret"
    erased = requests.post(f"{urls['intake']}/reports/{asked_id}/erasure", json={"secret": asked_secret}, timeout=5)
    assert erased.status_code == 200 and erased.json()["reason"] == "request" and erased.json()["already"] is False
    # after the retention: the report closed two days ago (the store's clock moved back), the sweep erases it
    closed_id, _ = filed["closed"]
    intake_db.reports.update_one({"_id": closed_id}, {"$set": {
        "updated_at": datetime.now(timezone.utc) - timedelta(days=2)}})
    wait_for(lambda: intake_db.reports.find_one({"_id": closed_id})["reporter"] == {}, timeout=10)

    assert _statistics(rpc, urls) == before
    audit = {e["tracking_id"]: e for e in intake_db.privacy_audit.find({"action": "erased"})}
    assert (audit[closed_id]["reason"], audit[closed_id]["actor"]) == ("retention", "system")
    assert (audit[asked_id]["reason"], audit[asked_id]["actor"]) == ("request", "reporter")
    intake_metrics = requests.get(f"{urls['intake']}/metrics", timeout=5).text
    for reason in ("retention", "request"):
        assert metric(intake_metrics, "lapor_personal_data_erasures_total", reason=reason) >= 1
    for tracking_id, _ in filed.values():  # the report and its public text stay
        view = track(urls["intake"], tracking_id)
        assert view["title"] and view["history"][0]["step"] == "received"

    # the erased reporter gets nothing more: a liaison's update is queued for them and withheld
    update = {"body": "Perbaikan dijadwalkan minggu depan.", "attachments": []}
    posted = requests.post(f"{urls['followup']}/cases/{asked_id}/updates", json=update,
                           headers=bearer(notification_config, "lo-bll-pupr"), timeout=5)
    assert posted.status_code == 201
    withheld = wait_for(lambda: [n for n in rpc.notification.for_report(asked_id)
                                 if n["recipient_kind"] == "reporter" and n["status"] == "withheld"], timeout=15)
    assert withheld and len(smtp.to(ASKED["email"])) == mails_at_erasure

    # the data-subject export: national admin and the report's agency admin; not the next role down.
    # Before the erasure (a report filed now): the contact values only with the reporter's secret
    fresh = requests.post(f"{urls['intake']}/reports", json=make_report(reporter=CLOSED), timeout=5).json()
    plain = requests.get(f"{urls['intake']}/reports/{fresh['tracking_id']}/personal-data",
                         headers=bearer(notification_config, "nas-admin-1"), timeout=5)
    assert plain.status_code == 200 and CLOSED["email"] not in plain.text
    asked = requests.get(f"{urls['intake']}/reports/{fresh['tracking_id']}/personal-data", timeout=5, headers={
        **bearer(notification_config, "nas-admin-1"), "X-Reporter-Secret": fresh["secret"]})
    assert asked.json()["contacts"]["email"] == CLOSED["email"]
    requests.post(f"{urls['intake']}/reports/{fresh['tracking_id']}/erasure", json={"secret": fresh["secret"]},
                  timeout=5)

    exports = {who: requests.get(f"{urls['intake']}/reports/{closed_id}/personal-data",
                                 headers=bearer(notification_config, who), timeout=5)
               for who in ("nas-admin-1", "adm-buleleng", "adm-luwu", "lo-bll-pupr", "spv-buleleng")}
    assert {who: r.status_code for who, r in exports.items()} == {
        "nas-admin-1": 200, "adm-buleleng": 200, "adm-luwu": 403, "lo-bll-pupr": 403, "spv-buleleng": 403}
    export = exports["nas-admin-1"].json()
    assert export["contacts"]["erasure_reason"] == "retention" and export["notifications"]
    assert [e["action"] for e in export["privacy_audit"]] == ["erased", "exported"]
    assert intake_db.privacy_audit.count_documents({"tracking_id": closed_id, "action": "exported"}) == 2

    databases = [d for d in mongo_client.list_database_names() if d.startswith(prefix)]
    assert len(databases) >= 5
    held = {d: [c for c in CANARIES if c in _documents(mongo_client, d)] for d in databases}
    assert held == {d: [] for d in databases}

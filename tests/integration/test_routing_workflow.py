"""The tiered workflow over HTTP, on the real broker and store: national -> agency -> unit."""
from datetime import date, timedelta

import pytest
import requests
from nameko.standalone.events import event_dispatcher

from contract import events
from routing.service import RoutingService
from tests.integration.conftest import handled
from tests.unit.routing.factories import received_event
from tests.credentials import issue_token


@pytest.fixture
def desk(start_services, rpc, demo_registry, service_config, mongo_client):
    """Routing with the demo registry, fed report_received events as intake sends them;
    helpers to act as officials over HTTP."""
    urls = start_services(RoutingService)
    container = start_services.containers["routing"]
    rpc.routing.import_registry(demo_registry)
    tokens = {}
    db = mongo_client[service_config["MONGODB_DATABASE_PREFIX"] + "routing"]
    dispatch = event_dispatcher(service_config)

    class Desk:
        routing = urls["routing"]
        outbox = db.outbox

        @staticmethod
        def submit(**overrides):
            payload = received_event(**overrides)
            with handled(container, payload):
                dispatch("intake", events.REPORT_RECEIVED, payload)
            assert rpc.routing.disposition(payload["tracking_id"])
            return payload["tracking_id"]

        @staticmethod
        def headers(official):
            if official not in tokens:
                tokens[official] = issue_token(service_config, official)
            return {"Authorization": f"Bearer {tokens[official]}"}

        @classmethod
        def get(cls, official, path, **params):
            return requests.get(f"{urls['routing']}{path}", params=params, headers=cls.headers(official), timeout=5)

        @classmethod
        def act(cls, official, tracking_id, action, **body):
            return requests.post(f"{urls['routing']}/admin/reports/{tracking_id}/{action}", json=body,
                                 headers=cls.headers(official), timeout=5)

    return Desk


def ok(response, status=200):
    assert response.status_code == status, response.text
    return response.json()


def test_national_to_agency_to_unit_returned_and_redispositioned(desk):
    tracking_id = desk.submit(region_code="7371", category_code="kesehatan")  # no rule: national triage
    report = ok(desk.get("nas-admin-1", f"/admin/reports/{tracking_id.lower()}"))  # as an official types it
    assert (report["queue"], report["status"], report["allowed_actions"]) == (
        "national_triage", "new", ["verify", "postpone", "archive"])

    ok(desk.act("nas-admin-1", tracking_id, "verify", version=report["version"]))
    ok(desk.act("nas-admin-1", tracking_id, "disposition", agency_code="PEMKAB-BULELENG",
                reason="Lokasi sebenarnya di Singaraja"))
    assert desk.get("nas-admin-1", f"/admin/reports/{tracking_id}").json()["allowed_actions"] == []
    ok(desk.act("adm-buleleng", tracking_id, "verify"))
    ok(desk.act("adm-buleleng", tracking_id, "disposition", unit_code="BLL-DINKES"))
    ok(desk.act("lo-bll-dinkes", tracking_id, "verify"))
    returned = ok(desk.act("lo-bll-dinkes", tracking_id, "return", reason="Bukan wewenang Dinkes: jalan rusak"))
    assert (returned["queue"], returned["agency_code"], returned["unit_code"], returned["status"]) == (
        "agency", "PEMKAB-BULELENG", None, "returned")
    assert desk.get("lo-bll-dinkes", f"/admin/reports/{tracking_id}").status_code == 404  # no longer theirs
    final = ok(desk.act("adm-buleleng", tracking_id, "redisposition", unit_code="BLL-PUPR"))
    assert (final["queue"], final["unit_code"], final["status"]) == ("unit", "BLL-PUPR", "new")

    trail = [(h["action"], h["actor"], h["actor_role"], h["from"] and h["from"]["queue"], h["to"]["queue"])
             for h in final["history"]]
    assert trail == [
        ("route", "system", "system", None, "national_triage"),
        ("verify", "nas-admin-1", "national_admin", "national_triage", "national_triage"),
        ("disposition", "nas-admin-1", "national_admin", "national_triage", "agency"),
        ("verify", "adm-buleleng", "agency_admin", "agency", "agency"),
        ("disposition", "adm-buleleng", "agency_admin", "agency", "unit"),
        ("verify", "lo-bll-dinkes", "liaison", "unit", "unit"),
        ("return", "lo-bll-dinkes", "liaison", "unit", "agency"),
        ("redisposition", "adm-buleleng", "agency_admin", "agency", "unit"),
    ]
    assert final["history"][6]["reason"] == "Bukan wewenang Dinkes: jalan rusak"
    assert [h["seq"] for h in final["history"]] == list(range(1, 9)) and final["version"] == 8
    assert all(h["at"] for h in final["history"])

    staged = [(e["event_type"], e["payload"]) for e in desk.outbox.find({"payload.tracking_id": tracking_id})
              .sort("created_at", 1)]
    assert [t for t, _ in staged] == [
        events.REPORT_DISPOSITIONED, events.REPORT_VERIFIED, events.REPORT_DISPOSITIONED, events.REPORT_VERIFIED,
        events.REPORT_DISPOSITIONED, events.REPORT_VERIFIED, events.REPORT_RETURNED, events.REPORT_DISPOSITIONED]
    for event_type, payload in staged:
        events.load(event_type, payload)  # every payload keeps the contract
    returned_event = events.load(*staged[6])
    assert (returned_event["from_unit_code"], returned_event["queue"], returned_event["actor_role"]) == (
        "BLL-DINKES", "agency", "liaison")


def test_action_outside_the_state_answers_409_with_allowed_actions(desk):
    tracking_id = desk.submit(region_code="7371")
    again = ok(desk.act("nas-admin-1", tracking_id, "verify"))
    conflict = desk.act("nas-admin-1", tracking_id, "verify")
    assert conflict.status_code == 409
    body = conflict.json()
    assert body["allowed_actions"] == ["postpone", "disposition", "archive"]
    assert body["errors"][0]["field"] == "action" and body["errors"][0]["code"] == "conflict"
    assert body["errors"][0]["message_id"]
    returning = desk.act("nas-admin-1", tracking_id, "return", reason="Tidak ada tingkat di atas")
    assert returning.status_code == 409 and "return" not in returning.json()["allowed_actions"]

    stale = desk.act("nas-admin-1", tracking_id, "archive", reason="Laporan ganda", version=again["version"] - 1)
    assert stale.status_code == 409 and stale.json()["errors"][0]["code"] == "stale"
    assert desk.get("nas-admin-1", f"/admin/reports/{tracking_id}").json()["version"] == again["version"]


def test_postpone_archive_and_return_to_a_named_agency(desk):
    tracking_id = desk.submit(region_code="5108", category_code="infrastruktur")  # rule: BLL-PUPR at once
    past = desk.act("lo-bll-pupr", tracking_id, "postpone", until=date.today().isoformat())
    assert past.status_code == 400 and past.json()["errors"][0]["field"] == "until"
    until = (date.today() + timedelta(days=7)).isoformat()
    postponed = ok(desk.act("lo-bll-pupr", tracking_id, "postpone", until=until, reason="Menunggu survei lapangan"))
    assert postponed["status"] == "postponed" and postponed["postponed_until"].startswith(until)
    assert postponed["allowed_actions"] == ["verify", "return", "archive"]
    missing = desk.act("lo-bll-pupr", tracking_id, "return")
    assert missing.status_code == 400 and missing.json()["errors"][0] == {
        "field": "reason", "code": "required", "message": "Missing data for required field.",
        "message_id": "Kolom ini wajib diisi."}
    unknown = desk.act("lo-bll-pupr", tracking_id, "return", reason="Jalan nasional", agency_code="NOPE")
    assert unknown.status_code == 404 and unknown.json()["errors"][0]["field"] == "agency_code"
    moved = ok(desk.act("lo-bll-pupr", tracking_id, "return", reason="Jalan nasional, wewenang Kementerian PUPR",
                        agency_code="KEMENPUPR"))
    assert (moved["queue"], moved["agency_code"], moved["status"]) == ("agency", "KEMENPUPR", "returned")
    archived = ok(desk.act("adm-kemenpupr", tracking_id, "archive", reason="Sudah ditangani lewat kanal lain"))
    assert (archived["queue"], archived["status"], archived["allowed_actions"]) == ("archive", "archived", [])
    assert desk.act("adm-kemenpupr", tracking_id, "verify").status_code == 403  # no longer in a queue of theirs
    kinds = [e["event_type"] for e in desk.outbox.find({"payload.tracking_id": tracking_id}).sort("created_at", 1)]
    assert kinds == [events.REPORT_DISPOSITIONED, events.REPORT_POSTPONED, events.REPORT_RETURNED,
                     events.REPORT_ARCHIVED]


def test_inbox_filters_paginates_and_counts(desk):
    ids = [desk.submit(region_code="7371", category_code=c) for c in ("kesehatan", "kesehatan", "pendidikan")]
    ok(desk.act("nas-admin-1", ids[0], "verify"))
    first = ok(desk.get("nas-admin-1", "/admin/inbox", per_page=2))
    assert first["total"] == 3 and len(first["items"]) == 2 and first["counts"] == {"new": 2, "verified": 1}
    second = ok(desk.get("nas-admin-1", "/admin/inbox", per_page=2, page=2))
    assert {i["tracking_id"] for i in first["items"] + second["items"]} == set(ids)
    assert [i["tracking_id"] for i in ok(desk.get("nas-admin-1", "/admin/inbox", status="verified"))["items"]] == ids[:1]
    health = ok(desk.get("nas-admin-1", "/admin/inbox", category_code="pendidikan"))
    assert [i["tracking_id"] for i in health["items"]] == ids[2:]
    assert ok(desk.get("nas-admin-1", "/admin/inbox", indicator="green"))["total"] == 3
    assert ok(desk.get("nas-admin-1", "/admin/inbox", indicator="red"))["total"] == 0
    assert ok(desk.get("nas-admin-1", "/admin/inbox", min_age_days=1))["total"] == 0
    assert ok(desk.get("nas-admin-1", "/admin/inbox", max_age_days=1))["total"] == 3
    unknown = desk.get("nas-admin-1", "/admin/inbox", category_code="sihir")
    assert unknown.status_code == 400 and unknown.json()["errors"][0]["field"] == "category_code"
    bad = desk.get("nas-admin-1", "/admin/inbox", status="lost", per_page=1000)
    assert bad.status_code == 400
    assert {(e["field"], e["code"]) for e in bad.json()["errors"]} == {("status", "not_allowed"),
                                                                       ("per_page", "range")}
    assert all("reporter_ref" not in i and "reporter" not in i for i in first["items"])


def test_metrics_count_decisions_actions_and_queues(desk):
    tracking_id = desk.submit(region_code="7371")
    ok(desk.act("nas-admin-1", tracking_id, "verify"))
    text = requests.get(f"{desk.routing}/metrics", timeout=5).text
    assert 'lapor_routing_decisions_total{outcome="national_triage"}' in text
    assert 'lapor_routing_actions_total{action="verify",role="national_admin"}' in text
    assert 'lapor_routing_queue_reports{queue="national_triage"} 1.0' in text


def test_concurrent_duplicate_actions_apply_once(desk):
    import eventlet
    tracking_id = desk.submit(region_code="7371")
    desk.headers("nas-admin-1")  # issue the token before the race
    pool = eventlet.GreenPool()
    answers = list(pool.imap(lambda _: desk.act("nas-admin-1", tracking_id, "verify"), range(6)))
    codes = sorted(a.status_code for a in answers)
    assert codes == [200, 409, 409, 409, 409, 409]
    assert {a.json()["errors"][0]["code"] for a in answers if a.status_code == 409} <= {"conflict", "stale"}
    history = ok(desk.get("nas-admin-1", f"/admin/reports/{tracking_id}"))["history"]
    assert [h["action"] for h in history] == ["route", "verify"]
    assert desk.outbox.count_documents({"payload.tracking_id": tracking_id, "event_type": "report_verified"}) == 1

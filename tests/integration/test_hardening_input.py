"""Hostile input at intake (issue 13): 4xx in the error format, never a 5xx; Open311 reads as a client expects."""
import requests

from tests.factories import make_report
from tests.integration.test_intake_open311 import KEY, POST, base_url
from tests.integration.test_intake_submission import SMS_GATEWAY, SOCIAL_GATEWAY, intake
from tests.credentials import issue_token

DEEP = ("[" * 1000 + "]" * 1000).encode()


def test_deeply_nested_json_is_a_400_naming_the_problem(start_services, service_config):
    base = intake(start_services, service_config)
    for path, gateway in (("/reports", {}), ("/channels/social", SOCIAL_GATEWAY), ("/channels/sms", SMS_GATEWAY)):
        answer = requests.post(f"{base}{path}", data=b'{"title": ' + DEEP + b"}",
                               headers={"Content-Type": "application/json", **gateway}, timeout=5)
        assert answer.status_code == 400, (path, answer.status_code, answer.text[:200])
        assert answer.json()["errors"][0]["code"] == "too_deep"
    nested = "a"
    for _ in range(40):
        nested = [nested]
    medium = {"title": "x", "reporter": {"name": nested}}
    assert requests.post(f"{base}/reports", json=medium, timeout=5).json()["errors"][0]["code"] == "too_deep"


def test_lone_surrogate_is_a_400_naming_the_field(start_services, service_config, mongo_client):
    base = intake(start_services, service_config)
    body = b'{"title": "Jalan rusak", "description": "Jalan berlubang \\ud800 besar di depan sekolah dasar kami"}'
    answer = requests.post(f"{base}/reports", data=body, headers={"Content-Type": "application/json"}, timeout=5)
    assert answer.status_code == 400, answer.text
    assert [(e["field"], e["code"]) for e in answer.json()["errors"]] == [("description", "invalid")]
    social = b'{"post_id": "p-1", "author_handle": "warga", "text": "@lapor1708 \\udfff jalan rusak"}'
    answer = requests.post(f"{base}/channels/social", data=social,
                           headers={"Content-Type": "application/json", **SOCIAL_GATEWAY}, timeout=5)
    assert answer.status_code == 400 and answer.json()["errors"][0]["field"] == "text"


def test_open311_end_date_at_year_one_is_a_400_in_both_formats(start_services, service_config):
    base = base_url(start_services, service_config)
    for fmt in ("json", "xml"):
        answer = requests.get(f"{base}/open311/v2/requests.{fmt}", params={"end_date": "0001-01-01T00:00:00Z"},
                              timeout=5)
        assert answer.status_code == 400, (fmt, answer.status_code)
        assert "end_date" in answer.text


def test_open311_media_url_jurisdiction_and_lainnya(start_services, service_config):
    base = base_url(start_services, service_config)
    media = "https://foto.example.org/jembatan.jpg"
    created = requests.post(f"{base}/open311/v2/requests.json", data={**POST, "media_url": media}, timeout=5)
    assert created.status_code == 201, created.text
    request_id = created.json()[0]["service_request_id"]
    elsewhere = requests.post(f"{base}/reports", json=make_report(region_code="5171"), timeout=5).json()["tracking_id"]

    one = requests.get(f"{base}/open311/v2/requests/{request_id}.json", timeout=5).json()[0]
    assert one["media_url"] == media
    # issue 20: an anonymous report's media_url (it serves the evidence to anyone) is never public
    anonymous = requests.post(f"{base}/open311/v2/requests.json", timeout=5, data={
        **POST, "media_url": "https://foto.example.org/wajah-pelapor.jpg", "attribute[is_anonymous]": "true"})
    assert anonymous.status_code == 201, anonymous.text
    anonymous_id = anonymous.json()[0]["service_request_id"]
    for fmt in ("json", "xml"):
        for url in (f"{base}/open311/v2/requests/{anonymous_id}.{fmt}", f"{base}/open311/v2/requests.{fmt}"):
            answer = requests.get(url, timeout=5)
            assert answer.status_code == 200 and anonymous_id in answer.text and "wajah-pelapor" not in answer.text

    def listed(**params):
        return {r["service_request_id"] for r in
                requests.get(f"{base}/open311/v2/requests.json", params=params, timeout=5).json()}

    assert listed(jurisdiction_id="5108") == {request_id, anonymous_id}
    assert listed(jurisdiction_id="51.71") == {elsewhere}
    assert listed(jurisdiction_id="7317") == set()
    assert listed() == {request_id, anonymous_id, elsewhere}
    services = requests.get(f"{base}/open311/v2/services.json", timeout=5).json()
    assert "lainnya" in {s["service_code"] for s in services}
    assert KEY


def test_registry_import_deep_or_empty_is_a_400(service_config, start_services, rpc, demo_registry):
    from routing.service import RoutingService
    base = start_services(RoutingService)["routing"]
    rpc.routing.import_registry(demo_registry)
    admin = {"Authorization": f"Bearer {issue_token(service_config, 'nas-admin-1')}"}
    for body, media, code in (("[" * 1000 + "]" * 1000, "application/yaml", "too_deep"),
                              ("a:\n" + "".join(f"{'  ' * i}- \n" for i in range(1, 60)), "application/yaml", "too_deep"),
                              (DEEP.decode(), "application/json", "too_deep"), ("", "application/yaml", "required")):
        answer = requests.post(f"{base}/admin/registry", data=body, headers={**admin, "Content-Type": media}, timeout=10)
        assert answer.status_code == 400, (media, code, answer.status_code, answer.text[:200])
        assert answer.json()["errors"][0]["code"] == code

"""Open311 GeoReport v2 on the real store: services, requests (JSON and XML), tokens, errors."""
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone

import requests

from tests.factories import make_report
from tests.integration.test_intake_submission import intake

KEY = "open311-test-key"
POST = {"api_key": KEY, "service_code": "infrastruktur", "jurisdiction_id": "5108", "lat": "-8.112", "long": "115.088",
        "description": "Jembatan kayu di Desa Panji retak parah sejak hujan deras Senin malam",
        "first_name": "Ketut", "email": "ketut@example.com", "attribute[classification]": "complaint"}


def base_url(start_services, service_config):
    return intake(start_services, service_config, OPEN311_API_KEYS=f"other,{KEY}")


def test_services_in_json_and_xml(start_services, service_config):
    base = base_url(start_services, service_config)
    services = requests.get(f"{base}/open311/v2/services.json", timeout=5).json()
    assert {"service_code": "infrastruktur", "metadata": True, "type": "realtime"}.items() <= \
        next(s for s in services if s["service_code"] == "infrastruktur").items()
    xml = ET.fromstring(requests.get(f"{base}/open311/v2/services.xml?lang=en", timeout=5).content)
    assert xml.tag == "services" and "Health" in [s.findtext("service_name") for s in xml.findall("service")]
    definition = requests.get(f"{base}/open311/v2/services/kesehatan.json", timeout=5).json()
    assert definition["service_code"] == "kesehatan"
    assert {a["code"] for a in definition["attributes"]} == {"classification", "is_anonymous", "is_confidential", "gesi"}
    missing = requests.get(f"{base}/open311/v2/services/sihir.xml", timeout=5)
    assert missing.status_code == 404 and ET.fromstring(missing.content).find("error/code").text == "404"


def test_post_then_read_as_json_xml_and_token(start_services, service_config):
    base = base_url(start_services, service_config)
    created = requests.post(f"{base}/open311/v2/requests.json", data=POST, timeout=5)
    assert created.status_code == 201, created.text
    answer = created.json()[0]
    request_id = answer["service_request_id"]
    assert "kode rahasia" in answer["service_notice"].lower()

    listed = requests.get(f"{base}/open311/v2/requests.json", timeout=5).json()
    assert [r["service_request_id"] for r in listed] == [request_id]
    one = requests.get(f"{base}/open311/v2/requests/{request_id}.json", timeout=5).json()[0]
    assert one["status"] == "open" and one["service_code"] == "infrastruktur" and one["lat"] == -8.112
    assert "Ketut" not in str(one) and "ketut@example.com" not in str(one)
    xml = ET.fromstring(requests.get(f"{base}/open311/v2/requests/{request_id}.xml", timeout=5).content)
    assert xml.tag == "service_requests" and xml.find("request/service_request_id").text == request_id
    token = requests.get(f"{base}/open311/v2/tokens/{request_id}.json", timeout=5).json()
    assert token == [{"service_request_id": request_id, "token": request_id}]
    assert requests.get(f"{base}/reports/{request_id}", timeout=5).json()["channel"] == "open311"


def test_filters_and_confidential_never_listed(start_services, service_config):
    base = base_url(start_services, service_config)
    public = requests.post(f"{base}/reports", json=make_report(), timeout=5).json()["tracking_id"]
    health = requests.post(f"{base}/reports", json=make_report(category_code="kesehatan", title="Puskesmas tutup",
                                                               description="Puskesmas tutup pada jam layanan "
                                                                           "tanpa pemberitahuan kepada warga"),
                           timeout=5).json()["tracking_id"]
    secret = requests.post(f"{base}/reports", json=make_report(is_confidential=True, title="Pungli RAHASIA-311"),
                           timeout=5).json()["tracking_id"]
    draft = requests.post(f"{base}/reports", json={"title": "Belum lengkap"}, timeout=5).json()["tracking_id"]

    def ids(**params):
        answer = requests.get(f"{base}/open311/v2/requests.json", params=params, timeout=5)
        assert answer.status_code == 200, answer.text
        return {r["service_request_id"] for r in answer.json()}

    assert ids() == {public, health}
    assert ids(service_code="kesehatan") == {health}
    assert ids(service_request_id=f"{public},{secret},{draft}") == {public}
    assert ids(status="closed") == set() and ids(status="open") == {public, health}
    later = (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat()
    assert ids(start_date=later) == set()
    for hidden in (secret, draft):
        assert requests.get(f"{base}/open311/v2/requests/{hidden}.json", timeout=5).status_code == 404
    assert "RAHASIA-311" not in requests.get(f"{base}/open311/v2/requests.xml", timeout=5).text


def test_standard_errors(start_services, service_config):
    base = base_url(start_services, service_config)
    forbidden = requests.post(f"{base}/open311/v2/requests.json", data={**POST, "api_key": "wrong"}, timeout=5)
    assert forbidden.status_code == 403 and forbidden.json()[0]["code"] == 403
    no_key = {k: v for k, v in POST.items() if k != "api_key"}
    assert requests.post(f"{base}/open311/v2/requests.xml", data=no_key, timeout=5).status_code == 403
    unknown = requests.post(f"{base}/open311/v2/requests.json", data={**POST, "service_code": "sihir"}, timeout=5)
    assert unknown.status_code == 400 and "service_code" in unknown.json()[0]["description"]
    nowhere = {k: v for k, v in POST.items() if k not in ("lat", "long")}
    answer = requests.post(f"{base}/open311/v2/requests.xml", data=nowhere, timeout=5)
    assert answer.status_code == 400
    assert ET.fromstring(answer.content).tag == "errors"
    short = requests.post(f"{base}/open311/v2/requests.json", data={**POST, "description": "rusak"}, timeout=5)
    assert short.status_code == 400 and short.json()[0]["description"].startswith("description")
    bad_filter = requests.get(f"{base}/open311/v2/requests.json", params={"status": "fixed"}, timeout=5)
    assert bad_filter.status_code == 400 and bad_filter.json()[0]["code"] == 400


def test_issued_api_keys_work_until_revoked(start_services, service_config, rpc):
    base = intake(start_services, service_config)  # no configured keys
    issued = rpc.intake.issue_open311_key("kabupaten-app")
    data = {**POST, "api_key": issued["api_key"]}
    assert requests.post(f"{base}/open311/v2/requests.json", data=data, timeout=5).status_code == 201
    assert rpc.intake.revoke_open311_keys("kabupaten-app") == {"revoked": 1}
    assert requests.post(f"{base}/open311/v2/requests.json", data=data, timeout=5).status_code == 403


def test_an_unknown_jurisdiction_is_404_and_discovery_names_the_endpoint(start_services, service_config):
    """Issue 21: an unknown ``jurisdiction_id`` answered 200 ``[]`` (the specification says 404), and
    there was no ``discovery.json``."""
    base = base_url(start_services, service_config)
    for path in ("requests", "services"):
        for fmt in ("json", "xml"):
            answer = requests.get(f"{base}/open311/v2/{path}.{fmt}", params={"jurisdiction_id": "9999"}, timeout=5)
            assert answer.status_code == 404, (path, fmt, answer.text[:200])
            assert "jurisdiction_id" in (answer.json()[0]["description"] if fmt == "json" else answer.text)
        for known in ("5108", "51.08", "51"):
            assert requests.get(f"{base}/open311/v2/{path}.json", params={"jurisdiction_id": known},
                                timeout=5).status_code == 200
    discovery = requests.get(f"{base}/open311/discovery.json", timeout=5).json()
    endpoint, = discovery["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2" and endpoint["url"] == f"{base}/open311/v2"
    assert set(endpoint["formats"]) == {"application/json", "text/xml"} and discovery["contact"]
    assert ET.fromstring(requests.get(f"{base}/open311/discovery.xml", timeout=5).content).find(
        "endpoints/endpoint/url").text == f"{base}/open311/v2"

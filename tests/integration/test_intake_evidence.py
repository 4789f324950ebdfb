"""Evidence through GridFS on the real store: upload with the secret, read by handling officials only."""
import requests
from nameko.standalone.events import event_dispatcher

from contract import events
from routing.service import RoutingService
from tests.factories import make_report
from tests.integration.conftest import handled
from tests.integration.test_intake_submission import intake
from tests.unit.intake.event_factories import event_payload
from tests.unit.intake.test_evidence import AUTHOR, GPS, jpeg, pdf
from tests.credentials import issue_token


def test_evidence_upload_limits_stripping_and_scoped_reading(start_services, service_config, rpc, demo_registry):
    start_services(RoutingService)
    base = intake(start_services, service_config, EVIDENCE_MAX_FILES=2)
    rpc.routing.import_registry(demo_registry)
    receipt = requests.post(f"{base}/reports", json=make_report(is_anonymous=True), timeout=5).json()
    tracking_id, secret = receipt["tracking_id"], receipt["secret"]
    url = f"{base}/reports/{tracking_id}/attachments"

    def upload(data, name="foto.jpg", key=secret):
        return requests.post(url, data={"secret": key}, files={"file": (name, data, "image/jpeg")}, timeout=5)

    assert upload(jpeg(), key="AAAA-BBBB-CCCC").status_code == 403
    fake = upload(b"<script>alert(1)</script>", name="foto.jpg")
    assert fake.status_code == 400 and fake.json()["errors"][0]["field"] == "file"
    first = upload(jpeg())
    assert first.status_code == 201 and first.json()["content_type"] == "image/jpeg"
    document = upload(pdf(), name="surat.pdf")
    assert document.status_code == 201
    assert upload(jpeg()).status_code == 409  # EVIDENCE_MAX_FILES reached

    # routed to Buleleng's public works unit (as routing would announce it)
    routed = event_payload(events.REPORT_DISPOSITIONED, tracking_id)
    with handled(start_services.containers["intake"], routed):
        event_dispatcher(service_config)("routing", events.REPORT_DISPOSITIONED, routed)
    assert requests.get(f"{base}/reports/{tracking_id}", timeout=5).json()["assignment"]
    liaison = {"Authorization": f"Bearer {issue_token(service_config, 'lo-bll-pupr')}"}
    other = {"Authorization": f"Bearer {issue_token(service_config, 'lo-bll-dinkes')}"}
    assert requests.get(url, timeout=5).status_code == 401
    assert requests.get(url, headers=other, timeout=5).status_code == 403
    listing = requests.get(url, headers=liaison, timeout=5).json()["attachments"]
    assert [a["content_type"] for a in listing] == ["image/jpeg", "application/pdf"]
    image = requests.get(f"{url}/{first.json()['file_id']}", headers=liaison, timeout=5)
    assert image.status_code == 200 and image.headers["Content-Type"] == "image/jpeg"
    assert GPS not in image.content and AUTHOR.encode() not in image.content  # anonymous: metadata stripped
    assert image.content[:3] == b"\xff\xd8\xff" and len(image.content) > 100
    served = requests.get(f"{url}/{document.json()['file_id']}", headers=liaison, timeout=5)
    assert served.content.startswith(b"%PDF-") and AUTHOR.encode() not in served.content
    assert requests.get(f"{url}/{first.json()['file_id']}", headers=other, timeout=5).status_code == 403
    assert requests.get(f"{url}/000000000000000000000000", headers=liaison, timeout=5).status_code == 404

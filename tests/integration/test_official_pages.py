"""Routing's official pages over HTTP on the real broker and store: exactly the actions the API
allows for this official and state, actions through the page with the API's refusals, a manual
forward to another hub, scope (another agency: 404)."""
import re

import pytest
import requests
from nameko.standalone.events import event_dispatcher

from contract import events, sealing
from routing.service import RoutingService
from tests.integration.conftest import handled
from tests.integration.test_official_signin import SECRET, csrf_of, set_password, sign_in
from tests.unit.routing.factories import received_event
from tests.credentials import issue_token

PASSWORD = "satu dua tiga empat"


@pytest.fixture
def desk(start_services, rpc, demo_registry, service_config):
    config = {**service_config, "WEB_SECRET": SECRET, "ROUTING_AUTH_CACHE_SECONDS": 0}
    base = start_services(RoutingService, config=config)["routing"]
    container = start_services.containers["routing"]
    rpc.routing.import_registry(demo_registry)
    # the demo's hubs with a key, as in a network: only a hub that can take a report is offered (issue 18)
    key = sealing.new_key_pair()[1]
    rpc.routing.import_registry({"hubs": [{**h, "public_key": key} for h in demo_registry["hubs"]]})
    dispatch = event_dispatcher(service_config)

    def submit(**overrides):
        payload = received_event(**overrides)
        with handled(container, payload):
            dispatch("intake", events.REPORT_RECEIVED, payload)
        assert rpc.routing.disposition(payload["tracking_id"])
        return payload["tracking_id"]

    def browser(official):
        set_password(base, service_config, official, PASSWORD)
        return sign_in(base, official, PASSWORD)[0]
    return base, submit, browser


def forms_of(html: str, tracking_id: str) -> set[str]:
    return set(re.findall(rf'action="/petugas/laporan/{tracking_id}/([a-z]+)"', html))


def test_the_report_page_offers_exactly_the_allowed_actions_and_acts_through_the_api(service_config, desk, rpc):
    base, submit, browser = desk
    tracking_id = submit(region_code="5108", category_code="lingkungan")  # bll-any: the agency's queue
    admin = browser("adm-buleleng")
    page = admin.get(f"{base}/petugas/laporan/{tracking_id}", timeout=10)
    assert page.status_code == 200
    assert forms_of(page.text, tracking_id) == {"verify", "postpone", "return", "archive", "forward"}

    token = csrf_of(page.text)
    refused = admin.post(f"{base}/petugas/laporan/{tracking_id}/archive", data={"csrf_token": token, "reason": "x"},
                         allow_redirects=False, timeout=10)
    assert refused.status_code == 400 and "archive-reason" in refused.text  # the API's check, shown on the form
    done = admin.post(f"{base}/petugas/laporan/{tracking_id}/verify", data={"csrf_token": token},
                      allow_redirects=False, timeout=10)
    assert done.status_code == 303 and done.headers["Location"].endswith("notice=verify")
    page = admin.get(f"{base}/petugas/laporan/{tracking_id}", timeout=10).text
    assert forms_of(page, tracking_id) == {"postpone", "return", "disposition", "archive", "forward"}
    stale = admin.post(f"{base}/petugas/laporan/{tracking_id}/verify", data={"csrf_token": token},
                       allow_redirects=False, timeout=10)
    assert stale.status_code == 409  # verified already: the API's conflict, as a page

    liaison = browser("lo-bll-pupr")
    assert liaison.get(f"{base}/petugas/laporan/{tracking_id}", timeout=10).status_code == 404  # not its unit's
    other = browser("adm-luwu")
    assert other.get(f"{base}/petugas/laporan/{tracking_id}", timeout=10).status_code == 404
    assert tracking_id not in other.get(f"{base}/petugas", timeout=10).text

    moved = admin.post(f"{base}/petugas/laporan/{tracking_id}/forward",
                       data={"csrf_token": token, "target_hub": "35", "reason": "Wewenang Provinsi Jawa Timur"},
                       allow_redirects=False, timeout=10)
    assert moved.status_code == 303
    assert admin.get(f"{base}/petugas/laporan/{tracking_id}", timeout=10).status_code == 404  # gone from the agency
    national = {"Authorization": f"Bearer {issue_token(service_config, 'nas-admin-1')}"}
    response = requests.get(f"{base}/petugas/laporan/{tracking_id}", headers=national, timeout=10)
    assert response.status_code == 200, response.text[-2000:]
    page = response.text
    assert forms_of(page, tracking_id) == set() and "Wewenang Provinsi Jawa Timur" in page


def test_a_visitor_is_sent_to_sign_in_and_a_token_works_on_pages_too(service_config, desk, rpc):
    base, submit, _ = desk
    visitor = requests.get(f"{base}/petugas?status=new", allow_redirects=False, timeout=10)
    assert visitor.status_code == 303 and visitor.headers["Location"] == "/petugas/masuk?next=/petugas%3Fstatus%3Dnew"
    token = issue_token(service_config, "nas-admin-1")
    page = requests.get(f"{base}/petugas", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert page.status_code == 200 and 'action="/petugas/keluar"' not in page.text  # no session to end

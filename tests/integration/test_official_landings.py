"""After every official action the official lands where the work goes on (issue 21): through the
officials' pages over HTTP, following redirects, every action ends on a 200 page in the officials'
layout with its confirmation — the report's page while the official may still read it, else the
inbox naming the report — never "Halaman tidak ditemukan" in the citizens' layout."""
import re
from datetime import date, timedelta

import pytest
from nameko.standalone.events import event_dispatcher

from contract import events, sealing
from routing.service import RoutingService
from tests.integration.conftest import handled
from tests.integration.test_official_signin import SECRET, csrf_of, set_password, sign_in
from tests.unit.routing.factories import received_event

PASSWORD = "satu dua tiga empat"
OFFICIALS_LAYOUT = 'class="wrap officials-bar"'
MENU = 'href="/petugas/dasbor"'
NOT_IN_QUEUE = "Laporan ini tidak lagi berada di antrean Anda."


@pytest.fixture
def office(start_services, rpc, demo_registry, service_config):
    """Routing's pages with the demo registry (hubs able to receive) and signed-in officials."""
    config = {**service_config, "WEB_SECRET": SECRET, "ROUTING_AUTH_CACHE_SECONDS": 0}
    base = start_services(RoutingService, config=config)["routing"]
    container = start_services.containers["routing"]
    key = sealing.new_key_pair()[1]
    rpc.routing.import_registry({**demo_registry, "hubs": [{**h, "public_key": key} for h in demo_registry["hubs"]]})
    dispatch = event_dispatcher(service_config)
    sessions = {}

    class Office:
        @staticmethod
        def submit(**overrides) -> str:
            payload = received_event(**overrides)
            with handled(container, payload):
                dispatch("intake", events.REPORT_RECEIVED, payload)
            assert rpc.routing.disposition(payload["tracking_id"])
            return payload["tracking_id"]

        @staticmethod
        def browser(official):
            if official not in sessions:
                set_password(base, service_config, official, PASSWORD)
                sessions[official] = sign_in(base, official, PASSWORD)[0]
            return sessions[official]

        @classmethod
        def act(cls, official, tracking_id, action, **form):
            """The action's form sent from the report's page, redirects followed: the page it ends on."""
            browser = cls.browser(official)
            page = browser.get(f"{base}/petugas/laporan/{tracking_id}", timeout=10)
            assert page.status_code == 200 and f'/petugas/laporan/{tracking_id}/{action}"' in page.text, action
            return browser.post(f"{base}/petugas/laporan/{tracking_id}/{action}",
                                data={"csrf_token": csrf_of(page.text), **form}, timeout=10)

        @classmethod
        def get(cls, official, path):
            return cls.browser(official).get(f"{base}{path}", timeout=10)
    return Office


def landed(answer, confirmation: str, where: str) -> str:
    """The page an action ended on: 200, the officials' layout and menu, the confirmation."""
    assert answer.status_code == 200, answer.text[-1500:]
    assert OFFICIALS_LAYOUT in answer.text and MENU in answer.text
    assert re.search(r'role="status"[^>]*>[^<]*' + re.escape(confirmation), answer.text), answer.text[-3000:]
    assert answer.url.split("?")[0].endswith(where), answer.url
    return answer.text


def test_every_routing_action_ends_on_a_page_of_the_officials_with_its_confirmation(office):
    later = (date.today() + timedelta(days=7)).strftime("%d/%m/%Y")
    kept = office.submit(region_code="5108", category_code="lingkungan")  # bll-any: the agency's queue
    page = f"/petugas/laporan/{kept}"
    landed(office.act("adm-buleleng", kept, "verify"), "Laporan diverifikasi.", page)
    landed(office.act("adm-buleleng", kept, "disposition", unit_code="BLL-PUPR"), "Laporan didisposisikan.", page)
    landed(office.act("lo-bll-pupr", kept, "verify"), "Laporan diverifikasi.", page)
    landed(office.act("lo-bll-pupr", kept, "postpone", until=later, reason="Menunggu survei lapangan"),
           "Laporan ditunda.", page)
    # Bukan Wewenang from the unit: the report goes up to the agency admin, out of the liaison's reach
    inbox = landed(office.act("lo-bll-pupr", kept, "return", reason="Bukan wewenang Dinas PUPR"),
                   "Laporan dikembalikan.", "/petugas")
    assert kept in inbox and NOT_IN_QUEUE in inbox
    landed(office.act("adm-buleleng", kept, "redisposition", unit_code="BLL-DINKES"),
           "Laporan didisposisikan ulang.", page)

    archived = office.submit(region_code="5108", category_code="lingkungan")
    landed(office.act("adm-buleleng", archived, "archive", reason="Laporan ganda"), "Laporan diarsipkan.",
           f"/petugas/laporan/{archived}")

    returned = office.submit(region_code="5108", category_code="lingkungan")  # up to the national triage
    inbox = landed(office.act("adm-buleleng", returned, "return", reason="Bukan wewenang Pemkab Buleleng"),
                   "Laporan dikembalikan.", "/petugas")
    assert returned in inbox and NOT_IN_QUEUE in inbox
    landed(office.act("nas-admin-1", returned, "redisposition", agency_code="PEMKAB-LUWU"),
           "Laporan didisposisikan ulang.", f"/petugas/laporan/{returned}")

    forwarded = office.submit(region_code="5108", category_code="lingkungan")  # to another hub
    inbox = landed(office.act("adm-buleleng", forwarded, "forward", target_hub="35", reason="Wewenang Jawa Timur"),
                   "Laporan diteruskan ke simpul lain.", "/petugas")
    assert forwarded in inbox and NOT_IN_QUEUE in inbox


def test_a_report_out_of_reach_is_not_found_in_the_officials_layout_in_both_languages(office):
    tracking_id = office.submit(region_code="5108", category_code="lingkungan")
    office.act("adm-buleleng", tracking_id, "forward", target_hub="35", reason="Wewenang Jawa Timur")
    gone = office.get("adm-buleleng", f"/petugas/laporan/{tracking_id}")
    assert gone.status_code == 404 and OFFICIALS_LAYOUT in gone.text and MENU in gone.text
    assert "Halaman tidak ditemukan" in gone.text and 'href="/petugas">Kembali ke kotak masuk' in gone.text
    english = office.get("adm-buleleng", f"/petugas/laporan/{tracking_id}?lang=en")
    assert english.status_code == 404 and "Page not found" in english.text and "Back to the inbox" in english.text

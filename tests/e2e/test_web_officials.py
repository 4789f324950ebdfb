"""Officials in a real browser (tests/e2e/browser.py: Debian's headless Chromium), through the
front door of the whole stack: a password set through the one-time link; sign in; the report a
citizen filed (with a photo, on the citizens' page) is in the inbox; verify and disposition it;
the unit's liaison posts an update, hides a comment, answers; the citizen rates the answer on the
tracking page; the public list shows it, never a confidential one; another agency's official
cannot open it; wrong passwords are limited; a form without its CSRF token is refused; an idle
session ends. Every official page passes axe-core and is photographed at phone and desktop width
in both languages (.run/screenshots/officials/)."""
import io
import re
import time
from datetime import timedelta

import pytest
import requests
from PIL import Image

from contract.store import utcnow
from tests.e2e import browser as web
from tests.e2e.test_web_citizen import COMPLETE, by_id, file_report, fill, submit, wait_until
from tests.waiting import wait_for
from tests.credentials import password_link

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(web.available() is not None, reason=str(web.available()))]
PASSWORDS = {"adm-buleleng": "koordinator buleleng 2026", "lo-bll-pupr": "jalan mulus di singaraja",
             "adm-luwu": "koordinator luwu 2026", "lo-bll-dinkes": "puskesmas buleleng 2026"}
REPORT = {**COMPLETE, "title": "Sampah menumpuk di Pantai Lovina", "category_code": "lingkungan",
          "description": "Sampah plastik menumpuk di Pantai Lovina sejak seminggu, berbau dan mengganggu nelayan."}


@pytest.fixture
def open_browser(browsers):
    """tests/e2e/conftest.py's, at desktop width unless told."""
    with browsers.lending(size=web.DESKTOP) as start:
        yield start


@pytest.fixture(scope="module")
def rpc_config(stack, servers):
    return {"AMQP_URI": servers["amqp_uri"], "MONGODB_URI": stack["stores"]["routing"]}


def issue_link(rpc_config, official):
    """A one-time link, issued the way an operator does (``make signin-link``: routing's CLI on the
    stack's store)."""
    return password_link({"MONGODB_URI": rpc_config["MONGODB_URI"]}, official, 2)


@pytest.fixture(scope="module")
def passwords_set(stack, rpc_config):
    """Every official of these tests has a password (set through a link, without a browser)."""
    for official, password in PASSWORDS.items():
        session = requests.Session()
        link = stack["base"] + issue_link(rpc_config, official)
        token = session.get(link, timeout=10).text.split('name="csrf_token" value="')[1].split('"')[0]
        done = session.post(link, data={"csrf_token": token, "password": password, "confirm": password},
                            allow_redirects=False, timeout=10)
        assert done.status_code == 303, done.text


@pytest.fixture(scope="module")
def photo(tmp_path_factory):
    path = tmp_path_factory.mktemp("evidence") / "sampah.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 60, 40)).save(buffer, "JPEG")
    path.write_bytes(buffer.getvalue())
    return path


def sign_in(b, base, official, password=None):
    b.driver.get(f"{base}/petugas/masuk")
    fill(b, {"official_id": official, "password": password or PASSWORDS[official]})
    submit(b)


def capture(b, url, name):
    """Both languages at phone and desktop width: axe-checked, no console/CSP errors, photographed."""
    (web.SCREENSHOTS / "officials").mkdir(parents=True, exist_ok=True)
    b.console_problems()  # forget what earlier pages logged (a used link's 410 is meant)
    for lang in ("id", "en"):
        b.driver.get(url + ("&" if "?" in url else "?") + f"lang={lang}")
        assert b.driver.find_element("tag name", "html").get_attribute("lang") == lang
        for size, width in ((web.PHONE, "phone"), (web.DESKTOP, "desktop")):
            b.resize(size)
            found = b.axe()
            assert not found, f"{name} ({lang}, {width}): {found}"
            b.screenshot(f"officials/{name}-{lang}-{width}")
        assert not b.console_problems(), name
    b.resize(web.DESKTOP)
    b.driver.get(url + ("&" if "?" in url else "?") + "lang=id")


def test_an_official_handles_a_report_and_the_citizen_rates_it(stack, open_browser, passwords_set, rpc_config,
                                                               photo, official_headers):
    base = stack["base"]
    citizen = open_browser(size=web.PHONE)
    tracking_id = file_report(citizen, base, photo, REPORT)
    b = open_browser()

    link = issue_link(rpc_config, "adm-buleleng")
    capture(b, base + link, "password")
    fill(b, {"password": PASSWORDS["adm-buleleng"], "confirm": PASSWORDS["adm-buleleng"]})
    submit(b)
    assert "/petugas/masuk" in b.driver.current_url
    b.driver.get(base + link)
    assert "Tautan ini tidak berlaku lagi" in b.driver.page_source  # it worked once
    capture(b, f"{base}/petugas/masuk", "signin")
    sign_in(b, base, "adm-buleleng")
    assert b.driver.current_url.rstrip("/").endswith("/petugas")
    wait_until(b, f"{base}/petugas", lambda b: tracking_id in b.driver.page_source)
    capture(b, f"{base}/petugas", "inbox")

    b.driver.find_element("link text", tracking_id).click()
    page = b.driver.page_source
    assert "Made Wirawan" not in page and "made@example.com" not in page  # the reporter is never shown
    actions = {f.get_attribute("action").rsplit("/", 1)[1]
               for f in b.driver.find_elements("css selector", f"form[action^='/petugas/laporan/{tracking_id}/']")}
    # the page offers exactly what the API allows (forward only once another hub can take the report:
    # the demo directory's hub 35 has a key only after a test gives it one)
    allowed = requests.get(f"{base}/admin/reports/{tracking_id}", headers=official_headers("adm-buleleng"),
                           timeout=10).json()["allowed_actions"]
    assert actions == set(allowed) and {"verify", "postpone", "return", "archive"} <= actions
    capture(b, f"{base}/petugas/laporan/{tracking_id}", "report")
    submit(b, "form[action$='/verify'] button")
    assert "Laporan diverifikasi." in b.driver.page_source
    fill(b, {"disposition-unit_code": "BLL-PUPR"})
    submit(b, "form[action$='/disposition'] button")
    assert "Laporan didisposisikan." in b.driver.page_source
    assert not b.driver.find_elements("css selector", "form[action^='/petugas/laporan/']")  # not my queue now
    submit(b, "form[action='/petugas/keluar'] button")
    assert "/petugas/masuk" in b.driver.current_url

    comment = requests.post(f"{base}/cases/{tracking_id}/comments", json={"name": "Warga", "body": "Iklan: beli obat"},
                            timeout=10)
    assert comment.status_code == 201, comment.text
    sign_in(b, base, "lo-bll-pupr")
    closed_before = closed_on_time(b, base)  # other tests of the session close cases of this unit too
    b.driver.get(f"{base}/petugas/laporan/{tracking_id}")
    submit(b, "form[action$='/verify'] button")
    wait_until(b, f"{base}/petugas/kasus/{tracking_id}",
               lambda b: b.driver.find_elements("css selector", "form[action$='/perkembangan']"))
    fill(b, {"body-perkembangan": "Petugas DLH menjadwalkan pengangkutan besok pagi."})
    submit(b, "form[action$='/perkembangan'] button")
    assert "Perkembangan terkirim." in b.driver.page_source
    hide = f"form[action$='/komentar/{comment.json()['comment_id']}/sembunyikan']"
    fill(b, {f"reason-{comment.json()['comment_id']}": "Iklan, bukan tanggapan"})
    submit(b, hide + " button")
    assert "Komentar disembunyikan." in b.driver.page_source
    capture(b, f"{base}/petugas/kasus/{tracking_id}", "case")
    fill(b, {"body-jawaban": "Sampah sudah diangkut dan pantai dibersihkan."})
    submit(b, "form[action$='/jawaban'] button")
    assert "Jawaban terkirim." in b.driver.page_source

    b.driver.get(f"{base}/petugas/bukti/{tracking_id}")
    image = b.driver.find_element("css selector", ".evidence img")
    assert wait_for(lambda: b.driver.execute_script("return arguments[0].complete && arguments[0].naturalWidth",
                                                    image))  # the photo loads with the session cookie
    capture(b, f"{base}/petugas/bukti/{tracking_id}", "evidence")

    # the citizen rates the answer on the tracking page
    citizen.driver.get(f"{base}/lacak/{tracking_id}")
    assert "Sampah sudah diangkut" in citizen.driver.page_source
    fill(citizen, {"rating-5": True, "comment": "Cepat, terima kasih."})
    submit(citizen, "form[action$='/nilai'] button")
    assert "notice=rated" in citizen.driver.current_url

    assert wait_for(lambda: closed_on_time(b, base) == closed_before + 1, timeout=15, interval=0.5)
    capture(b, f"{base}/petugas/dasbor", "dashboard")
    capture(b, f"{base}/petugas/pemantauan", "monitoring")
    b.driver.find_element("css selector", "main form button[type=submit]").click()  # the printable report
    wait_for(lambda: "/assessments/reports/monitoring" in b.driver.current_url and "Pemerintah Kabupaten Buleleng"
             in b.driver.page_source)  # opened with the session cookie, no Authorization header; names, not codes

    # the public: listed with its title, the hidden comment's text gone
    citizen.driver.get(f"{base}/publik?region_code=5108")
    assert "Sampah menumpuk di Pantai Lovina" in by_id(citizen, "public-reports").text
    citizen.driver.get(f"{base}/laporan/{tracking_id}")
    assert "Sampah menumpuk" in citizen.driver.page_source and "beli obat" not in citizen.driver.page_source
    # counted publicly: a number, or None ("fewer than 5": small cells are suppressed in public counts)
    counted = wait_for(lambda: (c := requests.get(f"{base}/stats/counts", timeout=10).json())
                       and "received" in c["regions"].get("5108", {}) and c, timeout=15, interval=0.3)
    assert counted["hubs"]["ID"]["received"] is None or counted["hubs"]["ID"]["received"] >= 1
    citizen.driver.get(f"{base}/statistik")
    assert by_id(citizen, "chart-colours-caption").text


def closed_on_time(b, base) -> int:
    """The dashboard's count of cases closed on time (the official's own scope)."""
    b.driver.get(f"{base}/petugas/dasbor")
    return int(b.driver.find_element("css selector", "#count-closed_on_time strong").text)


def test_a_confidential_report_reaches_the_official_but_never_the_public(stack, open_browser, passwords_set):
    base = stack["base"]
    citizen = open_browser(size=web.PHONE)
    tracking_id = file_report(citizen, base, None, {**REPORT, "title": "Pungutan liar di kantor desa",
                                                    "is_confidential": True})
    b = open_browser()
    sign_in(b, base, "adm-buleleng")
    wait_until(b, f"{base}/petugas", lambda b: tracking_id in b.driver.page_source)
    b.driver.get(f"{base}/petugas/laporan/{tracking_id}")
    assert "Rahasia: laporan tidak tampil untuk publik." in b.driver.page_source
    citizen.driver.get(f"{base}/publik")
    assert "Pungutan liar di kantor desa" not in citizen.driver.page_source


def test_another_agencys_official_cannot_open_the_report(stack, open_browser, passwords_set):
    base = stack["base"]
    citizen = open_browser(size=web.PHONE)
    tracking_id = file_report(citizen, base, None, {**REPORT, "title": "Drainase Lovina tersumbat"})
    b = open_browser()
    sign_in(b, base, "adm-luwu")
    for path in (f"/petugas/laporan/{tracking_id}", f"/petugas/kasus/{tracking_id}", f"/petugas/bukti/{tracking_id}"):
        b.driver.get(base + path)
        assert "Halaman tidak ditemukan" in b.driver.page_source and "Lovina" not in b.driver.page_source, path
    b.driver.get(f"{base}/petugas")
    assert tracking_id not in b.driver.page_source


def test_wrong_passwords_are_limited_and_forms_need_their_csrf_token(stack, open_browser, passwords_set):
    base = stack["base"]
    b = open_browser()
    wrong = 0  # three free, then each attempt from this browser waits 2, 4, 8 ... seconds (docs/routing.md)
    while wrong < 6:
        sign_in(b, base, "lo-bll-dinkes", "not my password")
        if "Terlalu banyak percobaan" in b.driver.page_source:
            assert wrong >= 3
            # the page names the wait: try again then, not in a loop of sign-ins meanwhile
            time.sleep(int(re.search(r"dalam (\d+) detik", b.driver.page_source).group(1)))
            continue
        assert "ID petugas atau kata sandi salah." in b.driver.page_source
        wrong += 1
    sign_in(b, base, "lo-bll-dinkes")  # the right password, from this browser, within the 8-second wait
    assert "Terlalu banyak percobaan" in b.driver.page_source and "/petugas/masuk" in b.driver.current_url

    sign_in(b, base, "adm-buleleng")
    b.driver.get(f"{base}/petugas")
    b.driver.execute_script("document.querySelectorAll('input[name=csrf_token]').forEach(e => e.remove())")
    submit(b, "form[action='/petugas/keluar'] button")
    assert "Formulir kedaluwarsa" in b.driver.page_source
    b.driver.get(f"{base}/petugas")
    assert b.driver.find_elements("css selector", "form[action='/petugas/keluar']")  # still signed in


def test_an_idle_session_ends_and_sends_the_official_to_sign_in(stack, open_browser, stack_stores,
                                                                 passwords_set):
    base = stack["base"]
    b = open_browser()
    sign_in(b, base, "adm-buleleng")
    b.driver.get(f"{base}/petugas/dasbor")
    assert b.driver.find_elements("css selector", "form[action='/petugas/keluar']")
    stack_stores["routing"]["lapor_routing"].sessions.update_many(
        {"official_id": "adm-buleleng"}, {"$set": {"last_seen": utcnow() - timedelta(minutes=31)}})
    # other services trust a session's answer for AUTH_SESSION_CACHE_SECONDS (5 s)
    wait_until(b, f"{base}/petugas/dasbor", lambda b: "/petugas/masuk" in b.driver.current_url, timeout=15)
    assert "next=/petugas/dasbor" in b.driver.current_url

"""Officials in a real browser (headless Chromium): sign in with a password set through the
one-time link, see the report in the inbox, verify and disposition it, answer it, moderate a
comment; the citizen rates it; the public sees it (or not, if confidential); wrong passwords are
limited, a form without its CSRF token is refused, an idle session ends, another agency's
official cannot open the report. Every official page passes axe-core (no serious/critical) and
is photographed at phone and desktop width in both languages (.run/screenshots/officials/)."""
import io
from datetime import timedelta

import pytest
import requests
from nameko.standalone.rpc import ClusterRpcProxy
from PIL import Image
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait

from contract.store import utcnow
from tests.browser.conftest import DESKTOP, PHONE, axe_violations, screenshot
from tests.factories import make_report
from tests.waiting import wait_for

pytestmark = pytest.mark.e2e
PASSWORDS = {"adm-buleleng": "koordinator buleleng 2026", "lo-bll-pupr": "jalan mulus di singaraja",
             "adm-luwu": "koordinator luwu 2026", "lo-bll-dinkes": "puskesmas buleleng 2026"}


@pytest.fixture(scope="module")
def rpc_config(stack, servers):
    return {"AMQP_URI": servers["amqp_uri"]}


def issue_link(rpc_config, official):
    """A one-time link, issued the way an operator does (``make signin-link``)."""
    with ClusterRpcProxy(rpc_config, timeout=10) as rpc:
        return rpc.routing.issue_password_link(official, 2)["path"]


@pytest.fixture(scope="module")
def passwords_set(stack, rpc_config):
    """Every official of these tests has a password (set through a link, without a browser)."""
    for official, password in PASSWORDS.items():
        web = requests.Session()
        link = stack["base"] + issue_link(rpc_config, official)
        token = web.get(link, timeout=10).text.split('name="csrf_token" value="')[1].split('"')[0]
        done = web.post(link, data={"csrf_token": token, "password": password, "confirm": password},
                        allow_redirects=False, timeout=10)
        assert done.status_code == 303, done.text


def submit(driver, selector):
    """Click a form's button and wait for the page it leads to (the old page goes stale)."""
    old = driver.find_element(By.TAG_NAME, "html")
    driver.find_element(By.CSS_SELECTOR, selector).click()
    WebDriverWait(driver, 15).until(expected_conditions.staleness_of(old))


def set_password(driver, base, path, password):
    driver.get(base + path)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.ID, "confirm").send_keys(password)
    submit(driver, "main form button[type=submit]")
    assert "/petugas/masuk" in driver.current_url


def sign_in(driver, base, official, password=None):
    driver.get(f"{base}/petugas/masuk")
    driver.find_element(By.ID, "official_id").send_keys(official)
    driver.find_element(By.ID, "password").send_keys(password or PASSWORDS[official])
    submit(driver, "main form button[type=submit]")


def sign_out(driver):
    submit(driver, "form[action='/petugas/keluar'] button")
    assert "/petugas/masuk" in driver.current_url, driver.page_source[-3000:]


def capture(driver, axe_source, url, name):
    """Both languages at phone and desktop width, axe-checked; the page is left in Indonesian."""
    for lang in ("id", "en"):
        driver.get(url + ("&" if "?" in url else "?") + f"lang={lang}")
        assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == lang
        violations = axe_violations(driver, axe_source)
        assert violations == [], f"{name} ({lang}): {violations}"
        for size in (PHONE, DESKTOP):
            screenshot(driver, "officials", f"{name}-{lang}", size)
    driver.get(url + ("&" if "?" in url else "?") + "lang=id")


def file_report(base, **overrides):
    receipt = requests.post(f"{base}/reports", json=make_report(**overrides), timeout=10).json()
    photo = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 60, 40)).save(photo, "PNG")
    added = requests.post(f"{base}/reports/{receipt['tracking_id']}/attachments", data={"secret": receipt["secret"]},
                          files={"file": ("lubang.png", photo.getvalue(), "image/png")}, timeout=10)
    assert added.status_code == 201
    return receipt


def test_an_official_handles_a_report_and_the_citizen_rates_it(stack, browser, axe_source, passwords_set, rpc_config):
    base, driver = stack["base"], browser
    receipt = file_report(base, category_code="lingkungan", title="Sampah menumpuk di Pantai Lovina")
    tracking_id = receipt["tracking_id"]

    link = issue_link(rpc_config, "adm-buleleng")
    capture(driver, axe_source, base + link, "password")
    set_password(driver, base, link, PASSWORDS["adm-buleleng"])
    driver.get(base + link)
    assert "Tautan ini tidak berlaku lagi" in driver.page_source  # it worked once
    capture(driver, axe_source, f"{base}/petugas/masuk", "signin")
    sign_in(driver, base, "adm-buleleng")
    assert driver.current_url.rstrip("/").endswith("/petugas")
    wait_for(lambda: driver.get(f"{base}/petugas") or tracking_id in driver.page_source, timeout=15, interval=0.3)
    capture(driver, axe_source, f"{base}/petugas", "inbox")

    driver.find_element(By.LINK_TEXT, tracking_id).click()
    page = driver.page_source
    assert "Made Wirawan" not in page and "made@example.com" not in page  # the reporter is never shown
    assert {f.get_attribute("action").rsplit("/", 1)[1] for f in driver.find_elements(
        By.CSS_SELECTOR, f"form[action^='/petugas/laporan/{tracking_id}/']")} == {"verify", "postpone", "return",
                                                                               "archive"}
    capture(driver, axe_source, f"{base}/petugas/laporan/{tracking_id}", "report")
    submit(driver, "form[action$='/verify'] button")
    assert "Laporan diverifikasi." in driver.page_source
    Select(driver.find_element(By.CSS_SELECTOR, "form[action$='/disposition'] select")).select_by_value("BLL-PUPR")
    submit(driver, "form[action$='/disposition'] button")
    assert "Laporan didisposisikan." in driver.page_source
    assert driver.find_elements(By.CSS_SELECTOR, "form[action^='/petugas/laporan/']") == []  # not in my queue now
    capture(driver, axe_source, f"{base}/petugas/laporan/{tracking_id}", "report-dispositioned")
    sign_out(driver)

    comment = requests.post(f"{base}/cases/{tracking_id}/comments", json={"name": "Warga", "body": "Iklan: beli obat"},
                            timeout=10)
    sign_in(driver, base, "lo-bll-pupr")
    driver.get(f"{base}/petugas/laporan/{tracking_id}")
    submit(driver, "form[action$='/verify'] button")
    wait_for(lambda: driver.get(f"{base}/petugas/kasus/{tracking_id}") or "form" in driver.page_source
             and driver.find_elements(By.CSS_SELECTOR, "form[action$='/perkembangan']"), timeout=15, interval=0.3)
    driver.find_element(By.ID, "body-perkembangan").send_keys("Petugas DLH menjadwalkan pengangkutan besok pagi.")
    submit(driver, "form[action$='/perkembangan'] button")
    assert "Perkembangan terkirim." in driver.page_source
    if comment.status_code == 201:
        hide = f"form[action$='/komentar/{comment.json()['comment_id']}/sembunyikan']"
        driver.find_element(By.CSS_SELECTOR, hide + " input[name=reason]").send_keys("Iklan, bukan tanggapan")
        submit(driver, hide + " button")
        assert "Komentar disembunyikan." in driver.page_source
    driver.find_element(By.ID, "body-jawaban").send_keys("Sampah sudah diangkut dan pantai dibersihkan.")
    submit(driver, "form[action$='/jawaban'] button")
    assert "Jawaban terkirim." in driver.page_source
    capture(driver, axe_source, f"{base}/petugas/kasus/{tracking_id}", "case")

    driver.get(f"{base}/petugas/bukti/{tracking_id}")
    image = driver.find_element(By.CSS_SELECTOR, ".evidence img")
    assert wait_for(lambda: driver.execute_script("return arguments[0].complete && arguments[0].naturalWidth",
                                                  image)) == 64  # the photo loads with the session cookie
    capture(driver, axe_source, f"{base}/petugas/bukti/{tracking_id}", "evidence")

    rated = requests.post(f"{base}/cases/{tracking_id}/rating", json={"secret": receipt["secret"], "rating": 5},
                          timeout=10)
    assert rated.status_code == 200 and rated.json()["status"] == "closed"
    capture(driver, axe_source, f"{base}/petugas/dasbor", "dashboard")
    capture(driver, axe_source, f"{base}/petugas/pemantauan", "monitoring")
    submit(driver, "main form button[type=submit]")  # the printable report
    assert "/assessments/reports/monitoring" in driver.current_url and "PEMKAB-BULELENG" in driver.page_source

    # the public: the report is listed and counted (it is not confidential)
    public = requests.get(f"{base}/open311/v2/requests/{tracking_id}.json", timeout=10)
    assert public.status_code == 200 and "Made Wirawan" not in public.text
    counted = wait_for(lambda: (c := requests.get(f"{base}/stats/counts", timeout=10).json())
                       and c["hubs"].get("ID", {}).get("received", 0) >= 1 and c,
                       timeout=15, interval=0.3)
    assert counted["regions"]["5108"]["received"] >= 1
    public_stats = requests.get(f"{base}/stats/public?period={utcnow():%Y}", timeout=10).json()
    assert public_stats["received"] is None or public_stats["received"] >= 1  # small counts are suppressed


def test_a_confidential_report_stays_out_of_public_view(stack):
    base = stack["base"]
    receipt = file_report(base, is_confidential=True, title="Pungutan liar di kantor desa")
    wait_for(lambda: requests.get(f"{base}/reports/{receipt['tracking_id']}", timeout=5).status_code == 200)
    assert requests.get(f"{base}/open311/v2/requests/{receipt['tracking_id']}.json", timeout=10).status_code == 404


def test_another_agencys_official_cannot_open_the_report(stack, browser, passwords_set):
    base, driver = stack["base"], browser
    tracking_id = file_report(base, category_code="lingkungan")["tracking_id"]
    sign_in(driver, base, "adm-luwu")
    for path in (f"/petugas/laporan/{tracking_id}", f"/petugas/kasus/{tracking_id}", f"/petugas/bukti/{tracking_id}"):
        driver.get(base + path)
        assert "Halaman tidak ditemukan" in driver.page_source and "Lovina" not in driver.page_source, path
    driver.get(f"{base}/petugas")
    assert tracking_id not in driver.page_source


def test_wrong_passwords_are_limited_and_forms_need_their_csrf_token(stack, browser, passwords_set):
    base, driver = stack["base"], browser
    for _ in range(5):
        sign_in(driver, base, "lo-bll-dinkes", "not my password")
        assert "ID petugas atau kata sandi salah." in driver.page_source, driver.find_element(By.TAG_NAME, "main").text
    sign_in(driver, base, "lo-bll-dinkes")  # the right password, while the account is locked
    assert "Terlalu banyak percobaan" in driver.page_source and "/petugas/masuk" in driver.current_url

    sign_in(driver, base, "adm-buleleng")
    driver.get(f"{base}/petugas")
    driver.execute_script("document.querySelectorAll('input[name=csrf_token]').forEach(e => e.remove())")
    submit(driver, "form[action='/petugas/keluar'] button")
    assert "Formulir kedaluwarsa" in driver.page_source
    driver.get(f"{base}/petugas")
    assert driver.find_elements(By.CSS_SELECTOR, "form[action='/petugas/keluar']")  # still signed in


def test_an_idle_session_ends_and_sends_the_official_to_sign_in(stack, browser, mongo_client_session, passwords_set):
    base, driver = stack["base"], browser
    sign_in(driver, base, "adm-buleleng")
    driver.get(f"{base}/petugas/dasbor")
    assert driver.find_elements(By.CSS_SELECTOR, "form[action='/petugas/keluar']")
    mongo_client_session["lapor_routing"].sessions.update_many(
        {"official_id": "adm-buleleng"}, {"$set": {"last_seen": utcnow() - timedelta(minutes=31)}})
    wait_for(lambda: driver.get(f"{base}/petugas/dasbor") or "/petugas/masuk" in driver.current_url, timeout=15,
             interval=0.5)  # other services trust a session answer for AUTH_SESSION_CACHE_SECONDS (5 s)
    assert "next=/petugas/dasbor" in driver.current_url

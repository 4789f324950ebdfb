"""The admin pages (/petugas/admin, issue 21) in a real browser through the front door of the whole
stack: the national admin adds a category, a rule, an SLA policy and a day off; the agency admin
invites an official (the sign-in link works once), disables them and reads the audit trail; the next
role down sees no admin link and gets the officials' 403 page. Every admin page passes axe-core
and is photographed at phone and desktop width in both languages (.run/screenshots/officials/admin-*),
and so does each form sent back with its errors."""
import pytest
import requests

from tests.e2e import browser as web
from tests.e2e.test_web_citizen import by_id, fill, submit
from tests.e2e.test_web_officials import PASSWORDS, capture, issue_link, open_browser, rpc_config  # noqa: F401

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(web.available() is not None, reason=str(web.available()))]
ADMINS = {**PASSWORDS, "nas-admin-1": "admin nasional lapor 2026"}


@pytest.fixture(scope="module")
def admins_ready(stack, rpc_config):  # noqa: F811
    for official in ("nas-admin-1", "adm-buleleng", "lo-bll-pupr"):
        session = requests.Session()
        link = stack["base"] + issue_link(rpc_config, official)
        token = session.get(link, timeout=10).text.split('name="csrf_token" value="')[1].split('"')[0]
        done = session.post(link, data={"csrf_token": token, "password": ADMINS[official],
                                        "confirm": ADMINS[official]}, allow_redirects=False, timeout=10)
        assert done.status_code == 303, done.text


def sign_in(b, base, official):
    b.driver.get(f"{base}/petugas/masuk?lang=id")
    fill(b, {"official_id": official, "password": ADMINS[official]})
    submit(b)
    assert b.driver.current_url.rstrip("/").endswith("/petugas"), b.driver.current_url


def errors_shown(b, *fields):
    """The form came back with each field's error next to it and in the summary; axe-clean."""
    for field in fields:
        assert by_id(b, f"{field}-error").text, field
    assert b.driver.find_element("id", "error-summary").text
    found = b.axe()
    assert not found, found


def test_the_national_admin_manages_the_registry_sla_and_days_off(stack, open_browser, admins_ready):  # noqa: F811
    base = stack["base"]
    b = open_browser()
    sign_in(b, base, "nas-admin-1")
    b.driver.find_element("link text", "Administrasi").click()
    assert b.driver.current_url.endswith("/petugas/admin")
    for slug in ("", "/instansi", "/kategori", "/aturan", "/unit", "/petugas", "/simpul", "/sla", "/libur"):
        capture(b, f"{base}/petugas/admin{slug}", "admin" + (slug.replace("/", "-") or "-home"))
    capture(b, f"{base}/petugas/admin/jejak?instansi=PEMKAB-BULELENG", "admin-audit-national")

    b.driver.get(f"{base}/petugas/admin/kategori?lang=id")
    fill(b, {"code": "Air Bersih!", "name_id": "Air bersih"})
    submit(b)
    errors_shown(b, "code", "name_en")
    fill(b, {"code": "air-bersih", "name_en": "Clean water"})
    submit(b)
    assert "notice=saved" in b.driver.current_url and "Air bersih" in b.driver.page_source

    b.driver.get(f"{base}/petugas/admin/aturan")
    fill(b, {"id": "bll-air", "agency_code": "PEMKAB-BULELENG", "category_code": "air-bersih", "region_code": "5108",
             "priority": "banyak", "automatic": "false"})
    submit(b)
    errors_shown(b, "priority")
    fill(b, {"priority": "3"})
    submit(b)
    assert "notice=saved" in b.driver.current_url and "bll-air" in b.driver.page_source

    b.driver.get(f"{base}/petugas/admin/sla")
    fill(b, {"id": "bll-air", "match_category_code": "air-bersih", "follow_up": "200"})
    submit(b)
    errors_shown(b, "follow_up")
    fill(b, {"follow_up": "2"})
    submit(b)
    assert "notice=saved" in b.driver.current_url and "bll-air" in b.driver.page_source

    b.driver.get(f"{base}/petugas/admin/libur")
    fill(b, {"date": "12/31/2026", "name": "Cuti bersama akhir tahun", "kind": "cuti_bersama"})
    submit(b)
    errors_shown(b, "date")
    fill(b, {"date": "31/12/2026"})
    submit(b)
    assert "notice=saved" in b.driver.current_url and "31 Desember 2026" in b.driver.page_source


def test_the_agency_admin_invites_disables_and_audits_and_a_liaison_is_refused(stack, open_browser,  # noqa: F811
                                                                                admins_ready):
    base = stack["base"]
    b = open_browser()
    sign_in(b, base, "adm-buleleng")
    for slug in ("", "/unit", "/petugas", "/jejak"):
        capture(b, f"{base}/petugas/admin{slug}", "admin-agency" + (slug.replace("/", "-") or "-home"))
    b.driver.get(f"{base}/petugas/admin/aturan")
    assert "Peran atau cakupan Anda" in b.driver.page_source and not b.axe()  # 403, officials' layout

    b.driver.get(f"{base}/petugas/admin/petugas?lang=id")
    invite = "form[action='/petugas/admin/petugas'] button"  # not a row's disable button
    fill(b, {"official_id": "lo-bll-dishub", "name": "", "role": "liaison", "unit_code": "BLL-PUPR"})
    submit(b, invite)
    errors_shown(b, "name")
    fill(b, {"name": "Pejabat Penghubung Dishub Buleleng", "email": "dishub@bulelengkab.example.go.id"})
    submit(b, invite)
    link = b.driver.find_element("css selector", "code.signin-link").text
    assert "/petugas/sandi/" in link and not b.axe()
    other = open_browser()
    other.driver.get(link)
    assert "lo-bll-dishub" in other.driver.page_source
    b.driver.get(f"{base}/petugas/admin/petugas")
    assert link not in b.driver.page_source  # shown once
    submit(b, "form[action='/petugas/admin/petugas/lo-bll-dishub/nonaktifkan'] button")
    assert "notice=nonaktifkan" in b.driver.current_url
    b.driver.get(f"{base}/petugas/admin/jejak")
    trail = b.driver.page_source
    assert "Petugas diundang" in trail and "Petugas dinonaktifkan" in trail and "Pejabat Penghubung Dishub" in trail

    liaison = open_browser()
    sign_in(liaison, base, "lo-bll-pupr")
    assert not liaison.driver.find_elements("css selector", "a[href='/petugas/admin']")
    for lang in ("id", "en"):
        liaison.driver.get(f"{base}/petugas/admin?lang={lang}")
        assert "/petugas/masuk" not in liaison.driver.current_url
        assert liaison.driver.find_element("css selector", "form[action='/petugas/keluar']")  # officials' layout
        assert not liaison.axe()
        liaison.screenshot(f"officials/admin-refused-{lang}-desktop")

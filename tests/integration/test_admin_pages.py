"""Routing's admin pages (/petugas/admin, issue 21) over HTTP on the real broker and store, per role:
a national admin creates and edits registry items, an agency admin invites, edits, disables and
enables its people and units and reads the audit trail, errors stand next to their fields, and the
next role down gets the officials' 403 page."""
import re

import pytest
import requests

from routing.service import RoutingService
from tests.credentials import bearer
from tests.integration.test_official_signin import SECRET, csrf_of, set_password, sign_in

PASSWORD = "satu dua tiga empat"


@pytest.fixture
def admin_site(start_services, rpc, demo_registry, service_config):
    config = {**service_config, "WEB_SECRET": SECRET, "ROUTING_AUTH_CACHE_SECONDS": 0}
    base = start_services(RoutingService, config=config)["routing"]
    rpc.routing.import_registry(demo_registry)

    def browser(official):
        set_password(base, service_config, official, PASSWORD)
        return sign_in(base, official, PASSWORD)[0]
    return base, browser


def post(browser, url, data, page_url=None):
    token = csrf_of(browser.get(page_url or url, timeout=10).text)
    return browser.post(url, data={"csrf_token": token, **data}, allow_redirects=False, timeout=10)


def test_an_agency_admin_invites_edits_disables_and_enables_a_liaison_and_reads_the_trail(admin_site, service_config):
    base, browser = admin_site
    admin = browser("adm-buleleng")
    menu = admin.get(f"{base}/petugas", timeout=10).text
    assert 'href="/petugas/admin"' in menu
    home = admin.get(f"{base}/petugas/admin", timeout=10)
    assert home.status_code == 200 and "/petugas/admin/unit" in home.text and "/petugas/admin/aturan" not in home.text

    people = f"{base}/petugas/admin/petugas"
    page = admin.get(people, timeout=10).text
    assert "lo-bll-pupr" in page and "lo-lwu-pupr" not in page  # own agency only
    bad = post(admin, people, {"mode": "new", "official_id": "lo-bll-baru", "name": "", "role": "agency_admin",
                               "email": "bukan-email"})
    assert bad.status_code == 400
    assert 'id="name-error"' in bad.text and 'id="email-error"' in bad.text and 'id="role-error"' in bad.text
    assert "Nama: " in bad.text  # the summary names the field in the page's language
    invited = post(admin, people, {"mode": "new", "official_id": "lo-bll-baru", "name": "Pejabat Baru",
                                   "role": "liaison", "unit_code": "BLL-PUPR", "email": "baru@example.go.id"})
    assert invited.status_code == 200, invited.text[-1500:]
    link = re.search(r'<code class="signin-link">https?://[^/]+(/petugas/sandi/[^<]+)</code>', invited.text).group(1)
    newcomer = requests.Session()
    form = newcomer.get(base + link, timeout=10)
    assert form.status_code == 200 and "lo-bll-baru" in form.text
    assert link not in admin.get(people, timeout=10).text  # shown once

    edited = post(admin, people, {"mode": "edit", "official_id": "lo-bll-baru", "name": "Pengawas Baru",
                                  "role": "supervisor"}, page_url=f"{people}?ubah=lo-bll-baru")
    assert edited.status_code == 303 and edited.headers["Location"].endswith("notice=saved")
    listed = admin.get(people, timeout=10).text
    assert "Pengawas Baru" in listed and "Pimpinan / Pengawas" in listed

    liaison = browser("lo-bll-dinkes")
    assert liaison.get(f"{base}/petugas", timeout=10).status_code == 200
    off = post(admin, f"{base}/petugas/admin/petugas/lo-bll-dinkes/nonaktifkan", {}, page_url=people)
    assert off.status_code == 303 and off.headers["Location"].endswith("notice=nonaktifkan")
    assert liaison.get(f"{base}/petugas", allow_redirects=False, timeout=10).status_code == 303  # signed out
    assert sign_in(base, "lo-bll-dinkes", PASSWORD)[1].status_code == 401  # and cannot sign in
    on = post(admin, f"{base}/petugas/admin/petugas/lo-bll-dinkes/aktifkan", {}, page_url=people)
    assert on.status_code == 303
    assert sign_in(base, "lo-bll-dinkes", PASSWORD)[1].status_code == 303

    assert post(admin, f"{base}/petugas/admin/petugas/adm-buleleng/nonaktifkan", {}, page_url=people).status_code == 403
    assert post(admin, f"{base}/petugas/admin/petugas/lo-lwu-pupr/nonaktifkan", {}, page_url=people).status_code == 404
    assert admin.get(f"{people}?ubah=lo-lwu-pupr", timeout=10).status_code == 404
    no_csrf = admin.post(f"{base}/petugas/admin/petugas/lo-bll-dinkes/nonaktifkan", data={}, allow_redirects=False,
                         timeout=10)
    assert no_csrf.status_code == 403

    units = f"{base}/petugas/admin/unit"
    saved = post(admin, units, {"mode": "new", "code": "BLL-DISHUB", "name": "Dinas Perhubungan Kab. Buleleng",
                                "liaison_official_id": "lo-bll-dishub", "liaison_name": "Pejabat Dishub"})
    assert saved.status_code == 303
    taken = post(admin, units, {"mode": "new", "code": "BLL-PUPR", "name": "x", "liaison_official_id": "a",
                                "liaison_name": "b"})
    assert taken.status_code == 400 and 'id="code-error"' in taken.text

    trail = admin.get(f"{base}/petugas/admin/jejak", timeout=10)
    assert trail.status_code == 200
    for text in ("Petugas diundang", "Petugas dinonaktifkan", "Petugas diaktifkan kembali", "Unit disimpan",
                 "Tautan kata sandi diterbitkan", "Dinas Perhubungan Kab. Buleleng"):
        assert text in trail.text, text
    english = admin.get(f"{base}/petugas/admin/jejak?lang=en", timeout=10).text
    assert "Official invited" in english and "Official disabled" in english


def test_a_national_admin_creates_and_edits_agencies_categories_and_rules(admin_site):
    base, browser = admin_site
    admin = browser("nas-admin-1")
    categories = f"{base}/petugas/admin/kategori"
    assert post(admin, categories, {"mode": "new", "code": "air-bersih", "name_id": "Air bersih",
                                    "name_en": "Clean water"}).status_code == 303
    assert "Clean water" in admin.get(f"{categories}?lang=en", timeout=10).text
    assert post(admin, categories, {"mode": "edit", "code": "air-bersih", "name_id": "Air minum",
                                    "name_en": "Drinking water"}).status_code == 303
    assert "Air minum" in admin.get(f"{categories}?lang=id", timeout=10).text

    agencies = f"{base}/petugas/admin/instansi"
    assert post(admin, agencies, {"mode": "new", "code": "PDAM-BULELENG", "name": "PDAM Tirta Hita Buleleng",
                                  "kind": "agency", "region_code": "5108", "hub": "ID"}).status_code == 303
    edited = post(admin, agencies, {"mode": "edit", "code": "KEMENPUPR", "name": "Kementerian PU", "kind": "ministry",
                                    "hub": "ID"})
    assert edited.status_code == 303

    rules = f"{base}/petugas/admin/aturan"
    tie = post(admin, rules, {"mode": "new", "id": "bll-infra-2", "agency_code": "PEMKAB-BULELENG",
                              "unit_code": "BLL-PUPR", "category_code": "infrastruktur", "region_code": "5108",
                              "automatic": "true"})
    assert tie.status_code == 400 and "prioritas" in tie.text  # the import's tie check, in the page's language
    bad = post(admin, rules, {"mode": "new", "id": "air-bll", "agency_code": "PDAM-BULELENG", "priority": "tinggi",
                              "category_code": "air-bersih", "automatic": "true"})
    assert bad.status_code == 400 and 'id="priority-error"' in bad.text
    good = post(admin, rules, {"mode": "new", "id": "air-bll", "agency_code": "PDAM-BULELENG", "priority": "5",
                               "category_code": "air-bersih", "region_code": "5108", "keywords": "pdam, air",
                               "automatic": "false"})
    assert good.status_code == 303
    page = admin.get(f"{rules}?ubah=air-bll", timeout=10).text
    assert 'value="pdam, air"' in page and "PDAM Tirta Hita Buleleng" in page

    hubs = admin.get(f"{base}/petugas/admin/simpul", timeout=10)
    assert hubs.status_code == 200 and "<form method=\"post\" action=\"/petugas/admin/simpul\"" not in hubs.text
    assert admin.post(f"{base}/petugas/admin/simpul", data={"csrf_token": csrf_of(hubs.text)},
                      allow_redirects=False, timeout=10).status_code == 404


def test_the_next_role_down_is_refused_with_the_officials_403_page(admin_site, service_config):
    base, browser = admin_site
    agency_admin = browser("adm-buleleng")
    for path in ("instansi", "kategori", "aturan", "simpul"):
        refused = agency_admin.get(f"{base}/petugas/admin/{path}", timeout=10)
        assert refused.status_code == 403 and 'href="/petugas/admin"' in refused.text, path  # officials' layout
    page = agency_admin.get(f"{base}/petugas/admin/petugas", timeout=10).text
    assert post(agency_admin, f"{base}/petugas/admin/kategori", {"mode": "new", "code": "x1", "name_id": "x",
                                                                  "name_en": "x"},
                page_url=f"{base}/petugas/admin/petugas").status_code == 403
    assert page
    for official in ("lo-bll-pupr", "spv-buleleng"):
        lower = browser(official)
        menu = lower.get(f"{base}/petugas", timeout=10).text
        assert 'href="/petugas/admin"' not in menu
        for path in ("/petugas/admin", "/petugas/admin/petugas", "/petugas/admin/jejak"):
            refused = lower.get(base + path, timeout=10)
            assert refused.status_code == 403 and "Peran atau cakupan Anda" in refused.text, (official, path)
    token = bearer(service_config, "lo-bll-pupr")
    assert requests.get(f"{base}/petugas/admin/unit", headers=token, timeout=10).status_code == 403

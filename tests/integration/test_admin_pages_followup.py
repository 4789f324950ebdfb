"""Follow-up's admin pages (/petugas/admin/sla, /petugas/admin/libur; issue 21) over HTTP on the real
broker and store: a national admin adds and edits an SLA policy and adds a day off through the
admin API's handlers, errors stand next to their fields, an agency admin gets the officials' 403 page."""
from routing.service import RoutingService
from tests.integration import test_followup_support as support
from tests.integration.test_official_signin import SECRET, csrf_of, set_password, sign_in
from tests.waiting import wait_for

start_followup = support.start_followup  # the fixture
PASSWORD = "satu dua tiga empat"


def signed_in(base_routing, service_config, official):
    set_password(base_routing, service_config, official, PASSWORD)
    return sign_in(base_routing, official, PASSWORD)[0]


def post(browser, url, data):
    token = csrf_of(browser.get(url, timeout=10).text)
    return browser.post(url, data={"csrf_token": token, **data}, allow_redirects=False, timeout=10)


def test_a_national_admin_manages_sla_policies_and_days_off_from_pages(start_services, start_followup, rpc,
                                                                       service_config, demo_registry):
    config = {**service_config, "WEB_SECRET": SECRET, "AUTH_CACHE_SECONDS": 0, "AUTH_SESSION_CACHE_SECONDS": 0,
              "ROUTING_AUTH_CACHE_SECONDS": 0}
    routing = start_services(RoutingService, config=config)["routing"]
    rpc.routing.import_registry(demo_registry)
    base = start_followup(config={**config, "SLA_POLICY_FILE": "deploy/sla/policies.yml"})[0]
    admin = signed_in(routing, service_config, "nas-admin-1")

    sla = f"{base}/petugas/admin/sla"
    page = admin.get(sla, timeout=10)
    assert page.status_code == 200 and "manual-channel-sop" in page.text and "Input manual petugas" in page.text
    bad = post(admin, sla, {"mode": "new", "id": "Bukan ID", "verification": "banyak", "follow_up": "500",
                            "match_urgency": "kapan-kapan"})
    assert bad.status_code == 400
    for field in ("id", "verification", "follow_up", "match_urgency"):
        assert f'id="{field}-error"' in bad.text, field
    assert "Verifikasi (hari kerja): " in bad.text  # the summary names the field in the page's language
    added = post(admin, sla, {"mode": "new", "id": "bll-kesehatan", "description": "Kesehatan Buleleng",
                              "match_agency_code": "PEMKAB-BULELENG", "match_category_code": "kesehatan",
                              "follow_up": "2", "priority": "1"})
    assert added.status_code == 303 and added.headers["Location"].endswith("notice=saved")
    stored = {p["id"]: p for p in rpc.followup.sla_policies()["policies"]}
    assert stored["bll-kesehatan"]["stages"] == {"follow_up": 2}
    assert stored["bll-kesehatan"]["match"] == {"agency_code": "PEMKAB-BULELENG", "category_code": "kesehatan"}
    # names, not codes: follow-up has them once routing's registry_updated (sent at the import above)
    # has reached it, which a loaded machine can delay past this point
    named = "Category: Health; Agency: Pemerintah Kabupaten Buleleng"
    english = wait_for(lambda: named in (text := admin.get(f"{sla}?lang=en", timeout=10).text) and text, timeout=30)
    assert "bll-kesehatan" in english
    edit = admin.get(f"{sla}?ubah=manual-channel-sop", timeout=10)
    assert edit.status_code == 200 and 'value="manual-channel-sop"' in edit.text
    assert post(admin, sla, {"mode": "edit", "id": "manual-channel-sop", "match_channel": "manual",
                             "verification": "4"}).status_code == 303
    sop = {p["id"]: p for p in rpc.followup.sla_policies()["policies"]}["manual-channel-sop"]
    assert sop["stages"] == {"verification": 4} and len(sop["pre_entry"]) == 3  # its pre-entry stages kept
    assert admin.get(f"{sla}?ubah=tidak-ada", timeout=10).status_code == 404

    days = f"{base}/petugas/admin/libur"
    bad_day = post(admin, days, {"date": "31/02/2026", "name": "", "kind": "cuti_bersama"})
    assert bad_day.status_code == 400 and 'id="date-error"' in bad_day.text and 'id="name-error"' in bad_day.text
    assert post(admin, days, {"date": "24/12/2026", "name": "Cuti bersama Natal",
                              "kind": "cuti_bersama"}).status_code == 303
    assert post(admin, days, {"date": "18/11/2026", "name": "Hari raya daerah", "kind": "regional_holiday",
                              "region_code": "51"}).status_code == 303
    listed = admin.get(f"{days}?lang=id", timeout=10).text
    assert "24 Desember 2026" in listed and "Cuti bersama Natal" in listed
    assert "Provinsi Bali" in listed and "Nasional (semua wilayah)" in listed

    agency_admin = signed_in(routing, service_config, "adm-buleleng")
    for path in (sla, days):
        refused = agency_admin.get(path, timeout=10)
        assert refused.status_code == 403 and "Peran atau cakupan Anda" in refused.text
    refused = agency_admin.post(days, data={"csrf_token": csrf_of(agency_admin.get(days, timeout=10).text),
                                            "date": "25/12/2026", "name": "x", "kind": "other"},
                                allow_redirects=False, timeout=10)
    assert refused.status_code == 403

"""The citizens' and the public's pages in a real browser, through the front door of the whole
stack: file a report with a photo on a phone, keep the receipt, track it until it is routed;
an incomplete report lists what it lacks and is completed later; the same with JavaScript off;
user text is escaped; axe-core finds no serious or critical violation on any page; screenshots
of every page at phone and desktop width in both languages (.run/screenshots/)."""
import io
import re
import time

import pytest
from PIL import Image

from tests.e2e import browser as web

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(web.available() is not None, reason=str(web.available()))]

ROUTED = ("dispositioned", "in_follow_up")


@pytest.fixture(scope="module")
def photo(tmp_path_factory):
    """A phone photo (JPEG) to attach."""
    path = tmp_path_factory.mktemp("evidence") / "jalan-rusak.jpg"
    image = Image.new("RGB", (640, 480), (120, 110, 90))
    for x in range(200, 440):
        for y in range(180, 300):
            image.putpixel((x, y), (40, 40, 40))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    path.write_bytes(buffer.getvalue())
    return path


def by_id(b, element_id):
    return b.driver.find_element("id", element_id)


def fill(b, values: dict):
    """Type into the form like a person: text fields, selects, radios and boxes by id."""
    from selenium.webdriver.support.ui import Select
    for element_id, value in values.items():
        element = by_id(b, element_id)
        if element.tag_name == "select":
            Select(element).select_by_value(value)
        elif element.get_attribute("type") in ("radio", "checkbox"):
            if not element.is_selected():
                element.click()
        else:
            element.clear()
            element.send_keys(value)


def submit(b, form_selector="main form[method=post] button[type=submit]"):
    """Press the button and wait for the next page (the old one goes stale)."""
    from selenium.webdriver.support.ui import WebDriverWait
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
    for attempt in range(3):
        # the page may still be settling from the last navigation: a button found in a document
        # that is then replaced cannot be clicked (and was not): find it again in the new one
        old = b.driver.find_element("tag name", "html")
        try:
            b.driver.find_element("css selector", form_selector).click()
            break
        except (StaleElementReferenceException, WebDriverException) as exc:
            if attempt == 2 or not isinstance(exc, StaleElementReferenceException) and \
                    "does not belong to the document" not in str(exc):
                raise
    WebDriverWait(b.driver, 30).until(lambda d: replaced(old))
    WebDriverWait(b.driver, 30).until(lambda d: d.find_elements("tag name", "footer"))


def replaced(element) -> bool:
    """The page of ``element`` has gone (Chromium sometimes reports a replaced document's node as
    "does not belong to the document" rather than as a stale element)."""
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
    try:
        element.is_enabled()
        return False
    except StaleElementReferenceException:
        return True
    except WebDriverException as exc:
        if "does not belong to the document" in str(exc):
            return True
        raise


def text_of(b, element_id):
    return by_id(b, element_id).text.strip()


def no_serious_violations(b, name):
    found = b.axe() if b.javascript else []
    assert not found, f"{name}: {found}"


def wait_until(b, url, check, timeout=60):
    """Reload ``url`` until ``check(b)`` holds (the page a citizen would refresh)."""
    deadline = time.monotonic() + timeout
    while True:
        b.driver.get(url)
        if check(b):
            return
        assert time.monotonic() < deadline, f"{url}: still not as expected"
        time.sleep(0.5)


COMPLETE = {"classification-complaint": True, "title": "Jalan berlubang di depan SD 3",
            "description": "Jalan berlubang besar di depan SD Negeri 3 Singaraja sejak Senin, membahayakan anak sekolah.",
            "category_code": "infrastruktur", "region_code": "5108", "location_text": "Jl. Pramuka, Singaraja",
            "incident_date": "16/11/2026", "reporter_name": "Made Wirawan", "reporter_email": "made@example.com"}


def file_report(b, base, photo, values=COMPLETE):
    b.driver.get(f"{base}/lapor")
    fill(b, values)
    if photo:
        by_id(b, "evidence").send_keys(str(photo))
    submit(b)
    return text_of(b, "tracking-id")


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_citizen_files_with_a_photo_on_a_phone_keeps_the_receipt_and_sees_it_routed(stack, open_browser, photo,
                                                                                    javascript):
    base = stack["base"]
    b = open_browser(javascript=javascript)
    tracking_id = file_report(b, base, photo)
    assert re.fullmatch(r"ID-[0-9A-Z]{5}-[0-9A-Z]{5}", tracking_id)
    assert b.driver.current_url == f"{base}/lapor/{tracking_id}"       # POST-redirect-GET
    secret = text_of(b, "secret")
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", secret)
    assert "Simpan kode rahasia" in text_of(b, "secret-warning")
    copy_buttons = b.driver.find_elements("css selector", "#secret + button")
    assert len(copy_buttons) == (1 if javascript else 0)            # JS only adds the copy button
    assert b.driver.find_elements("css selector", "#missing") == []

    b.driver.find_element("link text", "Lacak laporan ini").click()
    assert b.driver.current_url == f"{base}/lacak/{tracking_id}"
    wait_until(b, f"{base}/lacak/{tracking_id}",
               lambda b: by_id(b, "status").get_attribute("data-status") in ROUTED and b.driver.find_elements(
                   "id", "deadline"))
    assert by_id(b, "assignment").get_attribute("data-agency") == "PEMKAB-BULELENG"
    assert "Buleleng" in text_of(b, "assignment") and "PEMKAB" not in text_of(b, "assignment")   # names
    steps = [li.get_attribute("data-step") for li in b.driver.find_elements("css selector", "#timeline li")]
    assert steps[-1] == "received" and {"forwarded_to", "handled_by"} & set(steps)  # the reporter's steps (issue 21)
    assert "Pemberitahuan" not in text_of(b, "timeline") and "PEMKAB" not in text_of(b, "timeline")
    indicator = b.driver.find_element("css selector", "#deadline [data-indicator]").get_attribute("data-indicator")
    assert indicator == "green"
    assert "1" in text_of(b, "evidence-count")                         # the photo, seen by its reporter
    # one time zone rule (issue 21): Buleleng (Bali) is WITA, every time says so; the ID stays whole
    times = [t.text for t in b.driver.find_elements("css selector", "main time, #deadline dd")]
    assert any(t.endswith(" WITA") for t in times) and "WIB" not in b.driver.find_element("tag name", "main").text
    assert all(t.endswith(" WITA") for t in (e.text for e in b.driver.find_elements("css selector", "main time")))
    assert b.driver.find_element("css selector", "h1 .tracking-id").text == tracking_id
    assert b.driver.find_element("id", "report-title").text == COMPLETE["title"]

    # another browser holding only the tracking ID sees the status, not the conversation
    other = open_browser(javascript=javascript)
    other.driver.get(f"{base}/lacak/{tracking_id}")
    assert other.driver.find_elements("id", "evidence-count") == []
    fill(other, {"secret": secret})
    submit(other, "form[action$='/kunci'] button")
    assert "evidence-count" in other.driver.page_source and text_of(other, "notice")


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_an_incomplete_report_lists_what_is_missing_and_is_completed_later(stack, open_browser, javascript):
    base = stack["base"]
    b = open_browser(javascript=javascript)
    tracking_id = file_report(b, base, None, {"title": "Lampu jalan", "description": "Lampu mati."})
    missing = {li.get_attribute("data-field") for li in b.driver.find_elements("css selector", "#missing li")}
    assert missing == {"description", "region_code", "location_text", "incident_date", "category_code"}
    fill(b, {"description": "Lampu jalan di Jl. Ahmad Yani mati sejak dua minggu, jalan gelap dan rawan.",
             "region_code": "5108"})
    submit(b, "form[action^='/lapor/'] button[type=submit]")
    still = {li.get_attribute("data-field") for li in b.driver.find_elements("css selector", "#missing li")}
    assert still == {"location_text", "incident_date", "category_code"}
    fill(b, {"location_text": "Jl. Ahmad Yani, Singaraja", "incident_date": "20/11/2026", "category_code": "infrastruktur"})
    submit(b, "form[action^='/lapor/'] button[type=submit]")
    assert b.driver.find_elements("css selector", "#missing") == []
    wait_until(b, f"{base}/lacak/{tracking_id}",
               lambda b: by_id(b, "status").get_attribute("data-status") in ROUTED)


def test_user_text_is_escaped_and_every_page_has_the_security_headers(stack, open_browser):
    import requests
    base = stack["base"]
    b = open_browser()
    hostile = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'
    tracking_id = file_report(b, base, None, {**COMPLETE, "title": "Lampu " + hostile[:100],
                                              "location_text": hostile})
    wait_until(b, f"{base}/lacak/{tracking_id}", lambda b: by_id(b, "status").get_attribute("data-status") in ROUTED)
    assert b.driver.find_element("id", "report-title").text.startswith("Lampu <script>")
    for url in (f"{base}/lacak/{tracking_id}", f"{base}/laporan/{tracking_id}", f"{base}/publik"):
        b.driver.get(url)
        assert b.driver.execute_script("return window.__pwned === undefined"), url
        assert "&lt;script&gt;window.__pwned" in requests.get(url, cookies={
            c["name"]: c["value"] for c in b.driver.get_cookies()}, timeout=10).text, url
    expected = {"/": 200, "/lapor": 200, f"/lapor/{tracking_id}": 200, "/lacak": 200, f"/lacak/{tracking_id}": 200,
                "/publik": 200, f"/laporan/{tracking_id}": 200, "/lacak/ID-00000-00000": 404}
    for path, status in expected.items():
        response = requests.get(base + path, timeout=10)
        assert response.status_code == status, (path, response.status_code)
        csp = response.headers["Content-Security-Policy"]
        assert "'unsafe-inline'" not in csp and "frame-ancestors 'none'" in csp, path
        assert response.headers["X-Content-Type-Options"] == "nosniff" and response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Referrer-Policy"]
    forged = requests.post(f"{base}/lapor", data={"title": "forged", "description": "x" * 40}, timeout=10)
    assert forged.status_code == 403                                    # no CSRF token: nothing stored


def test_every_page_in_both_languages_at_phone_and_desktop_width_passes_axe(stack, open_browser, photo):
    base = stack["base"]
    b = open_browser()
    tracking_id = file_report(b, base, photo)
    draft_id = file_report(open_browser(), base, None, {"title": "Lampu", "description": "Mati."})
    wait_until(b, f"{base}/lacak/{tracking_id}", lambda b: by_id(b, "status").get_attribute("data-status") in ROUTED)
    pages = {"home": "/", "report-form": "/lapor", "receipt": f"/lapor/{tracking_id}",
             "receipt-draft": f"/lapor/{draft_id}", "track-lookup": "/lacak", "tracking": f"/lacak/{tracking_id}",
             "public-list": "/publik", "public-report": f"/laporan/{tracking_id}", "statistics": "/statistik",
             "not-found": "/lacak/ID-00000-00000", "report-form-xlarge": "/lapor?size=xlarge",
             "erasure-confirmation": f"/lapor/{tracking_id}/hapus-kontak"}
    stranger = open_browser()
    for lang in ("id", "en"):
        for name, path in pages.items():
            viewer = stranger if name == "receipt-draft" else b
            size = "" if "size=" in path else "&size=normal"           # the A++ page's choice is remembered
            viewer.driver.get(f"{base}{path}{'&' if '?' in path else '?'}lang={lang}{size}")
            assert viewer.driver.find_element("tag name", "html").get_attribute("lang") == lang, name
            problems = [m for m in viewer.console_problems() if not (name == "not-found" and " 404 " in m)]
            assert not problems, f"{name} ({lang}): {problems}"
            no_serious_violations(viewer, f"{name} ({lang})")
            for label, size in (("phone", web.PHONE), ("desktop", web.DESKTOP)):
                viewer.resize(size)
                viewer.screenshot(f"{name}-{lang}-{label}")
            viewer.resize(web.PHONE)
    b.driver.get(f"{base}/lapor?lang=id&size=normal")
    submit(b)                                                            # an empty form: errors, then axe again
    assert b.driver.find_elements("css selector", ".error-summary")
    no_serious_violations(b, "report form with errors")
    b.screenshot("report-form-errors-id-phone")


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_reporter_reads_the_answer_replies_rates_and_reopens(stack, open_browser, official_headers, javascript):
    import requests
    base = stack["base"]
    b = open_browser(javascript=javascript)
    tracking_id = file_report(b, base, None)
    wait_until(b, f"{base}/lacak/{tracking_id}", lambda b: b.driver.find_elements("id", "deadline"))
    liaison = official_headers("lo-bll-pupr")
    verified = requests.post(f"{base}/admin/reports/{tracking_id}/verify", json={}, headers=liaison, timeout=10)
    assert verified.status_code == 200, verified.text                 # in the liaison's hands: it can be answered
    deadline = time.monotonic() + 30
    while not requests.get(f"{base}/cases/{tracking_id}", timeout=10).json().get("verified_at_unit"):
        assert time.monotonic() < deadline, "the case never learned of the unit's verification"
        time.sleep(0.3)
    answer = requests.post(f"{base}/cases/{tracking_id}/answer", headers=liaison, timeout=10,
                           json={"body": "Lubang sudah ditambal pada 18 November; terima kasih atas laporannya."})
    assert answer.status_code == 201, answer.text
    b.driver.get(f"{base}/lacak/{tracking_id}")
    assert "Lubang sudah ditambal" in b.driver.find_element("css selector", "article.message.from-official").text

    fill(b, {"body": "Terima kasih, tetapi lubang di sisi utara belum ditambal."})
    submit(b, "form[action$='/balas'] button")
    assert "notice=replied" in b.driver.current_url
    assert "sisi utara" in b.driver.find_element("css selector", "article.message.from-reporter").text

    submit(b, "form[action$='/nilai'] button")                          # no rating chosen: told so
    assert b.driver.find_elements("css selector", "#rating .field-error")
    fill(b, {"rating-2": True, "comment": "Belum tuntas."})
    submit(b, "form[action$='/nilai'] button")
    assert "notice=rated" in b.driver.current_url
    assert b.driver.find_element("css selector", "#deadline [data-indicator]").get_attribute("data-indicator") in (
        "closed_on_time", "closed_late")

    fill(b, {"reason": "Lubang di sisi utara jalan masih ada dan makin besar."})
    submit(b, "form[action$='/buka-kembali'] button")
    assert "notice=reopened" in b.driver.current_url
    wait_until(b, f"{base}/lacak/{tracking_id}",
               lambda b: by_id(b, "status").get_attribute("data-status") == "in_follow_up"
               and 'data-step="reopened"' in b.driver.page_source)  # the reporter's timeline (issue 21)


def test_public_list_hides_confidential_reports_and_anonymous_reporters_and_takes_comments(stack, open_browser):
    base = stack["base"]
    b = open_browser()
    public_id = file_report(b, base, None, {**COMPLETE, "title": "Drainase tersumbat di Jl. Gajah Mada"})
    anonymous_id = file_report(b, base, None, {**COMPLETE, "title": "Pungutan di loket KTP", "is_anonymous": True,
                                               "reporter_name": "Ketut Rahasia"})
    secret_id = file_report(b, base, None, {**COMPLETE, "title": "Laporan rahasia sekali", "is_confidential": True})
    for tracking_id in (public_id, anonymous_id, secret_id):
        wait_until(b, f"{base}/lacak/{tracking_id}", lambda b: b.driver.find_elements("id", "deadline"))
    b.driver.get(f"{base}/publik?region_code=5108")
    listing = by_id(b, "public-reports").text
    assert "Drainase tersumbat" in listing and "Pungutan di loket KTP" in listing
    assert "Laporan rahasia sekali" not in listing and secret_id not in listing
    assert "Ketut" not in listing and "Pelapor: Made" in listing
    b.driver.get(f"{base}/laporan/{secret_id}")
    assert "Laporan rahasia sekali" not in b.driver.page_source            # 404 page, nothing of it
    b.driver.get(f"{base}/laporan/{anonymous_id}")
    assert "Anonim" in text_of(b, "reporter") and "Ketut" not in b.driver.page_source

    b.driver.get(f"{base}/publik")
    b.driver.find_element("link text", "Drainase tersumbat di Jl. Gajah Mada").click()
    fill(b, {"name": "Wayan", "body": "Saya juga melihatnya <b>kemarin</b>."})
    submit(b, "form[action$='/komentar'] button")
    assert "notice=commented" in b.driver.current_url
    comment = b.driver.find_element("css selector", "#diskusi article.message").text
    assert "Wayan" in comment and "<b>kemarin</b>" in comment                # shown as text, not markup


def test_statistics_page_charts_a_chosen_period_and_links_the_open_data(stack, open_browser):
    import requests
    base = stack["base"]
    b = open_browser(javascript=False)
    b.driver.get(f"{base}/statistik?lang=en")
    from selenium.webdriver.support.ui import Select
    periods = [o.get_attribute("value") for o in Select(by_id(b, "period")).options]
    assert re.fullmatch(r"\d{4}", periods[0]) and any("-Q" in p for p in periods)
    Select(by_id(b, "period")).select_by_value(periods[1])            # last year
    submit(b, "form[action='/statistik'] button")
    assert f"period={periods[1]}" in b.driver.current_url and periods[1] in text_of(b, "period-title")
    for chart in ("chart-topics", "chart-agencies", "chart-colours", "chart-satisfaction"):
        assert by_id(b, f"{chart}-caption").text                       # each chart, or its "no data" line
    bars = b.driver.find_elements("css selector", "#chart-colours rect")
    assert [r.get_attribute("data-indicator") for r in bars] == ["green", "yellow", "red"]
    csv_link = by_id(b, "download-csv").get_attribute("href")
    download = requests.get(csv_link, timeout=10)
    assert download.status_code == 200 and download.headers["Content-Type"].startswith("text/csv")
    assert requests.get(by_id(b, "download-json").get_attribute("href"), timeout=10).json()["period"] == periods[1]


def test_statistics_chart_the_reports_once_there_are_enough_to_publish(stack, open_browser):
    """Counts below the publication threshold are hidden; with enough reports of one category the
    topic and agency charts draw bars (and the agency bar carries the indicator colour)."""
    import requests

    from tests.factories import make_report
    base = stack["base"]
    for n in range(6):
        filed = requests.post(f"{base}/reports", json=make_report(title=f"Drainase tersumbat {n}",
                                                                  category_code="lingkungan"), timeout=10)
        assert filed.status_code == 201, filed.text
    b = open_browser(javascript=False)
    wait_until(b, f"{base}/statistik?lang=en", lambda b: any(
        float(r.get_attribute("width")) > 0 for r in b.driver.find_elements("css selector", "#chart-topics rect")))
    topics = b.driver.find_element("id", "chart-topics").text
    assert "Environment" in topics or "lingkungan" in topics
    assert "fewer than" not in text_of(b, "totals").split("\n")[1]          # the total is published
    agency_bars = b.driver.find_elements("css selector", "#chart-agencies rect[data-indicator]")
    assert any(r.get_attribute("data-indicator") in ("green", "yellow", "red") for r in agency_bars)
    b.screenshot("statistics-with-data-en-phone")

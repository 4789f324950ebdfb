"""The browser tests share their Chromium instances (tests/e2e/browser.py ``Browsers``): a browser
lent to the next test holds nothing of the last one's (cookies, web storage, other windows,
history, console log, window size), and JavaScript off is a browser of its own."""
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.e2e import browser as web

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(web.available() is not None, reason=str(web.available()))]


class Site(BaseHTTPRequestHandler):
    """/set sets a cookie; every page shows the cookies it was sent, and a script's error on /error."""

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        if self.path == "/set":
            self.send_header("Set-Cookie", "earlier=test; Path=/")
        self.end_headers()
        script = "<script>throw new Error('earlier test')</script>" if self.path == "/error" else ""
        self.wfile.write(f"<!doctype html><p id=cookies>{self.headers.get('Cookie') or ''}</p>{script}".encode())

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def site():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Site)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_a_lent_browser_holds_nothing_of_the_test_before(browsers, site):
    with browsers.lending() as start:
        earlier = start(size=web.DESKTOP)
        earlier.driver.get(f"{site}/set")
        earlier.driver.get(f"{site}/error")
        earlier.driver.execute_script("localStorage.setItem('k', 'v'); sessionStorage.setItem('k', 'v');"
                                      " window.open('/other')")
        assert "earlier=test" in earlier.driver.find_element("id", "cookies").text
        assert len(earlier.driver.window_handles) == 2
    started = browsers.started
    with browsers.lending() as start:
        later = start()
        assert later is earlier and browsers.started == started  # shared, not started again
        assert len(later.driver.window_handles) == 1
        assert later.driver.execute_script("return [innerWidth, innerHeight]")[0] < web.DESKTOP[0]  # phone
        assert later.console_problems() == []
        later.driver.get(f"{site}/page")
        assert later.driver.find_element("id", "cookies").text == ""
        assert later.driver.execute_script("return [localStorage.length, sessionStorage.length]") == [0, 0]
        history = later.driver.execute_cdp_cmd("Page.getNavigationHistory", {})["entries"]
        assert [entry["url"] for entry in history if entry["url"].startswith(site)] == [f"{site}/page"]
        scriptless = start(javascript=False)
        assert scriptless is not later and not scriptless.javascript
        scriptless.driver.get(f"{site}/error")
        assert scriptless.console_problems() == []  # its script never ran

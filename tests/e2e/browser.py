"""A real browser for the page tests: Debian's Chromium driven by Selenium through Debian's
chromedriver (nothing is downloaded), headless, with a profile of its own per browser; axe-core
(installed from the npm registry into .run/node, git-ignored) injected for accessibility scans;
full-page screenshots saved under .run/screenshots/.

A session's browser tests borrow their browsers from one ``Browsers`` pool (tests/e2e/conftest.py,
``open_browser``): a Chromium is started only when no idle one of the same settings (JavaScript on
or off, Accept-Language) is there, and every browser is reset when it is lent (``Browser.reset``:
one blank window, no cookies, no cache, no storage, the asked size, its console log read), so a test
sees what a fresh profile shows. Starting a Chromium costs about 2-4 CPU-seconds; the stack lane
used to start about 30.)"""
from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import ROOT
from tests.ports import free_port

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
AXE_VERSION = "4.14.1"
AXE_DIR = ROOT / ".run" / "node"
AXE_FILE = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / ".run" / "screenshots"
PHONE, DESKTOP = (375, 812), (1280, 900)


def available() -> str | None:
    """Why the browser tests cannot run here (None: they can)."""
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not os.path.exists(p)]
    if missing:
        return f"{' and '.join(missing)} missing: apt-get install chromium chromium-driver (deploy/local/install.sh)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (requirements-dev.txt)"
    return None


@functools.cache
def axe_source() -> str:
    """axe-core's axe.min.js (MPL-2.0), installed with npm on first use."""
    if not AXE_FILE.exists():
        AXE_DIR.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--silent", "--prefix", str(AXE_DIR),
                        f"axe-core@{AXE_VERSION}"], check=True, timeout=300)
    return AXE_FILE.read_text(encoding="utf-8")


def origin_of(url: str) -> str | None:
    """``scheme://host:port`` of an http(s) URL (whose site data a reset clears), else None."""
    from urllib.parse import urlsplit
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") else None


class Browser:
    """One headless Chromium with its own profile; ``javascript=False`` turns scripts off."""

    def __init__(self, size=PHONE, javascript: bool = True, accept_language: str = "id,en;q=0.5"):
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
        self.profile = tempfile.mkdtemp(prefix="lapor-chromium-")
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--no-first-run", "--lang=en-US", f"--user-data-dir={self.profile}",
                    f"--window-size={size[0]},{size[1]}"):
            options.add_argument(arg)
        # no password or form data remembered from an earlier test that borrowed this browser
        prefs = {"intl.accept_languages": accept_language, "credentials_enable_service": False,
                 "profile.password_manager_enabled": False, "autofill.profile_enabled": False,
                 "autofill.credit_card_enabled": False}
        if not javascript:
            prefs["profile.managed_default_content_settings.javascript"] = 2
        options.add_experimental_option("prefs", prefs)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        # chromedriver's port from the lane's block (tests/ports.py), not one selenium probes in the ephemeral range
        self.driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER, port=free_port()), options=options)
        self.driver.set_window_size(*size)
        self.javascript, self.accept_language = javascript, accept_language

    def reset(self, size=PHONE):
        """As a fresh profile: one blank window of ``size`` with no history, no cookies, no cache,
        no storage of any site its windows opened, an empty console log."""
        handles, origins = self.driver.window_handles, set()
        for handle in reversed(handles):
            self.driver.switch_to.window(handle)
            history = self.driver.execute_cdp_cmd("Page.getNavigationHistory", {})
            origins |= {origin_of(entry["url"]) for entry in history["entries"]}
            if handle != handles[0]:
                self.driver.close()
        self.driver.switch_to.window(handles[0])
        self.driver.get("about:blank")
        self.driver.execute_cdp_cmd("Page.resetNavigationHistory", {})
        for origin in origins - {None}:
            self.driver.execute_cdp_cmd("Storage.clearDataForOrigin", {"origin": origin, "storageTypes": "all"})
        self.driver.execute_cdp_cmd("Network.clearBrowserCookies", {})
        self.driver.execute_cdp_cmd("Network.clearBrowserCache", {})
        self.driver.set_script_timeout(30)
        self.driver.get_log("browser")
        self.resize(size)

    def close(self):
        try:
            self.driver.quit()
        finally:
            shutil.rmtree(self.profile, ignore_errors=True)

    def resize(self, size):
        self.driver.set_window_size(*size)

    def screenshot(self, name: str) -> Path:
        """The whole page (beyond the window) as PNG, under .run/screenshots/."""
        import base64
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        metrics = self.driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
        content = metrics.get("cssContentSize") or metrics["contentSize"]
        viewport = metrics.get("cssLayoutViewport") or metrics["layoutViewport"]
        width = max(content["width"], viewport["clientWidth"])
        shot = self.driver.execute_cdp_cmd("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": width, "height": min(content["height"], 8000),
                     "scale": 1}})
        path = SCREENSHOTS / f"{name}.png"
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    def console_problems(self) -> list[str]:
        """Errors the page logged since the last call (a CSP refusal, a missing asset, a script error)."""
        return [entry["message"] for entry in self.driver.get_log("browser") if entry["level"] == "SEVERE"
                or "Content Security Policy" in entry["message"]]

    def axe(self) -> list[dict]:
        """Serious and critical axe-core violations of the current page (WCAG 2.1 A/AA rules)."""
        self.driver.set_script_timeout(120)
        if not self.driver.execute_script("return typeof window.axe === 'object'"):  # once per document
            self.driver.execute_script(axe_source())
        result = self.driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa',"
            " 'best-practice']}}).then(r => done(JSON.stringify(r.violations))).catch(e => done(JSON.stringify("
            "[{id: 'axe-error', impact: 'critical', description: String(e), nodes: []}])));")
        return [{"id": v["id"], "impact": v["impact"], "description": v["description"],
                 "nodes": [n.get("target") for n in v["nodes"]][:5]}
                for v in json.loads(result) if v.get("impact") in ("serious", "critical")]


class Browsers:
    """The Chromium instances of a test session, lent to one test at a time (see the module's doc)."""

    def __init__(self):
        self.idle: dict[tuple, list[Browser]] = {}
        self.started = 0

    def lend(self, size=PHONE, javascript: bool = True, accept_language: str = "id,en;q=0.5") -> Browser:
        idle = self.idle.setdefault((javascript, accept_language), [])
        while idle:
            browser = idle.pop()
            try:
                browser.reset(size)
                return browser
            except Exception:  # a browser that cannot be reset (it crashed) is not lent again
                browser.close()
        self.started += 1
        return Browser(size, javascript, accept_language)

    def give_back(self, browser: Browser) -> None:
        self.idle.setdefault((browser.javascript, browser.accept_language), []).append(browser)

    @contextmanager
    def lending(self, **defaults):
        """``start(**settings)`` lending browsers to one test, given back when it ends."""
        lent = []

        def start(**settings):
            lent.append(self.lend(**{**defaults, **settings}))
            return lent[-1]
        try:
            yield start
        finally:
            for browser in lent:
                self.give_back(browser)

    def close(self) -> None:
        for browser in (b for idle in self.idle.values() for b in idle):
            browser.close()
        self.idle.clear()

"""A tracking ID is never broken mid-code (issue 21): lapor.css's `.tracking-id` in a page heading and
the receipt's `.big-code` (tracking ID, secret), in Debian's headless Chromium at phone widths and
every text size, keep the code on one line and inside its box. A template shows an ID in a heading as `<span class="tracking-id">` (followup's
tracking.html heading: the word from the catalogue, `track.heading`, then the span; tested in
tests/unit/followup/test_tracking_page.py)."""
import pytest

from tests.conftest import ROOT
from tests.e2e import browser

CSS = ROOT / "services" / "contract" / "contract" / "static" / "lapor.css"
PAGE = """<!doctype html><html lang="id" class="{size}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="stylesheet" href="{css}"></head>
<body><main class="wrap"><h1>{word} <span class="tracking-id">ID-ANB0S-MYMJ4</span></h1>
<dl class="facts card"><dt>{word}</dt><dd><span class="big-code">ID-ANB0S-MYMJ4</span></dd>
<dt>Kode rahasia</dt><dd><span class="big-code">X9T1-EPXY-28QY</span></dd></dl></main></body></html>"""


@pytest.fixture(scope="module")
def chromium():
    reason = browser.available()
    if reason:
        pytest.skip(reason)
    opened = browser.Browser(size=(360, 800))
    yield opened
    opened.close()


@pytest.mark.parametrize("width", [320, 360])
def test_a_tracking_id_stays_whole_and_inside_its_box(chromium, tmp_path, width):
    chromium.resize((width, 800))
    seen = {}
    for size in ("size-normal", "size-large", "size-xlarge"):
        for word in ("Laporan", "Report"):
            page = tmp_path / f"{size}-{word}.html"
            page.write_text(PAGE.format(size=size, css=CSS.as_uri(), word=word), encoding="utf-8")
            chromium.driver.get(page.as_uri())
            for n, code in enumerate(chromium.driver.execute_script(
                    "return [...document.querySelectorAll('.tracking-id, .big-code')].map(code => {"
                    " const box = code.getBoundingClientRect(), outer = code.parentElement.closest('h1, .card');"
                    " const text = document.createRange(); text.selectNodeContents(code);"
                    " const lines = new Set([...text.getClientRects()].map(r => Math.round(r.top))).size;"
                    " return {lines, right: Math.round(box.right),"
                    " room: Math.round(outer.getBoundingClientRect().right), page: document.documentElement.clientWidth};"
                    "});")):
                seen[size, word, n] = code
    assert len(seen) == 3 * 2 * 3
    assert {key: got for key, got in seen.items() if got["lines"] != 1 or got["right"] > got["room"]} == {}
    assert {got["page"] for got in seen.values()} == {width}

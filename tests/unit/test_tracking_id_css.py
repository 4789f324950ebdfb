"""A tracking ID is never broken mid-code (issue 21): lapor.css's `.tracking-id` in a page heading,
in Debian's headless Chromium at phone widths and every text size, keeps the code on one line and
inside the page. A template shows an ID in a heading as `<span class="tracking-id">` (followup's
tracking.html heading, "Laporan {id}" from one catalogue text, does not have it yet)."""
import pytest

from tests.conftest import ROOT
from tests.e2e import browser

CSS = ROOT / "services" / "contract" / "contract" / "static" / "lapor.css"
PAGE = """<!doctype html><html lang="id" class="{size}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="stylesheet" href="{css}"></head>
<body><main class="wrap"><h1>{word} <span class="tracking-id">ID-ANB0S-MYMJ4</span></h1></main></body></html>"""


@pytest.fixture(scope="module")
def chromium():
    reason = browser.available()
    if reason:
        pytest.skip(reason)
    opened = browser.Browser(size=(360, 800))
    yield opened
    opened.close()


@pytest.mark.parametrize("width", [320, 360])
def test_the_tracking_id_in_a_heading_stays_whole_and_on_the_page(chromium, tmp_path, width):
    chromium.resize((width, 800))
    seen = {}
    for size in ("size-normal", "size-large", "size-xlarge"):
        for word in ("Laporan", "Report"):
            page = tmp_path / f"{size}-{word}.html"
            page.write_text(PAGE.format(size=size, css=CSS.as_uri(), word=word), encoding="utf-8")
            chromium.driver.get(page.as_uri())
            seen[size, word] = chromium.driver.execute_script(
                "const id = document.querySelector('.tracking-id'), box = id.getBoundingClientRect();"
                "return {lines: id.getClientRects().length, right: Math.round(box.right),"
                " page: document.documentElement.clientWidth};")
    assert {key: got for key, got in seen.items() if got["lines"] != 1 or got["right"] > got["page"]} == {}
    assert {got["page"] for got in seen.values()} == {width}

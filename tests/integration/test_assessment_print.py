"""The printable monitoring report in a real browser.

Headless Chromium (Debian's `chromium`, installed by `make install`) renders the HTML report an
agency admin downloads from the assessment service, as a screenshot and as a PDF; the test checks
what a reader would see: ink on the page, one bar per month in the chart's colours, A4 pages that
carry the title, the agency and the numbers at 100 % scale. The same checks are run on broken
renderings (an empty page, the report without its chart, a page wider than A4), where they must
fail, so they are known to be able to fail.
"""
import os
import re
import shutil
import subprocess
import zlib

import pytest
import requests
import yaml
from nameko.standalone.events import event_dispatcher
from PIL import Image, ImageChops

from assessment.service import AssessmentService
from contract.registry_names import Names, name_of, names_of_registry
from tests.integration.conftest import DEMO_REGISTRY, settled, wait_for
from tests.integration.test_assessment_kpi import YEAR, generate
from tests.integration.test_assessment_reports import OfficialsDirectory

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("LAPOR_REQUIRE_BROWSER"),
    reason="chromium is not installed (`make install` installs it from Debian); "
           "set LAPOR_REQUIRE_BROWSER=1 to make a missing browser a failure")

with open(DEMO_REGISTRY) as _handle:
    DEMO_NAMES = Names(names_of_registry(yaml.safe_load(_handle)))
WINDOW = (1240, 1754)                                   # A4 proportions
RECEIVED, COMPLETED = (0x1F, 0x6F, 0xB2), (0x2E, 0x9E, 0x44)   # the bar colours of reports.bar_chart
INDICATORS = {"green": (0x2E, 0x9E, 0x44), "yellow": (0xC9, 0xA1, 0x00), "red": (0xC0, 0x39, 0x2B)}  # template's badges
A4_POINTS = (595.3, 841.9)
MIN_INK = 0.01                                          # share of non-white pixels of a page with content


def render(html, tmp_path, name):
    """Screenshot (PNG) and PDF of `html` by headless Chromium, each a plain subprocess."""
    assert CHROMIUM, "LAPOR_REQUIRE_BROWSER is set but chromium is not installed: run `make install`"
    page = tmp_path / f"{name}.html"
    page.write_text(html, encoding="utf-8")
    png, pdf = tmp_path / f"{name}.png", tmp_path / f"{name}.pdf"
    common = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              f"--user-data-dir={tmp_path / 'profile'}"]
    for args in ([f"--screenshot={png}", f"--window-size={WINDOW[0]},{WINDOW[1]}"],
                 [f"--print-to-pdf={pdf}", "--no-pdf-header-footer"]):
        done = subprocess.run(common + args + [page.as_uri()], capture_output=True, text=True, timeout=90)
        assert done.returncode == 0, done.stderr[-3000:]
    assert png.is_file() and pdf.is_file(), "chromium wrote no output"
    return png, pdf


def ink(image):
    """Share of pixels that are not (near) white."""
    histogram = image.convert("L").histogram()
    return sum(histogram[:235]) / (image.width * image.height)


def mask(image, colour):
    """Black-and-white mask of the pixels of `colour` (small tolerance for anti-aliasing)."""
    difference = ImageChops.difference(image, Image.new("RGB", image.size, colour)).convert("L")
    return difference.point(lambda v: 255 if v <= 6 else 0)


def bars(image, colour):
    """The bars of `colour` standing on the chart's baseline: (left, right) pixel columns of each.

    Every bar ends on the baseline, so the row just above the lowest pixel of the colour crosses
    every bar once (the legend's swatch sits higher and is not counted)."""
    found = mask(image, colour)
    box = found.getbbox()
    if box is None:
        return []
    row = list(found.crop((0, box[3] - 2, image.width, box[3] - 1)).getdata())
    runs, start = [], None
    for x, v in enumerate(row + [0]):
        if v and start is None:
            start = x
        elif not v and start is not None:
            runs.append((start, x - 1))
            start = None
    return runs


def pdf_objects(data):
    return {int(n): body for n, body in re.findall(rb"(?ms)^(\d+) 0 obj\s*(.*?)endobj", data)}


def pdf_stream(body):
    raw = body.split(b"stream", 1)[1].lstrip(b"\r\n")
    return zlib.decompressobj().decompress(raw) if b"/FlateDecode" in body else raw.rsplit(b"endstream", 1)[0]


def pdf_pages(data):
    """The page objects of a PDF (as Chromium's Skia writes them: no object streams)."""
    return [body for body in pdf_objects(data).values() if re.search(rb"/Type /Page\b(?!s)", body)]


def pdf_content(objects, page):
    """The decompressed content stream of a page object."""
    return pdf_stream(objects[int(re.search(rb"/Contents (\d+) 0 R", page).group(1))])


def pdf_text(data):
    """The text of a Chromium (Skia) PDF: each page's Tj/TJ glyph strings through its font's
    ToUnicode map. Enough for Skia's output, not a general PDF reader."""
    objects = pdf_objects(data)

    def unicode_map(number):
        cmap, table = pdf_stream(objects[number]), {}
        for block in re.findall(rb"(?s)beginbfchar(.*?)endbfchar", cmap):
            for src, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
                table[int(src, 16)] = bytes.fromhex(dst.decode()).decode("utf-16-be")
        for block in re.findall(rb"(?s)beginbfrange(.*?)endbfrange", cmap):
            for low, high, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
                first = int(dst, 16)
                for offset, code in enumerate(range(int(low, 16), int(high, 16) + 1)):
                    table[code] = chr(first + offset)
        return table

    fonts = {n: unicode_map(int(m.group(1))) for n, body in objects.items()
             if (m := re.search(rb"/ToUnicode (\d+) 0 R", body))}
    lines = []
    for page in pdf_pages(data):
        names = {}
        for block in re.findall(rb"(?s)/Font\s*<<(.*?)>>", page):
            names.update({name: int(n) for name, n in re.findall(rb"/(\w+) (\d+) 0 R", block)})
        table, line = {}, []
        for op in re.finditer(rb"/(\w+) [-\d.]+ Tf|<([0-9A-Fa-f]*)>\s*Tj|\[([^\]]*)\]\s*TJ|\bET\b",
                              pdf_content(objects, page)):
            if op.group(1):
                table = fonts.get(names.get(op.group(1)), {})
            elif op.group(0) == b"ET":
                lines.append("".join(line))
                line = []
            else:
                for glyphs in [op.group(2)] if op.group(2) is not None else re.findall(
                        rb"<([0-9A-Fa-f]*)>", op.group(3)):
                    line += [table.get(int(glyphs[i:i + 4], 16), "?") for i in range(0, len(glyphs), 4)]
    return "\n".join(lines)


@pytest.fixture
def printable(start_services, rpc, service_config):
    """The assessment service with a generated year of reports and PEMKAB-KOTIM's target;
    `printable(period, official)` is the HTML report that official downloads, with its JSON twin."""
    # the names copy from the demo registry file, as before routing's first registry_updated
    urls = start_services(OfficialsDirectory, AssessmentService,
                          config={**service_config, "REGISTRY_FILE": str(DEMO_REGISTRY)})
    reports, stream = generate(120, seed=11)
    dispatch = event_dispatcher(service_config)
    for source, event_type, payload in stream:
        dispatch(source, event_type, payload)
    # applied AND folded into the KPI cells the reports read (ci: the HTML read before the compactor's
    # last fold said 39 received, the JSON read after it 40)
    wait_for(lambda: settled(rpc.assessment.health(), len(stream)), timeout=120, interval=0.5)

    def auth(official):
        return {"Authorization": f"Bearer test-{official}"}  # OfficialsDirectory's tokens
    target = requests.put(f"{urls['assessment']}/assessments/agencies/PEMKAB-KOTIM/targets/{YEAR}",
                          headers=auth("adm-kotim"), timeout=10,
                          json={"baseline_year": 2020, "baseline_received": 22, "baseline_completed_pct": 54.5,
                                "target_received": 30, "target_completed_pct": 100})
    assert target.status_code == 200, target.text

    def fetch(period, official):
        url = f"{urls['assessment']}/assessments/reports/monitoring?period={period}"
        html = requests.get(f"{url}&format=html", headers=auth(official), timeout=10)
        assert html.status_code == 200 and html.headers["Content-Type"].startswith("text/html"), html.text
        return html.text, requests.get(url, headers=auth(official), timeout=10).json()
    return fetch


def check_screenshot(png, report):
    with Image.open(png) as decoded:
        shot = decoded.convert("RGB")
    assert shot.size == WINDOW
    assert ink(shot) > MIN_INK, f"the page looks blank ({ink(shot):.4f} of pixels with ink)"
    for colour, key in ((RECEIVED, "received"), (COMPLETED, "completed")):
        found = bars(shot, colour)
        assert len(found) == sum(1 for m in report["monthly"] if m[key] > 0), (key, found)
        assert all(right - left >= 4 for left, right in found), (key, found)  # bars, not stray pixels
    chart = mask(shot, RECEIVED).getbbox()
    assert chart[2] < shot.width - 20 and chart[3] < shot.height - 20, f"the chart runs off the page: {chart}"


def check_pdf(pdf, report):
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    pages = pdf_pages(data)
    assert len(pages) >= 1
    text = pdf_text(data)
    agency = name_of(DEMO_NAMES, "agencies", report["agency_code"]) or "Semua instansi"  # by name (issue 21)
    for expected in (agency, report["title_id"], report["title_en"]):
        assert expected in text, f"{expected!r} is not in the PDF's text: {text[:300]!r}"
    assert report["period"] in text and str(report["totals"]["received"]) in text
    assert re.search(rb"/Title \(" + re.escape(report["title_id"].encode()), data), "document title missing"
    objects = pdf_objects(data)
    for page in pages:
        width, height = (float(v) for v in re.search(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", page).groups())
        assert abs(width - A4_POINTS[0]) < 1.5 and abs(height - A4_POINTS[1]) < 1.5, "not an A4 page"
        # Skia's page transform, then Chromium's CSS-pixel transform: 0.75 pt per px is 100 %;
        # Chromium shrinks a page whose content is wider than the paper.
        scales = [float(a) for a in re.findall(rb"([-\d.]+)(?: [-\d.]+){5} cm", pdf_content(objects, page))]
        assert len(scales) >= 2 and scales[0] * scales[1] == pytest.approx(0.75, abs=0.002), \
            f"printed shrunk to {scales[0] * scales[1] / 0.75:.0%}: content wider than A4"
    if report["indicator"]:
        # The indicator badge keeps its colour on paper (a background; yellow and red are used
        # nowhere else on the page, green is also the completed bars' colour).
        fills = {tuple(round(float(c) * 255) for c in m) for page in pages
                 for m in re.findall(rb"([\d.]+) ([\d.]+) ([\d.]+) rg", pdf_content(objects, page))}
        assert INDICATORS[report["indicator"]] in fills, f"the {report['indicator']} indicator lost its colour"


def test_the_printable_reports_render_in_a_browser_with_their_chart_on_a4_pages(printable, tmp_path):
    for name, period, official in (("year", str(YEAR), "adm-kotim"), ("month", f"{YEAR}-11", "adm-kotim"),
                                   ("hub", str(YEAR), "nas-admin-1")):
        html, report = printable(period, official)
        assert report["agency_code"] == (None if official == "nas-admin-1" else "PEMKAB-KOTIM")
        assert report["totals"]["received"] > 0, (name, report["totals"])
        png, pdf = render(html, tmp_path, name)
        check_screenshot(png, report)
        check_pdf(pdf, report)

    # Broken renderings of the same report fail the checks: without its chart, and wider than A4.
    html, report = printable(str(YEAR), "adm-kotim")
    png, pdf = render(re.sub(r"(?s)<svg.*?</svg>", "", html), tmp_path, "no-chart")
    with pytest.raises(AssertionError, match="received"):
        check_screenshot(png, report)
    png, pdf = render(html.replace("</body>", '<div style="width: 260mm">&nbsp;</div></body>'), tmp_path, "wide")
    with pytest.raises(AssertionError, match="shrunk"):
        check_pdf(pdf, report)


def test_the_checks_fail_on_an_empty_page(tmp_path):
    png, pdf = render("<!DOCTYPE html><html><head><title>x</title><style>@page { size: A4 }</style></head>"
                      "<body></body></html>", tmp_path, "empty")
    with Image.open(png) as decoded:
        shot = decoded.convert("RGB")
    assert ink(shot) < MIN_INK / 20
    assert bars(shot, RECEIVED) == [] and bars(shot, COMPLETED) == []
    with pytest.raises(AssertionError, match="blank"):
        check_screenshot(png, {"monthly": [{"received": 1, "completed": 1}]})
    assert "Kotawaringin" not in pdf_text(pdf.read_bytes())
    with pytest.raises(AssertionError, match="Kotawaringin"):
        check_pdf(pdf, {"agency_code": "PEMKAB-KOTIM", "title_id": "Laporan Pemantauan Bulanan",
                        "title_en": "Monthly monitoring report", "period": "2025-11", "totals": {"received": 3},
                        "indicator": None})

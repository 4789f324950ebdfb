import csv
import io
import xml.etree.ElementTree as ET

from assessment import indicators, periods, reports
from contract.registry_names import NO_NAMES, Names
from tests.fakes.names import DEMO_NAMES


def report(kind_period="2021"):
    period = periods.parse(kind_period)
    monthly = [indicators.kpi_row(m, {"received": i, "completed": i // 2, "unresolved": i - i // 2}, 1)
               for i, m in enumerate(period["months"], start=1)]
    totals = indicators.kpi_row("*", {"received": 52, "completed": 34, "unresolved": 18}, len(period["months"]))
    by_unit = [indicators.kpi_row("KTM-<PUPR>", {"received": 52, "completed": 34, "unresolved": 18}, 12)]
    return reports.monitoring_report(period, "PEMKAB-KOTIM", totals, monthly, {"unit": by_unit}, None,
                                     indicators.DEFAULT_COLOURS)


def test_html_report_is_escaped_and_has_a_well_formed_chart():
    html = reports.report_html(report(), NO_NAMES)
    assert "KTM-&lt;PUPR&gt;" in html and "KTM-<PUPR>" not in html
    svg = html[html.index("<svg"):html.index("</svg>") + 6]
    root = ET.fromstring(svg)  # the chart is well-formed XML
    rects = root.findall("{http://www.w3.org/2000/svg}rect")
    assert len(rects) == 2 * 12 + 2
    heights = [float(r.get("height")) for r in rects[:-2]]
    assert heights[-2] == max(heights)  # December: 12 received, the tallest bar
    assert "Laporan Evaluasi Tahunan" in html and "65.4%" in html and 'class="badge yellow"' in html


def test_csv_report_sections():
    rows = list(csv.DictReader(io.StringIO(reports.report_csv(report("2021-Q4")))))
    assert [r["section"] for r in rows] == ["total", "month", "month", "month", "unit"]
    assert rows[0]["completed_pct"] == "65.4" and rows[0]["unresolved_pct"] == "34.6"


def test_chart_axis_steps_and_a_single_month_keeps_narrow_bars():
    assert [reports.nice_top(v) for v in (0, 3, 9, 41, 999, 2600)] == [4, 4, 12, 80, 1000, 4000]
    chart = reports.bar_chart([{"value": "2021-11", "received": 9, "completed": 3}])
    assert [t["text"] for t in chart["ticks"]] == [3, 6, 9, 12]
    assert all(b["w"] <= 28 for b in chart["bars"])               # not one bar across the whole page
    received, completed = chart["bars"]
    assert received["h"] == 3 * completed["h"]                    # heights keep the ratio 9 : 3
    assert abs((received["x"] + completed["x"] + completed["w"]) / 2 - chart["labels"][0]["x"]) < 2  # centred
    svg = reports.report_html(report("2021-11"), NO_NAMES)
    assert svg.count('stroke="#dddddd"') == 4                      # gridlines at the four ticks


def test_the_printable_report_names_the_agency_units_categories_and_regions_in_both_languages():
    """Issue 21: the monitoring report's tables listed BLL-PUPR, infrastruktur, 5108."""
    period = periods.parse("2026-11")
    counts = {"received": 6, "completed": 4, "unresolved": 2}
    breakdowns = {"unit": [indicators.kpi_row("BLL-PUPR", counts, 1)],
                  "category": [indicators.kpi_row("infrastruktur", counts, 1)],
                  "region": [indicators.kpi_row("5108", counts, 1)], "channel": [indicators.kpi_row("web", counts, 1)]}
    report = reports.monitoring_report(period, "PEMKAB-BULELENG", indicators.kpi_row("*", counts, 1), [], breakdowns,
                                       None, indicators.DEFAULT_COLOURS)
    html = reports.report_html(report, Names(DEMO_NAMES))
    assert "<strong>Pemerintah Kabupaten Buleleng</strong>" in html
    assert "<td class=\"name\">Dinas Pekerjaan Umum dan Penataan Ruang Kab. Buleleng</td>" in html
    assert ("<td class=\"name\">Infrastruktur (jalan, jembatan, drainase) <span class=\"en\">/ Infrastructure (roads, bridges, "
            "drainage)</span></td>") in html
    assert "<td class=\"name\">Kabupaten Buleleng</td>" in html
    for code in ("PEMKAB-BULELENG", "BLL-PUPR", ">infrastruktur<", ">5108<"):
        assert code not in html

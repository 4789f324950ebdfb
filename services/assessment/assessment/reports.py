"""Monitoring reports (monthly, quarterly) and the yearly evaluation: JSON, CSV, printable HTML."""
from __future__ import annotations

import io
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from assessment.indicators import colour
from contract import csvfile, i18n, registry_names
from contract.registry_names import Names

CSV_COLUMNS = ("section", "value", "received", "average_per_month", "completed", "completed_pct", "unresolved",
               "unresolved_pct", "closed_within_sla", "closed_within_sla_pct", "overdue",
               "avg_first_response_hours", "avg_closure_hours", "rating_count", "rating_avg", "satisfaction_index")
BREAKDOWNS = ("unit", "category", "channel", "region", "classification", "gesi")
TEXTS = i18n.of_service("assessment")  # titles: ``report.title.<kind>`` (contract.i18n)

# the breakdowns whose values are registry codes, shown by name (contract.registry_names)
NAMED = {"unit": "units", "category": "categories", "region": "regions", "agency": "agencies"}

_env = Environment(loader=FileSystemLoader(str(Path(__file__).parent / "templates")),
                   autoescape=select_autoescape(["html"]))
registry_names.register(_env)


def monitoring_report(period: dict, scope: str, totals: dict | None, monthly: list[dict],
                      breakdowns: dict[str, list[dict]], target: dict | None, thresholds: dict) -> dict:
    """The report as data: totals, the month-by-month series, breakdowns and the target."""
    title_id, title_en = (TEXTS.text(f"report.title.{period['kind']}", lang) for lang in i18n.LANGS)
    return {"title_id": title_id, "title_en": title_en, "period": period["period"], "kind": period["kind"],
            "agency_code": None if scope == "*" else scope, "totals": totals,
            "indicator": colour(totals["completed_pct"], thresholds) if totals else None,
            "monthly": monthly, "breakdowns": breakdowns, "target": target}


def to_csv(rows_by_section: list[tuple[str, list[dict]]]) -> str:
    """One CSV table: a section column, then the KPI columns (semicolon-free, UTF-8)."""
    out = io.StringIO()
    writer = csvfile.writer(out)
    writer.writerow(CSV_COLUMNS)
    for section, rows in rows_by_section:
        for row in rows:
            writer.writerow([section] + [("" if row.get(c) is None else row.get(c)) for c in CSV_COLUMNS[1:]])
    return out.getvalue()


def report_csv(report: dict) -> str:
    sections = [("total", [report["totals"]] if report["totals"] else []), ("month", report["monthly"])]
    sections += [(name, report["breakdowns"].get(name, [])) for name in BREAKDOWNS]
    return to_csv(sections)


def nice_top(value: int, steps: int = 4) -> int:
    """The top of a y axis of ``steps`` equal whole-number steps of 1, 2, 2.5 or 5 times a power
    of ten, at or above ``value`` (3 -> 4, 9 -> 12, 41 -> 80, 999 -> 1000)."""
    magnitude = 1
    while True:
        for step in (1, 2, 2.5, 3, 5):
            size = step * magnitude
            if size == int(size) and size * steps >= value:
                return int(size * steps)
        magnitude *= 10


def bar_chart(series: list[dict], width: int = 640, height: int = 250, max_bar: int = 28) -> dict:
    """Geometry of a grouped bar chart (received vs completed per month) for inline SVG, with a
    y axis of four steps and gridlines; bars keep a readable width for a single month too."""
    top = nice_top(max([max(s["received"], s["completed"]) for s in series] + [1]))
    plot = height - 70  # 40 px above for the legend, 30 below for the month labels
    slot = (width - 60) / max(len(series), 1)
    bar = min((slot - 8) / 2 - 2, max_bar)
    bars = []
    for i, s in enumerate(series):
        start = 50 + i * slot + (slot - 2 * bar - 2) / 2
        for j, (key, fill) in enumerate((("received", "#1f6fb2"), ("completed", "#2e9e44"))):
            h = plot * s[key] / top
            bars.append({"x": round(start + j * (bar + 2), 1), "y": round(height - 30 - h, 1), "w": round(bar, 1),
                         "h": round(h, 1), "fill": fill, "title": f"{s['value']} {key}: {s[key]}"})
    labels = [{"x": round(50 + i * slot + slot / 2, 1), "text": s["value"]} for i, s in enumerate(series)]
    ticks = [{"y": round(height - 30 - plot * k / 4, 1), "text": top * k // 4} for k in range(1, 5)]
    return {"width": width, "height": height, "bars": bars, "labels": labels, "top": top, "ticks": ticks}


def report_html(report: dict, names: Names) -> str:
    """A printable HTML page with an inline SVG chart; no script, no external resource. Agencies,
    units, categories and regions by name (``names``: the registry's), in both languages."""
    return _env.get_template("monitoring.html").render(r=report, chart=bar_chart(report["monthly"]),
                                                       breakdown_names=BREAKDOWNS, names=names, kinds=NAMED)


def public_csv(stats: dict) -> str:
    """Open data as CSV: section, key, received, completed, completed_pct, indicator, and the
    satisfaction survey's respondents, IKM and grade (total and agency rows)."""
    out = io.StringIO()
    writer = csvfile.writer(out)
    writer.writerow(("period", "section", "key", "received", "completed", "completed_pct", "indicator",
                     "survey_respondents", "survey_ikm", "survey_grade"))

    def cell(value):
        return "" if value is None else value
    hub = stats.get("survey") or {}
    writer.writerow((stats["period"], "total", "*", cell(stats["received"]), "", cell(stats["completed_pct"]), "",
                     cell(hub.get("respondents")), cell(hub.get("ikm")), cell(hub.get("grade"))))
    for status, count in stats["statuses"].items():
        writer.writerow((stats["period"], "status", status, cell(count), "", "", "", "", "", ""))
    for topic in stats["top_topics"]:
        writer.writerow((stats["period"], "top_topic", topic["category_code"], cell(topic["received"]), "", "", "",
                         "", "", ""))
    for agency in stats["agencies"]:
        writer.writerow((stats["period"], "agency", agency["agency_code"], cell(agency["received"]),
                         cell(agency["completed"]), cell(agency["completed_pct"]), cell(agency["indicator"]),
                         cell(agency.get("survey_respondents")), cell(agency.get("survey_ikm")),
                         cell(agency.get("survey_grade"))))
    return out.getvalue()

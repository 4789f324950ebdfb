"""The public statistics page as data: the periods a reader can pick, and the geometry of its
server-rendered SVG charts (no script, no inline style: colours are SVG attributes).
Plain functions: no nameko, no pymongo."""
from __future__ import annotations

from datetime import date
from typing import Callable

from contract.registry_names import Names, name_of

COLOURS = {"green": "#2e7d32", "yellow": "#c9a100", "red": "#b3261e", None: "#9aa7b3"}
BAR = "#0b5394"


def period_options(today: date) -> list[str]:
    """This year and the last, this year's quarters so far, and its months so far (newest first)."""
    year = today.year
    quarters = [f"{year}-Q{q}" for q in range((today.month - 1) // 3 + 1, 0, -1)]
    months = [f"{year}-{m:02d}" for m in range(today.month, 0, -1)]
    return [str(year), str(year - 1)] + quarters + months


def hbar_chart(rows: list[dict], maximum: float | None = None, width: int = 360, row_height: int = 48) -> dict:
    """Horizontal bars, each under its label (readable on a narrow phone): each row
    ``{"label", "value", "text", "fill"}``; a row whose value is None (a suppressed small count)
    gets no bar, only its text; a ``stub`` row shows its colour even at 0 (an agency at 0 %)."""
    top = maximum or max([r["value"] or 0 for r in rows] + [1])
    plot = width - 90
    bars = []
    for i, row in enumerate(rows):
        value = row["value"] or 0
        length = round(plot * value / top, 1) if top else 0
        y = 4 + i * row_height
        bars.append({**row, "label_x": 0, "label_y": y + 16, "x": 0, "y": y + 22, "h": 18,
                     "w": max(length, 4 if row.get("stub") and row["value"] is not None else 2 if row["value"] else 0), "text_x": max(length, 0) + 6, "text_y": y + 36})
    return {"width": width, "height": 8 + len(rows) * row_height, "bars": bars}


def shorten(text: str, limit: int = 44) -> str:
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def topic_rows(topics: list[dict], named: Callable[[str], str], few: str) -> list[dict]:
    """``named(code)``: the category's name in the page's language."""
    return [{"label": shorten(named(t["category_code"])),
             "full": named(t["category_code"]), "value": t["received"],
             "text": str(t["received"]) if t["received"] is not None else few, "fill": BAR} for t in topics]


def agency_rows(agencies: list[dict], named: Callable[[str], str], few: str) -> list[dict]:
    rows = []
    for a in sorted(agencies, key=lambda a: (a["completed_pct"] is None, -(a["completed_pct"] or 0))):
        pct = a["completed_pct"]
        rows.append({"label": shorten(named(a["agency_code"])),
                     "full": named(a["agency_code"]), "value": pct,
                     "text": f"{pct:.1f} %" if pct is not None else few, "fill": COLOURS.get(a["indicator"]),
                     "indicator": a["indicator"], "received": a["received"], "stub": True})
    return rows


def colour_rows(agencies: list[dict], labels: dict[str, str]) -> list[dict]:
    """How many agencies show each indicator colour."""
    counts = {c: sum(1 for a in agencies if a["indicator"] == c) for c in ("green", "yellow", "red")}
    return [{"label": labels[c], "full": labels[c], "value": n, "text": str(n), "fill": COLOURS[c], "indicator": c}
            for c, n in counts.items()]


def satisfaction_rows(survey_ikm: float | None, rating_index: float | None, labels: dict[str, str],
                      few: str) -> list[dict]:
    """The survey's IKM (25-100) and the answers' satisfaction index (0-100) on one 0-100 scale."""
    return [{"label": labels["ikm"], "full": labels["ikm"], "value": survey_ikm,
             "text": f"{survey_ikm:.1f}" if survey_ikm is not None else few, "fill": BAR},
            {"label": labels["rating"], "full": labels["rating"], "value": rating_index,
             "text": f"{rating_index:.1f}" if rating_index is not None else few, "fill": BAR}]


def charts(stats: dict, rating_index: float | None, names: Names, lang: str, text, k: int) -> dict:
    """The page's four charts: top topics, agencies' completion, indicator colours, satisfaction.
    ``names``: the registry's names (shown in ``lang``); ``text(key, **values)``: the page's catalogue."""
    few = text("stats.fewer", k=k)
    colour_labels = {c: text("stats.colour_" + c) for c in ("green", "yellow", "red")}
    return {
        "topics": hbar_chart(topic_rows(stats["top_topics"], lambda c: name_of(names, "categories", c, lang), few)),
        "agencies": hbar_chart(agency_rows(stats["agencies"], lambda c: name_of(names, "agencies", c, lang), few),
                               maximum=100),
        "colours": hbar_chart(colour_rows(stats["agencies"], colour_labels)),
        "satisfaction": hbar_chart(satisfaction_rows(
            (stats.get("survey") or {}).get("ikm"), rating_index,
            {"ikm": text("stats.ikm"), "rating": text("stats.rating_index")}, few), maximum=100),
    }

"""From aggregate cells to the indicators people read: KPIs, targets, public statistics."""
from __future__ import annotations

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from typing import Iterable

from assessment.kpi import STATUSES
from assessment.selfassessment import round2

DEFAULT_COLOURS = {"green_min_pct": 80.0, "yellow_min_pct": 50.0}


def _pct(part: int, whole: int) -> float | None:
    return float((Decimal(100 * part) / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)) if whole else None


def _mean(total: int, n: int, scale: int = 1) -> float | None:
    return float(round2(Decimal(total) / (n * scale))) if n else None


def sum_cells(cells: Iterable[dict]) -> dict[str, dict[str, int]]:
    """value -> summed counters over the given cells (already filtered to one scope and dimension)."""
    out: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for cell in cells:
        row = out[cell["value"]]
        for key, value in cell.items():
            if key not in ("_id", "scope", "dim", "value", "month") and isinstance(value, int):
                row[key] += value
    return out


def kpi_row(value: str, c: dict[str, int], months: int) -> dict:
    """The indicators of one group of reports over a period of ``months`` months."""
    received, completed = c.get("received", 0), c.get("completed", 0)
    ratings = c.get("rating_n", 0)
    mean_rating = _mean(c.get("rating_sum", 0), ratings)
    return {
        "value": value,
        "received": received,
        "average_per_month": _mean(received, months),
        "completed": completed, "completed_pct": _pct(completed, received),
        "unresolved": c.get("unresolved", 0), "unresolved_pct": _pct(c.get("unresolved", 0), received),
        "closed_within_sla": c.get("closed_on_time", 0),
        "closed_within_sla_pct": _pct(c.get("closed_on_time", 0), completed),
        "overdue": c.get("overdue", 0),
        "first_response_count": c.get("first_response_n", 0),
        "avg_first_response_hours": _mean(c.get("first_response_s", 0), c.get("first_response_n", 0), 3600),
        "avg_closure_hours": _mean(c.get("closure_s", 0), c.get("closure_n", 0), 3600),
        "rating_count": ratings, "rating_avg": mean_rating,
        "ratings": {str(r): c.get(f"rating_{r}", 0) for r in range(1, 6)},
        "satisfaction_index": satisfaction_index(mean_rating),
        "statuses": {s: c.get(f"status_{s}", 0) for s in STATUSES},
    }


def satisfaction_index(mean_rating: float | None) -> float | None:
    """Mean rating (1-5) on a 0-100 scale: 1 -> 0, 3 -> 50, 5 -> 100."""
    if mean_rating is None:
        return None
    return float(round2((Decimal(str(mean_rating)) - 1) * 25))


def kpi_table(cells: Iterable[dict], months: int) -> list[dict]:
    """One KPI row per value of a dimension, most reports first."""
    rows = [kpi_row(v, c, months) for v, c in sum_cells(cells).items() if c.get("received", 0) > 0]
    return sorted(rows, key=lambda r: (-r["received"], r["value"]))


def colour(completed_pct: float | None, thresholds: dict) -> str | None:
    """Follow-up indicator: Green / Yellow / Red (Hijau / Kuning / Merah) from completion."""
    if completed_pct is None:
        return None
    if completed_pct >= thresholds["green_min_pct"]:
        return "green"
    return "yellow" if completed_pct >= thresholds["yellow_min_pct"] else "red"


def target_view(target: dict, actual: dict | None) -> dict:
    """Baseline, target, actual and gap (actual - target) for received and completion %."""
    received = actual["received"] if actual else 0
    completed_pct = actual["completed_pct"] if actual else None
    gap_received = received - target["target_received"] if target.get("target_received") is not None else None
    gap_pct = (round(completed_pct - target["target_completed_pct"], 1)
               if completed_pct is not None and target.get("target_completed_pct") is not None else None)
    return {**{k: target.get(k) for k in ("agency_code", "year", "baseline_year", "baseline_received",
                                           "baseline_completed_pct", "target_received", "target_completed_pct")},
            "actual_received": received, "actual_completed": actual["completed"] if actual else 0,
            "actual_completed_pct": completed_pct, "gap_received": gap_received, "gap_completed_pct": gap_pct}


def suppress(value: int, k: int) -> int | None:
    """Small-cell suppression for public figures: 1..k-1 becomes None (shown as "<k")."""
    return None if 0 < value < k else value


def public_view(by_agency: list[dict], by_category: list[dict], totals: dict | None, period: dict,
                k: int, thresholds: dict, top: int = 5) -> dict:
    """Public statistics: no text, no reporter, small counts suppressed so confidential reports
    cannot be singled out."""
    statuses = {s: suppress(n, k) for s, n in (totals or {}).get("statuses", {}).items()}
    agencies = []
    for row in by_agency:
        if row["value"] == "-":
            continue
        small = row["received"] < k
        agencies.append({"agency_code": row["value"], "received": suppress(row["received"], k),
                         "completed": None if small else row["completed"],
                         "completed_pct": None if small else row["completed_pct"],
                         "indicator": None if small else colour(row["completed_pct"], thresholds),
                         "suppressed": small})
    topics = [{"rank": i, "category_code": r["value"], "received": suppress(r["received"], k)}
              for i, r in enumerate(by_category[:top], start=1)]
    return {"period": period["period"], "min_cell_size": k,
            "received": suppress((totals or {}).get("received", 0), k),
            "completed_pct": (totals or {}).get("completed_pct") if (totals or {}).get("received", 0) >= k else None,
            "statuses": statuses, "top_topics": topics, "agencies": agencies}


def monthly_rows(cells: Iterable[dict], months: list[str]) -> list[dict]:
    """One KPI row per month of the period (months without reports show zeros)."""
    by_month: dict[str, list[dict]] = defaultdict(list)
    for cell in cells:
        by_month[cell["month"]].append({**cell, "value": cell["month"]})
    rows = []
    for month in months:
        summed = sum_cells(by_month.get(month, []))
        rows.append(kpi_row(month, summed.get(month, {}), 1))
    return rows

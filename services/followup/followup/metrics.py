"""Follow-up's Prometheus metrics, per agency (labels are agency codes, never people)."""
from __future__ import annotations

import logging

from prometheus_client import Counter, Gauge, Histogram

log = logging.getLogger(__name__)
DAY = 86400.0
DURATION_BUCKETS = (3600, 4 * 3600, DAY, 2 * DAY, 3 * DAY, 5 * DAY, 7 * DAY, 10 * DAY, 14 * DAY, 30 * DAY, 60 * DAY)

OPEN_CASES = Gauge("lapor_followup_open_cases", "Open cases by indicator colour.", ["agency", "indicator"])
OVERDUE_CASES = Gauge("lapor_followup_overdue_cases", "Open cases past their stage deadline.", ["agency"])
FIRST_RESPONSE = Histogram("lapor_followup_first_response_seconds",
                           "Time from a case opening to the unit's first update or answer.", ["agency"],
                           buckets=DURATION_BUCKETS)
TIME_TO_CLOSE = Histogram("lapor_followup_time_to_close_seconds", "Time from a case opening to its closure.",
                          ["agency"], buckets=DURATION_BUCKETS)
ANSWERED = Counter("lapor_followup_cases_answered_total", "Final answers, by whether on time.", ["agency", "on_time"])
CLOSED = Counter("lapor_followup_cases_closed_total", "Closed cases, by who closed them.", ["agency", "closed_by"])
REOPENED = Counter("lapor_followup_cases_reopened_total",
                   "Reopened cases (reopen rate = this / lapor_followup_cases_answered_total).", ["agency"])
ALERTS = Counter("lapor_followup_alerts_total", "Sweep alerts emitted (due_soon, overdue, escalated).", ["kind"])
SWEEP_SECONDS = Histogram("lapor_followup_sweep_duration_seconds", "Duration of one timer sweep.",
                          buckets=(0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30))


_seen: set[str] = set()


def _agency(case: dict) -> str:
    return case.get("agency_code") or "none"


def safely(fn):
    """Metrics never make a worker fail."""
    def wrapper(*args, **kwargs):
        try:
            fn(*args, **kwargs)
        except Exception:
            log.warning("followup metrics: %s failed", fn.__name__, exc_info=True)
    return wrapper


@safely
def transition(before: dict, after: dict) -> None:
    """Observe what changed between two states of a case."""
    agency = _agency(after)
    if not before.get("first_response_at") and after.get("first_response_at"):
        FIRST_RESPONSE.labels(agency).observe((after["first_response_at"] - after["opened_at"]).total_seconds())
    if before.get("status") == "open" and after.get("status") == "answered":
        ANSWERED.labels(agency, str(bool(after.get("on_time"))).lower()).inc()
    if before.get("status") not in ("closed", "archived") and after.get("status") in ("closed", "archived"):
        CLOSED.labels(agency, after.get("closed_by") if after.get("closed_by") in ("reporter", "system")
                      else "official").inc()
        TIME_TO_CLOSE.labels(agency).observe((after["closed_at"] - after["opened_at"]).total_seconds())
    if before.get("status") in ("answered", "closed") and after.get("status") == "open":
        REOPENED.labels(agency).inc()


@safely
def alerts(kinds: list[str]) -> None:
    for kind in kinds:
        ALERTS.labels(kind.split(":")[0]).inc()


@safely
def refresh_gauges(rows: list[dict]) -> None:
    """Set the open-case gauges from per-agency counts (``open_by_agency``); absent agencies: 0."""
    rows = rows + [{"_id": a, "red": 0, "yellow": 0, "total": 0} for a in _seen - {r["_id"] or "none" for r in rows}]
    for row in rows:
        agency = row["_id"] or "none"
        OPEN_CASES.labels(agency, "red").set(row["red"])
        OPEN_CASES.labels(agency, "yellow").set(row["yellow"])
        OPEN_CASES.labels(agency, "green").set(row["total"] - row["red"] - row["yellow"])
        OVERDUE_CASES.labels(agency).set(row["red"])
        _seen.add(agency)

"""The follow-up indicator (Hijau/Kuning/Merah) and the alert schedule of a stage.

Deterministic: the colour is a function of the case's stored deadlines and ``now`` only.
Green while on track; yellow once the due-soon time has passed (one working day before the
deadline by default, or a configured share of the stage's time); red once the deadline has
passed; a case that was answered, closed or archived shows closed on time / closed late.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from contract import i18n
from followup.calendar import WorkCalendar

GREEN, YELLOW, RED = "green", "yellow", "red"
CLOSED_ON_TIME, CLOSED_LATE = "closed_on_time", "closed_late"
NEVER = datetime(9999, 12, 31, tzinfo=timezone.utc)
COLOURS = (GREEN, YELLOW, RED, CLOSED_ON_TIME, CLOSED_LATE)
TEXTS = i18n.of_service("followup")  # labels: ``indicator.<colour>`` (contract.i18n)


@dataclass(frozen=True)
class Escalation:
    level: int
    role: str                 # agency_admin, supervisor, national_admin
    after_working_days: int   # working days after the deadline (0 = as soon as it is overdue)


@dataclass(frozen=True)
class Rules:
    """Configurable thresholds (config.yml)."""

    yellow_working_days: int = 1
    yellow_share: float | None = None          # e.g. 0.2: yellow in the last 20 % of the stage
    escalations: tuple[Escalation, ...] = (Escalation(1, "agency_admin", 0), Escalation(2, "supervisor", 2))
    reopen_window_working_days: int = 10
    auto_close_working_days: int = 10


def due_soon_at(started_at: datetime, due_at: datetime, rules: Rules, calendar: WorkCalendar,
                tz: str, region_code: str | None) -> datetime:
    """When the stage turns yellow (never before the stage starts)."""
    if rules.yellow_share is not None:
        at = due_at - (due_at - started_at) * rules.yellow_share
    else:
        at = calendar.working_days_before(due_at, rules.yellow_working_days, tz, region_code)
    return max(at, started_at)


def colour(case: dict, now: datetime) -> str:
    """The indicator of a case at ``now``."""
    if case["status"] != "open":
        return CLOSED_ON_TIME if case.get("on_time") else CLOSED_LATE
    if now > case["due_at"]:
        return RED
    if now > case["due_soon_at"]:
        return YELLOW
    return GREEN


def overall_colour(case: dict, now: datetime) -> str:
    """The reporter's overall clock, which a return as not-our-authority does not reset."""
    if case["status"] != "open":
        return CLOSED_ON_TIME if case.get("overall_on_time") else CLOSED_LATE
    return RED if now > case["overall_due_at"] else GREEN


def label(indicator: str, language: str = "id") -> str:
    """The indicator as a reader's words (``Kuning: mendekati batas waktu``)."""
    return TEXTS.text(f"indicator.{indicator}", language)


def schedule(case: dict, rules: Rules, calendar: WorkCalendar) -> list[dict]:
    """The stage's alerts in time order: due soon, overdue, then each escalation level."""
    tz, region = case["timezone"], case.get("region_code")
    alerts = [{"kind": "due_soon", "at": case["due_soon_at"]}, {"kind": "overdue", "at": case["due_at"]}]
    for esc in rules.escalations:
        at = calendar.add_working_days(case["due_at"], esc.after_working_days, tz, region)
        alerts.append({"kind": f"escalated:{esc.level}", "at": max(at, case["due_at"]), "role": esc.role,
                       "level": esc.level})
    return sorted(alerts, key=lambda a: a["at"])


def next_check(case: dict) -> datetime:
    """When the sweep must look at the case again (``NEVER``: nothing pending).

    ``NEVER`` rather than null keeps the sweep's index range short on every server (SecantusDB
    0.7 scans null keys for a ``$lt`` range; see docs/followup.md).
    """
    if case["status"] == "answered":
        return case.get("auto_close_at") or NEVER
    if case["status"] != "open":
        return NEVER
    pending = [a["at"] for a in case.get("schedule", []) if a["kind"] not in case.get("alerts", [])]
    return min(pending) if pending else NEVER


def alerts_due(case: dict, now: datetime) -> list[dict]:
    """Alerts whose time has passed and that were not sent for this stage yet.

    A due-soon alert is dropped when the case is already overdue (after an outage, say):
    the overdue alert says more.
    """
    if case["status"] != "open":
        return []
    due = [a for a in case.get("schedule", []) if a["at"] < now and a["kind"] not in case.get("alerts", [])]
    if any(a["kind"] == "overdue" for a in due):
        due = [dict(a, silent=True) if a["kind"] == "due_soon" else a for a in due]
    return due


def recorded_colour(case: dict) -> str:
    """The colour as the store last recorded it (alerts claimed by the sweep), not the clock's.

    The per-agency tallies are kept from this, so they change only with a write; they lag the
    clock by at most one sweep interval.
    """
    if case["status"] != "open":
        return CLOSED_ON_TIME if case.get("on_time") else CLOSED_LATE
    alerts = case.get("alerts", [])
    return RED if "overdue" in alerts else YELLOW if "due_soon" in alerts else GREEN

"""The timer sweep: alerts once per case, stage and kind; auto-close of unanswered answers.

Only cases whose ``next_check_at`` has passed are read (an index range), so the cost follows the
number of cases with something due, not the number of open cases.  Each batch is one unit of work
whose claims are conditional (``Cases.claim``): a case another worker claimed first makes the unit
run again, so restarts and concurrent followup workers never emit the same alert twice.
"""
from __future__ import annotations

import logging
import time

from followup import domain, indicator
from followup import metrics as case_metrics

log = logging.getLogger(__name__)
MAX_BATCHES = 100000


def sweep(units, refresh_gauges: bool | None = None, max_batches: int = MAX_BATCHES) -> dict:
    """One sweep, one unit of work per batch of due cases (``units``: the store's ``run``/``read``):
    how many cases were looked at and claimed, per kind of alert.  ``refresh_gauges``: True always,
    False never, None at most once per ``settings.gauge_interval`` seconds (the gauges aggregate
    every open case)."""
    started = time.perf_counter()
    examined = claimed = 0
    kinds_total: dict[str, int] = {}
    for _ in range(max_batches):
        batch = units.run(claim_due)
        if not batch["examined"]:
            break
        examined += batch["examined"]
        claimed += batch["claimed"]
        for kind, count in batch["kinds"].items():
            kinds_total[kind] = kinds_total.get(kind, 0) + count
    if refresh_gauges is not False:
        try:
            units.read(refresh_open_gauges, refresh_gauges)
        except Exception:
            log.warning("could not refresh the follow-up gauges", exc_info=True)
    elapsed = time.perf_counter() - started
    case_metrics.SWEEP_SECONDS.observe(elapsed)
    return {"examined": examined, "claimed": claimed, "kinds": kinds_total, "seconds": round(elapsed, 4)}


def claim_due(uow) -> dict:
    """One batch of the sweep: the due cases' alerts, escalations and auto-closes, claimed in one unit."""
    now, hub = uow.now(), uow.settings.hub
    due = uow.cases.due_for_check(now, uow.settings.sweep_batch)
    claims, emitted, kinds_total = [], [], {}
    for case in due:
        kinds, changes, events = domain.sweep_case(case, now, hub)
        if not changes:  # nothing due after all (stale next_check_at): recompute it
            changes = {"next_check_at": indicator.next_check(case)}
        claims.append((case, kinds, changes))
        emitted.extend(events)
        for kind in kinds:
            kinds_total[kind.split(":")[0]] = kinds_total.get(kind.split(":")[0], 0) + 1
    uow.cases.claim(claims)
    uow.stage(emitted)
    uow.after_commit(lambda: _observe(claims))
    return {"examined": len(due), "claimed": len(claims), "kinds": kinds_total}


def _observe(claims) -> None:
    for case, kinds, changes in claims:
        case_metrics.alerts(kinds)
        if changes.get("status") == "closed":
            case_metrics.transition(case, {**case, **changes})


def refresh_open_gauges(uow, force: bool | None = True) -> bool:
    """Set the open-case gauges (``force`` None: only when ``settings.gauge_interval`` has passed
    since the last refresh of this process); True when refreshed."""
    last = uow.shared.get("gauges_refreshed_at")
    if not force and last is not None and time.monotonic() - last <= uow.settings.gauge_interval:
        return False
    uow.shared["gauges_refreshed_at"] = time.monotonic()
    case_metrics.refresh_gauges(uow.cases.open_by_agency(uow.now()))
    return True

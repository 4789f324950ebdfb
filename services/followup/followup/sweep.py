"""The timer sweep: alerts once per case, stage and kind; auto-close of unanswered answers.

Only cases whose ``next_check_at`` has passed are read (an index range), so the cost follows
the number of cases with something due, not the number of open cases.  Each batch is claimed
in one transaction, conditionally (see ``Cases.claim_alerts``), so restarts and concurrent
followup workers never emit the same alert twice.
"""
from __future__ import annotations

import logging
import time
from datetime import datetime

from followup import domain, indicator
from followup import metrics as case_metrics

log = logging.getLogger(__name__)
GAUGE_REFRESH_SECONDS = 60.0
_last_gauges = [0.0]


def run(cases, now: datetime, hub: str, batch: int = 500, max_batches: int = 100000,
        refresh_gauges: bool | None = None, gauge_interval: float = GAUGE_REFRESH_SECONDS) -> dict:
    """One sweep at ``now``: returns how many cases were looked at and alerts claimed.

    ``refresh_gauges``: True always, False never, None at most once per ``gauge_interval`` seconds
    (the gauges aggregate every open case: keep the interval long on a large store).
    """
    started = time.perf_counter()
    examined = claimed = 0
    kinds_total: dict[str, int] = {}
    for _ in range(max_batches):
        due = cases.due_for_check(now, batch)
        if not due:
            break
        claims = []
        for case in due:
            kinds, changes, emitted = domain.sweep_case(case, now, hub)
            if not changes:  # nothing due after all (stale next_check_at): recompute it
                changes = {"next_check_at": indicator.next_check(case)}
            claims.append((case, kinds, changes, emitted))
        examined += len(due)
        won = cases.claim_alerts(claims)
        claimed += len(won)
        for case, kinds, changes, _ in claims:
            if case["_id"] not in won:
                continue
            for kind in kinds:
                kinds_total[kind.split(":")[0]] = kinds_total.get(kind.split(":")[0], 0) + 1
            case_metrics.alerts(kinds)
            if changes.get("status") == "closed":
                case_metrics.transition(case, {**case, **changes})
        if not won:
            break  # another worker holds this batch; it will finish it
    if refresh_gauges or (refresh_gauges is None and time.monotonic() - _last_gauges[0] > gauge_interval):
        _last_gauges[0] = time.monotonic()
        try:
            case_metrics.refresh_gauges(cases.open_by_agency(now))
        except Exception:
            log.warning("could not refresh the follow-up gauges", exc_info=True)
    elapsed = time.perf_counter() - started
    case_metrics.SWEEP_SECONDS.observe(elapsed)
    return {"examined": examined, "claimed": claimed, "kinds": kinds_total, "seconds": round(elapsed, 4)}

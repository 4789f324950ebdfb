"""Routing's own Prometheus metrics (names per the Prometheus conventions)."""
from __future__ import annotations

import logging

from prometheus_client import Counter, Gauge, Histogram

from contract.metrics import LATENCY_BUCKETS

log = logging.getLogger(__name__)

DECISIONS = Counter("lapor_routing_decisions_total",
                    "Routing decisions on received reports, by outcome (automatic, suggestion, national_triage, "
                    "forwarded).", ["outcome"])
DECISION_SECONDS = Histogram("lapor_routing_decision_duration_seconds", "Time to decide where one report goes.",
                             buckets=(0.0001, 0.00025, 0.0005) + LATENCY_BUCKETS)
ACTIONS = Counter("lapor_routing_actions_total", "Officials' workflow actions applied, by action and role.",
                  ["action", "role"])
REFUSED = Counter("lapor_routing_actions_refused_total",
                  "Workflow actions refused, by action and reason (conflict, forbidden, invalid, not_found, stale).",
                  ["action", "reason"])
QUEUE_REPORTS = Gauge("lapor_routing_queue_reports", "Open reports per queue (tier), at the last scrape.", ["queue"])


def safely(fn, *args) -> None:
    """Metrics never make a worker fail."""
    try:
        fn(*args)
    except Exception:
        log.warning("routing metrics failed", exc_info=True)


def decided(outcome: str, seconds: float) -> None:
    safely(lambda: (DECISIONS.labels(outcome).inc(), DECISION_SECONDS.observe(seconds)))


def acted(action: str, role: str) -> None:
    safely(lambda: ACTIONS.labels(action, role).inc())


def refused(action: str, reason: str) -> None:
    safely(lambda: REFUSED.labels(action, reason).inc())


def queue_sizes(sizes: dict[str, int]) -> None:
    def update():
        for queue in ("national_triage", "agency", "unit"):
            QUEUE_REPORTS.labels(queue).set(sizes.get(queue, 0))
    safely(update)


SIGNINS = Counter("lapor_routing_signins_total",
                  "Officials' sign-in attempts in the browser, by outcome (success, wrong_credentials, throttled).",
                  ["outcome"])


def signed_in(outcome: str) -> None:
    safely(lambda: SIGNINS.labels(outcome).inc())

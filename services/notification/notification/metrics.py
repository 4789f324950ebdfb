"""Notification's Prometheus metrics (labels: channel and template; never a recipient)."""
from __future__ import annotations

import logging

from prometheus_client import Counter, Gauge, Histogram

log = logging.getLogger(__name__)

SENT = Counter("lapor_notifications_sent_total", "Notifications delivered.", ["channel", "template"])
FAILED = Counter("lapor_notification_attempts_failed_total", "Delivery attempts that failed.",
                 ["channel", "template"])
RETRIED = Counter("lapor_notification_retries_total",
                  "Notifications put back for another attempt (auto: backoff, manual: operator).",
                  ["channel", "template", "trigger"])
DEAD = Counter("lapor_notifications_dead_lettered_total", "Notifications dead-lettered after their last attempt.",
               ["channel", "template"])
LATENCY = Histogram("lapor_notification_delivery_seconds", "Time from queueing a notification to its delivery.",
                    ["channel"], buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 21600, 86400))
QUEUED = Gauge("lapor_notifications_queued", "Notifications waiting to be sent (the notification outbox backlog).")
HELD = Gauge("lapor_notifications_held", "Officials' notifications held for their daily digest.")
DEAD_LETTERS = Gauge("lapor_notifications_dead_letters", "Dead-lettered notifications awaiting an operator.")


def attempt(outcome: str, channel: str, template: str, seconds: float | None = None) -> None:
    """Count one attempt's outcome (sent, queued = retry later, dead); never raises."""
    try:
        if outcome == "sent":
            SENT.labels(channel, template).inc()
            if seconds is not None:
                LATENCY.labels(channel).observe(max(0.0, seconds))
            return
        FAILED.labels(channel, template).inc()
        if outcome == "queued":
            RETRIED.labels(channel, template, "auto").inc()
        else:
            DEAD.labels(channel, template).inc()
    except Exception:
        log.warning("metrics: counting a delivery failed", exc_info=True)


def manual_retry(channel: str, template: str) -> None:
    try:
        RETRIED.labels(channel, template, "manual").inc()
    except Exception:
        log.warning("metrics: counting a retry failed", exc_info=True)


def backlog(counts: dict) -> None:
    try:
        QUEUED.set(counts.get("queued", 0))
        HELD.set(counts.get("held", 0))
        DEAD_LETTERS.set(counts.get("dead", 0))
    except Exception:
        log.warning("metrics: setting the backlog failed", exc_info=True)

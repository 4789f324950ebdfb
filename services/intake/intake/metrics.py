"""Intake's Prometheus metrics (names per the conventions: ``lapor_intake_*_total``)."""
from __future__ import annotations

import json

from contract.metrics import never_fails
from prometheus_client import Counter


RECEIVED = Counter("lapor_intake_reports_received_total",
                   "Reports accepted, by channel, classification and completeness (complete or draft).",
                   ["channel", "classification", "completeness"])
REJECTED = Counter("lapor_intake_reports_rejected_total",
                   "Submissions refused (nothing stored), by channel and reason (the first error code).",
                   ["channel", "reason"])
DUPLICATES = Counter("lapor_intake_duplicates_total",
                     "Replays answered with the first report (idempotency) and near-duplicates linked.",
                     ["channel", "kind"])
RATE_LIMITED = Counter("lapor_intake_rate_limited_total", "Submissions answered 429 (per-sender limit).",
                       ["channel"])
ERASURES = Counter("lapor_personal_data_erasures_total",
                   "Reporters' identities and contact details erased, by reason (retention, request).", ["reason"])


@never_fails
def received(channel: str, classification: str | None, complete: bool) -> None:
    RECEIVED.labels(channel, classification or "unknown", "complete" if complete else "draft").inc()


@never_fails
def duplicate(channel: str, kind: str) -> None:
    DUPLICATES.labels(channel, kind).inc()


@never_fails
def erased(reason: str, count: int = 1) -> None:
    ERASURES.labels(reason).inc(count)


@never_fails
def rate_limited(channel: str) -> None:
    RATE_LIMITED.labels(channel).inc()


@never_fails
def rejected(channel: str, response) -> None:
    """A submission refused (4xx other than 429), by the first error code of its answer."""
    reason = "invalid"
    if response.mimetype == "application/json":
        body = json.loads(response.get_data())
        if isinstance(body, list):  # Open311's error list
            reason = {403: "forbidden", 404: "not_found"}.get(response.status_code, reason)
        else:
            reason = (body.get("errors") or [{}])[0].get("code") or reason
    REJECTED.labels(channel, reason).inc()

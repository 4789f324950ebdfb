"""The one way into intake: every channel hands a loaded form to ``_accept``.

Order: idempotent replay (nothing new stored) -> per-sender rate limit (429, nothing stored) ->
completeness (draft or complete) -> near-duplicate link -> one transaction storing the report,
its idempotency key and its event (its commit wakes the outbox relay).
"""
from __future__ import annotations

import hashlib
import re
from datetime import timedelta

from contract.store import utcnow
from intake import completeness, domain, duplicates, exceptions, metrics

IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,100}$")


def sender_key(channel: str, sender: str) -> str:
    """A rate-limit key that does not store the sender's phone, handle or address in clear."""
    return hashlib.sha256(f"{channel}:{sender}".encode()).hexdigest()[:32]


def idempotency_scope(channel: str, key: str | None) -> str | None:
    if key is None:
        return None
    if not IDEMPOTENCY_KEY.match(key):
        raise exceptions.invalid_idempotency_key()
    return f"{channel}:{key}"


class Acceptance:
    """Mixed into IntakeService; needs ``self.reports``, ``self.outbox`` and ``self.config``."""

    def _accept(self, form: dict, sender: str | None = None, idempotency_key: str | None = None,
                source: dict | None = None) -> tuple[int, dict, dict]:
        """Record a submission; ``(HTTP status, receipt, stored report or first report)``."""
        channel = form["channel"]
        scope = idempotency_scope(channel, idempotency_key)
        if scope and (first := self.reports.replayed(scope)):
            return self._replay(channel, first)
        if not ((form.get("title") or "").strip() or (form.get("description") or "").strip()):
            raise exceptions.nothing_to_keep()
        self._check_rate(channel, sender)
        missing = completeness.missing_items(form, channel, self.reports.registry()["categories"])
        secret = domain.new_secret()
        now = utcnow()
        report = domain.new_report(form, hub=self.config["HUB_CODE"], now=now, secret=secret,
                                   missing=missing, source=source)
        if not missing:
            self._link_duplicate(report)
        event = domain.draft_event(report, now) if missing else domain.received_event(report)
        first = self.reports.add(report, events=[event], idempotency_key=scope)
        if first:
            return self._replay(channel, first)
        metrics.received(channel, report["classification"], complete=not missing)
        receipt = {**report, "secret": secret, "missing": missing,
                   "tracking_url": f"/reports/{report['tracking_id']}"}
        return (202 if missing else 201), receipt, report

    def _replay(self, channel: str, tracking_id: str) -> tuple[int, dict, dict]:
        """The first report's receipt (its secret was shown once and is not stored)."""
        metrics.duplicate(channel, "replay")
        report = self.reports.get(tracking_id)
        missing = []
        if report["status"] == "incomplete":
            missing = completeness.missing_items(report, report["channel"], self.reports.registry()["categories"])
        return 200, {**report, "missing": missing, "tracking_url": f"/reports/{tracking_id}"}, report

    def _check_rate(self, channel: str, sender: str | None) -> None:
        exempt = {s.strip() for s in str(self.config.get("RATE_LIMIT_EXEMPT", "")).split(",") if s.strip()}
        if not sender or sender in exempt:
            return
        retry_after = self.reports.rate_limited(
            sender_key(channel, sender), int(self.config.get("RATE_LIMIT_MAX", 20)),
            int(self.config.get("RATE_LIMIT_WINDOW_SECONDS", 3600)))
        if retry_after is not None:
            metrics.rate_limited(channel)
            raise exceptions.RateLimited(retry_after)

    def _link_duplicate(self, report: dict) -> None:
        hours = float(self.config.get("DUPLICATE_WINDOW_HOURS", duplicates.DEFAULT_WINDOW_HOURS))
        threshold = float(self.config.get("DUPLICATE_SIMILARITY", duplicates.DEFAULT_THRESHOLD))
        candidates = self.reports.recent_similar(report["category_code"], report["region_code"],
                                                 since=report["received_at"] - timedelta(hours=hours))
        earlier = duplicates.earlier_duplicate(report["description"], candidates, threshold)
        if earlier:
            report["possible_duplicate_of"] = earlier
            report["history"].append(domain.history.entry("possible_duplicate", report["received_at"]))
            metrics.duplicate(report["channel"], "near_duplicate")

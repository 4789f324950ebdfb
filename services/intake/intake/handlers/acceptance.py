"""Accepting and completing reports: every channel's submission ends in ``accept_report``.

Order: idempotent replay (nothing new stored) -> rate limits: per sender, then for channel
gateways per gateway and per channel (429, nothing stored) -> completeness (draft or complete) ->
near-duplicate link -> the report, its idempotency key and its event in the unit (committed with
concurrent submissions: group commit; its commit wakes the outbox relay).

Idempotency keys are scoped by channel, by who sent them (the authenticated gateway; nobody for
the anonymous web) and by what was sent: a key reused by another client for another report
makes a report of its own instead of returning the first one's receipt.

Metrics are counted once the unit has committed (a group run again would count twice); a 429 is
counted where it is answered (``intake.entrypoints.counted``).
"""
from __future__ import annotations

import hashlib
import json
import re
from datetime import timedelta

from contract.routes import url_for
from intake import completeness, domain, duplicates, exceptions, metrics
from intake.handlers.lookup import report_by_id

IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,100}$")


def sender_key(channel: str, sender: str) -> str:
    """A rate-limit key that does not store the sender's phone, handle or address in clear."""
    return hashlib.sha256(f"{channel}:{sender}".encode()).hexdigest()[:32]


def idempotency_scope(channel: str, key: str | None, form: dict | None = None, owner: str | None = None) -> str | None:
    """The stored key: channel, owner (a gateway), the client's key and a digest of what it sent."""
    if key is None:
        return None
    if not IDEMPOTENCY_KEY.match(key):
        raise exceptions.invalid_idempotency_key()
    digest = hashlib.sha256(json.dumps(form or {}, sort_keys=True, default=str).encode()).hexdigest()[:16]
    return f"{channel}:{owner or '-'}:{key}:{digest}"


def accept_report(uow, command: dict) -> dict:
    """Record a submission: ``command`` holds the loaded ``form`` and optionally ``sender``,
    ``idempotency_key``, ``source`` and ``gateway`` (the authenticated channel gateway that delivered
    it). Returns ``{"status": HTTP status, "receipt", "report"}`` (the first report for a replay)."""
    form = command["form"]
    channel = form["channel"]
    scope = idempotency_scope(channel, command.get("idempotency_key"), form, command.get("gateway"))
    if scope and (first := uow.reports.replayed(scope)):
        return replay(uow, channel, first)
    if not ((form.get("title") or "").strip() or (form.get("description") or "").strip()):
        raise exceptions.nothing_to_keep()
    check_rate(uow, channel, command.get("sender"), command.get("gateway"))
    missing = completeness.missing_items(form, channel, uow.registry.current()["categories"])
    secret = domain.new_secret()
    now = uow.now()
    report = domain.new_report(form, hub=uow.settings.hub_code, now=now, secret=secret, missing=missing,
                               source=command.get("source"))
    if not missing:
        link_duplicate(uow, report)
    event = domain.draft_event(report, now) if missing else domain.received_event(report)
    uow.reports.add(report, [event], idempotency_key=scope)
    uow.after_commit(lambda: metrics.received(channel, report["classification"], complete=not missing))
    receipt = {**report, "secret": secret, "missing": missing, "tracking_url": url_for("api_report", tracking_id=report["tracking_id"])}
    return {"status": 202 if missing else 201, "receipt": receipt, "report": report}


def replay(uow, channel: str, tracking_id: str) -> dict:
    """The first report's receipt (its secret was shown once and is not stored)."""
    uow.after_commit(lambda: metrics.duplicate(channel, "replay"))
    report = uow.reports.first_report(tracking_id)
    missing = []
    if report["status"] == "incomplete":
        missing = completeness.missing_items(report, report["channel"], uow.registry.current()["categories"])
    return {"status": 200, "receipt": {**report, "missing": missing, "tracking_url": url_for("api_report", tracking_id=tracking_id)},
            "report": report}


def check_rate(uow, channel: str, sender: str | None, gateway: str | None = None) -> None:
    """429 when the sender, or (channel gateways) the gateway or the whole channel, is over its limit."""
    settings = uow.settings
    checks = [] if not sender or sender in settings.rate_limit_exempt else [
        ("sender", sender_key(channel, sender), settings.rate_limit_max)]
    if gateway:
        checks += [("gateway", f"gateway:{channel}:{gateway}", settings.gateway_rate_limit_max),
                   ("channel", f"channel:{channel}", settings.channel_rate_limit_max)]
    for who, key, limit in checks:
        retry_after = uow.limits.count(key, limit, settings.rate_limit_window)
        if retry_after is not None:
            raise exceptions.RateLimited(retry_after, who)


def link_duplicate(uow, report: dict) -> None:
    """Link a complete report to an earlier similar one of the same category and region."""
    settings = uow.settings
    candidates = uow.reports.recent_similar(
        report["category_code"], report["region_code"],
        since=report["received_at"] - timedelta(hours=settings.duplicate_window_hours))
    earlier = duplicates.earlier_duplicate(report["description"], candidates, settings.duplicate_similarity)
    if earlier:
        report["possible_duplicate_of"] = earlier
        report["history"].append(domain.history.entry("possible_duplicate", report["received_at"]))
        uow.after_commit(lambda: metrics.duplicate(report["channel"], "near_duplicate"))


# --- completing a draft ---------------------------------------------------------------------------

def draft_for(uow, tracking_id: str, secret: str | None, code: str | None = None) -> dict:
    """The reporter's draft: its tracking ID parsed, the secret (or one-time code) checked."""
    draft = report_by_id(uow, tracking_id)
    if code is not None:
        if not domain.completion_code_matches(draft, code, uow.now()):
            raise exceptions.wrong_secret("completion_code")
    elif not domain.secret_matches(draft.get("secret_hash"), secret):
        raise exceptions.wrong_secret()
    if draft["status"] != "incomplete":
        raise exceptions.not_a_draft()
    return draft


def complete_report(uow, command: dict) -> dict:
    """A reporter's completion of a draft: ``command`` holds ``tracking_id``, ``changes`` and the
    ``secret`` or a one-time ``completion_code`` (exchanged for a new secret). Returns
    ``{"status": 200 or 202 (still missing items), "receipt"}``."""
    code = command.get("completion_code")
    draft = draft_for(uow, command["tracking_id"], command.get("secret"), code)
    now = uow.now()
    missing = completeness.missing_items(domain.merged(draft, command["changes"]), draft["channel"],
                                         uow.registry.current()["categories"])
    step = domain.completion(draft, command["changes"], missing, now)
    secret = domain.new_secret() if code else None  # a one-time code is exchanged for a secret
    if secret:
        step["set"].update(domain.code_spent(secret))
    report = {**domain.merged(draft, step["set"]), **step["set"]}
    event = domain.draft_event(report, now) if missing else domain.received_event(report)
    expect = {"completion_code_hash": draft["completion_code_hash"]} if code else None
    if not uow.reports.complete(draft["_id"], step["set"], step["entry"], [event], expect=expect):
        raise exceptions.not_a_draft()
    if not missing:
        uow.reports.remember_recent({**report, "_id": draft["_id"]})  # a candidate from now on, not linked itself
        uow.after_commit(lambda: metrics.received(draft["channel"], report.get("classification"), complete=True))
    receipt = {**report, "missing": missing, "tracking_url": url_for("api_report", tracking_id=draft["_id"]),
               **({"secret": secret} if secret else {})}
    return {"status": 202 if missing else 200, "receipt": receipt}


def reporter_draft(uow, query: dict) -> dict:
    """The draft a reporter may complete (``tracking_id``, ``secret``): 400/403/404/409 otherwise."""
    return draft_for(uow, query["tracking_id"], query.get("secret"))


def import_report(uow, command: dict) -> bool:
    """One valid row of an offline CSV import (``form`` loaded by ``ManualIn``, ``hub``, ``key``: the
    row's content key): stored with its ``report_received`` event; False when imported before."""
    key = f"import:{command['key']}"
    if uow.reports.replayed(key):
        return False
    form = dict(command["form"])
    resolution = form.pop("resolution", None) or {}
    source = {"original_channel": form.pop("original_channel"), "received_on": form.pop("received_on").isoformat(),
              "imported": True, "resolution": resolution.get("answer"), "resolved_at": resolution.get("resolved_at")}
    report = domain.new_report({**form, "channel": "import"}, hub=command["hub"], now=uow.now(),
                               secret=domain.new_secret(), missing=[], source=source)
    uow.reports.add(report, [domain.received_event(report)], idempotency_key=key)
    return True

"""Notification's use cases: plain functions of a unit of work and a message (events: ``(uow,
event_type, event)``), run by the entrypoints through the store (``self.store.run(handlers.x, ...)``).

What a handler decides comes from ``domain.py`` (recipients, templates, digests, outcomes); what it
reads and writes goes through ``uow.notifications`` (``dependencies.Notifications``).  The sending
itself (SMTP, SMS gateway, social reply hook, webhooks) is never done in a unit of work: the
courier (``courier.py``) claims a batch with :func:`claim_batch`, sends it, and records each
outcome with :func:`record_attempt` as soon as the channel answered (committed before that sender's
next message; the outcomes of concurrent sends that end together share one transaction, group
commit: a courier killed mid-batch leaves without outcome only the messages it was sending); every
courier says it is alive (:func:`heartbeat`) and takes back the claims of couriers that are gone
(:func:`orphaned_claims`, :func:`take_back_claim`, :func:`forget_couriers`).
"""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from contract import scope
from contract.errors import not_found
from notification import domain, exceptions, metrics, webhooks
from notification.schemas import RECIPIENT_REF


# -- events that cause notifications ---------------------------------------------------------
def plan_notifications(uow, event_type: str, event: dict) -> None:
    """Record every notification the event causes, announcing the people's ones (webhooks are not)."""
    subscribed = [s for s in uow.notifications.subscriptions() if webhooks.matches(s, event_type, event)]
    digest = uow.notifications.digest_refs(domain.officials_of(event_type, event))
    planned = domain.plan(event_type, event, uow.now(), digest, subscribed)
    uow.notifications.queue(planned)
    uow.stage([domain.queued_event(n, uow.settings.hub) for n in planned if n["channel"] != "webhook"])


# -- the courier's store work ------------------------------------------------------------------
def anything_due(uow, now: datetime) -> bool:
    """Whether a notification is due (read-only: an idle courier opens no transaction)."""
    return uow.notifications.any_due(now)


def claim_batch(uow, now: datetime, courier_id: str, window: tuple[datetime, timedelta] | None = None) -> list[dict]:
    """Claim up to ``claim_batch`` due notifications for one attempt each, the hand-off (and the courier
    making it) recorded and committed before anything is sent; hidden from other couriers for
    ``lease_seconds``, or until ``courier_id`` is found gone (:func:`orphaned_claims`).  ``window``
    (``domain.claim_window`` of the previous claim): the slice of ``next_attempt_at`` read first."""
    settings = uow.settings
    return uow.notifications.claim_due(now, now + timedelta(seconds=settings.lease_seconds), settings.claim_batch,
                                       courier_id, window)


def record_attempt(uow, record: tuple) -> None:
    """One attempt's outcome, ``(notification, outcome, delivered channel, time, events)``, and its event
    (notification_sent / notification_dead_lettered), closing its hand-off.  The courier runs it for
    each message as soon as the relay or gateway answered, not once per claimed batch."""
    notification, outcome, delivered_channel, at, events = record
    uow.notifications.record_outcome(notification["_id"], domain.outcome_changes(outcome, delivered_channel, at))
    uow.stage(events)


def heartbeat(uow, courier, now: datetime) -> None:
    """Say this courier (``courier``: ``dependencies.CourierIdentity``) is alive."""
    uow.couriers.heartbeat(courier.entry(now))


def orphaned_claims(uow, courier, now: datetime) -> tuple[list[str], list[str]]:
    """The couriers that are gone (``domain.courier_gone``: a killed process on this host at once,
    another host's after ``courier_timeout`` of silence) and the notifications they still claim."""
    gone = [c["_id"] for c in uow.couriers.others(courier.id)
            if domain.courier_gone(c, now, uow.settings.courier_timeout, courier.alive_here(c))]
    return gone, uow.notifications.claimed_by(gone, now) if gone else []


def take_back_claim(uow, notification_id: str, gone: list[str], now: datetime) -> None:
    """Make one notification a gone courier claimed due now (sent again within a poll, not after the
    lease).  One small unit per notification: the one whose outcome the killed courier was recording
    stays locked by its abandoned transaction until the store ends it (60 s), and must not hold
    back the others."""
    uow.notifications.take_back(notification_id, gone, now)


def forget_couriers(uow, gone: list[str]) -> None:
    """Remove gone couriers from the registry, their claims taken back."""
    uow.couriers.forget(gone)


def webhook_subscription(uow, subscription_id: str) -> dict | None:
    return uow.notifications.subscription(subscription_id)


def backlog(uow) -> dict:
    """How many notifications are queued, held for a digest and dead-lettered."""
    return uow.notifications.counts()


# -- daily digests -----------------------------------------------------------------------------
def build_digests(uow, cutoff: datetime) -> int:
    """Queue one digest per official recipient of what was held before ``cutoff``, marking what each
    summarises; a digest built before (same day, same notifications) is not queued again.  How many."""
    settings = uow.settings
    built = 0
    for digest, held_ids in domain.digests(uow.notifications.held_before(cutoff), cutoff, settings.timezone,
                                           settings.hub, uow.now()):
        if uow.notifications.get(digest["_id"]) is None:
            uow.notifications.add_digest(digest, held_ids)
            built += 1
    return built


# -- queries -----------------------------------------------------------------------------------
def notifications_of_report(uow, tracking_id: str) -> list[dict]:
    return uow.notifications.for_report(tracking_id)


def dead_letters(uow, limit: int = 50, channel: str | None = None, template: str | None = None) -> list[dict]:
    return uow.notifications.dead_letters(limit, channel, template)


def report_notifications(uow, principal: dict, tracking_id: str, directory) -> list[dict]:
    """A report's notifications for an official who may read the report (``contract.scope``: where
    the report stands now, asked of routing through ``directory``); a national admin reads any."""
    if principal["role"] != "national_admin":
        try:
            standing = directory.report_standing(tracking_id)
        except exceptions.TransientError:
            raise exceptions.unavailable()
        if standing is None or not scope.can_read(principal, standing):
            raise not_found("tracking_id", "Report")
    return uow.notifications.for_report(tracking_id)


# -- dead letters ------------------------------------------------------------------------------
def retry_dead_letter(uow, notification_id: str, by: str) -> dict:
    """Put a dead letter back in the queue for a fresh round of attempts (404 unknown, 409 not dead)."""
    retried = uow.notifications.retry(notification_id, uow.now(), by)
    if retried is None:
        if uow.notifications.get(notification_id) is None:
            raise not_found("notification_id", "Notification")
        raise exceptions.not_dead(notification_id)
    _count_manual_retry(uow, retried)
    return retried


def retry_dead_letters(uow, query: dict, by: str) -> int:
    """Retry the dead letters a query selects (``limit``, ``channel``, ``template``); how many."""
    retried = 0
    for dead in uow.notifications.dead_letters(query["limit"], query.get("channel"), query.get("template")):
        if uow.notifications.retry(dead["_id"], uow.now(), by):
            _count_manual_retry(uow, dead)
            retried += 1
    return retried


def _count_manual_retry(uow, notification: dict) -> None:
    channel = notification.get("delivered_channel") or notification["channel"]
    uow.after_commit(lambda: metrics.manual_retry(channel, notification["template"]))


# -- webhook subscriptions ---------------------------------------------------------------------
def subscriptions(uow) -> list[dict]:
    return uow.notifications.subscriptions()


def subscribe(uow, form: dict, by: str) -> dict:
    """A system's new webhook subscription (its secret generated unless given)."""
    subscription = {**form, "_id": "sub_" + secrets.token_hex(8), "secret": form.get("secret") or webhooks.new_secret(),
                    "active": True, "created_at": uow.now(), "created_by": by}
    uow.notifications.add_subscription(subscription)
    return subscription


def unsubscribe(uow, subscription_id: str) -> None:
    if not uow.notifications.deactivate_subscription(subscription_id, uow.now()):
        raise not_found("subscription_id", "Subscription")


# -- digest preferences ------------------------------------------------------------------------
def authorize_preference(principal: dict, recipient_ref: str) -> None:
    """Raise the API's error unless ``recipient_ref`` is a recipient the official may manage."""
    if not RECIPIENT_REF.match(recipient_ref):
        raise exceptions.invalid_recipient_ref()
    if not domain.may_manage_preference(principal, recipient_ref):
        raise exceptions.may_not_manage()


def set_preference(uow, principal: dict, recipient_ref: str, form: dict) -> dict:
    """Whether ``recipient_ref`` takes a daily digest instead of each message."""
    authorize_preference(principal, recipient_ref)
    return uow.notifications.set_digest(recipient_ref, form["digest"], principal["official_id"], uow.now())

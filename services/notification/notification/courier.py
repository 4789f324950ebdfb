"""The delivery worker's work: claim due notifications, resolve, render, send, record.

Given the store, the directory and the channel clients (the service's dependencies), it applies
the delivery rules.  Delivery is at least once: the claim records the hand-off (committed before
anything is sent); a crash between sending and recording re-sends after the claim's lease ends,
with the same Message-ID / reference / delivery id, so receivers can drop the duplicate, and the
record of that notification says ``possible_repeat`` (see docs/notification.md).
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable
from zoneinfo import ZoneInfo

import eventlet

from notification import delivery, domain, metrics, webhooks
from notification.exceptions import DeliveryError, PermanentError
from notification.templates import Renderer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Settings:
    hub: str
    policy: delivery.RetryPolicy
    concurrency: int = 10
    lease_seconds: float = 120.0
    timezone: str = "Asia/Jakarta"
    digest_hour: int = 7
    claim_batch: int = 50


class Courier:
    def __init__(self, store, directory, renderer: Renderer, mailer, sms, social, webhook, settings: Settings,
                 clock: Callable[[], datetime]):
        self.store, self.directory, self.renderer = store, directory, renderer
        self.mailer, self.sms, self.social, self.webhook = mailer, sms, social, webhook
        self.settings, self.clock = settings, clock

    def deliver_due(self) -> int:
        """Deliver everything due now: claim a batch (one transaction that also records the hand-off),
        send it ``concurrency`` at a time, record the outcomes (one transaction); the attempts made."""
        attempts = 0
        while True:
            now = self.clock()
            claimed = self.store.claim_due(now, now + timedelta(seconds=self.settings.lease_seconds),
                                           self.settings.claim_batch)
            if not claimed:
                break
            contacts = self.reporter_contacts(claimed)
            pool = eventlet.GreenPool(self.settings.concurrency)
            self.store.record_attempts(list(pool.imap(lambda n: self.attempt(n, contacts), claimed)))
            attempts += len(claimed)
            if len(claimed) < self.settings.claim_batch:
                break
        if attempts:
            metrics.backlog(self.store.counts())
        return attempts

    def deliver(self, notification: dict) -> str:
        """One attempt at one notification, recorded; returns its new status (sent, queued, dead)."""
        record = self.attempt(notification)
        self.store.record_attempts([record])
        return record[1].status

    def reporter_contacts(self, claimed: list[dict]) -> dict[str, dict] | DeliveryError:
        """The contacts of every reporter of a claimed batch, in one RPC to intake (not one per
        notification); if intake cannot answer, that error, recorded against each of them."""
        refs = [n["recipient_ref"] for n in claimed if n["recipient_kind"] == "reporter"]
        if not refs:
            return {}
        try:
            return self.directory.reporters(refs)
        except DeliveryError as exc:
            return exc

    def _contact(self, reporter_ref: str, contacts: dict[str, dict] | DeliveryError | None) -> dict:
        if contacts is None:  # a single delivery: its own call
            return self.directory.reporter(reporter_ref)
        if isinstance(contacts, DeliveryError):
            raise contacts
        if reporter_ref not in contacts:
            raise PermanentError(f"intake knows no reporter {reporter_ref}")
        return contacts[reporter_ref]

    def attempt(self, notification: dict, contacts: dict[str, dict] | DeliveryError | None = None) -> tuple:
        """Send one notification; (notification, outcome, channel, time, events) to record.  ``contacts``:
        the batch's reporter contacts (:meth:`reporter_contacts`); without it, one RPC for this one."""
        contact = None
        channel = notification["channel"]
        try:
            if notification["recipient_kind"] == "reporter":
                contact = self._contact(notification["recipient_ref"], contacts)
                channel, address = delivery.reporter_route(contact, notification["channel"])
                self._to_reporter(notification, contact, channel, address)
            elif channel == "webhook":
                self._to_system(notification)
            else:
                self._to_officials(notification)
            error, permanent = None, False
        except DeliveryError as exc:
            error, permanent = delivery.redact(str(exc), delivery.contact_values(contact)), exc.permanent
        except Exception as exc:  # a defect must not lose the message: record it and retry
            error = f"unexpected {type(exc).__name__}"  # its text may hold contact data: never stored
            permanent = False
            log.error("notification %s: unexpected error: %s", notification["_id"], error)
        now = self.clock()
        outcome = delivery.after_attempt(notification["attempts"], error, permanent, self.settings.policy, now)
        done = {**notification, "attempts": outcome.attempts, "last_error": outcome.error, "delivered_channel": channel}
        announce = outcome.status in ("sent", "dead") and notification.get("tracking_id")
        events = [domain.outcome_event(done, self.settings.hub, sent=outcome.status == "sent")] if announce else []
        metrics.attempt(outcome.status, channel, notification["template"],
                        (now - notification["created_at"]).total_seconds())
        if error:
            log.warning("notification %s (%s/%s) attempt %d failed, now %s: %s", notification["_id"], channel,
                        notification["template"], outcome.attempts, outcome.status, error)
        return notification, outcome, channel, now, events

    def _to_reporter(self, notification: dict, contact: dict, channel: str, address: str) -> None:
        message = self.renderer.render(notification["template"], notification["language"], channel,
                                       notification["context"], name=contact.get("name"))
        if channel == "email":
            self.mailer.send([address], message, notification["_id"], notification["language"])
        elif channel == "sms":
            self.sms.send(address, message.text, notification["_id"])
        else:
            self.social.send(notification["recipient_ref"], contact.get("handle"), message.text,
                             notification["_id"], notification["tracking_id"])

    def _to_officials(self, notification: dict) -> None:
        if notification["channel"] != "email":
            raise PermanentError(f"officials are reached by email, not {notification['channel']!r}")
        officials = self.directory.officials(notification["recipient_ref"])
        emails = sorted({o["email"] for o in officials if o.get("email")})
        if not emails:
            raise PermanentError(f"no official with an email address behind {notification['recipient_ref']}")
        name = officials[0].get("name") if len(officials) == 1 else None
        message = self.renderer.render(notification["template"], notification["language"], "email",
                                       notification["context"], name=name)
        self.mailer.send(emails, message, notification["_id"], notification["language"])

    def _to_system(self, notification: dict) -> None:
        subscription_id = notification["recipient_ref"].split(":", 1)[1]
        subscription = self.store.subscription(subscription_id)
        if subscription is None or not subscription.get("active", True):
            raise PermanentError(f"webhook subscription {subscription_id} was removed")
        body = webhooks.body(notification)
        headers = webhooks.headers(subscription["secret"], body, notification["source_event"], notification["_id"])
        self.webhook.post(subscription["url"], body, headers)

    # -- daily digest ---------------------------------------------------------------------
    def digest_cutoff(self, now: datetime) -> datetime:
        """The latest daily digest time (``digest_hour`` local) at or before ``now``."""
        local = now.astimezone(ZoneInfo(self.settings.timezone))
        cutoff = local.replace(hour=self.settings.digest_hour, minute=0, second=0, microsecond=0)
        return cutoff if cutoff <= local else cutoff - timedelta(days=1)

    def build_digests(self, cutoff: datetime) -> int:
        """One digest per official recipient for what was held before ``cutoff``; how many."""
        held = self.store.held_before(cutoff)
        by_ref: dict[str, list[dict]] = {}
        for item in held:
            by_ref.setdefault(item["recipient_ref"], []).append(item)
        built = 0
        day = cutoff.astimezone(ZoneInfo(self.settings.timezone)).date().isoformat()
        for ref, items in by_ref.items():
            ids = sorted(i["_id"] for i in items)
            key = hashlib.sha256("|".join(ids).encode()).hexdigest()[:12]
            digest = domain.digest_notification(ref, items[0]["recipient_kind"], f"{day}:{key}", items,
                                                self.settings.hub, self.clock())
            digest["context"]["day"] = day
            built += self.store.save_digest(digest, ids)
        return built

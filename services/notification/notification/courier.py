"""The delivery worker's work: claim due notifications, resolve, render, send, record.

Given the store, the directory and the channel clients (the service's dependencies), it applies
the delivery rules.  Its store work is done by handlers run through the store (``handlers.claim_batch``
for a batch, then ``handlers.record_attempt`` for each message as soon as the relay or gateway
answered), each one unit of work; the sending is done between them, outside any transaction.
Delivery is at least once: the claim records the hand-off and the courier (committed before
anything is sent); a courier killed mid-batch leaves without outcome only the messages it was
sending (at most one per concurrent send, i.e. per SMTP connection), which are sent again once
their claim is taken back (:func:`take_back_claims`, at the restart) with the same
Message-ID / reference / delivery id, so receivers can drop the duplicate, and the record of that
notification says ``possible_repeat`` (see docs/notification.md).
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Callable

import eventlet

from contract import registry_names
from contract.store import utcnow
from notification import delivery, domain, handlers, metrics, webhooks
from notification.exceptions import ClaimLocked, DeliveryError, PermanentError
from notification.templates import Renderer

log = logging.getLogger(__name__)


class Courier:
    """One worker's courier: ``units`` is the service's store (``self.store``), whose settings
    (``domain.Settings``) it reads; the channel clients and the directory are its other dependencies."""

    def __init__(self, units, directory, renderer: Renderer, mailer, sms, social, webhook,
                 clock: Callable[[], datetime] = utcnow, courier_id: str = "courier"):
        self.units, self.directory, self.renderer = units, directory, renderer
        self.mailer, self.sms, self.social, self.webhook = mailer, sms, social, webhook
        self.settings, self.clock, self.courier_id = units.settings, clock, courier_id
        self.unrecorded: Exception | None = None  # the store refused an outcome: send nothing more

    def deliver_due(self) -> int:
        """Deliver everything due now: claim a batch (one unit of work that also records the hand-off,
        committed before anything is sent; while a backlog drains, read from a slice after the previous
        claim, ``domain.claim_window``), send it ``concurrency`` at a time outside any transaction,
        each outcome recorded as soon as it is known (with the other sends' that end meanwhile); the
        attempts made."""
        attempts, window, full_at = 0, None, None
        while True:
            now = self.clock()
            if full_at is None and not self.units.read(handlers.anything_due, now):
                break  # idle: one indexed read, no transaction (a drain's later claims go straight on)
            if full_at is None or (now - full_at).total_seconds() >= domain.FULL_CLAIM_SECONDS:
                window, full_at = None, now  # the whole due range now and then (domain.claim_window)
            claimed = self.units.run(handlers.claim_batch, now, self.courier_id, window)
            if not claimed:
                break
            window = domain.claim_window(claimed) if len(claimed) >= self.settings.claim_batch else None
            contacts = self.reporter_contacts(claimed)
            pool = eventlet.GreenPool(self.settings.concurrency)
            attempts += sum(pool.imap(lambda n: self.deliver(n, contacts), claimed))
            if self.unrecorded is not None:
                raise self.unrecorded  # the rest stay claimed (never sent) until the lease ends
            if len(claimed) < self.settings.claim_batch:
                break
        if attempts:
            metrics.backlog(self.units.read(handlers.backlog))
        return attempts

    def deliver(self, notification: dict, contacts: dict[str, dict] | DeliveryError | None = None) -> int:
        """Attempt one notification and record its outcome at once: a relay's acceptance is in the
        store before the next message goes out on that connection.  The outcomes of the concurrent
        sends that end together are committed in one transaction (``NotificationStore.group_commit``),
        each sender waiting for its own.  1 if it was attempted; 0 if an earlier outcome could not be
        recorded (then nothing more is sent)."""
        if self.unrecorded is not None:
            return 0
        record = self.attempt(notification, contacts)
        try:  # committed with the concurrent sends' outcomes in one transaction (group commit)
            self.units.together(handlers.record_attempt, record)
        except Exception as exc:  # the store is away: sending more would only make more repeats
            log.error("notification %s: outcome not recorded (%s); stopping this batch", notification["_id"],
                      type(exc).__name__)
            self.unrecorded = self.unrecorded or exc
        return 1

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
                if delivery.withheld(contact):
                    return self.withhold(notification)
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

    def withhold(self, notification: dict) -> tuple:
        """Not sent, ever: the reporter erased their contact details (intake.privacy); no event."""
        now = self.clock()
        metrics.attempt("withheld", notification["channel"], notification["template"],
                        (now - notification["created_at"]).total_seconds())
        outcome = delivery.Outcome("withheld", notification["attempts"], None, None)
        return notification, outcome, notification["channel"], now, []

    def _to_reporter(self, notification: dict, contact: dict, channel: str, address: str) -> None:
        if notification["template"] in domain.DIRECT_MESSAGES.values():
            return self._direct_to_reporter(notification, contact, channel)
        message = self.renderer.render(notification["template"], notification["language"], channel,
                                       notification["context"], name=contact.get("name"), names=self._names(),
                                       tracking_url=contact.get("tracking_url"))  # where they filed (issue 19)
        if channel == "email":
            self.mailer.send([address], message, notification["_id"], notification["language"])
        elif channel == "sms":
            self.sms.send(address, message.text, notification["_id"])
        else:
            self.social.send(notification["recipient_ref"], contact.get("handle"), message.text,
                             notification["_id"], notification["tracking_id"])

    def _direct_to_reporter(self, notification: dict, contact: dict, channel: str) -> None:
        """A social draft's completion link, minted by intake for this message, by direct message
        only (issue 20: whoever holds the link owns the draft)."""
        if channel != "social":
            raise PermanentError(f"a direct message goes by the social channel, not {channel!r}")
        link = self.directory.completion_link(notification["recipient_ref"], notification["_id"])
        context = {**notification["context"], "completion_url": link and link["url"]}
        message = self.renderer.render(notification["template"], notification["language"], channel, context)
        self.social.direct(notification["recipient_ref"], contact.get("handle"), message.text,
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
                                       notification["context"], name=name, names=self._names())
        self.mailer.send(emails, message, notification["_id"], notification["language"])

    def _names(self):
        """The registry's names a message shows (the store's copy, kept from ``registry_updated``)."""
        return self.units.read(registry_names.current_names)

    def _to_system(self, notification: dict) -> None:
        subscription_id = notification["recipient_ref"].split(":", 1)[1]
        subscription = self.units.read(handlers.webhook_subscription, subscription_id)
        if subscription is None or not subscription.get("active", True):
            raise PermanentError(f"webhook subscription {subscription_id} was removed")
        body = webhooks.body(notification)
        headers = webhooks.headers(subscription["secret"], body, notification["source_event"], notification["_id"])
        self.webhook.post(subscription["url"], body, headers)


def take_back_claims(units, courier, clock: Callable[[], datetime] = utcnow, concurrency: int = 10) -> list[str]:
    """Take back the claims of couriers that are gone (``courier``: this process's
    ``dependencies.CourierIdentity``), one small unit each; once none is left, forget those
    couriers.  The gone couriers' ids.

    A notification whose outcome the killed courier was recording stays locked by its abandoned
    transaction until the store ends it (60 s): it is skipped (``ClaimLocked``) and tried again at
    the next call, the others go at once."""
    gone, claims = units.read(handlers.orphaned_claims, courier, clock())
    if not gone:
        return []
    now = clock()

    def take_back(claim: str) -> bool:
        try:
            units.run(handlers.take_back_claim, claim, gone, now)
            return True
        except ClaimLocked:
            return False

    taken = sum(eventlet.GreenPool(concurrency).imap(take_back, claims))
    (log.warning if taken else log.info)("couriers %s are gone: %d of their claims taken back, %d still locked",
                                         gone, taken, len(claims) - taken)
    if taken == len(claims):
        units.run(handlers.forget_couriers, gone)
    return gone

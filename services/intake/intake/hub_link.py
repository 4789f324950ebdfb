"""Intake's I/O for the hub network: the broker topology, this hub's keys, the inbound consumer
that can dead-letter, and the outbox relay that signs and counts hub messages.

- ``Link``: declares ``lapor.hubs.*`` for the neighbours in the directory at start and after each
  registry update, and keeps the message version each neighbour is written; holds the private
  key read from ``HUB_KEY_FILE`` and the signing key from ``HUB_SIGNING_KEY_FILE`` (secrets
  files; never in the registry or the repo).  The store keeps the process's one link.
- ``hub_inbound`` (entrypoint): consumes ``lapor.hubs.in`` and hands the worker the body with the
  message's broker-validated ``user_id`` (the link it came on, ``contract.hubnet.link_of``); a
  worker raising :class:`DeadLetter` has its message rejected without requeue, which the queue
  dead-letters to ``lapor.hubs.dead``; a body that cannot even be decoded is dead-lettered the
  same way, never crashing the service.
"""
from __future__ import annotations

import logging
import time
from functools import partial

from kombu import Connection, Exchange, Queue
from nameko.exceptions import ContainerBeingKilled
from nameko.messaging import Consumer, QueueConsumer

from marshmallow import ValidationError

from contract import hubnet, hubsign, hubwire, sealing
from contract.outbox import OutboxRelay
from intake import hub_metrics

log = logging.getLogger(__name__)


class DeadLetter(Exception):
    """A hub message that can never be handled (malformed, unknown version, not for us)."""


def inbound_queue() -> Queue:
    return Queue(hubnet.IN_QUEUE, exchange=Exchange(hubnet.IN_EXCHANGE, type="fanout", durable=True),
                 durable=True, queue_arguments=hubnet.queue_arguments(hubnet.IN_QUEUE))


class HubQueueConsumer(QueueConsumer):
    """A queue consumer of its own (its own connection) that dead-letters undecodable bodies."""

    def get_consumers(self, consumer_cls, channel):
        consumers = super().get_consumers(consumer_cls, channel)
        for consumer in consumers:
            consumer.on_decode_error = self._undecodable
        return consumers

    def _undecodable(self, message, exc):
        log.error("hub message dead-lettered: cannot decode the body (%s: %s)", type(exc).__name__, exc)
        hub_metrics.received("unknown", "unknown", "dead_lettered")
        if message.channel.connection:
            message.reject(requeue=False)


class HubConsumer(Consumer):
    queue_consumer = HubQueueConsumer()

    def handle_message(self, body, message):
        """The worker gets ``(body, user_id)``: who published the message into this broker (RabbitMQ
        validates ``user_id`` against the publishing connection's user: a link user's shovel)."""
        handle_result = partial(self.handle_result, message)
        try:
            self.container.spawn_worker(self, (body, message.properties.get("user_id")), {},
                                        context_data=self.unpack_message_headers(message),
                                        handle_result=handle_result)
        except ContainerBeingKilled:
            self.queue_consumer.requeue_message(message)

    def handle_message_processed(self, message, result=None, exc_info=None):
        if exc_info is not None and isinstance(exc_info[1], DeadLetter):
            if message.channel.connection:
                message.reject(requeue=False)  # the queue dead-letters it to lapor.hubs.dead
            return
        super().handle_message_processed(message, result, exc_info)


TRANSIENT_ATTEMPTS = 8  # 0.5 s doubling to 10 s: ~35 s per delivery, ~3 min over the queue's delivery limit


def with_backoff(work, attempts: int = TRANSIENT_ATTEMPTS):
    """``work()``, retried in this worker while the store or broker is briefly unreachable, so a
    short outage does not spend the inbound queue's delivery limit; DeadLetter is never retried."""
    for attempt in range(attempts):
        try:
            return work()
        except DeadLetter:
            raise
        except Exception as exc:
            if attempt == attempts - 1:
                raise  # requeued: the queue counts a delivery, then dead-letters past its limit
            log.warning("hub message: %s: %s; retrying", type(exc).__name__, exc)
            time.sleep(min(10.0, 0.5 * 2 ** attempt))


def load_message(body, user_id=None) -> dict:
    """A hub message loaded through the wire schema (DeadLetter when it breaks it), with what the
    trust rules read of how it came (``wire``: its version, the link it came on by its validated
    ``user_id``, the body as received, whose signature ``intake.hub_trust`` checks)."""
    try:
        message = hubwire.load(body)
    except ValidationError as exc:
        log.error("hub message dead-lettered: %s", exc.messages)
        hub_metrics.received("unknown", "unknown", "dead_lettered")
        raise DeadLetter(str(exc.messages))
    if isinstance(user_id, bytes):
        user_id = user_id.decode("utf-8", "replace")
    message["wire"] = {"version": body["schema_version"], "user_id": user_id, "link": hubnet.link_of(user_id),
                       "body": body}
    return message


def receive(message: dict, apply) -> str:
    """``apply()`` (a unit of work handling ``message``), retried through a short outage; counted by
    outcome; a DeadLetter is logged, counted and raised (the queue dead-letters the message)."""
    try:
        outcome = with_backoff(apply)
    except DeadLetter as exc:
        log.error("hub message %s (%s %s) dead-lettered: %s", message["message_id"], message["kind"],
                  message["tracking_id"], exc)
        hub_metrics.received(message["hops"][-1], message["kind"], "dead_lettered")
        raise
    hub_metrics.received(message["hops"][-1], message["kind"], outcome)
    return outcome


def hub_inbound(fn):
    """Consume this hub's inbound queue (requeue on a transient error; DeadLetter to give up)."""
    return HubConsumer.decorator(inbound_queue(), requeue_on_error=True)(fn)


class Link:
    """This hub's link to its neighbours, one per process (the store keeps it: ``uow.hubs.declare``,
    ``uow.hubs.private_key()``): the exchanges and queues declared for the neighbours in the
    directory, and the private key read from ``HUB_KEY_FILE`` (``LAPOR_HUB_KEY_FILE``, a secrets
    file; never in the registry or the repo)."""

    def __init__(self, amqp_uri: str, key_file: str, signing_key_file: str = "",
                 write_version: int = hubwire.SCHEMA_VERSION):
        self.amqp_uri, self.key_file, self.signing_key_file = amqp_uri, key_file, signing_key_file
        self.write_version = write_version  # the newest version this hub writes (1: not upgraded yet)
        self._private_key: str | None = None
        self.signing_key: str | None = None
        self.versions: dict[str, int] = {}  # neighbour -> the message version its directory entry declares
        self.declared: set[str] = set()
        if self.signing_key_file:
            try:
                self.signing_key = hubsign.read_private_key(self.signing_key_file)
            except hubsign.SignError as exc:
                log.error("hub signing key: %s; messages to neighbours on version 2 are refused there", exc)
        else:
            log.warning("hub signing key: HUB_SIGNING_KEY_FILE (LAPOR_HUB_SIGNING_KEY_FILE) is not set; "
                        "this hub's messages are refused by neighbours on version 2")
        if self.key_file:
            try:
                self.load_key()
            except sealing.SealError as exc:  # the service still starts: local reports need no key
                log.error("hub key: %s; reports forwarded to this hub wait until it is fixed", exc)
        else:
            log.warning("hub key: HUB_KEY_FILE (LAPOR_HUB_KEY_FILE) is not set; this hub cannot open "
                        "identities sealed for it")
        declare_topology(self.amqp_uri, [])

    def load_key(self) -> None:
        if not self.key_file:
            raise sealing.SealError("HUB_KEY_FILE (LAPOR_HUB_KEY_FILE) is not set")
        self._private_key = sealing.read_private_key(self.key_file)

    @property
    def private_key(self) -> str:
        """This hub's private key; ``sealing.SealError`` if the secrets file is missing or bad."""
        if self._private_key is None:
            self.load_key()
        return self._private_key

    def declare(self, directory: list[dict], here: str) -> list[str]:
        """Declare the exchanges and queues for this hub's neighbours (idempotent)."""
        try:
            neighbours = hubnet.neighbours(directory, here)
        except (KeyError, hubnet.DirectoryError):
            return []
        entries = {h.get("code"): h for h in directory}
        self.versions = {code: min(self.write_version, hubwire.declared_version(entries.get(code)))
                         for code in neighbours}
        if not set(neighbours) <= self.declared:
            declare_topology(self.amqp_uri, neighbours)
            self.declared |= set(neighbours)
        return neighbours


def declare_topology(amqp_uri: str, neighbours: list[str]) -> None:
    try:
        with Connection(amqp_uri, connect_timeout=5, transport_options={"max_retries": 1}) as connection:
            hubnet.declare_topology(connection.default_channel, neighbours)
    except Exception as exc:  # broker down at start: the outbox keeps messages until it is back
        log.warning("hub topology not declared now (%s: %s); retried after the next registry update",
                    type(exc).__name__, exc)


class HubOutboxRelay(OutboxRelay):
    """intake's outbox relay: signs each hub message as the hub that puts it on the link, in the
    version its neighbour declared (``hubwire.for_neighbour``), and counts hub messages once the
    broker has confirmed them. Signed at publishing, not at staging: a relay re-signs what it
    passes on, and a neighbour's declared version is read when the message leaves."""

    def link(self) -> Link | None:
        for provider in self.container.dependencies:
            shared = getattr(provider, "shared", None)
            if isinstance(shared, dict) and isinstance(shared.get("hub_link"), Link):
                return shared["hub_link"]
        return None

    def _message(self, entry: dict) -> dict:
        message = super()._message(entry)
        if entry.get("exchange") == hubnet.OUT_EXCHANGE:
            link = self.link()
            version = link.versions.get(entry["routing_key"], link.write_version) if link else hubwire.SCHEMA_VERSION
            try:
                message["body"] = hubwire.for_neighbour(entry["payload"], version, link.signing_key if link else None)
            except hubsign.SignError as exc:
                log.error("hub message %s to hub %s sent unsigned: %s", entry["payload"].get("message_id"),
                          entry["routing_key"], exc)
                message["body"] = {**entry["payload"], "schema_version": hubwire.SCHEMA_VERSION}
        return message

    def published(self, entry: dict) -> None:
        if entry.get("exchange") == hubnet.OUT_EXCHANGE:
            message = entry["payload"]
            hub_metrics.sent(entry["routing_key"], message.get("kind", "unknown"))
            if message.get("kind") == "transfer":
                hub_metrics.forwarded("out", entry["routing_key"])

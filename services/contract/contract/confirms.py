"""Publishing a batch with one wait for the broker's confirms (not one round trip per message).

The outbox relay publishes every due event of a pass on one channel in confirm mode, persistent
and ``mandatory``, then waits once until the broker has confirmed (or returned) each of them:
- confirmed and not returned: ``published`` (stored on disk by the broker, routed to a queue);
- returned (``mandatory``: no queue bound for its event type yet): ``unrouted``;
- nacked, or no answer before the timeout, or the connection failed: ``failed`` (published again
  on a later pass; consumers are idempotent).
"""
from __future__ import annotations

import logging
import socket
import time

import amqp
from kombu import Connection
from kombu.utils.json import dumps

log = logging.getLogger(__name__)

CONFIRM_TIMEOUT_SECONDS = 10.0
KEY_HEADER = "x-lapor-outbox-id"  # tells which outbox entry a returned message was


class BatchPublisher:
    def __init__(self, amqp_uri: str):
        self.amqp_uri = amqp_uri
        self._conn: Connection | None = None
        self._channel = None
        self._declared: set[str] = set()

    def close(self) -> None:
        conn, self._conn, self._channel = self._conn, None, None
        self._declared = set()
        if conn is not None:
            try:
                conn.release()
            except Exception:  # closing a broken connection
                pass

    def _open(self):
        if self._channel is None:
            self._conn = Connection(self.amqp_uri, heartbeat=0, connect_timeout=5)
            self._conn.ensure_connection(max_retries=1)
            channel = self._conn.connection.channel()
            channel.confirm_select()
            channel.events["basic_ack"].add(self._on_ack)
            channel.events["basic_nack"].add(self._on_nack)
            channel.events["basic_return"].add(self._on_return)
            self._channel, self._next_tag = channel, 1
        return self._channel

    def _on_ack(self, tag, multiple):
        self._settle(tag, multiple, "ack")

    def _on_nack(self, tag, multiple):
        self._settle(tag, multiple, "nack")

    def _settle(self, tag, multiple, outcome):
        for pending_tag in [t for t in self._waiting if t == tag or (multiple and t <= tag)]:
            self._outcomes[self._waiting.pop(pending_tag)] = outcome

    def _on_return(self, exc, exchange, routing_key, message):
        self._returned.add((message.properties.get("application_headers") or {}).get(KEY_HEADER))

    def publish(self, messages: list[dict]) -> dict[str, str]:
        """Publish each ``{key, exchange, exchange_type, routing_key, body, properties}``; outcome per key."""
        self._waiting: dict[int, str] = {}
        self._outcomes: dict[str, str] = {}
        self._returned: set[str] = set()
        try:
            channel = self._open()
            for m in messages:
                if m["exchange"] not in self._declared:
                    channel.exchange_declare(m["exchange"], m["exchange_type"], durable=True, auto_delete=False)
                    self._declared.add(m["exchange"])
                properties = dict(m["properties"])
                headers = {**(properties.pop("headers", None) or {}), KEY_HEADER: m["key"]}
                msg = amqp.Message(dumps(m["body"]), content_type="application/json", content_encoding="utf-8",
                                   delivery_mode=2, application_headers=headers, **properties)
                channel._basic_publish(msg, exchange=m["exchange"], routing_key=m["routing_key"], mandatory=True)
                self._waiting[self._next_tag] = m["key"]
                self._next_tag += 1
            deadline = time.monotonic() + CONFIRM_TIMEOUT_SECONDS
            while self._waiting and time.monotonic() < deadline:
                try:
                    self._conn.connection.drain_events(timeout=max(0.01, deadline - time.monotonic()))
                except socket.timeout:
                    pass
        except Exception as exc:
            log.warning("outbox: publishing failed: %s", exc)
            self.close()
        result = {}
        for m in messages:
            outcome = self._outcomes.get(m["key"])
            if outcome == "ack":
                result[m["key"]] = "unrouted" if m["key"] in self._returned else "published"
            else:
                result[m["key"]] = "failed"
        if self._waiting:  # unanswered: this channel's tags can no longer be trusted
            self.close()
        return result

"""Operator tool for a service's dead letters (``<service>.deadletters``, see contract.batch).

    python -m contract.deadletters list    --service intake [--amqp URI] [--limit 50]
    python -m contract.deadletters replay  --service intake [--amqp URI] [--limit 50]
    python -m contract.deadletters migrate --service intake [--amqp URI] --api http://guest:guest@127.0.0.1:15672

``list`` prints each dead letter (event type, reason, event id) and leaves it in the queue;
``replay`` publishes each back to the service's own queue ``<service>.inbox`` only (the default
exchange, routing key = the queue's name, its event type in the ``x-lapor-event-type`` header that
``contract.batch.event_type_of`` reads first), and removes it. Never through the source's exchange:
that would give every consumer of the event type a copy again, so a poison event would multiply in
every service's dead letters. The consumer's processed-event markers make a replay of an applied
event harmless. The operator (administrator) replays: a service's own user may not publish on the
default exchange. The replay carries the consumer's sealed record of who first published the event
(``contract.publisher``), so a consumer that checks publishers applies it; a dead letter the broker
made itself (delivery limit) has no seal and is refused again there (its source must publish it anew).
``migrate`` is for a broker that ran the per-handler queues of nameko's ``@event_handler``
(``evt-<source>-<type>--<service>.<method>``) or the service's queue under its first name
``<service>.events`` (now ``<service>.inbox``): it moves what they still hold into the service's
queue (event type in a header, so no other service sees it twice) and deletes them, since they
would otherwise collect a copy of every event for ever.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from urllib.parse import quote, unquote, urlparse

from kombu import Connection, Producer

import requests

from contract.batch import EVENT_TYPE_HEADER, REASON_HEADER, dead_letter_queue, event_type_of, queue_name

EXCHANGE_HEADER = "x-lapor-exchange"  # where the event was first published (contract.batch sets it)
# what a dead letter carries that a replayed event must not: the reason, the broker's record
DEAD_LETTER_HEADERS = (REASON_HEADER, "x-death", "x-first-death-exchange", "x-first-death-queue",
                       "x-first-death-reason", "x-last-death-exchange", "x-last-death-queue",
                       "x-last-death-reason", "x-delivery-count")


def origin(message) -> tuple[str, str, str]:
    """(exchange, event type, reason) of a dead letter: ours, or the broker's (x-death)."""
    headers = message.headers or {}
    if REASON_HEADER in headers:
        return headers.get(EXCHANGE_HEADER, ""), headers.get(EVENT_TYPE_HEADER, ""), headers[REASON_HEADER]
    death = (headers.get("x-death") or [{}])[0]
    keys = death.get("routing-keys") or [""]
    return death.get("exchange", ""), keys[0], f"broker: {death.get('reason', 'unknown')} after " \
                                               f"{headers.get('x-delivery-count', '?')} deliveries"


def replay_headers(message, exchange: str, event_type: str) -> dict:
    """The headers of a replayed dead letter: its own, less the dead-letter record, with its event
    type (the routing key is now the queue's name) and the exchange it was first published on."""
    headers = {k: v for k, v in (message.headers or {}).items() if k not in DEAD_LETTER_HEADERS}
    return {**headers, EVENT_TYPE_HEADER: event_type, EXCHANGE_HEADER: exchange}


def take(amqp_uri: str, service: str, limit: int, replay: bool) -> list[dict]:
    out = []
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as conn:
        channel = conn.channel()
        queue = dead_letter_queue(service)(channel)
        queue.declare()
        if replay:  # the service's queue must exist: the default exchange drops what it cannot route
            channel.queue_declare(queue_name(service), passive=True)
        producer = Producer(conn.channel())
        held = []
        while len(out) < limit:
            message = queue.get(no_ack=False, accept=["json", "application/json", "text/plain",
                                                      "application/data", "application/octet-stream"])
            if message is None:
                break
            exchange, event_type, reason = origin(message)
            try:
                event_id = json.loads(message.body).get("event_id")
            except (ValueError, AttributeError, TypeError):
                event_id = None
            out.append({"event_type": event_type, "event_id": event_id, "exchange": exchange, "reason": reason})
            if replay and event_type:
                # to the service's queue only (default exchange), never the source's exchange
                producer.publish(message.body, exchange="", routing_key=queue_name(service),
                                 headers=replay_headers(message, exchange, event_type),
                                 content_type=message.content_type,
                                 content_encoding=message.content_encoding, delivery_mode=2)
                message.ack()
                out[-1]["replayed"] = True
            else:
                held.append(message)
        for message in held:  # listed only: back to the dead-letter queue
            message.requeue()
    return out


def legacy_queues(api: str, vhost: str, service: str) -> list[str]:
    found = requests.get(f"{api.rstrip('/')}/api/queues/{quote(vhost, safe='')}", timeout=10)
    found.raise_for_status()
    return sorted(q["name"] for q in found.json()
                  if q["name"].startswith("evt-") and f"--{service}." in q["name"] or q["name"] == f"{service}.events")


def migrate(amqp_uri: str, api: str, service: str) -> list[dict]:
    """Move the messages of the service's per-handler queues into its queue, then delete those queues."""
    vhost = unquote(urlparse(amqp_uri).path[1:]) or "/"
    out = []
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as conn:
        channel = conn.channel()
        producer = Producer(conn.channel())
        for name in legacy_queues(api, vhost, service):
            # evt-<source>-<type>--<service>.<method>, or the batch queue's first name <service>.events
            event_type = name.split("--", 1)[0].split("-", 2)[2] if name.startswith("evt-") else None
            moved = 0
            while (message := channel.basic_get(name, no_ack=False)) is not None:
                producer.publish(message.body, exchange="", routing_key=queue_name(service),
                                 headers={**(message.headers or {}),
                                          EVENT_TYPE_HEADER: event_type or event_type_of(message) or ""},
                                 content_type=message.content_type, content_encoding=message.content_encoding,
                                 delivery_mode=2)
                channel.basic_ack(message.delivery_tag)
                moved += 1
            channel.queue_delete(name)
            out.append({"queue": name, "event_type": event_type, "moved": moved})
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m contract.deadletters", description=__doc__.split("\n")[0])
    parser.add_argument("action", choices=("list", "replay", "migrate"))
    parser.add_argument("--service", required=True)
    parser.add_argument("--amqp", default=os.environ.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5682/"))
    parser.add_argument("--limit", type=int, default=50)
    parser.add_argument("--api", default=os.environ.get("RABBIT_API_URI", "http://guest:guest@127.0.0.1:15672"),
                        help="RabbitMQ management API (migrate only)")
    args = parser.parse_args(argv)
    if args.action == "migrate":
        for row in migrate(args.amqp, args.api, args.service):
            print(json.dumps(row))
        return 0
    rows = take(args.amqp, args.service, args.limit, args.action == "replay")
    for row in rows:
        print(json.dumps(row, ensure_ascii=False))
    print(f"{len(rows)} dead letter(s) {'replayed' if args.action == 'replay' else 'listed'} "
          f"for {args.service}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())


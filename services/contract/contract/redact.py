"""Passwords never reach a log: nameko's reconnect message masks only the first URI of a failover
list (``amqp://a;amqp://b;amqp://c``), so the services' logs showed the other nodes' passwords.
``install()`` (done at each service's start by its ``contract.metrics.Metrics`` dependency) makes
nameko mask each ``;``-separated URI."""
from __future__ import annotations

from nameko import messaging
from nameko.utils import sanitize_url as _sanitize_one


def sanitize_urls(url: str) -> str:
    """Each URI of a failover list with its password masked."""
    return ";".join(_sanitize_one(part) for part in str(url).split(";"))


def install() -> None:
    messaging.sanitize_url = sanitize_urls

"""The network of hubs: the tree they form and the broker topology that links neighbours.

Hubs form a tree by tier (national -> province -> district). Each hub links only to its parent
and its children, so a message for a distant hub travels hop by hop along the tree, and adding a
district touches only its province's links.

On every hub's RabbitMQ (vhost ``/``):

- ``lapor.hubs.out`` (direct exchange, durable): intake publishes a message for neighbour ``N``
  with routing key ``N``;
- ``lapor.hubs.out.<N>`` (durable quorum queue), one per neighbour, bound with key ``N``: the
  durable outbound backlog while ``N`` or the link is down;
- a dynamic shovel ``lapor-hub-to-<N>`` (RabbitMQ Shovel plugin, ``ack-mode: on-confirm``) moves
  that queue to ``N``'s broker, into its ``lapor.hubs.in`` exchange;
- ``lapor.hubs.in`` (fanout exchange, durable) -> ``lapor.hubs.in`` (durable quorum queue with a
  delivery limit) consumed by intake; a message that cannot be handled is dead-lettered through
  ``lapor.hubs.dead`` (fanout) into ``lapor.hubs.dead`` (durable quorum queue).

Hub codes are strings everywhere (``"5108"`` is a code, not a number). This module holds no
broker address or credential: neighbours' URIs come from the environment or a secrets file.
"""
from __future__ import annotations

from typing import Iterable, Mapping

OUT_EXCHANGE = "lapor.hubs.out"
IN_EXCHANGE = "lapor.hubs.in"
IN_QUEUE = "lapor.hubs.in"
DEAD_EXCHANGE = "lapor.hubs.dead"
DEAD_QUEUE = "lapor.hubs.dead"
DELIVERY_LIMIT = 5
RECONNECT_DELAY_SECONDS = 5
TIERS = ("national", "province", "district")
PARENT_TIER = {"national": None, "province": "national", "district": "province"}


def out_queue(neighbour: str) -> str:
    """The durable outbound queue for one neighbour hub."""
    return f"{OUT_EXCHANGE}.{neighbour}"


def shovel_name(neighbour: str) -> str:
    return f"lapor-hub-to-{neighbour}"


LINK_USER_PREFIX = "hub-"


def link_user(code: str) -> str:
    """The broker user hub ``code``'s shovel logs in as on each neighbour's broker."""
    return f"{LINK_USER_PREFIX}{code}"


def link_of(user_id) -> str | None:
    """The neighbour a message came from, by its validated ``user_id`` (None: not a link user).

    Each shovel sets the AMQP ``user_id`` property to the user it logs in as on the receiving
    broker, and RabbitMQ refuses a publish whose ``user_id`` is not the publishing connection's
    user (validated user-ID; link users never get the ``impersonator`` tag): so a message carrying
    ``user_id: hub-51`` was published by hub 51's link account, and nobody else's."""
    if isinstance(user_id, bytes):
        user_id = user_id.decode("utf-8", "replace")
    if not isinstance(user_id, str) or not user_id.startswith(LINK_USER_PREFIX):
        return None
    return user_id[len(LINK_USER_PREFIX):] or None


class DirectoryError(ValueError):
    """The hub directory is not a tree of tiers (each message names the hub and the problem)."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


class LoopRefused(ValueError):
    """The next hop has already been visited by this message."""


def _by_code(directory: Iterable[Mapping]) -> dict[str, Mapping]:
    return {str(hub["code"]): hub for hub in directory}


def validate_directory(directory: Iterable[Mapping]) -> list[str]:
    """Problems with a hub directory (empty when it is a valid tree of tiers)."""
    problems: list[str] = []
    hubs: dict[str, Mapping] = {}
    for hub in directory:
        code = hub.get("code")
        if not isinstance(code, str) or not code:
            problems.append(f"hub code {code!r} must be a non-empty string")
            continue
        if code in hubs:
            problems.append(f"hub {code}: listed twice")
        hubs[code] = hub
    roots = [code for code, hub in hubs.items() if hub.get("parent") in (None, "")]
    if len(roots) != 1:
        problems.append(f"exactly one hub without a parent (the national hub) expected, found {sorted(roots)}")
    for code, hub in hubs.items():
        tier, parent = hub.get("tier"), hub.get("parent")
        if tier not in TIERS:
            problems.append(f"hub {code}: tier {tier!r} is not one of {', '.join(TIERS)}")
            continue
        if parent in (None, ""):
            if tier != "national":
                problems.append(f"hub {code}: a {tier} hub needs a parent")
            continue
        if not isinstance(parent, str):
            problems.append(f"hub {code}: parent {parent!r} must be a string")
        elif parent not in hubs:
            problems.append(f"hub {code}: parent {parent} is not in the directory")
        elif hubs[parent].get("tier") != PARENT_TIER[tier]:
            problems.append(f"hub {code}: a {tier} hub's parent must be a {PARENT_TIER[tier]} hub, "
                            f"{parent} is {hubs[parent].get('tier')!r}")
    return problems


def ancestors(directory: Iterable[Mapping], code: str) -> list[str]:
    """``code`` and its ancestors up to the root, nearest first."""
    hubs = _by_code(directory)
    if code not in hubs:
        raise KeyError(f"hub {code} is not in the directory")
    chain = [code]
    while hubs[chain[-1]].get("parent"):
        parent = str(hubs[chain[-1]]["parent"])
        if parent in chain or parent not in hubs:
            raise DirectoryError([f"hub {chain[-1]}: parent chain broken at {parent}"])
        chain.append(parent)
    return chain


def path(directory: Iterable[Mapping], source: str, target: str) -> list[str]:
    """The hubs a message visits from ``source`` to ``target`` along the tree, both included."""
    directory = list(directory)
    up = ancestors(directory, source)
    down = ancestors(directory, target)
    common = next(code for code in up if code in down)
    return up[: up.index(common) + 1] + list(reversed(down[: down.index(common)]))


def stored_directory(hubs) -> list[dict]:
    """routing's stored directory (its store's ``hubs`` collection, given) as directory entries (code, tier, parent)."""
    return [{"code": str(doc["_id"]), "tier": doc.get("tier") or doc.get("level"), "parent": doc.get("parent")}
            for doc in hubs.find({}, {"tier": 1, "level": 1, "parent": 1})]


def neighbours(directory: Iterable[Mapping], code: str) -> list[str]:
    """The hubs ``code`` links to: its parent (if any), then its children in directory order."""
    hubs = _by_code(directory)
    if code not in hubs:
        raise KeyError(f"hub {code} is not in the directory")
    parent = hubs[code].get("parent")
    children = [other for other, hub in hubs.items() if str(hub.get("parent") or "") == code]
    return ([str(parent)] if parent else []) + children


def next_hop(directory: Iterable[Mapping], here: str, target: str, visited: Iterable[str] = ()) -> str:
    """The neighbour of ``here`` a message for ``target`` goes to next.

    ``visited`` is the hop chain the message carries; a next hop already in it is refused, so a
    message never visits a hub twice.
    """
    if here == target:
        raise ValueError(f"hub {here} is the target itself")
    hop = path(directory, here, target)[1]
    if hop in set(visited):
        raise LoopRefused(f"hub {hop} has already been visited by this message ({' -> '.join(visited)})")
    return hop


def queue_arguments(name: str) -> dict:
    """The exact arguments each hub queue is declared with (declarations must agree everywhere)."""
    if name == IN_QUEUE:
        return {"x-queue-type": "quorum", "x-delivery-limit": DELIVERY_LIMIT,
                "x-dead-letter-exchange": DEAD_EXCHANGE}
    return {"x-queue-type": "quorum"}


def declare_topology(channel, neighbour_codes: Iterable[str]) -> None:
    """Declare this hub's exchanges and queues (idempotent) on a kombu/amqp channel."""
    from kombu import Exchange, Queue

    dead = Exchange(DEAD_EXCHANGE, type="fanout", durable=True)
    Queue(DEAD_QUEUE, exchange=dead, durable=True,
          queue_arguments=queue_arguments(DEAD_QUEUE))(channel).declare()
    inbound = Exchange(IN_EXCHANGE, type="fanout", durable=True)
    Queue(IN_QUEUE, exchange=inbound, durable=True,
          queue_arguments=queue_arguments(IN_QUEUE))(channel).declare()
    outbound = Exchange(OUT_EXCHANGE, type="direct", durable=True)
    outbound(channel).declare()
    for code in neighbour_codes:
        Queue(out_queue(code), exchange=outbound, routing_key=code, durable=True,
              queue_arguments=queue_arguments(out_queue(code)))(channel).declare()


def shovel_definition(local_uri: str, neighbour_uri: str, neighbour: str) -> dict:
    """The dynamic shovel moving the outbound queue for ``neighbour`` to its broker.

    The value for ``PUT /api/parameters/shovel/%2f/<shovel_name(neighbour)>``. Every message is
    published with ``user_id`` = the user of ``neighbour_uri`` (this hub's link user there), which
    the neighbour's broker validates: that is how the receiver knows the link a message came on.
    """
    from urllib.parse import unquote, urlparse

    user = unquote(urlparse(neighbour_uri).username or "")
    return {"value": {
        "src-protocol": "amqp091", "src-uri": local_uri, "src-queue": out_queue(neighbour),
        "dest-protocol": "amqp091", "dest-uri": neighbour_uri, "dest-exchange": IN_EXCHANGE,
        "ack-mode": "on-confirm", "reconnect-delay": RECONNECT_DELAY_SECONDS,
        "src-delete-after": "never", "dest-add-forward-headers": False,
        "dest-publish-properties": {"user_id": user},
    }}

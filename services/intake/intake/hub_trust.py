"""Whom a hub believes (docs/hubs.md, "Trust between hubs"): the rules a hub message must meet
before it changes anything here. Plain functions on plain dicts, plus the refusal metric.

A message is believed only when:

- it came on a link: the broker-validated ``user_id`` names a neighbour of this hub in the
  directory (``link``), and that neighbour is the message's last hop (the hub that sent it on);
- it is signed by that neighbour (version 2: Ed25519 over the message, checked against the
  neighbour's ``signing_key`` in the directory); an unsigned version-1 message is believed only on
  a link that speaks version 1, one whose neighbour or this hub itself the directory still
  declares ``message_version: 1`` (the upgrade window), never between two hubs declared 2;
- its origin, its source and every hop are hubs of the directory, and its source is one of its hops;
- a status arriving at the report's origin comes from a hub the report was handed to, or from a
  hub on the way to one (a relay that refused it): never about a report nobody was handed.

Anything else is refused: dead-lettered with a log line and
``lapor_hub_messages_refused_total{reason}``, changing nothing.
"""
from __future__ import annotations

import logging
from typing import Iterable

from contract import hubnet, hubsign, hubwire
from contract.metrics import never_fails
from intake.hub_link import DeadLetter
from prometheus_client import Counter

log = logging.getLogger(__name__)

REFUSED = Counter("lapor_hub_messages_refused_total",
                  "Hub messages refused by the trust rules (dead-lettered, nothing changed), by reason.",
                  ["reason"])
BELIEVED = Counter("lapor_hub_messages_believed_total",
                   "Hub messages that met the trust rules, by the neighbour whose link they came on and their "
                   "version (1: unsigned, from a neighbour declared on version 1).", ["neighbour", "version"])
REASONS = ("no_link", "not_neighbour", "wrong_link", "unknown_hub", "forged_source", "no_signing_key",
           "bad_signature", "unsigned", "not_holder",
           "not_origin")  # issue 19: a reporter's action not from the report's origin (intake.handlers.hub_relay)


class Untrusted(DeadLetter):
    """A hub message this hub does not believe (``reason``: one of ``REASONS``)."""

    def __init__(self, reason: str, detail: str):
        super().__init__(f"{reason}: {detail}")
        self.reason, self.detail = reason, detail


@never_fails
def count_refused(reason: str) -> None:
    REFUSED.labels(reason).inc()


@never_fails
def count_believed(neighbour: str, version) -> None:
    BELIEVED.labels(neighbour, str(version)).inc()


declared_version = hubwire.declared_version


def link_version(here: dict | None, neighbour: dict | None) -> int:
    """The version a link speaks: the older of the two ends' declared versions (each end writes
    the other no newer than it declared, so a hub declared on version 1 is sent version 1)."""
    return min(declared_version(here), declared_version(neighbour))


def _entries(directory: Iterable[dict]) -> dict[str, dict]:
    return {str(h.get("code")): h for h in directory}


def check_link(message: dict, wire: dict, here: str, directory: list[dict]) -> None:
    """The envelope rules: link, sender, directory, signature or upgrade window (Untrusted if not)."""
    hubs = _entries(directory)
    link = wire.get("link")
    if not link:
        raise Untrusted("no_link", f"no link user on the message (user_id {wire.get('user_id')!r})")
    try:
        neighbours = hubnet.neighbours(directory, here)
    except (KeyError, hubnet.DirectoryError):
        neighbours = []
    if link not in neighbours:
        raise Untrusted("not_neighbour", f"hub {link} is not a neighbour of hub {here} in the directory")
    sender = message["hops"][-1]
    if sender != link:
        raise Untrusted("wrong_link", f"last hop {sender} came on the link of hub {link}")
    unknown = [code for code in (message["origin_hub"], message["source_hub"], *message["hops"]) if code not in hubs]
    if unknown:
        raise Untrusted("unknown_hub", f"not in the directory: {', '.join(sorted(set(unknown)))}")
    if message["source_hub"] not in message["hops"]:
        raise Untrusted("forged_source", f"source hub {message['source_hub']} is not on the message's hops "
                                         f"{' -> '.join(message['hops'])}")
    entry = hubs[link]
    if wire.get("version") == hubwire.PREVIOUS_VERSION:
        if link_version(hubs.get(here), entry) != hubwire.PREVIOUS_VERSION:
            raise Untrusted("unsigned", f"an unsigned version-1 message from hub {link}, declared version "
                                        f"{declared_version(entry)}")
        return  # the upgrade window: this link speaks version 1
    if not entry.get("signing_key"):
        raise Untrusted("no_signing_key", f"hub {link} has no signing key in the directory")
    if not hubsign.verify(wire.get("body") or {}, entry["signing_key"]):
        raise Untrusted("bad_signature", f"the signature is not hub {link}'s")


def holders(report: dict, here: str, directory: list[dict]) -> set[str]:
    """The hubs a status about ``report`` (filed here) may come from: each hub it was handed to
    (the delivery's hub, each ``hub_waiting``, each ``next_hub`` a holder named) and every hub on
    the way from here to one of them (a relay that refused the transfer)."""
    targets = set()
    delivery = report.get("hub_delivery") or {}
    if delivery.get("hub"):
        targets.add(delivery["hub"])
    for item in report.get("history") or []:
        detail = item.get("detail") or {}
        if item.get("step") == "hub_waiting" and detail.get("hub"):
            targets.add(detail["hub"])
        if str(item.get("step", "")).startswith("hub_") and detail.get("next_hub"):
            targets.add(detail["next_hub"])
    allowed: set[str] = set()
    for target in targets:
        try:
            allowed.update(hubnet.path(directory, here, target)[1:])
        except (KeyError, StopIteration, hubnet.DirectoryError):
            allowed.add(target)
    allowed.discard(here)
    return allowed


def check_status(message: dict, report: dict | None, here: str, directory: list[dict]) -> None:
    """A status at the report's origin comes from a hub the report was handed to (or on the way)."""
    if message["kind"] != "status" or message["target_hub"] != here or report is None:
        return  # relayed on, or no report here (refused later without a change)
    if message["source_hub"] not in holders(report, here, directory):
        raise Untrusted("not_holder", f"hub {message['source_hub']} never held report {message['tracking_id']}")


def check(uow, message: dict) -> None:
    """Every trust rule for a received message (Untrusted, logged and counted, when one fails)."""
    here, directory = uow.settings.hub_code, uow.registry.hub_directory()
    try:
        check_link(message, message.get("wire") or {}, here, directory)
        if message["kind"] == "status" and message["target_hub"] == here:
            check_status(message, uow.reports.get(message["tracking_id"]), here, directory)
    except Untrusted as exc:
        log.error("hub message %s (%s %s, version %s, link %s) refused: %s", message["message_id"], message["kind"],
                  message["tracking_id"], (message.get("wire") or {}).get("version"),
                  (message.get("wire") or {}).get("link"), exc)
        count_refused(exc.reason)
        raise
    wire = message.get("wire") or {}
    count_believed(wire.get("link") or "unknown", wire.get("version"))

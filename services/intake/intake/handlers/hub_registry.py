"""The registry parts hubs publish, on the links (contract.hubregistry; docs/hubs.md, "One registry").

Out: routing says a part this hub owns changed (``hub_part_published``); intake signs it with this
hub's signing key as its owner, keeps it, and sends it to every neighbour.
In: a ``registry`` hub message from a neighbour is believed only when it came on that neighbour's
link, signed by it (the link's signature, as every hub message) and by the part's owner, and is
newer than the version kept here; it is then kept, handed to routing (``hub_part_received``) and
passed on to this hub's other neighbours, in one unit of work.
"""
from __future__ import annotations

import logging

from contract import events, hubregistry, hubsign
from intake.hub_link import DeadLetter
from intake.hub_trust import link_version

log = logging.getLogger(__name__)
ACKED_REASONS = ("own_part", "not_newer")  # harmless: counted and dropped, never dead-lettered


def publish_hub_part(uow, event_type: str, event: dict) -> None:
    """This hub's own part, signed and sent to every neighbour (nothing without a signing key)."""
    here, now = uow.settings.hub_code, uow.now()
    if event["owner_hub"] != here:
        return
    key = uow.hubs.signing_key()
    if not key:
        log.error("hub %s's %s version %s not published: this hub has no signing key (HUB_SIGNING_KEY_FILE)",
                  here, event["part"], event["version"])
        return
    publication = hubregistry.new_publication(here, event["part"], event["version"], event["document"],
                                              event["published_at"], key)
    uow.hubs.keep_part(publication)
    neighbours = uow.hubs.declare(uow.registry.hub_directory(), here)
    uow.hubs.send(None, {}, None, [(hubregistry.message_to(publication, here, [], now), n) for n in neighbours])


def known_directory(uow) -> list[dict]:
    """intake's copy of the directory, with the entries of directory parts believed here that routing
    has not applied yet (so a new hub's first part does not overtake its entry: ``unknown_owner``)."""
    directory = uow.registry.hub_directory()
    known = {str(h.get("code")) for h in directory}
    for part in uow.hubs.directory_parts():
        for entry in part["document"].get("hubs", []):
            if str(entry.get("code")) not in known:
                directory.append(entry)
                known.add(str(entry.get("code")))
    return directory


def check_link_signature(message: dict, here: str, directory: list[dict]) -> None:
    """The sending neighbour's signature over the message, on a link that speaks version 2."""
    wire = message.get("wire") or {}
    entries = {str(h.get("code")): h for h in directory}
    neighbour = entries.get(wire.get("link") or "")
    if link_version(entries.get(here), neighbour) < 2:
        return  # the upgrade window (docs/hubs.md, "Mixed versions"): the owner's signature still holds
    if wire.get("version") != 2 or not (neighbour or {}).get("signing_key") \
            or not hubsign.verify(wire.get("body") or {}, neighbour["signing_key"]):
        raise hubregistry.Refused("bad_link_signature", f"not signed by hub {wire.get('link')}, whose link it came on")


def receive_publication(uow, message: dict) -> str:
    """Another hub's part (loaded by ``hubregistry.load``, with its ``wire``): ``applied`` (kept,
    handed to routing, passed on), ``duplicate``, or a harmless refusal (``not_newer``, ``own_part``);
    DeadLetter when it is not believed (link, signatures, owner)."""
    here, now = uow.settings.hub_code, uow.now()
    owner, part = message["owner_hub"], message["part"]
    directory = known_directory(uow)
    kept = uow.hubs.part(owner, part)
    try:
        hubregistry.check(message, message.get("wire") or {}, here, directory, kept and kept["version"])
        check_link_signature(message, here, directory)
    except hubregistry.Refused as exc:
        log.error("hub %s's %s version %s (message %s, link %s) refused: %s", owner, part, message["version"],
                  message["message_id"], (message.get("wire") or {}).get("link"), exc)
        hubregistry.count_refused(owner, part, exc.reason)
        if exc.reason in ACKED_REASONS:
            return exc.reason
        raise DeadLetter(str(exc))
    if not uow.hubs.claim(message["message_id"]):
        return "duplicate"
    publication = {k: message[k] for k in ("owner_hub", "part", "version", "published_at", "document",
                                           "owner_signature")}
    uow.hubs.keep_part(publication)
    uow.stage([events.build(events.HUB_PART_RECEIVED, here, owner_hub=owner, part=part, version=message["version"],
                            published_at=message["published_at"], document=message["document"])])
    onward = [n for n in uow.hubs.declare(directory, here) if n not in message["hops"]]
    uow.hubs.send(None, {}, None, [(hubregistry.message_to(publication, here, message["hops"], now), n)
                                   for n in onward])
    log.info("hub %s's %s version %s believed from hub %s; passed on to %s", owner, part, message["version"],
             message["hops"][-1], onward or "nobody")
    return "applied"

"""Hub messages as they arrive on a link, for the handlers' tests on the fake unit of work: signed
by the hub that sends them on (the last hop) with a test key, loaded with the link's validated
``user_id`` as intake's inbound consumer loads them (``intake.hub_link.load_message``)."""
from __future__ import annotations

from contract import hubnet, hubsign, hubwire
from intake.hub_link import load_message

CODES = ("ID", "51", "73", "5108", "7317", "35", "63")
SIGNING = {code: hubsign.generate_key() for code in CODES}  # code -> (private, public)


def signed_directory(directory: list[dict], versions: dict[str, int] | None = None) -> list[dict]:
    """``directory`` with each hub's signing key (and the ``message_version`` ``versions`` gives)."""
    out = []
    for hub in directory:
        entry = {**hub, "signing_key": SIGNING[hub["code"]][1]}
        if hub["code"] in (versions or {}):
            entry["message_version"] = versions[hub["code"]]
        out.append(entry)
    return out


def arrive(message: dict, version: int = hubwire.SCHEMA_VERSION, link: str | None = None,
           key: str | None = None) -> dict:
    """``message`` as its last hop puts it on the link (``link``: the link it came on, by default
    the last hop's; ``key``: the signing key used, by default the last hop's)."""
    sender = message["hops"][-1]
    body = hubwire.for_neighbour(message, version, key or SIGNING[sender][0])
    return load_message(body, hubnet.link_user(link or sender))

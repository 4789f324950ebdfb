"""The link keeper: this hub's broker follows the directory (issue 19, docs/hubs.md "A hub joins").

When a hub joins this one (routing's ``POST /hubs/join``), routing adds the child to the directory
and keeps the link's credentials in its ``hub_links`` collection: the hash of the password of the
child's link user here (``hub-<child>``, its shovel logs in as it: this broker only verifies it)
and the child's broker address with the password of this hub's link user there (in clear: this
hub's shovel logs in with it). Routing has no broker administrator rights
(contract.brokeracl); the link-metrics process has this broker's management credentials (the
secrets file), so it runs the keeper (``contract.hubmetrics --keep-links``): every few seconds it
reads the stored directory and links, and when they changed puts the link user (publish to
``lapor.hubs.in`` only, as ``contract.hublink``) and the shovel (``contract.hubnet.shovel_definition``)
through ``contract.hublink.apply`` -- idempotent, so a restart or a second pass changes nothing.

A neighbour with no secret in the file nor in ``hub_links`` (a child that joined without a link)
is left out: it stays monitored, ``absent``. No password is logged.
"""
from __future__ import annotations

import hashlib
import json
import sys
import threading
from urllib.parse import quote

from contract import hublink, hubnet

HUB_LINKS = "hub_links"  # routing's collection (routing.dependencies.HUB_LINKS)


def merged(directory: list[dict], hub: str, file_secrets: dict, links: list[dict]) -> tuple[list[dict], dict]:
    """The directory and secrets to link with (pure): the file's secrets plus the stored links of
    joined children; a neighbour with no secret in either is left out of the directory."""
    secrets = {**file_secrets, "inbound": dict(file_secrets.get("inbound") or {}),
               "neighbours": dict(file_secrets.get("neighbours") or {})}
    for link in links:
        code = str(link["_id"])
        inbound = ({"password_hash": link["inbound_password_hash"]} if link.get("inbound_password_hash")
                   else {"password": link["inbound_password"]})  # a link kept before hashes
        secrets["inbound"].setdefault(code, {"user": hubnet.link_user(code), **inbound})
        secrets["neighbours"].setdefault(code, {"amqp_uri": (
            f"amqp://{hubnet.link_user(hub)}:{quote(link['neighbour_password'], safe='')}"
            f"@{link['neighbour_address']}/%2F")})
    unlinked = {code for code in hubnet.neighbours(directory, hub)
                if code not in secrets["inbound"] or code not in secrets["neighbours"]}
    return [h for h in directory if h["code"] not in unlinked], secrets


def fingerprint(directory: list[dict], secrets: dict) -> str:
    """What a pass links with, hashed (a pass with the same fingerprint as the last applied is skipped)."""
    body = json.dumps([sorted((h["code"], h.get("parent") or "") for h in directory), secrets], sort_keys=True,
                      default=str)
    return hashlib.sha256(body.encode()).hexdigest()


class LinkKeeper:
    """One pass (``run_once``) or a loop (``start``) putting the links the stored directory asks for."""

    def __init__(self, hub: str, file_directory: list[dict], file_secrets: dict, database, interval: float = 2.0,
                 apply=hublink.apply):
        self.hub, self.file_directory, self.file_secrets = hub, file_directory, file_secrets
        self.database, self.interval, self.apply = database, interval, apply
        self.applied: str | None = None
        self.stopping = threading.Event()

    def stored(self) -> tuple[list[dict], list[dict]]:
        directory = hubnet.stored_directory(self.database["hubs"]) or self.file_directory
        return directory, list(self.database[HUB_LINKS].find({}))

    def run_once(self) -> dict | None:
        """The changes applied, or None when nothing changed since the last pass."""
        directory, links = self.stored()
        directory, secrets = merged(directory, self.hub, self.file_secrets, links)
        now = fingerprint(directory, secrets)
        if now == self.applied:
            return None
        changes = self.apply(directory, self.hub, secrets)
        self.applied = now
        print(f"hubkeeper: hub {self.hub} linked to {', '.join(changes['neighbours']) or 'no neighbour'}; "
              f"shovels put {sorted(changes['put_shovels']) or '-'}, removed {changes['delete_shovels'] or '-'}",
              file=sys.stderr, flush=True)
        return changes

    def loop(self) -> None:
        while not self.stopping.is_set():
            try:
                self.run_once()
            except Exception as exc:  # noqa: BLE001 -- the next pass tries again; never a password in the log
                print(f"hubkeeper: hub {self.hub}: links not applied ({type(exc).__name__})", file=sys.stderr,
                      flush=True)
            self.stopping.wait(self.interval)

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self.loop, name="hubkeeper", daemon=True)
        thread.start()
        return thread

"""Erasure across hubs (issue 20's personal data with issue 19's network; docs/hubs.md, "Erasure
across hubs").

A report filed here and forwarded has copies, with the reporter's identity unsealed, at every hub
that accepted it (the owner, and any hub that accepted it and handed it on). When the reporter
erases their personal data here, the origin:

- **asks each of them** (``tell_holders``): one ``erasure`` hub message per hub whose ``accepted``
  status arrived here (the ``hub_accepted`` steps), over the links along the report's path, signed
  like every hub message; ``hub_erasure`` on the report records to whom, and a hub behind a
  version-1 hub on the route (which would dead-letter a kind it does not know) as not reached;
- **follows a late holder** (``follow_holder``): a hub whose ``accepted`` arrives after the erasure
  is asked at once.

A holder (``apply_erasure``) believes an erasure only from the report's origin, about a copy it
holds, and applies it once per message (its marker): the identity and contact details erased
as its own retention sweep would (``intake.privacy``: audited, a transfer it sent on loses its
sealed identity), then acknowledged with an ``erased`` status (``already`` when its copy was
erased before). The origin records each acknowledgement as a ``hub_erased`` step.
"""
from __future__ import annotations

import logging
import uuid

from contract import hubaction, hubwire
from intake import history, metrics, privacy, transfer
from intake.handlers import hub_relay

log = logging.getLogger(__name__)


def holders(report: dict) -> list[str]:
    """The hubs that accepted this report (each holds a copy), in the order they did."""
    found: list[str] = []
    for item in report.get("history") or []:
        hub = (item.get("detail") or {}).get("hub")
        if item.get("step") == "hub_accepted" and hub and hub not in found:
            found.append(hub)
    return found


def _messages(uow, report: dict, hubs: list[str], erasure: dict) -> tuple[list[tuple[dict, str]], list[str]]:
    """The erasure towards each of ``hubs`` (and its first hop); the hubs it cannot reach."""
    here, now, directory = uow.settings.hub_code, uow.now(), uow.registry.hub_directory()
    messages, unreached = [], []
    for hub in hubs:
        version, _ = hubaction.route_version(directory, here, hub)
        try:
            if version < hubwire.SCHEMA_VERSION:
                raise transfer.Undeliverable(f"a hub on the way to {hub} reads message version 1")
            hop = transfer.next_hop(directory, here, hub, ())
        except transfer.Undeliverable as exc:
            log.error("report %s: the erasure cannot reach hub %s: %s", report["_id"], hub, exc)
            unreached.append(hub)
            continue
        message = hubwire.new_message("erasure", report["_id"], here, here, hub, [here], now, erasure=erasure)
        message["message_id"] = f"{erasure['erasure_id']}-{hub}"
        messages.append((hubwire.dump(message), hop))
    return messages, unreached


def tell_holders(uow, report: dict, reason: str) -> dict:
    """At the origin, with the erasure of ``report`` here: the erasure to every hub holding a copy
    (``{"hubs": asked, "hubs_not_reached": [...]}``; nothing for a report no other hub accepted)."""
    hubs = holders(report)
    if not hubs:
        return {"hubs": [], "hubs_not_reached": []}
    now = uow.now()
    erasure = {"erasure_id": uuid.uuid4().hex, "reason": reason, "at": now}
    messages, unreached = _messages(uow, report, hubs, erasure)
    asked = [m["target_hub"] for m, _ in messages]
    record = {**erasure, "sent_to": asked, "not_reached": unreached}
    uow.hubs.send(report["_id"], {"hub_erasure": record},
                  history.entry("hub_erasure_sent", now, {"hubs": ",".join(asked), "not_reached": ",".join(unreached)}),
                  messages)
    return {"hubs": asked, "hubs_not_reached": unreached}


def asked(report: dict) -> dict:
    """What an earlier erasure asked of other hubs (for a request made again)."""
    record = report.get("hub_erasure") or {}
    return {"hubs": list(record.get("sent_to") or []), "hubs_not_reached": list(record.get("not_reached") or [])}


def follow_holder(uow, report: dict, message: dict) -> None:
    """At the origin: a hub that accepted the report after the reporter's erasure here is asked too."""
    hub = message["source_hub"]
    if (message["status"]["step"] != "accepted" or not privacy.is_erased(report)
            or report.get("personal_data_erasure_reason") != "request"):
        return
    record = report.get("hub_erasure") or {"erasure_id": uuid.uuid4().hex, "reason": "request",
                                           "at": report["personal_data_erased_at"], "sent_to": [], "not_reached": []}
    if hub in record["sent_to"] or hub in record["not_reached"]:
        return
    erasure = {k: record[k] for k in ("erasure_id", "reason", "at")}
    messages, unreached = _messages(uow, report, [hub], erasure)
    updated = {**record, "sent_to": record["sent_to"] + [m["target_hub"] for m, _ in messages],
               "not_reached": record["not_reached"] + unreached}
    uow.hubs.send(report["_id"], {"hub_erasure": updated},
                  history.entry("hub_erasure_sent", uow.now(), {"hubs": ",".join(m["target_hub"] for m, _ in messages),
                                                                 "not_reached": ",".join(unreached)}),
                  messages)


def acknowledged(uow, report: dict, message: dict) -> str:
    """At the origin: a holder's ``erased`` acknowledgement, a ``hub_erased`` step once."""
    body = message["status"]
    entry = history.entry("hub_erased", body["at"], {"hub": message["source_hub"],
                                                     "already": body["detail"].get("already")}, message["message_id"])
    return "applied" if uow.hubs.apply_status(message["message_id"], report["_id"], {}, entry) else "duplicate"


def apply_erasure(uow, message: dict) -> str:
    """A holder erases its copy of the reporter's personal data once per message and acknowledges
    it to the origin: ``applied`` or ``duplicate``."""
    report = hub_relay.believed_from_origin(uow, message, "erasure", sent_on_too=True)
    if not uow.hubs.claim(message["message_id"]):
        return "duplicate"
    here, now, body, origin = uow.settings.hub_code, uow.now(), message["erasure"], message["origin_hub"]
    already = privacy.is_erased(report)
    if not already:
        change = privacy.erasure(report, body["reason"], "reporter" if body["reason"] == "request" else "system", now)
        change["audit"]["via_hub"] = origin  # asked by the hub where the reporter filed
        uow.privacy.erase(report, change)
        uow.after_commit(lambda: metrics.erased(body["reason"]))
    ack = []
    try:
        ack.append(transfer.status(report, "erased", {"erasure_id": body["erasure_id"], "already": str(already).lower()},
                                   here, uow.registry.hub_directory(), now))
    except transfer.Undeliverable as exc:
        log.error("report %s erased, but its origin is unreachable for the acknowledgement: %s", report["_id"], exc)
    uow.hubs.send(report["_id"], {}, history.entry("hub_erasure_received", now, {"hub": origin}), ack)
    return "applied"

"""Handing reports between hubs (docs/hubs.md): what intake sends, relays, accepts and records.

The origin hub (where the reporter filed) sends a ``transfer`` to the hub that owns the report,
hop by hop along the tree; the owner accepts it under the same tracking ID and sends its steps
back as ``status`` messages; the origin's tracking page shows them. Plain functions on plain
dicts: no nameko, pymongo or kombu here (sealing and hop computation are passed in or pure).
"""
from __future__ import annotations

import base64
from datetime import date, datetime
from typing import Iterable

from contract import events, hubnet, hubpath, hubwire
from contract.ids import hub_of
from intake import domain, history, hub_case

IDENTITY_FIELDS = ("name", "email", "phone", "handle")
REPORT_FIELDS = ("title", "description", "classification", "category_code", "region_code", "location_text",
                 "incident_date", "latitude", "longitude", "channel", "language", "gesi", "is_anonymous",
                 "is_confidential")
MAX_EVIDENCE_TOTAL_BYTES = 8 * 1024 * 1024  # keeps a transfer well under the store's 16 MB document limit

# status step at the owner -> the origin's report status (None: unchanged)
ORIGIN_STATUS = {"accepted": None, "dispositioned": "dispositioned", "case_opened": "in_follow_up",
                 "answered": "answered", "closed": "closed", "archived": "archived", "not_ours": None,
                 # issue 19 (version-2 routes only): the owner's case steps beyond version 1's
                 "updated": None, "rated": None, "reopened": "in_follow_up", "due_soon": None, "overdue": None}
# owner's event -> status step sent back to the origin
STEP_OF_EVENT = {events.REPORT_DISPOSITIONED: "dispositioned", events.CASE_OPENED: "case_opened",
                 events.CASE_ANSWERED: "answered", events.CASE_CLOSED: "closed",
                 events.REPORT_ARCHIVED: "archived", events.REPORT_FORWARDED: "not_ours",
                 events.CASE_UPDATED: "updated", events.CASE_RATED: "rated", events.CASE_REOPENED: "reopened",
                 events.CASE_DUE_SOON: "due_soon", events.CASE_OVERDUE: "overdue"}


class Undeliverable(ValueError):
    """A transfer that cannot be sent (target unknown to the directory, no key to seal for)."""


def hub_entry(directory: Iterable[dict], code: str) -> dict | None:
    return next((h for h in directory if h.get("code") == code), None)


def identity_of(report: dict) -> dict:
    """What is sealed for the owner hub: the reporter's contact and the secret's hash."""
    reporter = report.get("reporter") or {}
    sealed = {k: reporter[k] for k in IDENTITY_FIELDS if reporter.get(k)}
    sealed["secret_hash"] = report.get("secret_hash")
    return sealed


def report_body(report: dict) -> dict:
    body = {k: report.get(k) for k in REPORT_FIELDS}
    incident = body.get("incident_date")
    body["incident_date"] = incident.isoformat() if isinstance(incident, date) else incident
    body["gesi"] = list(body.get("gesi") or [])
    body["language"] = body.get("language") or "id"
    body["received_at"] = report.get("completed_at") or report["received_at"]
    return body


def evidence_body(files: list[tuple[dict, bytes]]) -> list[dict]:
    """Attachments as the transfer carries them, the first ones up to the size budget."""
    out, total = [], 0
    for meta, data in files:
        total += len(data)
        if total > MAX_EVIDENCE_TOTAL_BYTES:
            break
        out.append({"filename": meta.get("filename") or "evidence", "content_type": meta["content_type"],
                    "sha256": meta["sha256"], "data": base64.b64encode(data).decode()})
    return out


def outbound(report: dict, target: str, here: str, directory: list[dict], seal, files: list[tuple[dict, bytes]],
             reason: str, forwarded_by: str, manual: bool, now: datetime) -> tuple[dict, str]:
    """The transfer of ``report`` to ``target`` and the neighbour it goes to first.

    ``seal(identity, public_key)`` seals the reporter's identity for the target's intake. The
    hop chain continues the one the report arrived with (a report never visits a hub twice).
    """
    path = path_of(report, here)
    problem = hubpath.refusal(directory, here, target, path)
    if problem is not None:
        raise Undeliverable(problem.en)
    entry = hub_entry(directory, target)
    identity = identity_of(report)
    sealed = None
    if any(identity.get(k) for k in (*IDENTITY_FIELDS, "secret_hash")):
        sealed = seal(identity, entry["public_key"])
    hop = next_hop(directory, here, target, path)
    message = hubwire.new_message(
        "transfer", report["tracking_id"], hub_of(report["tracking_id"]), here, target, path, now,
        transfer={"report": report_body(report), "evidence": evidence_body(files), "sealed_reporter": sealed,
                  "reason": reason, "forwarded_by": forwarded_by, "manual": manual})
    return hubwire.dump(message), hop


def path_of(report: dict, here: str) -> list[str]:
    """The hubs the report has been at, ending with this one (a report filed here: just this hub)."""
    hops = [str(h) for h in (report.get("forwarded_in") or {}).get("hops") or []]
    return hops if hops and hops[-1] == here else [*hops, here]


def next_hop(directory: list[dict], here: str, target: str, visited: Iterable[str]) -> str:
    """The neighbour towards ``target``; Undeliverable when unknown or already visited."""
    try:
        return hubnet.next_hop(directory, here, target, visited)
    except hubnet.LoopRefused as exc:
        raise Undeliverable(str(exc))
    except (KeyError, ValueError, StopIteration, hubnet.DirectoryError) as exc:
        raise Undeliverable(f"no path from hub {here} to hub {target}: {exc}")


def status(report: dict, step: str, detail: dict, here: str, directory: list[dict], now: datetime,
           to: str | None = None) -> tuple[dict, str]:
    """A status message about a forwarded-in report for its origin (or for ``to``: the hub that
    handed it over, which waits for an acknowledgement), and its first hop."""
    origin = hub_of(report["tracking_id"])
    target = to or origin
    hop = next_hop(directory, here, target, ())
    message = hubwire.new_message(
        "status", report["tracking_id"], origin, here, target, [here], now,
        status={"step": step, "at": now, "owner_hub": here,
                "detail": {k: (None if v is None else str(v)) for k, v in detail.items()}})
    return hubwire.dump(message), hop


def arrival(message: dict, here: str, directory: list[dict]) -> tuple[str, str | None]:
    """What this hub does with a message: ``("accept", None)``, ``("relay", next hop)`` or
    ``("refuse", reason)`` (a loop, or a target this hub cannot reach)."""
    if here in message["hops"]:
        return "refuse", f"hub {here} has already been visited ({' -> '.join(message['hops'])})"
    if message["target_hub"] == here:
        return "accept", None
    try:
        return "relay", next_hop(directory, here, message["target_hub"], message["hops"])
    except Undeliverable as exc:
        return "refuse", str(exc)


def relayed(message: dict, here: str) -> dict:
    """The same message with this hub added to its hop chain (the sealed identity unchanged)."""
    return hubwire.dump({**message, "hops": [*message["hops"], here]})


def refusal(message: dict, here: str, reason: str, directory: list[dict], now: datetime) -> tuple[dict, str] | None:
    """A transfer that cannot go on is answered back to the hub that sent it (its last holder, the
    message's ``source_hub``) as ``not_ours`` with ``returned``, so that hub takes it back into its
    triage (None: nowhere to send it, or this hub is that holder)."""
    holder = message["source_hub"]
    if message["kind"] != "transfer" or holder == here:
        return None
    try:
        hop = next_hop(directory, here, holder, ())
    except Undeliverable:
        return None
    back = hubwire.new_message("status", message["tracking_id"], message["origin_hub"], here, holder, [here], now,
                               status={"step": "not_ours", "at": now, "owner_hub": here,
                                       "detail": {"reason": reason[:300], "target_hub": message["target_hub"],
                                                  "returned": "true", "refused_by": here}})
    return hubwire.dump(back), hop


def accepted_report(message: dict, identity: dict, here: str, now: datetime, reporter_ref: str) -> dict:
    """The stored report at the owner hub: the same tracking ID, routed by this hub's rules."""
    body = message["transfer"]["report"]
    reporter = {k: identity[k] for k in IDENTITY_FIELDS if identity.get(k)}
    report = {
        "_id": message["tracking_id"], "tracking_id": message["tracking_id"], "origin_hub": message["origin_hub"],
        "target_hub": here, "status": "received", **{k: body.get(k) for k in REPORT_FIELDS},
        "reporter": reporter, "reporter_ref": reporter_ref, "secret_hash": identity.get("secret_hash"),
        "source": {}, "missing": [], "received_at": body["received_at"], "completed_at": body["received_at"],
        "assignment": None, "case": None, "possible_duplicate_of": None, "attachments": [],
        "forwarded_in": {"from_hub": message["hops"][-1], "source_hub": message["source_hub"],
                         "hops": [*message["hops"], here], "message_id": message["message_id"], "at": now,
                         "reason": message["transfer"]["reason"], "manual": message["transfer"]["manual"]},
    }
    report["history"] = [history.entry("received", body["received_at"], {"channel": body["channel"]}),
                         history.entry("hub_received", now, {"from_hub": message["source_hub"]})]
    return report


def received_event(report: dict) -> dict:
    """``report_received`` for a forwarded-in report, marked so it is counted once nationally."""
    return domain.received_event(report, hub=report["target_hub"], forwarded_from=report["forwarded_in"]["from_hub"],
                                 hub_path=list(report["forwarded_in"]["hops"]))


def origin_update(report: dict, message: dict) -> dict:
    """What a status from the owner changes at the origin: ``{"set", "entry"}`` (None: stale)."""
    body = message["status"]
    step, at = body["step"], body["at"]
    delivery = dict(report.get("hub_delivery") or {})
    if delivery.get("status_at") and at < delivery["status_at"]:
        changes: dict = {}  # an older step arriving late: history only (and its message, issue 19)
        late = dict(report.get("hub_case") or {})
        messages = hub_case.add_message(list(late.get("messages") or []), body["detail"].get("message_id"),
                                        body["detail"].get("message_kind") or "update", "official",
                                        body["detail"].get("message_body"), at)
        if messages != list(late.get("messages") or []):
            changes["hub_case"] = {**late, "messages": messages}
    else:
        delivery.update(status_at=at, last_step=step)
        if step == "not_ours" and body["detail"].get("returned") == "true":
            delivery.update(state="returned")
        elif step == "not_ours":
            delivery.update(state="waiting", hub=body["detail"].get("next_hub") or delivery.get("hub"))
        else:
            delivery.update(state="accepted", hub=body["owner_hub"])
        changes = {"hub_delivery": delivery}
        if step not in ("accepted", "not_ours"):  # the owner's case as it now stands (issue 19)
            changes["hub_case"] = hub_case.merged(report.get("hub_case"), step, body["detail"], at)
        if step == "not_ours" and delivery["state"] == "returned":
            changes["status"] = "triage"
        elif step == "dispositioned" and body["detail"].get("queue") == "national_triage":
            changes["status"] = "triage"  # waiting for the owner hub's national admin
        elif ORIGIN_STATUS.get(step):
            changes["status"] = ORIGIN_STATUS[step]
    detail = {"hub": body["owner_hub"], **{k: v for k, v in hub_case.public_detail(body["detail"]).items()
                                           if k != "reason"}}
    returned = step == "not_ours" and body["detail"].get("returned") == "true"
    name = "hub_returned" if returned else f"hub_{step}"
    return {"set": changes, "entry": history.entry(name, at, detail, message["message_id"])}


def handed_back_event(report: dict, message: dict, here: str) -> dict:
    """``report_handed_back`` for routing: a returned report goes back into this hub's triage."""
    detail = message["status"]["detail"]
    return kept_here_event(report, here, message["source_hub"], detail.get("target_hub"), detail.get("reason"))


def kept_here_event(report: dict, here: str, from_hub: str, target: str | None, reason: str | None) -> dict:
    """``report_handed_back`` for a report this hub could not send on or that came back: routing
    puts it back into this hub's triage (the last holder's), with the reason."""
    return events.build(events.REPORT_HANDED_BACK, hub=here, tracking_id=report["tracking_id"],
                        origin_hub=hub_of(report["tracking_id"]), from_hub=from_hub, target_hub=target,
                        reason=(reason or "")[:300] or None)


def returned_delivery(target: str, now: datetime, reason: str) -> dict:
    """A report this hub sent (or meant to send) and holds again: back in its triage."""
    return {"hub": target, "state": "returned", "since": now, "status_at": now, "reason": reason[:300]}


def waiting_delivery(target: str, hop: str, now: datetime) -> dict:
    return {"hub": target, "next_hop": hop, "state": "waiting", "since": now, "status_at": None}


def neighbours_of(directory: list[dict], here: str) -> list[str]:
    """This hub's neighbours in the directory (none while it is not in it)."""
    try:
        return hubnet.neighbours(directory, here)
    except (KeyError, hubnet.DirectoryError):
        return []

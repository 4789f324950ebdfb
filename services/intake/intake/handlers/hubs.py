"""Intake's hub network (docs/hubs.md).

- ``report_forwarded`` (routing decided, or an official forwarded by hand): send the transfer
  towards the owner hub through the outbox; a forwarded-in report sent on tells its origin
  (``send_transfer``, an entry of intake's event table after the event's history step).
- ``lapor.hubs.in`` (``receive_hub_message``): accept a transfer for this hub once, relay one for
  another hub, apply a status from an owner hub; ``DeadLetter`` for what can never be handled.
- the owner's steps on a forwarded-in report go back to the origin as ``status`` messages
  (``tell_origin``: ``report_dispositioned``, ``report_archived``, ``case_opened``,
  ``case_answered``, ``case_closed``, each after its history step).
"""
from __future__ import annotations

import logging
from datetime import timedelta

from contract import events, sealing
from contract.consumer import RejectEvent
from contract.ids import hub_of
from intake import domain, history, hub_evidence, hub_metrics, hub_trust, transfer
from intake.handlers import hub_erasure, hub_relay
from intake.hub_link import DeadLetter

log = logging.getLogger(__name__)


# --- out: a report for another hub --------------------------------------------------------------

def send_transfer(uow, event_type: str, event: dict) -> None:
    """``report_forwarded``: the transfer towards the target hub, once per event."""
    report = uow.reports.get(event["tracking_id"])
    if report is None:
        raise RejectEvent(f"no report {event['tracking_id']} at this hub")
    here, target, now = uow.settings.hub_code, event["target_hub"], uow.now()
    directory = uow.registry.hub_directory()
    uow.hubs.declare(directory, here)
    forwarded_in = bool(report.get("forwarded_in")) and hub_of(report["tracking_id"]) != here
    try:
        message, hop = transfer.outbound(report, target, here, directory, sealing.seal,
                                         uow.hubs.evidence_files(report), event["reason"],
                                         event.get("actor") or "system", bool(event.get("manual")), now)
    except (transfer.Undeliverable, sealing.SealError) as exc:
        # nobody else can hold it: it stays here, back in this hub's triage, with the reason (issue 18)
        log.error("report %s cannot be sent to hub %s, kept here: %s", report["tracking_id"], target, exc)
        uow.hubs.send(report["_id"], {"status": "triage",
                                      "hub_delivery": {**transfer.returned_delivery(target, now, str(exc)),
                                                       "state": "kept"}},
                      history.entry("hub_undeliverable", now, {"hub": target}), [],
                      [transfer.kept_here_event(report, here, here, target, str(exc))])
        uow.after_commit(lambda: hub_metrics.handed_back("undeliverable"))
        return
    messages = [(message, hop)]
    delivery = transfer.waiting_delivery(target, hop, now)
    if forwarded_in:
        delivery["state"] = "sent_on"  # the owner answers the origin (and acknowledges to this hub)
        try:
            messages.append(transfer.status(report, "not_ours", {"next_hub": target}, here, directory, now))
        except transfer.Undeliverable as exc:
            log.error("report %s: origin hub unreachable for not_ours: %s", report["tracking_id"], exc)
    uow.hubs.send(report["_id"], {"hub_delivery": delivery},
                  history.entry("hub_waiting", now, {"hub": target, "next_hop": hop}), messages)


def tell_origin(uow, event_type: str, event: dict) -> None:
    """The owner's step on a forwarded-in report: a ``status`` message to the origin hub, once per
    event; nothing for a report filed here."""
    here = uow.settings.hub_code
    if hub_of(event["tracking_id"]) == here:
        return  # a report filed here (its ID is this hub's): nobody elsewhere to tell, and no read
    seen = uow.reports.step_view(event["tracking_id"])  # the batch's read-ahead: no read per event
    if seen is None or not seen.get("forwarded_in"):
        return  # not forwarded in: nobody elsewhere to tell
    report = uow.reports.get(event["tracking_id"])
    detail = {k: event.get(k) for k in ("agency_code", "unit_code", "queue") if event.get(k)}
    directory = uow.registry.hub_directory()
    news = hub_relay.case_news(report, event_type, event, here, directory)  # the case as it stands (issue 19)
    if news is None:
        return  # a step a version-1 hub on the way would not read
    try:
        message = transfer.status(report, transfer.STEP_OF_EVENT[event_type], {**detail, **news}, here,
                                  directory, uow.now())
    except transfer.Undeliverable as exc:
        log.error("report %s: cannot tell origin hub: %s", report["_id"], exc)
        return
    uow.hubs.send(None, {}, None, [message])


# event type -> its hub effect (intake.service composes each with the event's history step)
HUB_EFFECTS = {events.REPORT_FORWARDED: send_transfer,
               **{event_type: tell_origin for event_type in (events.REPORT_DISPOSITIONED, events.REPORT_ARCHIVED,
                                                             events.CASE_OPENED, events.CASE_ANSWERED,
                                                             events.CASE_CLOSED, *hub_relay.CASE_EVENTS)}}


# --- in: lapor.hubs.in ----------------------------------------------------------------------------

def receive_hub_message(uow, message: dict) -> str:
    """A hub message (loaded by ``hubwire``) for this hub or through it: its outcome (``accepted``,
    ``relayed``, ``refused``, ``applied``, ``duplicate``); DeadLetter when it can never be handled,
    or when this hub does not believe it (``hub_trust``: link, signature, directory, holder)."""
    hub_trust.check(uow, message)
    here, now = uow.settings.hub_code, uow.now()
    directory = uow.registry.hub_directory()
    uow.hubs.declare(directory, here)
    action, detail = transfer.arrival(message, here, directory)
    if action == "relay":
        applied = uow.hubs.relay(message["message_id"], [(transfer.relayed(message, here), detail)])
        return "relayed" if applied else "duplicate"
    if action == "refuse":
        return refuse(uow, message, detail, directory, now)
    if message["kind"] == "transfer":
        return accept_transfer(uow, message, directory, now)
    if message["kind"] == "action":  # the reporter's, from the origin (issue 19)
        return hub_relay.apply_action(uow, message)
    if message["kind"] == "erasure":  # the reporter's personal data, from the origin
        return hub_erasure.apply_erasure(uow, message)
    return apply_status(uow, message)


def refuse(uow, message: dict, reason: str, directory: list[dict], now) -> str:
    """A message that cannot be delivered: a transfer is answered back to the hub that sent it
    (its last holder takes it back into its triage); DeadLetter when there is no way back."""
    back = transfer.refusal(message, uow.settings.hub_code, reason, directory, now)
    log.warning("hub message %s for hub %s refused here: %s", message["message_id"], message["target_hub"], reason)
    if back is None:
        raise DeadLetter(f"refused and no way back to the hub that sent it: {reason}")
    uow.hubs.relay(message["message_id"], [back])
    return "refused"


def accept_transfer(uow, message: dict, directory: list[dict], now) -> str:
    here, body = uow.settings.hub_code, message["transfer"]
    if message["origin_hub"] == here:  # sent back to where it was filed: not theirs either
        return apply_status(uow, {**message, "status": {
            "step": "not_ours", "at": message["sent_at"], "owner_hub": message["source_hub"],
            "detail": {"returned": "true", "target_hub": here}}})
    identity = {}
    try:
        if body["sealed_reporter"]:
            try:
                identity = sealing.unseal(body["sealed_reporter"], uow.hubs.private_key())
            except sealing.SealError as exc:
                raise DeadLetter(f"sealed identity: {exc}")
        files = hub_evidence.decoded(body)
    except DeadLetter as exc:  # it can never be taken here: answered back to the hub that sent it
        return refuse(uow, message, f"hub {here} cannot take the report: {exc}", directory, now)
    report = transfer.accepted_report(message, identity, here, now, domain.new_reporter_ref())
    report["attachments"] = uow.hubs.store_evidence(report["_id"], files, now)
    messages = []
    holders = [message["origin_hub"]] + ([message["source_hub"]] if message["source_hub"] != message["origin_hub"]
                                          else [])
    for holder in holders:  # the origin, and the hub that handed it over (its acknowledgement)
        try:
            messages.append(transfer.status(report, "accepted", {}, here, directory, now, to=holder))
        except transfer.Undeliverable as exc:
            log.error("report %s accepted, but hub %s is unreachable: %s", report["_id"], holder, exc)
    outcome = uow.hubs.accept_transfer(message["message_id"], report, [transfer.received_event(report)], messages)
    if outcome == "accepted":
        uow.after_commit(lambda: hub_metrics.forwarded("in", message["hops"][-1]))
    return outcome


def apply_status(uow, message: dict) -> str:
    """A status about a report this hub sent: at its origin every step (the tracking page follows
    the owner); at a hub that forwarded a report it had been handed, the acknowledgement
    (``accepted``) and a refusal (``not_ours`` returned: back into its triage, the origin told)."""
    here, now = uow.settings.hub_code, uow.now()
    report = uow.reports.get(message["tracking_id"])
    origin = hub_of(message["tracking_id"]) == here
    step = message["status"]["step"]
    returned = step == "not_ours" and message["status"]["detail"].get("returned") == "true"
    if report is None or not (origin or (report.get("hub_delivery") and (step == "accepted" or returned))):
        log.warning("status %s for %s: no such report sent from here", message["message_id"], message["tracking_id"])
        return "refused"
    if step == "erased":  # a holder erased its copy (hub_erasure)
        return hub_erasure.acknowledged(uow, report, message)
    if origin:
        hub_erasure.follow_holder(uow, report, message)  # accepted after an erasure here: asked too
    update = transfer.origin_update(report, message)
    back = (update["set"].get("hub_delivery") or {}).get("state") == "returned"
    staged, told = ([transfer.handed_back_event(report, message, here)] if back else []), []
    if back and not origin:  # the origin waits for the hub it was sent on to: it is held here again
        try:
            told.append(transfer.status(report, "accepted", {"returned_from": message["source_hub"]}, here,
                                        uow.registry.hub_directory(), now))
        except transfer.Undeliverable as exc:
            log.error("report %s: cannot tell origin it is held here again: %s", report["_id"], exc)
    if back:
        uow.hubs.relay(f"{message['message_id']}:told", told)
    applied = uow.hubs.apply_status(message["message_id"], report["_id"], update["set"], update["entry"], staged)
    if applied and back:
        uow.after_commit(lambda: hub_metrics.handed_back("refused"))
    return "applied" if applied else "duplicate"


# --- housekeeping ---------------------------------------------------------------------------------

def declare_links(uow) -> list[str]:
    """Declare the links to the neighbours in the directory; the neighbours."""
    return uow.hubs.declare(uow.registry.hub_directory(), uow.settings.hub_code)


def refresh_gauges(uow) -> None:
    """The hub gauges: outbound backlog, neighbours, reports not yet accepted by their owner."""
    here = uow.settings.hub_code
    directory = uow.registry.hub_directory()
    neighbours = transfer.neighbours_of(directory, here)
    undelivered, oldest = uow.hubs.undelivered()
    now = uow.now()
    hub_metrics.gauges(uow.hubs.outbound_backlog(), neighbours, undelivered,
                       [h["code"] for h in directory if h.get("code") != here], oldest, now)
    hub_metrics.unacknowledged(uow.hubs.unacknowledged(now - timedelta(seconds=uow.settings.hub_ack_timeout)))

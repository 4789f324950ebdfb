"""Intake's entrypoints for the hub network (docs/hubs.md).

- ``report_forwarded`` (routing decided, or an official forwarded by hand): send the transfer
  towards the owner hub through the outbox; a forwarded-in report sent on tells its origin.
  (An entry of intake's event table, ``intake.service.EVENTS``: its history step, then this.)
- ``lapor.hubs.in``: accept a transfer for this hub once, relay one for another hub, apply a
  status from an owner hub; dead-letter what can never be handled.
- the owner's steps on a forwarded-in report go back to the origin as ``status`` messages (entries
  of the same table: ``report_dispositioned``, ``report_archived``, ``case_opened``, ``case_answered``,
  ``case_closed``, each its history step, then this).
- a tracking ID of another hub: where to find it (the origin hub's public URL).
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import logging

from marshmallow import ValidationError
from nameko.rpc import rpc
from nameko.timer import timer

from contract import events, hubwire, sealing
from contract.consumer import RejectEvent
from contract.ids import hub_of
from contract.store import utcnow
from intake import domain, history, hub_metrics, transfer
from intake.hub_link import DeadLetter, hub_inbound, with_backoff

log = logging.getLogger(__name__)


def decoded_evidence(body: dict) -> list[dict]:
    """The transfer's evidence as bytes, each checked against its sha256 (DeadLetter if not)."""
    files = []
    for item in body["evidence"]:
        try:
            data = base64.b64decode(item["data"], validate=True)
        except (binascii.Error, ValueError):
            raise DeadLetter(f"evidence {item['filename']!r} is not base64")
        if hashlib.sha256(data).hexdigest() != item["sha256"]:
            raise DeadLetter(f"evidence {item['filename']!r} does not match its sha256")
        files.append({**item, "bytes": data})
    return files


def send_transfer(service, event_type: str, event: dict) -> None:
    service._send_transfer(event)


def tell_origin(service, event_type: str, event: dict) -> None:
    service._tell_origin(event_type, event)


# event type -> its hub effect (intake.service composes each with the event's history step)
EFFECTS = {events.REPORT_FORWARDED: send_transfer,
           **{event_type: tell_origin for event_type in (events.REPORT_DISPOSITIONED, events.REPORT_ARCHIVED,
                                                         events.CASE_OPENED, events.CASE_ANSWERED,
                                                         events.CASE_CLOSED)}}


class HubEntrypoints:
    """Mixed into IntakeService; needs ``self.reports``, ``self.outbox``, ``self.hub_link``,
    ``self.metrics`` and ``self.config``."""

    @property
    def _here(self) -> str:
        return str(self.config["HUB_CODE"])

    # --- out: a report for another hub ----------------------------------------------------------

    def _send_transfer(self, event: dict) -> None:
        """``report_forwarded`` (a table entry, after its history step): the transfer, once per event."""
        report = self.reports.get(event["tracking_id"])
        if report is None:
            raise RejectEvent(f"no report {event['tracking_id']} at this hub")
        here, target, now = self._here, event["target_hub"], utcnow()
        directory = self.reports.hub_directory()
        self.hub_link.declare(directory, here)
        forwarded_in = bool(report.get("forwarded_in")) and hub_of(report["tracking_id"]) != here
        messages = []
        try:
            message, hop = transfer.outbound(report, target, here, directory, sealing.seal,
                                             self.reports.evidence_files(report), event["reason"],
                                             event.get("actor") or "system", bool(event.get("manual")), now)
            messages.append((message, hop))
            delivery = transfer.waiting_delivery(target, hop, now)
            if forwarded_in:
                delivery["state"] = "sent_on"  # the owner answers the origin, not this hub
            entry = history.entry("hub_waiting", now, {"hub": target, "next_hop": hop})
        except (transfer.Undeliverable, sealing.SealError) as exc:
            log.error("report %s cannot be sent to hub %s: %s", report["tracking_id"], target, exc)
            delivery = {"hub": target, "state": "undeliverable", "since": now, "status_at": None}
            entry = history.entry("hub_undeliverable", now, {"hub": target})
        if forwarded_in:
            try:
                messages.append(transfer.status(report, "not_ours", {"next_hub": target}, here, directory, now))
            except transfer.Undeliverable as exc:
                log.error("report %s: origin hub unreachable for not_ours: %s", report["tracking_id"], exc)
        self.reports.send_hub_message(report["_id"], {"hub_delivery": delivery}, entry, messages)

    # --- in: lapor.hubs.in ----------------------------------------------------------------------

    @hub_inbound
    def on_hub_message(self, body):
        try:
            message = hubwire.load(body)
        except ValidationError as exc:
            log.error("hub message dead-lettered: %s", exc.messages)
            hub_metrics.received("unknown", "unknown", "dead_lettered")
            raise DeadLetter(str(exc.messages))
        try:
            outcome = with_backoff(lambda: self._handle_hub_message(message))
        except DeadLetter as exc:
            log.error("hub message %s (%s %s) dead-lettered: %s", message["message_id"], message["kind"],
                      message["tracking_id"], exc)
            hub_metrics.received(message["hops"][-1], message["kind"], "dead_lettered")
            raise
        hub_metrics.received(message["hops"][-1], message["kind"], outcome)
        self.outbox.wake()

    def _handle_hub_message(self, message: dict) -> str:
        here, now = self._here, utcnow()
        directory = self.reports.hub_directory()
        self.hub_link.declare(directory, here)
        action, detail = transfer.arrival(message, here, directory)
        if action == "relay":
            applied = self.reports.relay_hub_message(message["message_id"], [(transfer.relayed(message, here), detail)])
            return "relayed" if applied else "duplicate"
        if action == "refuse":
            back = transfer.refusal(message, here, detail, directory, now)
            log.warning("hub message %s for hub %s refused here: %s", message["message_id"], message["target_hub"],
                        detail)
            if back is None:
                raise DeadLetter(f"refused and no way back to the origin: {detail}")
            self.reports.relay_hub_message(message["message_id"], [back])
            return "refused"
        if message["kind"] == "transfer":
            return self._accept_transfer(message, directory, now)
        return self._apply_status(message)

    def _accept_transfer(self, message: dict, directory: list[dict], now) -> str:
        here, body = self._here, message["transfer"]
        if message["origin_hub"] == here:  # sent back to where it was filed: not theirs either
            return self._apply_status({**message, "status": {
                "step": "not_ours", "at": message["sent_at"], "owner_hub": message["source_hub"],
                "detail": {"returned": "true", "target_hub": here}}})
        identity = {}
        if body["sealed_reporter"]:
            try:
                identity = sealing.unseal(body["sealed_reporter"], self.hub_link.private_key)
            except sealing.SealError as exc:
                raise DeadLetter(f"sealed identity: {exc}")
        files = decoded_evidence(body)
        report = transfer.accepted_report(message, identity, here, now, domain.new_reporter_ref())
        report["attachments"] = self.reports.store_evidence(report["_id"], files, now)
        messages = []
        try:
            messages.append(transfer.status(report, "accepted", {}, here, directory, now))
        except transfer.Undeliverable as exc:
            log.error("report %s accepted, but its origin is unreachable: %s", report["_id"], exc)
        outcome = self.reports.accept_transfer(message["message_id"], report, [transfer.received_event(report)],
                                               messages)
        if outcome == "accepted":
            hub_metrics.forwarded("in", message["hops"][-1])
        return outcome

    def _apply_status(self, message: dict) -> str:
        report = self.reports.get(message["tracking_id"])
        if report is None or hub_of(message["tracking_id"]) != self._here:
            log.warning("status %s for %s: no such report filed here", message["message_id"], message["tracking_id"])
            return "refused"
        update = transfer.origin_update(report, message)
        returned = (update["set"].get("hub_delivery") or {}).get("state") == "returned"
        staged = [transfer.handed_back_event(report, message, self._here)] if returned else []
        return "applied" if self.reports.apply_hub_status(message["message_id"], report["_id"], update["set"],
                                                          update["entry"], staged) else "duplicate"

    # --- back: the owner's steps on a forwarded-in report ---------------------------------------

    def _tell_origin(self, event_type: str, event: dict) -> None:
        """The owner's step on a forwarded-in report (a table entry, after its history step): a
        ``status`` message to the origin hub, once per event; nothing for a report filed here."""
        report = self.reports.get(event["tracking_id"])
        if report is None or not report.get("forwarded_in") or hub_of(report["_id"]) == self._here:
            return  # a local report: nobody elsewhere to tell
        detail = {k: event.get(k) for k in ("agency_code", "unit_code", "queue") if event.get(k)}
        try:
            message = transfer.status(report, transfer.STEP_OF_EVENT[event_type], detail, self._here,
                                      self.reports.hub_directory(), utcnow())
        except transfer.Undeliverable as exc:
            log.error("report %s: cannot tell origin hub: %s", report["_id"], exc)
            return
        self.reports.send_hub_message(None, {}, None, [message])

    # --- lookups and housekeeping ---------------------------------------------------------------

    def _elsewhere(self, tracking_id: str, path: str = "reports") -> str | None:
        """The tracking URL (``/reports/<id>`` of the API, or ``/lacak/<id>`` of the pages) at the hub
        that issued ``tracking_id`` (None: this hub, or a hub the directory does not know)."""
        hub = hub_of(tracking_id)
        entry = transfer.hub_entry(self.reports.hub_directory(), hub) if hub != self._here else None
        if not entry or not entry.get("public_url"):
            return None
        return f"{entry['public_url'].rstrip('/')}/{path}/{tracking_id}"

    @rpc
    def tracking_page_elsewhere(self, tracking_id):
        """For the tracking page of a report this hub does not hold: its page at the issuing hub."""
        return self._elsewhere(tracking_id, "lacak") if isinstance(tracking_id, str) else None

    @timer(interval=10, eager=True)
    def hub_housekeeping(self):
        """Declare the links to neighbours in the directory; refresh the hub gauges."""
        directory = self.reports.hub_directory()
        neighbours = self.hub_link.declare(directory, self._here)
        self.refresh_metrics()
        return neighbours

    def refresh_metrics(self) -> None:
        directory = self.reports.hub_directory()
        neighbours = transfer.neighbours_of(directory, self._here)
        undelivered, oldest = self.reports.undelivered()
        hub_metrics.gauges(self.reports.outbound_backlog(), neighbours, undelivered,
                           [h["code"] for h in directory if h.get("code") != self._here], oldest, utcnow())

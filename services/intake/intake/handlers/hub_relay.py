"""The citizen keeps one place (issue 19; docs/hubs.md, "The citizen keeps one place").

- **Origin** (the hub where the reporter filed, holding the tracking page): the reporter's reply,
  rating, reopening (``relay_action``, RPC from followup's pages, the secret checked again here)
  and evidence (``relay_evidence``, intake's own page) on a report another hub holds go to that
  hub as an ``action`` hub message (``contract.hubaction``), staged in the outbox with the
  report's history entry; refused, with the reason, while the holder has not acknowledged the
  report, when the owner's case does not take that action now, or when a hub on the way reads
  only version 1 (it would dead-letter a kind it does not know).
- **Owner** (``apply_action``, from ``receive_hub_message``): believed only from the report's
  origin (the trust rules of ``hub_trust`` first), applied once per ``action_id``: evidence cleaned
  and stored here as a transfer's is, a reply, rating or reopening handed to followup as
  ``reporter_action_relayed``.
- **Answers back** (``case_news``, used by ``hubs.tell_origin``): each case step carries the case
  as it stands (deadline, indicator, window, an official's message); the steps version 1 does not
  know (``hubaction.CASE_STEPS``) and the case fields only along version-2 routes.
"""
from __future__ import annotations

import base64
import hashlib
import logging

from contract import events, hubaction, hubwire
from contract.ids import hub_of, parse_tracking_id
from intake import domain, evidence, exceptions, history, hub_case, hub_evidence, hub_trust, transfer

log = logging.getLogger(__name__)

HELD_ELSEWHERE = ("waiting", "sent_on", "accepted")
# the owner's case steps version 1 does not carry (each after its history step, hubs.HUB_EFFECTS)
CASE_EVENTS = (events.CASE_UPDATED, events.CASE_RATED, events.CASE_REOPENED, events.CASE_DUE_SOON, events.CASE_OVERDUE)


# --- origin ---------------------------------------------------------------------------------------

def holder_of(report: dict | None, here: str) -> str | None:
    """The hub holding a report filed here and forwarded (None: it is handled here)."""
    if report is None or hub_of(report["_id"]) != here:
        return None
    delivery = report.get("hub_delivery") or {}
    return str(delivery["hub"]) if delivery.get("state") in HELD_ELSEWHERE and delivery.get("hub") else None


def refusal(report: dict, holder: str, action: str, directory: list[dict], here: str, now) -> dict | None:
    """Why the reporter's ``action`` cannot go to the holder now (None: it can): ``{"refused": code,
    "hub": the hub concerned}``; codes ``pending``, ``version``, ``no_case``, ``not_open``, ``closed``."""
    version, old_hub = hubaction.route_version(directory, here, holder)
    if version < hubwire.SCHEMA_VERSION:
        return {"refused": "version", "hub": old_hub}
    if (report.get("hub_delivery") or {}).get("state") != "accepted":
        return {"refused": "pending", "hub": holder}
    case = report.get("hub_case") or {}
    status = case.get("case_status")
    if action == "evidence":
        return {"refused": "closed", "hub": holder} if report["status"] in ("closed", "archived") else None
    if not status:
        return {"refused": "no_case", "hub": holder}
    allowed = {"reply": status in ("open", "answered"), "rate": status == "answered",
               "reopen": status in ("answered", "closed") and bool(case.get("reopen_until"))
               and now <= case["reopen_until"]}
    return None if allowed[action] else {"refused": "not_open", "hub": holder}


def _stage(uow, report: dict, holder: str, body: dict, directory: list[dict]) -> dict:
    """The action towards the holder, staged with the report's history entry (and, for a reply,
    the reporter's words in the conversation this page shows)."""
    here, now = uow.settings.hub_code, uow.now()
    try:
        hop = transfer.next_hop(directory, here, holder, ())
    except transfer.Undeliverable as exc:
        log.error("report %s: no way to hub %s for the reporter's %s: %s", report["_id"], holder, body["action"], exc)
        return {"refused": "pending", "hub": holder}
    message = hubwire.new_message("action", report["_id"], here, here, holder, [here], now, action=body)
    message["message_id"] = body["action_id"]
    changes = {}
    if body["action"] in ("reply", "reopen", "rate"):
        case = dict(report.get("hub_case") or {})
        words = body.get("body") or body.get("reason") or body.get("comment")
        case["messages"] = hub_case.add_message(list(case.get("messages") or []), body["action_id"],
                                                body["action"], "reporter", words, now)
        changes["hub_case"] = case
    uow.hubs.send(report["_id"], changes, history.entry("hub_action_sent", now, {"hub": holder,
                                                                                 "action": body["action"]}),
                  [(hubwire.dump(message), hop)])
    return {"relayed": True, "hub": holder, "action_id": body["action_id"]}


def relay_action(uow, command: dict) -> dict:
    """The reporter's reply, rating or reopening of a report held at another hub (``tracking_id``,
    ``action``, ``form``, ``secret``): ``{"relayed", "hub", "action_id"}`` or ``{"refused", "hub"}``
    (``not_forwarded``: the report is handled here, followup applies it itself)."""
    canonical = parse_tracking_id(command["tracking_id"])
    report = uow.reports.get(canonical) if canonical else None
    if report is None:
        raise exceptions.report_not_found()
    if not domain.secret_matches(report.get("secret_hash"), command.get("secret")):
        raise exceptions.wrong_secret()
    here, now = uow.settings.hub_code, uow.now()
    holder = holder_of(report, here)
    if holder is None:
        return {"refused": "not_forwarded", "hub": here}
    directory = uow.registry.hub_directory()
    refused = refusal(report, holder, command["action"], directory, here, now)
    if refused:
        return refused
    form = {k: command["form"].get(k) for k in ("body", "rating", "comment", "reason")}
    return _stage(uow, report, holder, hubaction.new_action(command["action"], now, **form), directory)


def relay_evidence(uow, report: dict, files: list[bytes]) -> dict:
    """Evidence the reporter added (checked by the page) for a report held at another hub."""
    here, now = uow.settings.hub_code, uow.now()
    holder = holder_of(report, here)
    directory = uow.registry.hub_directory()
    refused = refusal(report, holder, "evidence", directory, here, now)
    if refused:
        return refused
    outcome: dict = {}
    for data in files:  # one action per file: a message stays far below the store's 16 MB document limit
        cleaned, content_type = evidence.prepare(data, anonymous=report["is_anonymous"])
        item = {"filename": "evidence" + {"image/jpeg": ".jpg", "image/png": ".png"}.get(content_type, ".pdf"),
                "content_type": content_type, "sha256": hashlib.sha256(cleaned).hexdigest(),
                "data": base64.b64encode(cleaned).decode()}
        outcome = _stage(uow, report, holder, hubaction.new_action("evidence", now, evidence=[item]), directory)
    return outcome


# --- owner ----------------------------------------------------------------------------------------

def believed_from_origin(uow, message: dict, what: str = "action", sent_on_too: bool = False) -> dict:
    """The report a hub message from the report's origin is about (an ``action``, an ``erasure``):
    believed from the origin only, about a copy this hub holds (and, unless ``sent_on_too``, has not
    sent on to another hub); else ``Untrusted``, logged and counted."""
    origin = message["origin_hub"]
    report = uow.reports.get(message["tracking_id"])
    problem = None
    if message["source_hub"] != origin or message["hops"][0] != origin:
        problem = f"an {what} from hub {message['source_hub']}, not from the report's origin {origin}"
    elif report is None or not report.get("forwarded_in"):
        problem = f"report {message['tracking_id']} is not held here"
    elif not sent_on_too and (report.get("hub_delivery") or {}).get("state") in HELD_ELSEWHERE:
        problem = f"report {message['tracking_id']} was sent on to hub {report['hub_delivery'].get('hub')}"
    if problem:
        exc = hub_trust.Untrusted("not_origin", problem)
        log.error("hub %s %s refused: %s", what, message["message_id"], exc)
        hub_trust.count_refused(exc.reason)
        raise exc
    return report


def apply_action(uow, message: dict) -> str:
    """The reporter's action for a report held here, once per ``action_id``: ``applied`` or
    ``duplicate``."""
    report = believed_from_origin(uow, message)
    action, now, here = message["action"], uow.now(), uow.settings.hub_code
    entry = history.entry("hub_action_received", now, {"hub": message["origin_hub"], "action": action["action"]})
    attachments, staged = [], []
    if action["action"] == "evidence":
        room = max(0, uow.settings.evidence_max_files - len(report.get("attachments") or []))
        files = hub_evidence.decoded({"report": {"is_anonymous": report["is_anonymous"]},
                                  "evidence": action["evidence"]})[:room]
        attachments = uow.hubs.store_evidence(report["_id"], files, now)
    else:
        staged.append(events.build(events.REPORTER_ACTION_RELAYED, hub=here, tracking_id=report["_id"],
                                   origin_hub=message["origin_hub"], action_id=action["action_id"],
                                   action=action["action"], from_hub=message["source_hub"],
                                   **{k: action.get(k) for k in ("body", "rating", "comment", "reason")}))
    applied = uow.hubs.apply_action(action["action_id"], report["_id"], attachments, entry, staged)
    return "applied" if applied else "duplicate"


# --- answers back ---------------------------------------------------------------------------------

def case_news(report: dict, event_type: str, event: dict, here: str, directory: list[dict]) -> dict | None:
    """What a case step tells the origin beyond version 1's detail: the case's fields (``{}`` along a
    route with a version-1 hub); None when the step itself is one version 1 does not know and the
    route has such a hub (not sent)."""
    version, _ = hubaction.route_version(directory, here, hub_of(report["_id"]))
    step = transfer.STEP_OF_EVENT.get(event_type)
    if version < hubwire.SCHEMA_VERSION:
        return None if step in hubaction.CASE_STEPS else {}
    case = {"case_status": event.get("case_status"), "stage": event.get("stage"),
            "due_at": event.get("due_at") or event.get("case_due_at"), "indicator": event.get("indicator"),
            "reopen_until": event.get("reopen_until"), "rating": event.get("rating")}
    if event_type == events.CASE_OPENED:
        case["case_status"] = "open"
    if event_type in (events.CASE_UPDATED, events.CASE_ANSWERED) and event.get("body"):
        case.update(message_id=event["message_id"], message_kind="answer" if event_type == events.CASE_ANSWERED
                    else "update", message_body=event["body"], message_at=event["occurred_at"])
    return hubaction.case_detail(case)


def case_view(uow, report: dict, verified: bool) -> dict | None:
    """The owner's case of a report held at another hub, as the tracking page shows it (None: the
    report is handled here): its state, the version-1 hub that keeps the reporter's actions from
    going there, and the conversation for the reporter."""
    here = uow.settings.hub_code
    holder = holder_of(report, here)
    if holder is None:
        return None
    case = dict(report.get("hub_case") or {})
    version, old_hub = hubaction.route_version(uow.registry.hub_directory(), here, holder)
    return {**{k: v for k, v in case.items() if k != "messages"}, "hub": holder,
            "relay_blocked_by": old_hub if version < hubwire.SCHEMA_VERSION else None,
            "messages": list(case.get("messages") or []) if verified else []}

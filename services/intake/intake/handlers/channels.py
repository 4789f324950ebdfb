"""Intake's other channels: the SMS gateway, social-media mentions, a liaison's manual entry,
Open311 clients. Each turns its loaded message into a report form for ``accept_report``
(idempotency, rate limit, completeness, storage, event) and says what to answer."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from contract import i18n

from intake import channel_schemas, completeness, domain, exceptions, metrics, open311, registry, schemas, sms
from intake.domain import derived_title
from intake.handlers.acceptance import accept_report, check_rate, idempotency_scope, sender_key

REPLIES = i18n.of_service("intake")  # social replies: ``social.*``
SMS_DRAFT_HOURS = 24
COMPLETION_CODE_DAYS = 7


def accept_sms(uow, command: dict) -> dict:
    """An SMS (``message``, loaded by ``SmsIn``) from a ``gateway``: a next SMS from the same phone
    completes its open draft, else it is a report. ``{"status", "reply": what SmsReplyOut dumps}``."""
    message, gateway = command["message"], command["gateway"]
    text = sms.join_parts(message["parts"]) if "parts" in message else message["text"]
    parsed = sms.parse(text, uow.registry.current()["index"], message.get("lang"))
    parsed = replace(parsed, text=domain.without_own_contact(parsed.text, phone=message["sender"]))
    sender_hash = sender_key("sms", message["sender"])
    form = sms.form(parsed, message["sender"])
    key = idempotency_scope("sms", message["message_id"], form, gateway)
    if not uow.reports.replayed(key):
        draft = uow.reports.open_sms_draft(sender_hash, uow.now() - timedelta(hours=SMS_DRAFT_HOURS))
        if draft is not None:
            check_rate(uow, "sms", message["sender"], gateway)
            completed = complete_sms(uow, draft, parsed, message, key)
            if completed is not None:
                return completed
    submission = accept_report(uow, {
        "form": form, "sender": message["sender"], "idempotency_key": message["message_id"], "gateway": gateway,
        "source": {"message_id": message["message_id"], "sender_hash": sender_hash, "gateway": gateway}})
    status, receipt, report = submission["status"], submission["receipt"], submission["report"]
    language = message.get("lang") or report.get("language") or "id"
    reply = sms.reply(status, report["tracking_id"], receipt.get("secret"), receipt["missing"],
                      report["region_code"] != registry.NATIONAL_REGION, language)
    return {"status": status, "reply": {**receipt, "reply": reply}}


def complete_sms(uow, draft: dict, parsed: sms.ParsedSms, message: dict, key: str) -> dict | None:
    """A next SMS from the same phone completes its open draft (the phone is the possession factor);
    None when the draft was completed meanwhile (this message becomes a report of its own)."""
    description = f"{draft.get('description') or ''} {parsed.text}".strip()
    changes = {"description": description, "title": derived_title(description)}
    if parsed.region_code and draft.get("region_code") == registry.NATIONAL_REGION:
        changes["region_code"] = parsed.region_code
    missing = completeness.missing_items(domain.merged(draft, changes), "sms", set())
    now = uow.now()
    step = domain.completion(draft, changes, missing, now)
    report = {**domain.merged(draft, step["set"]), **step["set"]}
    event = domain.draft_event(report, now) if missing else domain.received_event(report)
    if not uow.reports.complete(draft["_id"], step["set"], step["entry"], [event], idempotency_key=key):
        return None
    if not missing:
        uow.after_commit(lambda: metrics.received("sms", report.get("classification"), complete=True))
    language = message.get("lang") or draft.get("language") or "id"
    return {"status": 202 if missing else 200,
            "reply": {**report, "missing": missing, "reply": sms.completion_reply(draft["_id"], missing, language)}}


def accept_social(uow, command: dict) -> dict:
    """A social-media mention (``post``, loaded by ``SocialIn``) from a ``gateway``. The reply is
    public: it names the tracking ID only; a draft's one-time completion link goes to the reporter
    by direct message (notification, ``completion_link``), since whoever holds it owns the draft."""
    post, gateway = command["post"], command["gateway"]
    handle = "@" + post["author_handle"].lstrip("@")
    text = domain.without_own_contact(channel_schemas.MENTIONS.sub(" ", post["text"]), handle=handle)
    region = registry.find_anywhere(text, uow.registry.current()["index"])
    form = {**schemas.REPORT_DEFAULTS, "channel": "social", "description": text,
            "title": derived_title(text) or None, "classification": "complaint",
            "category_code": "lainnya", "region_code": region or registry.NATIONAL_REGION,
            "reporter": {"handle": handle}, "language": post.get("lang") or "id"}
    submission = accept_report(uow, {"form": form, "sender": handle, "idempotency_key": post["post_id"],
                                     "source": {"post_id": post["post_id"], "gateway": gateway}, "gateway": gateway})
    status, receipt, report = submission["status"], submission["receipt"], submission["report"]
    reply = REPLIES.text("social.recorded", form["language"], handle=handle, tracking_id=report["tracking_id"])
    if receipt["missing"]:  # the completion link goes privately (notification's direct message), never here
        reply += " " + REPLIES.text("social.completion_by_dm", form["language"])
    return {"status": status, "reply": {**receipt, "reply": reply}}


def completion_link(uow, query: dict) -> dict | None:
    """For notification's direct message to a social draft's reporter (``reporter_ref``,
    ``notification_id``): a fresh one-time completion link, stored hashed with the draft (an earlier
    link stops working). None when there is no such draft, it is complete, or its reporter already
    exchanged a code for a secret of their own."""
    report = uow.reports.by_reporter_ref(query["reporter_ref"])
    if (report is None or report.get("channel") != "social" or report["status"] != "incomplete"
            or report.get("completion_code_spent")):
        return None
    code = domain.new_secret()
    uow.reports.set_completion_code(report["_id"], domain.secret_hash(code),
                                    uow.now() + timedelta(days=COMPLETION_CODE_DAYS))
    url = uow.settings.social_completion_url.replace("<tracking_id>", report["_id"]).replace("<code>", code)
    return {"tracking_id": report["_id"], "url": url, "valid_days": COMPLETION_CODE_DAYS}


def accept_manual(uow, command: dict) -> dict:
    """A liaison's entry of a report received offline (``form`` loaded by ``ManualIn``, ``official``)."""
    form = dict(command["form"])
    official = command["official"]
    resolution = form.pop("resolution", None) or {}
    source = {"original_channel": form.pop("original_channel"),
              "received_on": form.pop("received_on").isoformat(),
              "entered_by": {k: official.get(k) for k in ("official_id", "role", "agency_code", "unit_code")},
              "resolution": resolution.get("answer"), "resolved_at": resolution.get("resolved_at")}
    return accept_report(uow, {"form": {**form, "channel": "manual"}, "source": source,
                               "idempotency_key": command.get("idempotency_key")})


def accept_open311(uow, data: dict) -> dict:
    """An Open311 ``POST requests`` (loaded by ``Open311RequestIn``): a complete report or a 400.
    Returns the ``requests`` answer and whether a report was created (201)."""
    known = uow.registry.current()["categories"]
    if known and data["service_code"] not in known:
        raise exceptions.Open311Error(400, f"service_code {data['service_code']} was not found")
    form = open311.report_form(data, date.today())
    missing = completeness.missing_items(form, "open311", known)
    if missing:
        raise exceptions.Open311Error(400, *(f"{m['field']}: {m['message']}" for m in missing))
    sender = data.get("device_id") or data.get("account_id") or data.get("email")
    submission = accept_report(uow, {"form": form, "sender": sender, "source": {
        k: data.get(k) for k in ("device_id", "account_id", "media_url", "address_id")}})
    receipt = submission["receipt"]
    notice = (f"Simpan kode rahasia pelapor: {receipt['secret']} / Keep the reporter secret: {receipt['secret']}"
              if receipt.get("secret") else None)
    answer = [{"service_request_id": submission["report"]["tracking_id"], "service_notice": notice,
               "account_id": data.get("account_id")}]
    return {"created": submission["status"] == 201, "answer": answer}

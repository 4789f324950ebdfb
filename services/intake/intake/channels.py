"""Intake's other channels: the SMS gateway, social-media mentions, a liaison's manual entry.

Each loads its body through its schema, turns it into a report form and hands it to
``Acceptance._accept`` (idempotency, rate limit, completeness, storage, event).
"""
from __future__ import annotations

from datetime import timedelta

from nameko.web.handlers import http

from contract import http as api_http
from contract.store import utcnow
from intake import acceptance, channel_schemas, completeness, domain, metrics as intake_metrics, registry, schemas, sms
from intake.domain import derived_title

SMS_DRAFT_HOURS = 24


def _body(request) -> dict:
    """JSON, or a form-encoded body as SMS gateways often post it."""
    if request.mimetype == "application/x-www-form-urlencoded":
        return request.form.to_dict()
    return api_http.read_json(request)


class ChannelEntrypoints:
    """Mixed into IntakeService; needs ``self.reports``, ``self.auth`` and ``self._accept``."""

    @http("POST", "/channels/sms")
    @intake_metrics.counted("sms")
    @api_http.api
    def sms_webhook(self, request):
        message = channel_schemas.SmsIn().load(_body(request))
        text = sms.join_parts(message["parts"]) if "parts" in message else message["text"]
        parsed = sms.parse(text, self.reports.registry()["index"], message.get("lang"))
        sender_hash = acceptance.sender_key("sms", message["sender"])
        if not self.reports.replayed(f"sms:{message['message_id']}"):
            draft = self.reports.open_sms_draft(sender_hash, utcnow() - timedelta(hours=SMS_DRAFT_HOURS))
            if draft is not None:
                completed = self._complete_sms(draft, parsed, message)
                if completed is not None:
                    return completed
        status, receipt, report = self._accept(sms.form(parsed, message["sender"]), sender=message["sender"],
                                               idempotency_key=message["message_id"],
                                               source={"message_id": message["message_id"], "sender_hash": sender_hash})
        language = message.get("lang") or report.get("language") or "id"
        reply = sms.reply(status, report["tracking_id"], receipt.get("secret"), receipt["missing"],
                          report["region_code"] != registry.NATIONAL_REGION, language)
        body = channel_schemas.SmsReplyOut().dump({**receipt, "reply": reply})
        return api_http.json_response(status, body)

    def _complete_sms(self, draft: dict, parsed: sms.ParsedSms, message: dict):
        """A next SMS from the same phone completes its open draft (the phone is the possession factor)."""
        description = f"{draft.get('description') or ''} {parsed.text}".strip()
        changes = {"description": description, "title": derived_title(description)}
        if parsed.region_code and draft.get("region_code") == registry.NATIONAL_REGION:
            changes["region_code"] = parsed.region_code
        missing = completeness.missing_items(domain.merged(draft, changes), "sms", set())
        now = utcnow()
        step = domain.completion(draft, changes, missing, now)
        report = {**domain.merged(draft, step["set"]), **step["set"]}
        event = domain.draft_event(report, now) if missing else domain.received_event(report)
        if not self.reports.complete(draft["_id"], step["set"], step["entry"], [event],
                                     idempotency_key=f"sms:{message['message_id']}"):
            return None  # completed meanwhile by another message: this one becomes a report of its own
        if not missing:
            intake_metrics.received("sms", report.get("classification"), complete=True)
        language = message.get("lang") or draft.get("language") or "id"
        body = channel_schemas.SmsReplyOut().dump({**report, "missing": missing,
                                                   "reply": sms.completion_reply(draft["_id"], missing, language)})
        return api_http.json_response(202 if missing else 200, body)

    @http("POST", "/channels/social")
    @intake_metrics.counted("social")
    @api_http.api
    def social_webhook(self, request):
        post = channel_schemas.SocialIn().load(api_http.read_json(request))
        text = channel_schemas.MENTIONS.sub(" ", post["text"]).strip()
        handle = "@" + post["author_handle"].lstrip("@")
        region = registry.find_anywhere(text, self.reports.registry()["index"])
        form = {**schemas.REPORT_DEFAULTS, "channel": "social", "description": text,
                "title": derived_title(text) or None, "classification": "complaint",
                "category_code": "lainnya", "region_code": region or registry.NATIONAL_REGION,
                "reporter": {"handle": handle}, "language": post.get("lang") or "id"}
        status, receipt, report = self._accept(form, sender=handle, idempotency_key=post["post_id"],
                                               source={"post_id": post["post_id"]})
        en = form["language"] == "en"
        reply = (f"{handle} Thank you, your report is recorded: {report['tracking_id']}" if en else
                 f"{handle} Terima kasih, laporan Anda tercatat: {report['tracking_id']}")
        if receipt["missing"]:
            reply += (". Please add the chronology via lapor.go.id." if en else
                      ". Mohon lengkapi kronologi melalui lapor.go.id.")
        body = channel_schemas.SocialReplyOut().dump({**receipt, "reply": reply})
        return api_http.json_response(status, body)

    @http("POST", "/channels/manual")
    @intake_metrics.counted("manual")
    @api_http.api
    def manual_entry(self, request):
        official = self.auth.principal(request, roles=("liaison",))
        form = schemas.load_report(api_http.read_json(request), schema=channel_schemas.ManualIn)
        resolution = form.pop("resolution", None) or {}
        source = {"original_channel": form.pop("original_channel"),
                  "received_on": form.pop("received_on").isoformat(),
                  "entered_by": {k: official.get(k) for k in ("official_id", "role", "agency_code", "unit_code")},
                  "resolution": resolution.get("answer"), "resolved_at": resolution.get("resolved_at")}
        status, receipt, _ = self._accept({**form, "channel": "manual"},
                                          idempotency_key=request.headers.get("Idempotency-Key"), source=source)
        body = schemas.ReceiptOut().dump(receipt)
        return api_http.json_response(status, body, {"Location": body["tracking_url"]})

"""SMS to 1708: ``<REGION> <text>`` parsing and the reply (at most 160 GSM-7 characters).

Plain functions: no nameko, pymongo or kombu here.
"""
from __future__ import annotations

from dataclasses import dataclass

from contract import i18n
from intake import completeness, registry
from intake.domain import derived_title

MAX_REPLY = 160
_ENGLISH_TOKENS = ("en", "eng", "english")
TEXTS = i18n.of_service("intake")  # the replies: intake's catalogue, ``sms.*``


@dataclass(frozen=True)
class ParsedSms:
    region_code: str | None  # None: no keyword recognised -> national triage
    text: str                # the complaint text without the keyword
    language: str            # "en" when the sender asked for English


def join_parts(parts: list[dict]) -> str:
    """A concatenated multipart message, parts in sequence order (segments joined as sent)."""
    return "".join(p["text"] for p in sorted(parts, key=lambda p: p["seq"]))


def parse(message: str, index: dict[str, str], language: str | None = None) -> ParsedSms:
    """Split ``<REGION> <text>``; a leading ``EN`` asks for English replies."""
    text = " ".join(message.replace("\x00", " ").split())
    words = text.split(" ", 1)
    if words[0].lower() in _ENGLISH_TOKENS and len(words) > 1:
        language, text = "en", words[1]
    region, rest = registry.match_prefix(text, index)
    return ParsedSms(region, rest if region and rest else text, language or "id")


def form(parsed: ParsedSms, sender: str) -> dict:
    """The report form of an SMS (classification and category are left for triage)."""
    return {"channel": "sms", "description": parsed.text, "title": derived_title(parsed.text) or None,
            "region_code": parsed.region_code or registry.NATIONAL_REGION, "classification": "complaint",
            "category_code": completeness.UNCATEGORISED, "reporter": {"phone": sender},
            "language": parsed.language, "is_anonymous": False, "is_confidential": False, "gesi": []}


def completion_reply(tracking_id: str, missing: list[dict], language: str) -> str:
    """The answer to an SMS that completes the sender's draft."""
    if missing:
        return reply(202, tracking_id, None, missing, True, language)
    return _fit([TEXTS.text("sms.complete", language, tracking_id=tracking_id)])


def _fit(parts: list[str]) -> str:
    """Join the reply's parts, dropping optional ones from the end until it fits 160."""
    parts = [p for p in parts if p]
    while len(" ".join(parts)) > MAX_REPLY and len(parts) > 1:
        parts = parts[:-1]
    return " ".join(parts)[:MAX_REPLY]


def reply(status: int, tracking_id: str, secret: str | None, missing: list[dict], region_matched: bool,
          language: str) -> str:
    """The SMS to send back: the tracking ID and secret, or what is missing (id or en)."""
    if status == 200:  # the gateway delivered the same message again
        return _fit([TEXTS.text("sms.duplicate", language, tracking_id=tracking_id)])
    if missing:
        what = ", ".join(completeness.short(m["field"], language) for m in missing)
        return _fit([TEXTS.text("sms.incomplete", language, tracking_id=tracking_id, what=what),
                     TEXTS.text("sms.incomplete_reply", language),
                     TEXTS.text("sms.code", language, secret=secret) if secret else ""])
    return _fit([TEXTS.text("sms.received", language, tracking_id=tracking_id, secret=secret),
                 TEXTS.text("sms.keep" if region_matched else "sms.triage", language)])

"""What a report needs before it can be followed up (SOP: an incomplete report is not routed).

A complete report has what happened (a chronology of useful length), where (region, plus a
place text or coordinates), when (incident date), a classification and a category from the
registry.  Text-only channels (SMS, social posts) carry just the text: their region comes from
the keyword (or national triage), classification and category are left for the triage admin.
Plain functions on plain dicts: no nameko, pymongo or kombu here.
"""
from __future__ import annotations

from contract import i18n, vocab

MIN_CHRONOLOGY_CHARS = 25
MIN_CHRONOLOGY_WORDS = 4
MIN_TITLE_CHARS = 5
TEXT_CHANNELS = ("sms", "social")
UNCATEGORISED = vocab.UNCATEGORISED["code"]  # text channels: the national admin picks the category at triage

# the texts are intake's catalogue's ``completeness.<field>.<code>`` (and ``completeness.short.<field>``
# for the SMS reply), through contract.i18n
MESSAGES = i18n.of_service("intake")


def item(field: str, code: str) -> dict:
    """One missing item in the contract's error shape (``message`` en, ``message_id`` id)."""
    key = f"completeness.{field}.{code}"
    return {"field": field, "code": code, "message": MESSAGES.text(key, "en"), "message_id": MESSAGES.text(key, "id")}


def short(field: str, language: str) -> str:
    """A missing item in a few words, for the 160-character SMS reply (the field's name if none)."""
    key = f"completeness.short.{field}"
    return MESSAGES.text(key, language) if key in MESSAGES else field


def chronology_ok(text: str | None) -> bool:
    text = (text or "").strip()
    return len(text) >= MIN_CHRONOLOGY_CHARS and len(text.split()) >= MIN_CHRONOLOGY_WORDS


def missing_items(form: dict, channel: str, categories: set[str]) -> list[dict]:
    """Each item the report still lacks, in the order a form shows them (empty when complete).

    ``categories`` is the registry's category codes; when intake holds no registry yet, any
    well-formed code is accepted (routing still sends an unknown one to national triage).
    """
    items = []
    description = (form.get("description") or "").strip()
    if not description:
        items.append(item("description", "required"))
    elif not chronology_ok(description):
        items.append(item("description", "too_short"))
    if channel in TEXT_CHANNELS:
        return items
    title = (form.get("title") or "").strip()
    if not title:
        items.append(item("title", "required"))
    elif len(title) < MIN_TITLE_CHARS:
        items.append(item("title", "too_short"))
    if not form.get("region_code"):
        items.append(item("region_code", "required"))
    has_point = form.get("latitude") is not None and form.get("longitude") is not None
    if not (form.get("location_text") or "").strip() and not has_point:
        items.append(item("location_text", "required"))
    if not form.get("incident_date"):
        items.append(item("incident_date", "required"))
    if not form.get("classification"):
        items.append(item("classification", "required"))
    category = form.get("category_code")
    if not category:
        items.append(item("category_code", "required"))
    elif categories and category not in categories:
        items.append(item("category_code", "unknown_category"))
    return items

"""What a report needs before it can be followed up (SOP: an incomplete report is not routed).

A complete report has what happened (a chronology of useful length), where (region, plus a
place text or coordinates), when (incident date), a classification and a category from the
registry.  Text-only channels (SMS, social posts) carry just the text: their region comes from
the keyword (or national triage), classification and category are left for the triage admin.
Plain functions on plain dicts: no nameko, pymongo or kombu here.
"""
from __future__ import annotations

from contract import vocab

MIN_CHRONOLOGY_CHARS = 25
MIN_CHRONOLOGY_WORDS = 4
MIN_TITLE_CHARS = 5
TEXT_CHANNELS = ("sms", "social")
UNCATEGORISED = vocab.UNCATEGORISED["code"]  # text channels: the national admin picks the category at triage

# (field, code) -> (Indonesian, English)
MESSAGES = {
    ("title", "required"): ("Judul laporan wajib diisi.", "A title is required."),
    ("title", "too_short"): ("Judul terlalu singkat (minimal 5 karakter).", "The title is too short (at least 5 characters)."),
    ("description", "required"): ("Uraikan apa yang terjadi (kronologi).", "Describe what happened (chronology)."),
    ("description", "too_short"): ("Kronologi terlalu singkat: minimal 25 karakter dan 4 kata.",
                                   "The chronology is too short: at least 25 characters and 4 words."),
    ("region_code", "required"): ("Pilih wilayah kejadian.", "Choose the region where it happened."),
    ("location_text", "required"): ("Sebutkan tempat kejadian (alamat atau koordinat).",
                                     "Give the place where it happened (address or coordinates)."),
    ("incident_date", "required"): ("Sebutkan tanggal kejadian.", "Give the date of the incident."),
    ("classification", "required"): ("Pilih klasifikasi: pengaduan, aspirasi, permintaan informasi, atau pelaporan pelanggaran.",
                                     "Choose a classification: complaint, aspiration, information request or whistle-blowing."),
    ("category_code", "required"): ("Pilih kategori laporan.", "Choose a category."),
    ("category_code", "unknown_category"): ("Kategori tidak dikenal; pilih kategori dari daftar.",
                                            "Unknown category; choose one from the list."),
}
SHORT = {  # for the 160-character SMS reply
    "description": ("kronologi terlalu singkat", "chronology too short"),
}


def item(field: str, code: str) -> dict:
    """One missing item in the contract's error shape (``message`` en, ``message_id`` id)."""
    id_, en = MESSAGES[(field, code)]
    return {"field": field, "code": code, "message": en, "message_id": id_}


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

"""One error format for every API: ``{"errors": [{"field", "code", "message", "message_id"}]}``.

``message`` is English, ``message_id`` Bahasa Indonesia.  Marshmallow's messages are mapped to
stable codes from the message templates of the pinned marshmallow version.
"""
from __future__ import annotations

from typing import Any, Iterable

from marshmallow import ValidationError

# code -> (English, Indonesian)
MESSAGES = {
    "required": ("This field is required.", "Kolom ini wajib diisi."),
    "null": ("This field may not be empty.", "Kolom ini tidak boleh kosong."),
    "invalid": ("This value is not valid.", "Nilai ini tidak valid."),
    "unknown_field": ("This field is not accepted.", "Kolom ini tidak dikenal."),
    "length": ("This value has the wrong length.", "Panjang nilai ini tidak sesuai."),
    "range": ("This value is out of range.", "Nilai ini di luar rentang yang diizinkan."),
    "not_allowed": ("This value is not one of the allowed choices.", "Nilai ini bukan salah satu pilihan yang diizinkan."),
    "invalid_json": ("The request body is not valid JSON.", "Isi permintaan bukan JSON yang valid."),
    "not_found": ("Not found.", "Tidak ditemukan."),
    "conflict": ("The request conflicts with the current state.", "Permintaan bertentangan dengan keadaan saat ini."),
    "unavailable": ("The service is temporarily unavailable.", "Layanan sedang tidak tersedia."),
    "method_not_allowed": ("This method is not allowed here; see the Allow header.",
                           "Metode ini tidak diizinkan di sini; lihat header Allow."),
    "too_large": ("The request is too large.", "Permintaan terlalu besar."),
    "unsupported_media_type": ("Send the body as JSON, with Content-Type: application/json.",
                               "Kirim isi permintaan sebagai JSON, dengan Content-Type: application/json."),
    "too_deep": ("The document nests too deeply.", "Dokumen bersarang terlalu dalam."),
    "bad_request": ("The request is malformed.", "Permintaan tidak berbentuk dengan benar."),
    "internal": ("An internal error occurred (it is logged). If this request made a change, resend it with the same "
                 "Idempotency-Key: it is then recorded once.",
                 "Terjadi kesalahan internal (tercatat di log). Jika permintaan ini mengubah data, kirim ulang dengan "
                 "Idempotency-Key yang sama: perubahan tercatat satu kali."),
    "store_unavailable": ("The data store cannot be reached. If this request made a change, it may or may not be "
                          "recorded: resend it with the same Idempotency-Key after Retry-After seconds.",
                          "Penyimpanan data tidak dapat dihubungi. Jika permintaan ini mengubah data, perubahan mungkin "
                          "tercatat atau tidak: kirim ulang dengan Idempotency-Key yang sama setelah Retry-After detik."),
}

# Prefixes of marshmallow 4.4 default messages -> code (checked by tests/unit/contract).
_MARSHMALLOW_PREFIXES = (
    ("Missing data for required field", "required"),
    ("Field may not be null", "null"),
    ("Unknown field", "unknown_field"),
    ("Not a valid", "invalid"),
    ("Invalid input type", "invalid"),
    ("Invalid value", "invalid"),
    ("Shorter than", "length"),
    ("Longer than", "length"),
    ("Length must be", "length"),
    ("Must be one of", "not_allowed"),
    ("Must be greater", "range"),
    ("Must be less", "range"),
    ("Must be at least", "range"),
    ("Must be at most", "range"),
    ("String does not match", "invalid"),
    ("Cannot be in the future", "range"),
)


class ApiError(Exception):
    """An error that reaches a caller in the contract's format, with an HTTP status."""

    status = 400

    def __init__(self, errors: list[dict], status: int | None = None, headers: dict | None = None):
        super().__init__(errors)
        self.errors = errors
        if status is not None:
            self.status = status
        if headers:
            self.headers = headers

    def to_dict(self) -> dict:
        return {"errors": self.errors}


def error(field: str | None, code: str, message: str | None = None, message_id: str | None = None) -> dict:
    """One error item; messages default to the code's standard texts."""
    en, id_ = MESSAGES.get(code, (code, code))
    return {"field": field, "code": code, "message": message or en, "message_id": message_id or id_}


# what an API can fail to find, in Bahasa Indonesia (so that message_id never mixes languages)
THINGS_ID = {"Report": "Laporan", "Case": "Kasus", "Action": "Tindakan", "Registry list": "Daftar registri",
             "Target": "Target", "Agency": "Instansi", "Self-assessment": "Penilaian mandiri", "Comment": "Komentar",
             "Attachment": "Lampiran", "Notification": "Notifikasi", "Subscription": "Langganan",
             "Template": "Templat", "Official": "Petugas", "Unit": "Unit", "Region": "Wilayah", "Category": "Kategori",
             "Open311 client key": "Kunci klien Open311", "Page": "Halaman"}


def not_found(field: str, what: str, what_id: str | None = None) -> ApiError:
    """404 naming ``what`` (English) and its Indonesian name (``what_id``, else from THINGS_ID)."""
    name_id = what_id or THINGS_ID.get(what)
    message_id = f"{name_id} tidak ditemukan." if name_id else "Data tidak ditemukan."
    return ApiError([error(field, "not_found", f"{what} not found.", message_id)], status=404)


def code_for(message: Any) -> str:
    if isinstance(message, dict) and "code" in message:
        return message["code"]
    text = str(message)
    for prefix, code in _MARSHMALLOW_PREFIXES:
        if text.startswith(prefix):
            return code
    return "invalid"


def _flatten(messages: Any, prefix: str = "") -> Iterable[tuple[str, Any]]:
    if isinstance(messages, dict) and not ("code" in messages and "message" in messages):
        for key, value in messages.items():
            name = str(key) if key != "_schema" else ""
            yield from _flatten(value, f"{prefix}.{name}" if prefix and name else (name or prefix))
    elif isinstance(messages, list):
        for item in messages:
            yield from _flatten(item, prefix)
    else:
        yield prefix, messages


def from_validation_error(exc: ValidationError) -> ApiError:
    """The contract error for a marshmallow ValidationError, one item per problem."""
    items = []
    for field, message in _flatten(exc.messages):
        code = code_for(message)
        if isinstance(message, dict):
            items.append(error(field or None, code, message.get("message"), message.get("message_id")))
        else:
            en_default, id_default = MESSAGES.get(code, (str(message), str(message)))
            items.append(error(field or None, code, str(message), id_default))
    return ApiError(items, status=400)

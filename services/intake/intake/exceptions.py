"""Intake's errors, in the contract's format."""
from contract import errors, i18n


def report_not_found() -> errors.ApiError:
    return errors.not_found("tracking_id", "Report")


def invalid_tracking_id() -> errors.ApiError:
    return errors.ApiError([errors.error(
        "tracking_id", "invalid", "This is not a valid tracking ID (example: ID-K7M4X-9XQ2B).",
        "Ini bukan nomor pelacakan yang valid (contoh: ID-K7M4X-9XQ2B).")])


def wrong_secret(field: str = "secret") -> errors.ApiError:
    return errors.ApiError([errors.error(
        field, "invalid_secret", "The secret does not match this report (or the one-time code is spent or expired).",
        "Kode rahasia tidak cocok dengan laporan ini (atau kode sekali pakai sudah dipakai atau kedaluwarsa).")],
        status=403)


def not_a_draft() -> errors.ApiError:
    return errors.ApiError([errors.error(
        "tracking_id", "conflict", "This report is already complete; nothing to complete.",
        "Laporan ini sudah lengkap; tidak ada yang perlu dilengkapi.")], status=409)


def nothing_to_keep() -> errors.ApiError:
    return errors.ApiError([errors.error(
        "description", "required", "Describe what happened (chronology); there is nothing to keep yet.",
        "Uraikan apa yang terjadi (kronologi); belum ada isi yang dapat disimpan.")])


def invalid_idempotency_key() -> errors.ApiError:
    return errors.ApiError([errors.error(
        "Idempotency-Key", "invalid", "An idempotency key has 1 to 100 visible characters.",
        "Kunci idempotensi berisi 1 sampai 100 karakter yang terlihat.")])


class RateLimited(errors.ApiError):
    status = 429

    def __init__(self, retry_after: int, who: str = "sender"):
        texts = i18n.of_service("intake").both(f"rate_limited.{who}", seconds=retry_after)
        super().__init__([errors.error(None, "rate_limited", texts["en"], texts["id"])])
        self.headers = {"Retry-After": str(retry_after)}


def unknown_gateway() -> errors.ApiError:
    return errors.ApiError([errors.error(
        "Authorization", "unauthenticated", "A channel gateway's signature (X-Lapor-Signature) or secret is required.",
        "Diperlukan tanda tangan (X-Lapor-Signature) atau rahasia gateway kanal.")], status=401)


class Open311Error(Exception):
    """An Open311 error: answered as the standard's error list (``{code, description}``) with ``status``."""

    def __init__(self, status: int, *descriptions: str):
        super().__init__(descriptions)
        self.status, self.descriptions = status, descriptions

"""Intake's errors, in the contract's format."""
from contract import errors


def report_not_found() -> errors.ApiError:
    return errors.not_found("tracking_id", "Report")


def invalid_tracking_id() -> errors.ApiError:
    return errors.ApiError([errors.error(
        "tracking_id", "invalid", "This is not a valid tracking ID (example: ID-K7M4X-9XQ2A).",
        "Ini bukan nomor pelacakan yang valid (contoh: ID-K7M4X-9XQ2A).")])

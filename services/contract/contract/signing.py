"""HMAC signatures between LAPOR-Hub and outside systems, one scheme both ways.

``X-Lapor-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`` with
``X-Lapor-Timestamp: <unix seconds>``. Outgoing webhooks (notification) sign with it; channel
gateways posting into intake (SMS, social) sign with it. A receiver recomputes it and refuses a
timestamp further than ``TOLERANCE_SECONDS`` from its clock, so a captured request cannot be replayed later.
"""
from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_HEADER = "X-Lapor-Signature"
TIMESTAMP_HEADER = "X-Lapor-Timestamp"
TOLERANCE_SECONDS = 300


def sign(secret: str, timestamp: int, payload: bytes) -> str:
    digest = hmac.new(secret.encode(), str(timestamp).encode() + b"." + payload, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def signed_headers(secret: str, payload: bytes, now: float | None = None) -> dict:
    """The two headers that sign ``payload`` now."""
    timestamp = int(now if now is not None else time.time())
    return {TIMESTAMP_HEADER: str(timestamp), SIGNATURE_HEADER: sign(secret, timestamp, payload)}


def verify(secret: str, received_headers, payload: bytes, now: float | None = None,
           tolerance: int = TOLERANCE_SECONDS) -> bool:
    """Whether the signature matches ``payload`` and the timestamp is fresh."""
    lowered = {k.lower(): v for k, v in dict(received_headers).items()}
    try:
        timestamp = int(lowered[TIMESTAMP_HEADER.lower()])
    except (KeyError, ValueError):
        return False
    current = now if now is not None else time.time()
    if abs(current - timestamp) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, timestamp, payload), lowered.get(SIGNATURE_HEADER.lower(), ""))

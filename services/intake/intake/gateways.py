"""Channel gateways: who may post into ``/channels/sms`` and ``/channels/social``.

Each gateway (an SMS aggregator, the social-media bridge) has an id and a secret of its own,
set by the operator in ``CHANNEL_GATEWAYS`` (``channel:gateway_id=secret`` items, comma
separated; secrets from the environment only). A gateway proves itself either way:
- signed (preferred): ``X-Lapor-Gateway: <id>`` with ``X-Lapor-Timestamp`` and
  ``X-Lapor-Signature: sha256=<HMAC-SHA256(secret, "<timestamp>.<raw body>")>`` (``contract.signing``,
  as the platform's own outgoing webhooks sign), refused when older than 5 minutes;
- shared secret: ``Authorization: Bearer <secret>`` over TLS, for gateways that cannot sign.
No gateway configured for a channel means the channel takes nothing (401).
Plain functions: no nameko, pymongo or kombu here.
"""
from __future__ import annotations

import hmac
import re

from contract import signing

GATEWAY_HEADER = "X-Lapor-Gateway"
CHANNELS = ("sms", "social")
_ITEM = re.compile(r"^(sms|social):([A-Za-z0-9_.-]{1,40})=(\S{16,200})$")


class GatewayConfigError(ValueError):
    """``CHANNEL_GATEWAYS`` is not a list of ``channel:gateway_id=secret`` (secrets of 16+ characters)."""


def parse(setting: str | None) -> dict[str, dict[str, str]]:
    """``{channel: {gateway_id: secret}}`` from the ``CHANNEL_GATEWAYS`` setting."""
    gateways: dict[str, dict[str, str]] = {c: {} for c in CHANNELS}
    for item in (i.strip() for i in str(setting or "").split(",")):
        if not item:
            continue
        match = _ITEM.match(item)
        if match is None:
            name = item.split("=", 1)[0]
            raise GatewayConfigError(f"CHANNEL_GATEWAYS item {name!r}: expected channel:gateway_id=secret "
                                     "(channel sms or social, a secret of at least 16 characters)")
        gateways[match.group(1)][match.group(2)] = match.group(3)
    return gateways


def authenticate(gateways: dict[str, str], headers, body: bytes, now: float | None = None) -> str | None:
    """The id of the channel's gateway that sent this request, or None."""
    named = headers.get(GATEWAY_HEADER)
    if headers.get(signing.SIGNATURE_HEADER):
        secret = gateways.get(named or "")
        return named if secret and signing.verify(secret, headers, body, now) else None
    scheme, _, token = (headers.get("Authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    found = None
    for gateway_id, secret in gateways.items():  # compare with every one: no early exit on a match
        if hmac.compare_digest(token.strip().encode(), secret.encode()):
            found = gateway_id
    return found if named in (None, found) else None

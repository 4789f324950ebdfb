"""Hub messages signed by the hub that sends them on a link (Ed25519, PyNaCl; docs/hubs.md, "Trust").

Every hub has a signing key pair beside its sealing key: the private half in a secrets file
(``LAPOR_HUB_SIGNING_KEY_FILE``, base64 of the 32-byte Ed25519 seed, one line, mode 0600), the
public half in the hub directory (``signing_key``). The hub that puts a message on a link (the
last of its ``hops``: the creator, or a relay that added itself) signs it; the receiver checks the
signature against the directory entry of the neighbour the link belongs to.

What is signed is the message's canonical JSON (sorted keys, no spaces, UTF-8) without its
``signature`` field, so a relay re-signs the message it passes on and nobody can change a field
on the way without the next hub noticing.
"""
from __future__ import annotations

import base64
import binascii
import json
import os
import re
from pathlib import Path

from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

SIGNATURE_FIELD = "signature"
_KEY = re.compile(r"^[A-Za-z0-9+/]{43}=$")


class SignError(ValueError):
    """A missing or malformed signing key, or a message that cannot be signed."""


def generate_key() -> tuple[str, str]:
    """A new key pair: (private seed, public key), both base64."""
    key = SigningKey.generate()
    return base64.b64encode(bytes(key)).decode(), base64.b64encode(bytes(key.verify_key)).decode()


def _decode(text: str, what: str) -> bytes:
    if not isinstance(text, str) or not _KEY.match(text.strip()):
        raise SignError(f"not a base64 Ed25519 {what} (44 characters)")
    try:
        return base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SignError(f"not a base64 Ed25519 {what}: {exc}")


def public_key_of(private_key: str) -> str:
    return base64.b64encode(bytes(SigningKey(_decode(private_key, "private key")).verify_key)).decode()


def valid_public_key(text) -> bool:
    try:
        VerifyKey(_decode(text, "public key"))
        return True
    except (SignError, ValueError):
        return False


def write_private_key(path: str | Path) -> str:
    """Write a new private key to ``path`` (mode 0600, never over an existing file:
    FileExistsError); its public half (for the directory)."""
    private, public = generate_key()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(private + "\n")
    return public


def read_private_key(path: str | Path) -> str:
    """The private key in a secrets file (SignError when it is missing or malformed)."""
    try:
        text = Path(path).read_text().strip()
    except OSError as exc:
        raise SignError(f"signing key file {path}: {exc.strerror or exc}")
    _decode(text, "private key")
    return text


def canonical(message: dict) -> bytes:
    """The bytes a signature covers: the message without its signature, as canonical JSON."""
    unsigned = {k: v for k, v in message.items() if k != SIGNATURE_FIELD}
    try:
        return json.dumps(unsigned, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                          allow_nan=False).encode()
    except (TypeError, ValueError) as exc:
        raise SignError(f"a hub message must be plain JSON to be signed: {exc}")


def sign(message: dict, private_key: str) -> dict:
    """``message`` with its ``signature`` (base64 Ed25519 over :func:`canonical`)."""
    key = SigningKey(_decode(private_key, "private key"))
    signature = key.sign(canonical(message)).signature
    return {**{k: v for k, v in message.items() if k != SIGNATURE_FIELD},
            SIGNATURE_FIELD: base64.b64encode(signature).decode()}


def verify(message: dict, public_key: str) -> bool:
    """Whether ``message`` carries a valid signature by the holder of ``public_key``."""
    signature = message.get(SIGNATURE_FIELD)
    if not isinstance(signature, str):
        return False
    try:
        raw = base64.b64decode(signature, validate=True)
        VerifyKey(_decode(public_key, "public key")).verify(canonical(message), raw)
        return True
    except (binascii.Error, ValueError, BadSignatureError, SignError):
        return False

"""Sealing a reporter's identity for one hub's intake (PyNaCl ``SealedBox``, X25519).

The origin hub seals with the owner hub's public key (from the hub directory); relays pass the
sealed text unchanged; only the owner's intake, holding the private key (a secrets file named
by ``LAPOR_HUB_KEY_FILE``), can open it. Neither broker's queues nor a tap on the link see the
identity in clear.
"""
from __future__ import annotations

import base64
import binascii
import json
import os

from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, PublicKey, SealedBox


class SealError(ValueError):
    """A key or sealed text that cannot be used."""


def new_key_pair() -> tuple[str, str]:
    """(private key, public key), both base64 text."""
    key = PrivateKey.generate()
    return (base64.b64encode(bytes(key)).decode(), base64.b64encode(bytes(key.public_key)).decode())


def public_key_of(private_key: str) -> str:
    return base64.b64encode(bytes(_private(private_key).public_key)).decode()


def _decode_key(text: str, what: str) -> bytes:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, AttributeError, ValueError):
        raise SealError(f"{what} is not base64")
    if len(raw) != 32:
        raise SealError(f"{what} must be 32 bytes, got {len(raw)}")
    return raw


def _private(text: str) -> PrivateKey:
    return PrivateKey(_decode_key(text, "private key"))


def valid_public_key(text: str) -> bool:
    try:
        _decode_key(text, "public key")
    except SealError:
        return False
    return True


def seal(value: dict, public_key: str) -> str:
    """``value`` as JSON, sealed for the holder of the private key of ``public_key`` (base64)."""
    box = SealedBox(PublicKey(_decode_key(public_key, "public key")))
    return base64.b64encode(box.encrypt(json.dumps(value, sort_keys=True).encode())).decode()


def unseal(sealed: str, private_key: str) -> dict:
    """The value sealed for this private key; SealError if it was not, or was altered."""
    try:
        opened = SealedBox(_private(private_key)).decrypt(base64.b64decode(sealed, validate=True))
        value = json.loads(opened)
    except (CryptoError, binascii.Error, ValueError, TypeError) as exc:
        raise SealError(f"cannot open the sealed identity: {type(exc).__name__}")
    if not isinstance(value, dict):
        raise SealError("the sealed identity is not an object")
    return value


def read_private_key(path: str) -> str:
    """The private key in a secrets file (base64, one line); SealError if missing or malformed."""
    try:
        with open(path, encoding="ascii") as handle:
            text = handle.read().strip()
    except OSError as exc:
        raise SealError(f"cannot read the hub key file {path}: {exc.strerror}")
    _private(text)
    return text


def write_private_key(path: str) -> str:
    """Create a key pair, write the private key to ``path`` (mode 0600); the public key."""
    private, public = new_key_pair()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(private + "\n")
    return public

"""Password hashing with argon2id (``argon2-cffi``), off the event loop.

Hashing costs tens of milliseconds of CPU by design; it runs in eventlet's thread pool so that
one sign-in does not stall every other request of the service. An account without a password
is checked against a dummy hash, so a wrong account name takes as long as a wrong password.
"""
from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from eventlet import tpool

_hasher = PasswordHasher()  # argon2id, the library's defaults (RFC 9106 low-memory profile)
_DUMMY = _hasher.hash("lapor-hub: no password set for this account")


def hash_password(password: str) -> str:
    return tpool.execute(_hasher.hash, password)


def verify_password(stored: str | None, password: str) -> bool:
    """True when ``password`` matches the stored hash; False for no hash (after the same work)."""
    try:
        return tpool.execute(_hasher.verify, stored or _DUMMY, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _hasher.check_needs_rehash(stored)

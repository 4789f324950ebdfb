"""Officials' authentication for every service's official endpoints.

Officials send ``Authorization: Bearer <token>``.  Tokens are opaque; routing (which owns the
organisation registry and the officials) stores them hashed and answers ``routing.authenticate``
with the official's principal.  This provider asks routing over RPC and caches answers for a
short time (``AUTH_CACHE_SECONDS``, default 30 s: the longest a revoked token keeps working).

Roles: ``national_admin``, ``agency_admin``, ``liaison``, ``supervisor``.
"""
from __future__ import annotations

import hashlib
import logging
import time

import eventlet
from eventlet.semaphore import Semaphore
from marshmallow import EXCLUDE, Schema, fields, validate
from nameko.extensions import DependencyProvider
from nameko.standalone.rpc import ClusterRpcProxy

from contract.errors import ApiError, error

log = logging.getLogger(__name__)

ROLES = ("national_admin", "agency_admin", "liaison", "supervisor")


class Principal(Schema):
    class Meta:
        unknown = EXCLUDE

    official_id = fields.String(required=True)
    name = fields.String(load_default=None, allow_none=True)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    hub = fields.String(required=True)
    agency_code = fields.String(load_default=None, allow_none=True)
    unit_code = fields.String(load_default=None, allow_none=True)


def token_hash(token: str) -> str:
    """How a token is stored: never the token itself."""
    return hashlib.sha256(token.encode()).hexdigest()


def unauthenticated() -> ApiError:
    return ApiError([error("Authorization", "unauthenticated", "A valid official token is required.",
                           "Diperlukan token petugas yang valid.")], status=401)


def forbidden(what: str = "this action") -> ApiError:
    return ApiError([error("Authorization", "forbidden", f"Your role or scope does not allow {what}.",
                           f"Peran atau cakupan Anda tidak mengizinkan {what}.")], status=403)


def reporter_verified(intake, tracking_id: str, secret: str, timeout: float) -> bool:
    """Whether ``secret`` is the reporter's for ``tracking_id``, asked of intake over RPC
    (``intake.verify_reporter``) within ``timeout`` seconds; 503 when intake does not answer."""
    try:
        with eventlet.Timeout(timeout):
            return intake.verify_reporter(tracking_id, secret) is True
    except (eventlet.Timeout, Exception):
        raise ApiError([error(None, "unavailable")], status=503)


def bearer_token(request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip() or len(token) > 200:
        return None
    return token.strip()


class AuthClient:
    def __init__(self, provider: "Auth"):
        self._provider = provider

    def principal(self, request, roles: tuple[str, ...] = ROLES) -> dict:
        """The authenticated official of an HTTP request, or 401/403 in the error format."""
        token = bearer_token(request)
        if token is None:
            raise unauthenticated()
        principal = self._provider.lookup(token)
        if principal is None:
            raise unauthenticated()
        if principal["role"] not in roles:
            raise forbidden()
        return principal


class Auth(DependencyProvider):
    def setup(self):
        self.ttl = float(self.container.config.get("AUTH_CACHE_SECONDS", 30))
        self._cache: dict[str, tuple[float, dict | None]] = {}
        self._lock = Semaphore()
        self._runner = None  # the ClusterRpcProxy (started); self._proxy is what it returned
        self._proxy = None

    def stop(self):
        self._close()

    def kill(self):
        self._close()

    def _close(self):
        if self._runner is not None:
            try:
                self._runner.stop()
            except Exception:
                log.warning("auth: closing the RPC proxy failed", exc_info=True)
        self._runner = self._proxy = None

    def get_dependency(self, worker_ctx):
        return AuthClient(self)

    def lookup(self, token: str) -> dict | None:
        key = token_hash(token)
        now = time.monotonic()
        cached = self._cache.get(key)
        if cached and cached[0] > now:
            return cached[1]
        with self._lock:  # the standalone proxy serves one call at a time
            try:
                if self._proxy is None:
                    self._runner = ClusterRpcProxy(self.container.config, timeout=5)
                    self._proxy = self._runner.start()
                answer = self._proxy.routing.authenticate(token)
            except Exception:
                self._close()
                log.exception("auth: routing.authenticate failed")
                raise ApiError([error(None, "unavailable")], status=503)
        principal = Principal().load(answer) if answer else None
        if len(self._cache) > 10000:
            self._cache.clear()
        self._cache[key] = (now + self.ttl, principal)
        return principal

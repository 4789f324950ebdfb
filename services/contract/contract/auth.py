"""Officials' authentication for every service's official endpoints.

Systems send ``Authorization: Bearer <token>``; officials in the browser carry a session cookie
(``lapor_petugas``, HttpOnly, SameSite=Strict) set when they sign in on routing's pages.  Both
are opaque; routing (which owns the organisation registry and the officials) stores their
hashes and answers ``routing.authenticate`` / ``routing.authenticate_session`` with the
official's principal.  This provider asks routing over RPC and caches answers for a short time
(``AUTH_CACHE_SECONDS``, default 1 s, for tokens: the longest a revoked token keeps working;
``AUTH_SESSION_CACHE_SECONDS``, default 1 s, for sessions: the longest a signed-out session
keeps working in another service; issue 20: revocation takes effect within a second everywhere).

A request authenticated by the cookie that changes something (any method but GET/HEAD/OPTIONS)
must carry a CSRF token bound to the session (``contract.web``'s signed double-submit token:
form field ``csrf_token`` or header ``X-CSRF-Token``, equal to the ``lapor_csrf`` cookie and
signed with ``WEB_SECRET`` for this session id): a form posted from another site is refused
with 403 ``csrf``, in every service, here.

Roles: ``national_admin``, ``agency_admin``, ``liaison``, ``supervisor``.
"""
from __future__ import annotations

import hashlib
import logging
import os
import time

from eventlet.semaphore import Semaphore
from nameko.extensions import DependencyProvider
from nameko.standalone.rpc import ClusterRpcProxy

from contract import i18n, web
from contract.errors import ApiError, error, translated
from contract.http import UPSTREAM_FAILURES, upstream_unavailable
from contract.rpc import BROKER_UNREACHABLE, ArgumentsRefused, TypedProxy, Unavailable, call_within
from contract.rpcschemas import ROLES

log = logging.getLogger(__name__)

SESSION_COOKIE = "lapor_petugas"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
AUTH_TIMEOUT = 5.0  # seconds routing has to answer who a token or session is (else 503, try again)


def token_hash(token: str) -> str:
    """How a token is stored: never the token itself."""
    return hashlib.sha256(token.encode()).hexdigest()


def unauthenticated() -> ApiError:
    return ApiError([translated("Authorization", "unauthenticated", i18n.common(), "api.unauthenticated")], status=401)


def forbidden(what: str = "this action") -> ApiError:
    """403 naming what is refused: ``what`` in English, its Indonesian words from the contract's
    catalogue (``api.forbidden.<what>``; "tindakan ini" for words it lacks, never mixed languages)."""
    known = f"api.forbidden.{what}"
    what_id = i18n.text(known if known in i18n.common() else "api.forbidden.this action", "id")
    return ApiError([error("Authorization", "forbidden", i18n.text("api.forbidden", "en", what=what),
                           i18n.text("api.forbidden", "id", what=what_id))], status=403)


def csrf_refused() -> ApiError:
    return ApiError([translated(web.CSRF_FIELD, "csrf", i18n.common(), "api.csrf")], status=403)


def reporter_verified(intake, tracking_id: str, secret: str, timeout: float) -> bool:
    """Whether ``secret`` is the reporter's for ``tracking_id``, asked of intake over RPC
    (``intake.verify_reporter``, through a ``contract.rpc.TypedRpcProxy``) within ``timeout``
    seconds (``contract.rpc.call_within``).

    - intake not answering (``Unavailable``) or failing (its ``RemoteError``, a reply the contract
      refuses): 503 (``contract.http.upstream_unavailable``, a failure logged as an error naming it).
      The reporter cannot be told yes or no, and a 500 would blame the request, not intake.
    - a tracking ID or secret the contract cannot carry (``ArgumentsRefused``, nothing sent): not
      verified, as a wrong secret is: it cannot be the reporter's.
    - anything else (the caller's own bug) passes through: a 500, logged and counted."""
    try:
        return call_within(timeout, intake, "intake.verify_reporter", tracking_id, secret) is True
    except ArgumentsRefused:
        return False
    except UPSTREAM_FAILURES as exc:
        raise upstream_unavailable(exc, "intake.verify_reporter") from exc


def bearer_token(request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip() or len(token) > 200:
        return None
    return token.strip()


def session_id(request) -> str | None:
    value = request.cookies.get(SESSION_COOKIE, "")
    return value if 20 <= len(value) <= 200 else None


def csrf_signer(config) -> web.CsrfSigner:
    """The stack's CSRF signer (``WEB_SECRET``, else ``LAPOR_WEB_SECRET``), as the pages use it."""
    secret = str(config.get("WEB_SECRET") or os.environ.get("LAPOR_WEB_SECRET") or "")
    return web.CsrfSigner(secret.encode() or os.urandom(32))


def csrf_matches(request, signer: web.CsrfSigner, session: str) -> bool:
    """Whether a changing request carries a CSRF token of this session (form field or header,
    equal to the CSRF cookie, signed for the session)."""
    sent = request.headers.get(CSRF_HEADER) or (request.form.get(web.CSRF_FIELD) if request.mimetype in (
        "application/x-www-form-urlencoded", "multipart/form-data") else None)
    return bool(sent) and sent == request.cookies.get(web.CSRF_COOKIE) and signer.valid(sent, session)


class AuthClient:
    def __init__(self, provider: "Auth"):
        self._provider = provider

    def principal(self, request, roles: tuple[str, ...] = ROLES) -> dict:
        """The authenticated official of an HTTP request (Bearer token, else the session cookie
        with its CSRF token on a changing request), or 401/403 in the error format."""
        principal = self.optional_principal(request)
        if principal is None:
            raise unauthenticated()
        if principal.get("via") == "session" and request.method not in SAFE_METHODS \
                and not csrf_matches(request, self._provider.signer, session_id(request)):
            raise csrf_refused()
        if principal["role"] not in roles:
            raise forbidden()
        return principal

    def optional_principal(self, request) -> dict | None:
        """The official behind the request, or None (no check of role or CSRF: for pages that
        show a sign-in link to a visitor)."""
        token = bearer_token(request)
        if token is not None:
            return self._provider.lookup(token)
        session = session_id(request)
        return self._provider.lookup_session(session) if session else None


class Auth(DependencyProvider):
    def setup(self):
        self.ttl = float(self.container.config.get("AUTH_CACHE_SECONDS", 1))
        self.session_ttl = float(self.container.config.get("AUTH_SESSION_CACHE_SECONDS", 1))
        self.signer = csrf_signer(self.container.config)
        self._cache: dict[str, tuple[float, dict | None]] = {}
        self._lock = Semaphore()
        self._runner = None  # the ClusterRpcProxy (started); self._proxy: routing's methods through it
        self._proxy = None

    def stop(self):
        self._close()

    def kill(self):
        self._close()

    def _routing(self, method: str):
        """routing's methods through the standalone proxy, started on first use (its own timeout is a
        backstop behind ``AUTH_TIMEOUT``); a broker that refuses the start is ``Unavailable``."""
        if self._proxy is None:
            try:
                self._runner = ClusterRpcProxy(self.container.config, timeout=AUTH_TIMEOUT + 1)
                self._proxy = TypedProxy(self._runner.start().routing, "routing")
            except BROKER_UNREACHABLE as exc:
                self._runner = self._proxy = None
                raise Unavailable.broker("routing", method, exc) from exc
        return self._proxy

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
        return self._ask("authenticate", token, "token:", self.ttl)

    def lookup_session(self, session: str) -> dict | None:
        return self._ask("authenticate_session", session, "session:", self.session_ttl)

    def _ask(self, method: str, secret: str, kind: str, ttl: float) -> dict | None:
        key = kind + token_hash(secret)
        now = time.monotonic()
        cached = self._cache.get(key)
        if cached and cached[0] > now:
            return cached[1]
        with self._lock:  # the standalone proxy serves one call at a time
            try:
                principal = call_within(AUTH_TIMEOUT, self._routing(method), f"routing.{method}", secret)
            except ArgumentsRefused:  # a token the contract cannot carry (too long): nobody's
                principal = None
            except UPSTREAM_FAILURES as exc:  # routing silent, absent or failing: try again, never a 500
                self._close()
                raise upstream_unavailable(exc, f"auth: routing.{method}") from exc
        if len(self._cache) > 10000:
            self._cache.clear()
        if ttl > 0:
            self._cache[key] = (now + ttl, principal)
        return principal

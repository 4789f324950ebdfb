"""Officials' browser accounts: the admin API and RPCs (one-time password links, sessions).
The pages (sign in, set a password, sign out) are in ``routing.pages``."""
from __future__ import annotations

from nameko.rpc import rpc
from nameko.web.handlers import http

from contract import http as api_http
from contract.store import utcnow
from routing import domain, exceptions, schemas, signin

ADMIN_ROLES = ("national_admin", "agency_admin")


def base_url(config: dict, request=None) -> str:
    """Where the front door is for links handed to officials: ``PUBLIC_BASE_URL``, else the
    address the request came to."""
    configured = str(config.get("PUBLIC_BASE_URL") or "").rstrip("/")
    if configured or request is None:
        return configured
    scheme = request.headers.get("X-Forwarded-Proto") or request.scheme
    return f"{scheme}://{request.host}"


class SignInApi:
    """Mixed into RoutingService; needs ``self.accounts``, ``self.auth``, ``self.registry``, ``self.config``."""

    @http("POST", "/admin/officials/<string:official_id>/password-links")
    @api_http.api
    def password_link_http(self, request, official_id):
        principal = self._official(request, ADMIN_ROLES)
        hours = schemas.PasswordLinkIn().load(api_http.read_json(request) if request.get_data(cache=True).strip()
                                             else {})["hours"]
        official = self.registry.official(official_id)
        if not domain.may_manage_official(principal, official):
            raise exceptions.official_not_found()
        link = signin.issue_link(self.accounts, official, utcnow(), hours, principal["official_id"])
        link["url"] = base_url(self.config, request) + link.pop("path")
        return api_http.json_response(201, schemas.PasswordLinkOut().dump(link))

    @http("DELETE", "/admin/officials/<string:official_id>/sessions")
    @api_http.api
    def end_sessions_http(self, request, official_id):
        principal = self._official(request, ADMIN_ROLES)
        if not domain.may_manage_official(principal, self.registry.official(official_id)):
            raise exceptions.official_not_found()
        return api_http.json_response(200, {"ended": self.accounts.end_sessions(official_id)})

    @rpc
    def issue_password_link(self, official_id, hours=48, issued_by="operator"):
        """A one-time link (path ``/petugas/sandi/<token>``) for an official to set a password."""
        official = self.registry.official(official_id)
        if official is None:
            raise exceptions.official_not_found()
        link = signin.issue_link(self.accounts, official, utcnow(), int(hours), issued_by)
        return {**link, "expires_at": link["expires_at"].isoformat()}

    @rpc
    def authenticate_session(self, session_id):
        """The principal behind a browser session id, or None (unknown, expired, idle, signed out)."""
        return self.auth.lookup_session(session_id) if isinstance(session_id, str) else None

"""Officials' sign-in pages (routing owns the officials): sign in, set a password through a
one-time link, sign out. The session cookie is HttpOnly, SameSite=Strict, Secure over https."""
from __future__ import annotations

import ipaddress

from marshmallow import ValidationError
from nameko.web.handlers import http

from contract import web
from contract.auth import SESSION_COOKIE, session_id
from contract.officials_web import HOME, SIGN_IN, official_page
from contract.store import utcnow
from routing import observability, schemas, signin


def client_address(request) -> str:
    """The client as the front door saw it (its X-Forwarded-For), when the request came from the
    front door on this machine; else the peer address."""
    peer = request.remote_addr or "-"
    forwarded = request.headers.get("X-Forwarded-For", "").split(",")[-1].strip()
    try:
        if forwarded and ipaddress.ip_address(peer).is_loopback:
            return forwarded
    except ValueError:
        pass
    return peer


def next_page(value: str | None) -> str:
    """Only back to an official page of this origin (no open redirect)."""
    value = web.local_path(value or HOME)
    return value if value == HOME or value.startswith(HOME + "/") or value.startswith(HOME + "?") else HOME


class SignInPages:
    """Mixed into RoutingService; needs ``self.official_web``, ``self.accounts``, ``self.auth``, ``self.config``."""

    def _cookie_secure(self, request) -> bool:
        setting = str(self.config.get("OFFICIAL_COOKIE_SECURE", "auto")).lower()
        if setting in ("true", "false"):
            return setting == "true"
        return request.scheme == "https" or request.headers.get("X-Forwarded-Proto") == "https"

    @http("GET", "/petugas/masuk")
    @official_page(signed_in=False)
    def sign_in_page(self, request, page, principal):
        if principal is not None:
            return page.redirect(next_page(request.args.get("next")))
        return page.render("signin.html", form={"official_id": "", "next": next_page(request.args.get("next"))},
                           errors={}, notice=request.args.get("notice"))

    @http("POST", "/petugas/masuk")
    @official_page(signed_in=False)
    def sign_in(self, request, page, principal):
        raw = request.form.to_dict()
        try:
            form = schemas.SignInForm().load(raw)
        except ValidationError as exc:
            errors = {field: page._("signin.required") for field in exc.messages}
            return page.render("signin.html", status=400, form=raw, errors=errors, notice=None)
        settings = signin.Settings.from_config(self.config)
        try:
            session, _ = signin.sign_in(self.accounts, form["official_id"].strip(), form["password"],
                                        client_address(request), self.config["HUB_CODE"], utcnow(), settings)
        except signin.Throttled as exc:
            observability.signed_in("throttled")
            minutes = max(1, int((exc.until - utcnow()).total_seconds() // 60) + 1)
            response = page.render("signin.html", status=429, form=form, notice=None,
                                   errors={"password": page._("signin.throttled", minutes=minutes)})
            response.headers["Retry-After"] = str(minutes * 60)
            return response
        except signin.WrongCredentials:
            observability.signed_in("wrong_credentials")
            return page.render("signin.html", status=401, form=form, notice=None,
                               errors={"password": page._("signin.wrong")})
        observability.signed_in("success")
        response = page.redirect(next_page(form["next"]))
        response.set_cookie(SESSION_COOKIE, session, httponly=True, samesite="Strict", path="/",
                            secure=self._cookie_secure(request))
        return response

    @http("POST", "/petugas/keluar")
    @official_page(signed_in=False)
    def sign_out(self, request, page, principal):
        current = session_id(request)
        if current:
            signin.sign_out(self.accounts, current)
        response = page.redirect(f"{SIGN_IN}?notice=signed_out")
        response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="Strict",
                               secure=self._cookie_secure(request))
        return response

    @http("GET", "/petugas/sandi/<string:token>")
    @official_page(signed_in=False)
    def password_page(self, request, page, principal, token):
        try:
            official = signin.usable_link(self.accounts, token, utcnow())
        except signin.LinkUnusable:
            return page.render("password.html", status=410, official=None, errors={}, token=token)
        return page.render("password.html", official=official, errors={}, token=token)

    @http("POST", "/petugas/sandi/<string:token>")
    @official_page(signed_in=False)
    def set_password(self, request, page, principal, token):
        try:
            form = schemas.SetPasswordForm().load(request.form.to_dict())
            signin.set_password(self.accounts, token, form["password"], form["confirm"], utcnow())
        except ValidationError as exc:
            official = signin.usable_link(self.accounts, token, utcnow())
            return page.render("password.html", status=400, official=official, token=token,
                               errors={field: page._("signin.required") for field in exc.messages})
        except signin.LinkUnusable:
            return page.render("password.html", status=410, official=None, errors={}, token=token)
        except signin.BadPassword as exc:
            official = signin.usable_link(self.accounts, token, utcnow())
            text = {code: (id_ if page.lang == "id" else en) for code, en, id_ in exc.problems}
            errors = {"confirm" if "mismatch" in text and len(text) == 1 else "password": " ".join(text.values())}
            return page.render("password.html", status=400, official=official, token=token, errors=errors)
        return page.redirect(f"{SIGN_IN}?notice=password_set")

"""What routing's pages read from a request and how they answer: the inbox filters, an action's
form, where a sign-in may go next, the session cookie, a report's page."""
from __future__ import annotations

from contract import web, webdates
from contract.auth import SESSION_COOKIE
from contract.ids import parse_tracking_id
from contract.officials_web import HOME
from contract.routes import url_for
from routing import schemas
from routing.domain import workflow
from routing.domain import signin

FILTERS = ("queue", "status", "indicator", "category_code", "page")
ACTION_FIELDS = ("reason", "version", "until", "agency_code", "unit_code", "target_hub")


def filters(args) -> dict:
    """The inbox filters a page link or the filter form carries (blank ones left out)."""
    return {k: args[k] for k in FILTERS if args.get(k)}


def action_form(form) -> dict:
    """An action's fields as the API's body would carry them (blank ones left out)."""
    raw = {k: form[k] for k in ACTION_FIELDS if form.get(k, "").strip()}
    if "until" in raw:  # typed as the page asks (dd/mm/yyyy); the API takes ISO
        typed = webdates.parse_typed_date(raw["until"])
        raw["until"] = typed.isoformat() if typed else raw["until"]
    if "version" in raw and raw["version"].isdigit():
        raw["version"] = int(raw["version"])
    return raw


DONE = ("verify", "postpone", "return", "disposition", "redisposition", "archive", "forward")


def landing(principal: dict, updated: dict, action: str) -> str:
    """Where an official lands after an action: the report's page while they may still read it,
    else (returned upwards, forwarded to another hub) the inbox with a confirmation naming it."""
    if workflow.can_read(principal, updated):
        return url_for("official_report", tracking_id=updated["_id"], notice=action)
    return url_for("officials_home", notice=action, laporan=updated["_id"])


def inbox_notice(args) -> dict | None:
    """The confirmation the inbox shows after an action that took the report out of the
    official's reach (only known actions and a well-formed tracking ID: nothing else is echoed)."""
    action, tracking_id = args.get("notice"), parse_tracking_id(args.get("laporan") or "")
    return {"action": action, "tracking_id": tracking_id} if action in DONE and tracking_id else None


def render_report(page, principal: dict, shown: dict, action_errors: dict, notice, status: int = 200):
    """A report's page from ``handlers.report_page``: exactly the actions the API would allow."""
    return page.render("report.html", status=status, report=schemas.ReportOut().dump(shown["view"]),
                       agencies=shown["agencies"], units=shown["units"], hubs=shown["hubs"],
                       hub_path=shown.get("hub_path"),
                       action_errors=action_errors, notice=notice, role=principal["role"], names=shown["names"],
                       timezone=shown["timezone"])


def sign_in_refused(page, form: dict, result: dict):
    """The sign-in form again: 429 with Retry-After while throttled, else 401 (wrong credentials)."""
    if result["outcome"] == "throttled":
        message = (page._("signin.locked") if result["reason"] == "account"
                   else page._("signin.throttled", seconds=result["retry_after"]))
        response = page.render("signin.html", status=429, form=form, notice=None, errors={"password": message})
        response.headers["Retry-After"] = str(result["retry_after"])
        return response
    return page.render("signin.html", status=401, form=form, notice=None, errors={"password": page._("signin.wrong")})


def next_page(value: str | None) -> str:
    """Only back to an official page of this origin (no open redirect)."""
    value = web.local_path(value or HOME)
    return value if value == HOME or value.startswith(HOME + "/") or value.startswith(HOME + "?") else HOME


def cookie_secure(setting: str, request) -> bool:
    """``OFFICIAL_COOKIE_SECURE``: true, false, or auto (Secure when the front door says https)."""
    if setting in ("true", "false"):
        return setting == "true"
    return request.scheme == "https" or request.headers.get("X-Forwarded-Proto") == "https"


def set_session(response, session: str, secure: bool):
    response.set_cookie(SESSION_COOKIE, session, httponly=True, samesite="Strict", path="/", secure=secure)
    return response


def forget_session(response, secure: bool):
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="Strict", secure=secure)
    return response


def base_url(configured: str, request=None) -> str:
    """Where the front door is for links handed to officials: ``PUBLIC_BASE_URL``, else the
    address the request came to."""
    if configured or request is None:
        return configured
    scheme = request.headers.get("X-Forwarded-Proto") or request.scheme
    return f"{scheme}://{request.headers.get('X-Forwarded-Host') or request.host}"  # the front door's, port included


def password_errors(page, problems) -> dict:
    """A refused password's problems as the form's field errors, in the page's language."""
    text = {code: signin.password_text(code, page.lang) for code, _, _ in problems}
    return {"confirm" if "mismatch" in text and len(text) == 1 else "password": " ".join(text.values())}

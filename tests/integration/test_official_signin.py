"""Officials sign in in the browser: one-time password links, the session cookie accepted by any
service through contract.auth (CSRF-checked on changes), sign-out, expiry, wrong-password limits."""
import re
from datetime import timedelta

import requests

from contract import http as api_http
from contract.auth import Auth
from contract.store import utcnow
from routing.service import RoutingService

SECRET = "integration-web-secret-0123456789"


class GuardedService:
    name = "guarded"
    auth = Auth()

    @api_http.endpoint("GET", "/whoami")
    def whoami(self, request):
        principal = self.auth.principal(request, roles=("liaison", "agency_admin"))
        return api_http.json_response(200, {k: principal[k] for k in ("official_id", "via")})

    @api_http.endpoint("POST", "/whoami")
    def change(self, request):
        return api_http.json_response(200, {"official_id": self.auth.principal(request)["official_id"]})


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def start(start_services, rpc, service_config, demo_registry, **settings):
    config = {**service_config, "AUTH_CACHE_SECONDS": 0, "AUTH_SESSION_CACHE_SECONDS": 0, "WEB_SECRET": SECRET,
              "ROUTING_AUTH_CACHE_SECONDS": 0, **settings}
    urls = start_services(RoutingService, GuardedService, config=config)
    rpc.routing.import_registry(demo_registry)
    return urls


def set_password(base, rpc, official_id, password):
    browser = requests.Session()
    link = rpc.routing.issue_password_link(official_id, 1)["path"]
    form = browser.get(base + link, timeout=10)
    assert form.status_code == 200 and official_id in form.text
    done = browser.post(base + link, data={"csrf_token": csrf_of(form.text), "password": password,
                                           "confirm": password}, allow_redirects=False, timeout=10)
    assert done.status_code == 303 and done.headers["Location"].endswith("notice=password_set")
    return link


def sign_in(base, official_id, password, browser=None):
    browser = browser or requests.Session()
    form = browser.get(f"{base}/petugas/masuk", timeout=10)
    answer = browser.post(f"{base}/petugas/masuk", data={"csrf_token": csrf_of(form.text), "official_id": official_id,
                                                          "password": password, "next": "/petugas"},
                          allow_redirects=False, timeout=10)
    return browser, answer


def test_a_link_sets_the_password_once_then_the_session_works_in_every_service(
        start_services, rpc, service_config, demo_registry, mongo_client):
    urls = start(start_services, rpc, service_config, demo_registry)
    base, guarded = urls["routing"], urls["guarded"]
    link = set_password(base, rpc, "lo-bll-pupr", "jalan rusak di buleleng")
    again = requests.get(base + link, timeout=10)
    assert again.status_code == 410  # works once

    browser, answer = sign_in(base, "lo-bll-pupr", "jalan rusak di buleleng")
    assert answer.status_code == 303 and answer.headers["Location"] == "/petugas"
    cookie = answer.headers["Set-Cookie"]
    assert "lapor_petugas=" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "Secure" not in cookie  # plain http here; https (X-Forwarded-Proto) marks it Secure

    me = browser.get(f"{guarded}/whoami", timeout=10)
    assert me.status_code == 200 and me.json() == {"official_id": "lo-bll-pupr", "via": "session"}

    # a changing request with the cookie but without the session's CSRF token is refused
    refused = browser.post(f"{guarded}/whoami", timeout=10)
    assert refused.status_code == 403 and refused.json()["errors"][0]["code"] == "csrf"
    inbox = browser.get(f"{base}/petugas", timeout=10)
    assert inbox.status_code == 200 and "lo-bll-pupr" not in inbox.url
    token = csrf_of(inbox.text)
    assert browser.post(f"{guarded}/whoami", headers={"X-CSRF-Token": token}, timeout=10).status_code == 200
    # a token of another session (or none bound to it) does not pass
    other, _ = sign_in(base, "lo-bll-pupr", "jalan rusak di buleleng")
    assert other.post(f"{guarded}/whoami", headers={"X-CSRF-Token": token}, timeout=10).status_code == 403

    # idle too long: the session ends (its last use moved back past the idle limit)
    db = mongo_client[service_config["MONGODB_DATABASE_PREFIX"] + "routing"]
    db.sessions.update_many({}, {"$set": {"last_seen": utcnow() - timedelta(minutes=31)}})
    assert browser.get(f"{guarded}/whoami", timeout=10).status_code == 401
    page = browser.get(f"{base}/petugas", allow_redirects=False, timeout=10)
    assert page.status_code == 303 and page.headers["Location"].startswith("/petugas/masuk?next=")


def test_sign_out_and_absolute_expiry_end_the_session(start_services, rpc, service_config, demo_registry,
                                                      mongo_client):
    urls = start(start_services, rpc, service_config, demo_registry)
    base, guarded = urls["routing"], urls["guarded"]
    set_password(base, rpc, "adm-buleleng", "koordinator buleleng 2026")
    browser, _ = sign_in(base, "adm-buleleng", "koordinator buleleng 2026")
    inbox = browser.get(f"{base}/petugas", timeout=10)
    out = browser.post(f"{base}/petugas/keluar", data={"csrf_token": csrf_of(inbox.text)}, allow_redirects=False,
                       timeout=10)
    assert out.status_code == 303 and "lapor_petugas=;" in out.headers["Set-Cookie"]
    stolen = requests.get(f"{guarded}/whoami", cookies={"lapor_petugas": _session_of(browser)}, timeout=10)
    assert stolen.status_code == 401

    browser, _ = sign_in(base, "adm-buleleng", "koordinator buleleng 2026")
    assert browser.get(f"{guarded}/whoami", timeout=10).status_code == 200
    db = mongo_client[service_config["MONGODB_DATABASE_PREFIX"] + "routing"]
    db.sessions.update_many({}, {"$set": {"expires_at": utcnow() - timedelta(seconds=1)}})
    assert browser.get(f"{guarded}/whoami", timeout=10).status_code == 401


def _session_of(browser) -> str:
    return browser.cookies.get("lapor_petugas") or "gone-" + "x" * 30


def test_wrong_passwords_are_limited_per_account_and_per_client(start_services, rpc, service_config, demo_registry):
    urls = start(start_services, rpc, service_config, demo_registry, SIGNIN_FAILURES_PER_ACCOUNT=3,
                 SIGNIN_FAILURES_PER_CLIENT=5)
    base = urls["routing"]
    set_password(base, rpc, "lo-bll-pupr", "jalan rusak di buleleng")
    for _ in range(3):
        assert sign_in(base, "lo-bll-pupr", "wrong password!")[1].status_code == 401
    locked = sign_in(base, "lo-bll-pupr", "jalan rusak di buleleng")[1]  # even the right one, while locked
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 0
    assert "lapor_petugas" not in locked.headers.get("Set-Cookie", "")
    # the same client guessing other accounts reaches the client limit
    assert sign_in(base, "nobody-1", "guess guess")[1].status_code == 401
    assert sign_in(base, "nobody-2", "guess guess")[1].status_code == 401
    set_password(base, rpc, "adm-buleleng", "koordinator buleleng 2026")
    assert sign_in(base, "adm-buleleng", "koordinator buleleng 2026")[1].status_code == 429


def test_admins_issue_links_for_their_own_officials_only(start_services, rpc, service_config, demo_registry):
    urls = start(start_services, rpc, service_config, demo_registry)
    base = urls["routing"]
    admin = {"Authorization": f"Bearer {rpc.routing.issue_token('adm-buleleng')['token']}"}
    made = requests.post(f"{base}/admin/officials/lo-bll-pupr/password-links", json={"hours": 2}, headers=admin,
                         timeout=10)
    assert made.status_code == 201 and made.json()["url"].startswith(f"{base}/petugas/sandi/")
    assert requests.get(made.json()["url"], timeout=10).status_code == 200
    other = requests.post(f"{base}/admin/officials/lo-lwu-pupr/password-links", headers=admin, timeout=10)
    assert other.status_code == 404
    bad = requests.post(f"{base}/admin/officials/lo-bll-pupr/password-links", json={"hours": 0}, headers=admin,
                        timeout=10)
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "hours"


def test_the_cookie_is_secure_behind_https_and_always_when_configured(start_services, rpc, service_config,
                                                                      demo_registry):
    urls = start(start_services, rpc, service_config, demo_registry)
    base = urls["routing"]
    set_password(base, rpc, "lo-bll-pupr", "jalan rusak di buleleng")
    browser = requests.Session()
    form = browser.get(f"{base}/petugas/masuk", timeout=10)
    answer = browser.post(f"{base}/petugas/masuk", headers={"X-Forwarded-Proto": "https"}, allow_redirects=False,
                          data={"csrf_token": csrf_of(form.text), "official_id": "lo-bll-pupr",
                                "password": "jalan rusak di buleleng", "next": "https://evil.example/x"}, timeout=10)
    assert answer.status_code == 303 and "Secure" in answer.headers["Set-Cookie"]
    assert answer.headers["Location"] == "/petugas"  # never away from the officials' pages

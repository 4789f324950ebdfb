"""Officials sign in in the browser: one-time password links, the session cookie accepted by any
service through contract.auth (CSRF-checked on changes), sign-out, expiry, wrong-password limits."""
import re
from datetime import timedelta

import requests

from contract import http as api_http
from contract.auth import Auth
from contract.store import utcnow
from routing.service import RoutingService
from tests.credentials import bearer, password_link

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


FIRST_DELAY = 60  # SIGNIN_FIRST_DELAY_SECONDS of the throttle tests: a slow machine is still inside the wait

def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def start(start_services, rpc, service_config, demo_registry, **settings):
    config = {**service_config, "AUTH_CACHE_SECONDS": 0, "AUTH_SESSION_CACHE_SECONDS": 0, "WEB_SECRET": SECRET,
              "ROUTING_AUTH_CACHE_SECONDS": 0, **settings}
    urls = start_services(RoutingService, GuardedService, config=config)
    rpc.routing.import_registry(demo_registry)
    return urls


def set_password(base, config, official_id, password):
    browser = requests.Session()
    link = password_link(config, official_id, 1)
    form = browser.get(base + link, timeout=10)
    assert form.status_code == 200 and official_id in form.text
    done = browser.post(base + link, data={"csrf_token": csrf_of(form.text), "password": password,
                                           "confirm": password}, allow_redirects=False, timeout=10)
    assert done.status_code == 303 and done.headers["Location"].endswith("notice=password_set")
    return link


def sign_in(base, official_id, password, browser=None, client=None):
    """Sign in through the form; ``client``: the address the front door (a trusted proxy, here
    127.0.0.1) says the browser has."""
    browser = browser or requests.Session()
    headers = {"X-Forwarded-For": client} if client else {}
    form = browser.get(f"{base}/petugas/masuk", timeout=10)
    answer = browser.post(f"{base}/petugas/masuk", data={"csrf_token": csrf_of(form.text), "official_id": official_id,
                                                          "password": password, "next": "/petugas"},
                          headers=headers, allow_redirects=False, timeout=10)
    return browser, answer


def test_a_link_sets_the_password_once_then_the_session_works_in_every_service(
        start_services, rpc, service_config, demo_registry, mongo_client):
    urls = start(start_services, rpc, service_config, demo_registry)
    base, guarded = urls["routing"], urls["guarded"]
    link = set_password(base, service_config, "lo-bll-pupr", "jalan rusak di buleleng")
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
    set_password(base, service_config, "adm-buleleng", "koordinator buleleng 2026")
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


def test_wrong_passwords_slow_one_client_not_the_official_and_an_admin_lifts_the_account_limit(
        start_services, rpc, service_config, demo_registry):
    """Issue 20: five wrong passwords from anyone locked the official out for 15 minutes."""
    # the first wait is 60 s here (2 s by default), so that the attempt after the third failure falls in
    # it however slow the machine is (on CI a sign-in's two requests took longer than 2 s)
    urls = start(start_services, rpc, service_config, demo_registry, SIGNIN_FAILURES_PER_ACCOUNT=6,
                 SIGNIN_FIRST_DELAY_SECONDS=FIRST_DELAY)
    base, right = urls["routing"], "jalan rusak di buleleng"
    set_password(base, service_config, "lo-bll-pupr", right)
    for _ in range(3):
        assert sign_in(base, "lo-bll-pupr", "wrong password!", client="203.0.113.9")[1].status_code == 401
    slowed = sign_in(base, "lo-bll-pupr", right, client="203.0.113.9")[1]  # even the right one waits there
    assert slowed.status_code == 429 and 0 < int(slowed.headers["Retry-After"]) <= FIRST_DELAY
    wait = re.search(r"Coba lagi dalam (\d+) detik", slowed.text)
    assert wait and 0 < int(wait.group(1)) <= FIRST_DELAY and "lapor_petugas" not in slowed.headers.get("Set-Cookie", "")
    assert sign_in(base, "lo-bll-pupr", right, client="198.51.100.7")[1].status_code == 303  # the official's own
    for client in ("198.51.100.1", "198.51.100.2", "198.51.100.3"):  # six in all, from everywhere
        assert sign_in(base, "lo-bll-pupr", "wrong password!", client=client)[1].status_code == 401
    locked = sign_in(base, "lo-bll-pupr", right, client="198.51.100.7")[1]
    assert locked.status_code == 429 and "Minta admin instansi Anda membukanya" in locked.text

    lift = f"{base}/admin/officials/lo-bll-pupr/signin-limits"
    assert requests.delete(lift, headers=bearer(service_config, "lo-bll-dinkes"), timeout=5).status_code == 403
    assert requests.delete(lift.replace("lo-bll-pupr", "lo-lwu-pupr"), headers=bearer(service_config, "adm-buleleng"),
                           timeout=5).status_code == 404  # another agency's official
    lifted = requests.delete(lift, headers=bearer(service_config, "adm-buleleng"), timeout=5)
    assert lifted.status_code == 200 and lifted.json()["cleared"] >= 1
    assert sign_in(base, "lo-bll-pupr", right, client="198.51.100.7")[1].status_code == 303
    audit = requests.get(f"{base}/admin/officials/lo-bll-pupr/audit", headers=bearer(service_config, "nas-admin-1"),
                         timeout=5).json()["items"]
    assert ("signin_limit_lifted", "adm-buleleng") in [(e["action"], e["actor"]) for e in audit]


def test_a_forged_forwarded_for_from_an_untrusted_peer_is_not_a_new_client(start_services, rpc, service_config,
                                                                           demo_registry):
    urls = start(start_services, rpc, service_config, demo_registry, TRUSTED_PROXIES="10.9.9.9",
                 SIGNIN_FIRST_DELAY_SECONDS=FIRST_DELAY)
    base = urls["routing"]
    set_password(base, service_config, "lo-bll-pupr", "jalan rusak di buleleng")
    for i in range(3):
        assert sign_in(base, "lo-bll-pupr", "wrong password!", client=f"198.51.100.{i}")[1].status_code == 401
    # every attempt came from this test's own address, whatever the header says
    assert sign_in(base, "lo-bll-pupr", "wrong password!", client="198.51.100.99")[1].status_code == 429


def test_admins_issue_links_for_their_own_officials_only(start_services, rpc, service_config, demo_registry):
    urls = start(start_services, rpc, service_config, demo_registry)
    base = urls["routing"]
    admin = bearer(service_config, "adm-buleleng")
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
    set_password(base, service_config, "lo-bll-pupr", "jalan rusak di buleleng")
    browser = requests.Session()
    form = browser.get(f"{base}/petugas/masuk", timeout=10)
    answer = browser.post(f"{base}/petugas/masuk", headers={"X-Forwarded-Proto": "https"}, allow_redirects=False,
                          data={"csrf_token": csrf_of(form.text), "official_id": "lo-bll-pupr",
                                "password": "jalan rusak di buleleng", "next": "https://evil.example/x"}, timeout=10)
    assert answer.status_code == 303 and "Secure" in answer.headers["Set-Cookie"]
    assert answer.headers["Location"] == "/petugas"  # never away from the officials' pages

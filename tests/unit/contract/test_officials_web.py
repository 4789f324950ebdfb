"""Officials' pages: sign-in redirect, roles and hub, CSRF bound to the session, API errors as pages;
every message the officials' templates use exists in both languages."""
from pathlib import Path

import pytest
from werkzeug.test import Client
from werkzeug.wrappers import Request

from contract import web
from contract.errors import ApiError, error
from contract.officials_web import official_page, officials_web

SERVICES = Path(__file__).resolve().parents[3] / "services"
LIAISON = {"official_id": "lo-1", "name": "Liaison <One>", "role": "liaison", "hub": "ID", "agency_code": "A",
           "unit_code": "U", "via": "session"}


class FakeAuth:
    """Stands in for contract.auth: the principal of a session cookie named after the test's official."""

    def optional_principal(self, request):
        return {"lo-session-0123456789abcdef": LIAISON, "lo-second-session-0123456789": LIAISON}.get(
            request.cookies.get("lapor_petugas"))


class Service:
    config = {"HUB_CODE": "ID"}
    auth = FakeAuth()

    def __init__(self, tmp_path):
        (tmp_path / "hello.html").write_text(
            '{% extends "officials_layout.html" %}{% block title %}T{% endblock %}'
            '{% block main %}<form method="post">{{ forms.csrf(page) }}</form>{% endblock %}')
        self.official_web = officials_web(web.Web(None, None, b"k" * 32), tmp_path)

    @official_page(roles=("liaison",))
    def hello(self, request, page, principal):
        if request.args.get("conflict"):
            raise ApiError([error("action", "conflict", "Not now.", "Tidak sekarang.")], status=409)
        if request.args.get("hidden"):
            raise ApiError([error("tracking_id", "not_found")], status=404)
        if request.method == "POST":
            return page.redirect("/petugas/done")
        return page.render("hello.html")

    @official_page(roles=("national_admin",))
    def admins_only(self, request, page, principal):
        return page.render("hello.html")


@pytest.fixture
def client(tmp_path):
    service = Service(tmp_path)

    def app(environ, start_response):
        request = Request(environ)
        handler = service.admins_only if request.path == "/admins" else service.hello
        return handler(request)(environ, start_response)

    return Client(app)


def signed_in(client):
    client.set_cookie("lapor_petugas", "lo-session-0123456789abcdef")
    return client


def test_a_visitor_is_sent_to_sign_in_and_back(client):
    response = client.get("/petugas/laporan/X?lang=en")
    assert response.status_code == 303
    assert response.headers["Location"] == "/petugas/masuk?next=/petugas/laporan/X%3Flang%3Den"


def test_the_page_shows_who_is_signed_in_escaped_with_a_sign_out_form(client):
    page = signed_in(client).get("/petugas/x")
    assert page.status_code == 200
    assert "Liaison &lt;One&gt;" in page.text and 'action="/petugas/keluar"' in page.text
    assert page.headers["Content-Security-Policy"].startswith("default-src 'self'")


def test_a_post_without_the_sessions_csrf_token_is_refused(client):
    signed_in(client)
    assert client.post("/petugas/x", data={}).status_code == 403
    token = client.get("/petugas/x").text.split('name="csrf_token" value="')[1].split('"')[0]
    assert client.post("/petugas/x", data={"csrf_token": token}).status_code == 303
    client.set_cookie("lapor_petugas", "lo-second-session-0123456789")  # the token is bound to its session
    assert client.post("/petugas/x", data={"csrf_token": token}).status_code == 403


def test_roles_and_api_errors_become_pages(client):
    signed_in(client)
    assert client.get("/admins").status_code == 403
    conflict = client.get("/petugas/x?conflict=1&lang=en")
    assert conflict.status_code == 409 and "Not now." in conflict.text
    assert "Tidak sekarang." in client.get("/petugas/x?conflict=1&lang=id").text
    assert client.get("/petugas/x?hidden=1").status_code == 404


@pytest.mark.parametrize("service", ["routing", "followup", "intake", "assessment"])
def test_every_message_of_the_officials_templates_exists(service):
    package = SERVICES / service / service
    templates = package / ("templates" if service == "routing" else "petugas_templates")
    messages = package / ("messages.yml" if service == "routing" else "officials.yml")
    assert officials_web(web.Web(None, None, b"k" * 32), templates, messages).missing_messages() == []

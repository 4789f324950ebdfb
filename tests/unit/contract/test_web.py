"""The shared web layer: language choice, font size, CSRF, escaping, security headers."""
import re
import pytest
from werkzeug.test import Client
from werkzeug.wrappers import Request

from contract import web



class Service:
    """What a nameko service with ``web = WebPages(...)`` looks like to a page handler."""

    def __init__(self, tmp_path):
        (tmp_path / "hello.html").write_text(
            '{% extends "base.html" %}{% import "forms.html" as forms %}{% block title %}T{% endblock %}'
            '{% block main %}<h1>{{ title }}</h1><p>{{ _("nav.report") }}</p>'
            '<form method="post">{{ forms.csrf(page) }}{{ forms.input("name", "Name", title, errors) }}</form>'
            '{% endblock %}')
        self.web = web.Web(tmp_path, None, b"k" * 32)

    def hello(self, request):
        """As ``contract.web.page`` answers: the handler's exception mapped to an error page."""
        try:
            return self._hello(request)
        except Exception as exc:
            return web.error_page(self.web, request, exc, "hello")

    def _hello(self, request):
        page = self.web.page(request)
        if request.method == "POST":
            page.check_csrf()
            return page.redirect("/done")
        if request.args.get("boom"):
            raise RuntimeError("boom")
        if request.args.get("missing"):
            raise web.NotFoundPage()
        return page.render("hello.html", title=request.args.get("title", "Halo"), errors={})


@pytest.fixture
def client(tmp_path):
    service = Service(tmp_path)

    def app(environ, start_response):
        return service.hello(Request(environ))(environ, start_response)

    return Client(app)


def test_indonesian_by_default_english_by_accept_language(client):
    assert 'lang="id"' in client.get("/").text and "Buat laporan" in client.get("/").text
    english = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"}).text
    assert 'lang="en"' in english and "File a report" in english


def test_switch_is_remembered_in_a_cookie_and_beats_accept_language(client):
    switched = client.get("/?lang=en", headers={"Accept-Language": "id"})
    assert "File a report" in switched.text
    assert "lapor_lang=en" in switched.headers.getlist("Set-Cookie")[0]
    later = client.get("/", headers={"Accept-Language": "id"})
    assert 'lang="en"' in later.text
    assert "Buat laporan" in client.get("/?lang=id").text


def test_font_size_links_work_without_javascript(client):
    page = client.get("/")
    assert 'href="/?size=large"' in page.text and 'class="size-normal"' in page.text
    assert 'class="size-large"' in client.get("/?size=large").text
    assert '<html lang="id" class="size-large">' in client.get("/").text   # remembered


def test_every_user_text_is_escaped(client):
    page = client.get("/", query_string={"title": '<script>alert(1)</script>"'})
    assert "<script>alert(1)" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&#34;" in page.text


def test_security_headers_on_pages_redirects_and_errors(client):
    for response in (client.get("/"), client.get("/?boom=1"), client.get("/?missing=1"), client.post("/")):
        csp = response.headers["Content-Security-Policy"]
        assert "'unsafe-inline'" not in csp and "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Referrer-Policy"]
    assert client.get("/?boom=1").status_code == 500 and "Traceback" not in client.get("/?boom=1").text
    assert client.get("/?missing=1").status_code == 404


def test_no_inline_script_or_style_in_the_layout(client):
    text = client.get("/").text
    assert not re.search(r"<script(?![^>]*\bsrc=)", text)
    assert " style=" not in text and "<style" not in text and " on" + "click=" not in text


def test_csrf_double_submit(client):
    form = client.get("/")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    assert "lapor_csrf=" + token in " ".join(form.headers.getlist("Set-Cookie"))
    assert "HttpOnly" in [c for c in form.headers.getlist("Set-Cookie") if "lapor_csrf" in c][0]
    ok = client.post("/", data={"csrf_token": token})
    assert ok.status_code == 303 and ok.headers["Location"] == "/done"
    assert client.post("/", data={}).status_code == 403
    assert client.post("/", data={"csrf_token": token + "x"}).status_code == 403
    other = Client(client.application)           # a forged form: a token of its own, no cookie
    assert other.post("/", data={"csrf_token": token}).status_code == 403
    forged = web.CsrfSigner(b"other" * 8).new()    # signed with another key, cookie set to match
    other.set_cookie("lapor_csrf", forged)
    assert other.post("/", data={"csrf_token": forged}).status_code == 403


def test_csrf_binding_ties_a_token_to_a_session():
    signer = web.CsrfSigner(b"s" * 32)
    token = signer.new("session-1")
    assert signer.valid(token, "session-1") and not signer.valid(token, "session-2")
    assert not signer.valid("garbage") and not signer.valid(None)


def test_redirects_stay_on_this_origin():
    assert web.redirect("https://evil.example/").headers["Location"] == "/"
    assert web.redirect("//evil.example/x").headers["Location"] == "/"
    assert web.redirect("/lacak/ID-1").headers["Location"] == "/lacak/ID-1"


def test_static_assets_and_no_path_escape():
    css = web.static_response("lapor.css")
    assert css.status_code == 200 and css.content_type.startswith("text/css")
    assert web.static_response("../web.py").status_code == 404
    assert web.static_response("messages.yml").status_code == 404
    assert "@import" not in css.get_data(as_text=True) and "http" not in css.get_data(as_text=True)


def test_catalogue_refuses_a_message_without_both_languages(tmp_path):
    bad = tmp_path / "m.yml"
    bad.write_text("greeting: {id: Halo}\n")
    with pytest.raises(ValueError, match="greeting"):
        web.Catalogue(bad)


def test_every_message_the_shared_templates_use_exists(tmp_path):
    assert web.Web(None, None, b"k" * 32).missing_messages() == []
    (tmp_path / "x.html").write_text('{{ _("no.such.key") }} {{ _("nav.report") }} {{ _("error." ~ r) }}')
    assert [k for _, k in web.Web(tmp_path, None, b"k" * 32).missing_messages()] == ["no.such.key"]
    catalogue = web.Catalogue(web.COMMON_MESSAGES)
    for reason in ("csrf", "not_found", "internal", "unavailable"):
        assert f"error.{reason}.title" in catalogue and f"error.{reason}.text" in catalogue
    for size in web.SIZES:
        assert f"layout.size_{size}" in catalogue


def test_dates_and_times_in_the_page_language_and_the_region_zone(tmp_path):
    (tmp_path / "t.html").write_text("{{ d|day }} | {{ t|moment }} | {{ t|moment('Asia/Makassar') }} | {{ t|moment('9471') }}")
    w = web.Web(tmp_path, None, b"k" * 32)
    from datetime import date, datetime, timezone
    values = {"d": date(2026, 11, 16), "t": datetime(2026, 11, 16, 7, 5, tzinfo=timezone.utc)}
    template = w.env.get_template("t.html")
    assert template.render(lang="id", **values) == ("16 November 2026 | 16 November 2026, 14:05 WIB | 16 November 2026, 15:05 WITA"
                                                      " | 16 November 2026, 16:05 WIT")
    assert template.render(lang="en", d="2026-08-17", t="2026-08-17T00:30:00+00:00").startswith("17 August 2026")


def test_form_inputs_take_extra_attributes_escaped(tmp_path):
    (tmp_path / "f.html").write_text('{% import "forms.html" as forms %}'
                                     '{{ forms.input("email", "Email", v, {}, extra={"autocomplete": "email"}) }}'
                                     '{{ forms.input("p", "P", "", attrs=(\'autocomplete="off"\'|safe)) }}')
    text = web.Web(tmp_path, None, b"k" * 32).env.get_template("f.html").render(v='"><script>x</script>')
    assert 'autocomplete="email"' in text and 'autocomplete="off"' in text
    assert "<script>x" not in text and 'value="&#34;&gt;&lt;script&gt;' in text


@pytest.mark.parametrize("query, headers, expected", [
    ("", {}, "id"), ("", {"Accept-Language": "en-US,en;q=0.9"}, "en"), ("", {"Accept-Language": "id-ID"}, "id"),
    ("lang=en", {"Accept-Language": "id"}, "en"), ("lang=id", {"Accept-Language": "en"}, "id"),
    ("", {"Cookie": "lapor_lang=en", "Accept-Language": "id"}, "en"),
])
def test_one_language_negotiation_for_pages_and_apis(query, headers, expected):
    from werkzeug.test import EnvironBuilder
    request = Request(EnvironBuilder(path="/x", query_string=query, headers=headers).get_environ())
    assert web.language_of(request) == expected

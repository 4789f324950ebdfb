"""Issue 24: one table of routes from which every link is built (``contract.routes``). Every route
is served by an entrypoint of its service with the same pattern and reaches that service through
the front door; ``url_for`` quotes what it fills in; no template writes an internal path by hand."""
import importlib
import inspect
import re
from pathlib import Path

import pytest
from nameko.web.handlers import HttpRequestHandler

from contract import officials_web, routes, web
from contract.routes import ROUTES, url_for

ROOT = Path(__file__).resolve().parents[3]
SERVICES = ("intake", "routing", "followup", "notification", "assessment")


def served(service: str) -> set[str]:
    """The URL patterns of every HTTP entrypoint of ``service``'s class (its mixins' too)."""
    module = importlib.import_module(f"{service}.service")
    cls = next(c for c in vars(module).values() if inspect.isclass(c) and getattr(c, "name", None) == service)
    return {entry.url for klass in cls.__mro__ for value in vars(klass).values()
            for entry in getattr(value, "nameko_entrypoints", ()) if isinstance(entry, HttpRequestHandler)}


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_every_route_is_served_by_an_entrypoint_of_its_service_with_the_same_pattern(name):
    route = ROUTES[name]
    assert route.service in SERVICES
    assert route.pattern in served(route.service), f"{name}: no {route.service} entrypoint serves {route.pattern}"


def front_door() -> list[tuple[str, str]]:
    lines = (ROOT / "deploy" / "local" / "routes.txt").read_text().splitlines()
    return [tuple(line.split()) for line in lines if line.strip() and not line.startswith("#")]


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_the_front_door_sends_every_route_to_its_service(name):
    route = ROUTES[name]
    literal = route.pattern.split("<", 1)[0]  # nginx matches the longest prefix ("/" only exactly)
    owners = [(prefix, service) for prefix, service in front_door()
              if (literal == prefix if prefix == "/" else literal.startswith(prefix))]
    assert owners, f"{name}: the front door does not route {route.pattern}"
    assert max(owners, key=lambda owner: len(owner[0]))[1] == route.service


def test_url_for_fills_and_quotes_the_parameters_and_puts_the_rest_in_the_query():
    assert url_for("home") == "/"
    assert url_for("tracking", tracking_id="5108-K7M4X-9XQ2B") == "/lacak/5108-K7M4X-9XQ2B"
    assert url_for("tracking", tracking_id="a/b c?d") == "/lacak/a%2Fb%20c%3Fd"
    assert url_for("tracking", tracking_id="ID-K7M4X-9XQ2B", notice="unlocked") == "/lacak/ID-K7M4X-9XQ2B?notice=unlocked"
    assert url_for("public_report", tracking_id="ID-1", notice="commented", _anchor="diskusi") == \
        "/laporan/ID-1?notice=commented#diskusi"
    assert url_for("officials_home", queue="", status="in progress") == "/petugas?queue=&status=in+progress"
    assert url_for("stats_public", period=None, format="csv") == "/stats/public?format=csv"
    assert url_for("official_comment_hide", tracking_id="ID-1", comment_id="c9") == \
        "/petugas/kasus/ID-1/komentar/c9/sembunyikan"
    assert routes.path_template("receipt") == "/lapor/<tracking_id>"
    assert routes.prefix("official_report") == "/petugas/laporan/" and routes.prefix("lookup") == "/lacak"
    assert routes.parameters("admin_official_switch") == ["official_id", "switch"]


def test_an_unknown_route_or_a_missing_parameter_is_an_error_naming_it():
    with pytest.raises(routes.RouteError, match="no route named 'trackng'"):
        url_for("trackng", tracking_id="ID-1")
    with pytest.raises(routes.RouteError, match="'tracking_id'"):
        url_for("tracking")
    with pytest.raises(routes.RouteError, match="'tracking_id'"):
        url_for("tracking", tracking_id=None)


def test_every_template_environment_has_url_for():
    citizens = web.Web()
    officials = officials_web.officials_web(web.Web())
    for pages in (citizens, officials):
        assert pages.env.from_string("{{ url_for('receipt', tracking_id=t) }}").render(t="ID-1") == "/lapor/ID-1"
    assert officials_web.SIGN_IN == url_for("sign_in") and officials_web.HOME == url_for("officials_home")


def test_the_entrypoint_check_tells_a_pattern_from_a_look_alike():
    followup = served("followup")
    assert "/lacak/<string:tracking_id>" in followup and "/petugas/kasus/<string:tracking_id>" in followup
    assert "/lacak/<tracking_id>" not in followup and "/lapor/<string:tracking_id>" not in followup
    assert "/assets/<string:name>" in served("intake")  # a mixin's entrypoint (WebAssets) counts


def test_pages_link_assets_through_the_table():
    pages = web.Web()
    page = pages.page(type("Request", (), {"args": {}, "cookies": {}, "accept_languages": None})())
    assert page.asset("lapor.css") == url_for("asset", name="lapor.css", v=pages.assets["lapor.css"])


TEMPLATES = sorted(p for p in (ROOT / "services").glob("*/*/*templates/*.html"))
# a link attribute whose value starts with "/" (href="/", action="/lacak/{{ id }}"), or any quoted
# string that starts with "/" and a letter (a Jinja literal: '/petugas', "/reports/" ~ id); a link
# outside the platform is an absolute URL, a fragment starts with "#"
WRITTEN_PATH = re.compile(r"""\b(?:href|action|src|formaction|value)\s*=\s*["'](/(?!/)[^"'<>\n]*)"""
                          r"""|["'](/[A-Za-z][^"'<>\n]*)["']""")
ALLOWED: set[tuple[str, str]] = set()  # (template, path): none; assets go through url_for('asset') too


def test_the_templates_were_found():
    assert len(TEMPLATES) >= 30 and all(p.is_file() for p in TEMPLATES)


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT / "services")))
def test_no_template_writes_an_internal_path_by_hand(template):
    text = template.read_text(encoding="utf-8")
    written = [(m.group(1) or m.group(2), text.count("\n", 0, m.start()) + 1) for m in WRITTEN_PATH.finditer(text)]
    written = [(path, line) for path, line in written if (template.name, path) not in ALLOWED]
    assert not written, f"{template}: build these with url_for: {written}"

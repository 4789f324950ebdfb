"""The statistics page's errors are rendered with the public site's ``web``, whatever the order of
the service's dependencies (the officials' pages are a ``WebPages`` too)."""
from types import SimpleNamespace

from assessment.service import PublicPage
from contract.officials_web import OfficialPages
from contract.web import WebPages


def test_the_error_page_uses_the_public_web_not_the_officials():
    officials, public = OfficialPages(), WebPages()
    officials.attr_name, officials.web = "official_web", "officials' site"
    public.attr_name, public.web = "web", "public site"
    entrypoint = PublicPage("GET", "/statistik")
    entrypoint.container = SimpleNamespace(dependencies=[officials, public])
    assert entrypoint._web() == "public site"

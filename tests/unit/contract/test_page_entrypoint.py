"""A page's error is rendered with the citizens' (public) pages, whatever the order of the service's
dependencies: the officials' pages are a ``WebPages`` too (assessment and followup have both)."""
from types import SimpleNamespace

import pytest

from contract.officials_web import OfficialPageEntrypoint, OfficialPages
from contract.web import PageEntrypoint, WebPages


@pytest.mark.parametrize("order", [0, 1])
def test_the_error_page_uses_the_public_web_not_the_officials(order):
    officials, public = OfficialPages(), WebPages()
    officials.attr_name, officials.web = "official_web", "officials' site"
    public.attr_name, public.web = "web", "public site"
    dependencies = [officials, public] if order else [public, officials]
    entrypoint = PageEntrypoint("GET", "/statistik")
    entrypoint.container = SimpleNamespace(dependencies=dependencies)
    assert entrypoint._web() == "public site"
    official = OfficialPageEntrypoint("GET", "/petugas/pemantauan")
    official.container = SimpleNamespace(dependencies=dependencies)
    assert official._web() == "officials' site"

"""Every message the followup pages use exists in both languages."""
from pathlib import Path

from contract.web import Web
from followup import web_pages

HERE = Path(web_pages.__file__).parent


def test_every_message_of_followup_pages_exists():
    web = Web(HERE / "templates", HERE / "messages.yml", b"k" * 32)
    assert web.missing_messages() == []
    for notice in web_pages.NOTICES:
        assert f"notice.{notice}" in web.catalogue
    for error in web_pages.ERRORS:
        assert f"error.{error}" in web.catalogue

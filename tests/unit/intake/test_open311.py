import xml.etree.ElementTree as ET
from datetime import datetime, timezone

from contract.registry_names import Names
from intake import open311
from tests.fakes.names import DEMO_NAMES

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=timezone.utc)
REPORT = {"tracking_id": "ID-K7M4X-9XQ2A", "status": "in_follow_up", "category_code": "infrastruktur",
          "description": "Jalan <rusak> & berlubang\x01", "received_at": NOW, "location_text": "Jl. Pramuka",
          "latitude": -8.1, "longitude": 115.1, "assignment": {"agency_code": "PEMKAB-BULELENG"},
          "reporter": {"name": "Made"}, "history": [{"at": NOW}], "is_anonymous": False, "is_confidential": False}


def test_statuses_map_to_open_and_closed():
    assert [open311.open311_status(s) for s in ("received", "in_follow_up", "answered", "closed", "archived")] == \
        ["open", "open", "closed", "closed", "closed"]
    assert open311.platform_statuses(["open", "closed"]) is None
    assert "incomplete" not in open311.platform_statuses(["open"])
    assert set(open311.platform_statuses(["closed"])) == {"answered", "closed", "archived"}


def test_service_request_never_carries_the_reporter():
    request = open311.service_request(REPORT, {"infrastruktur": "Infrastruktur"})
    assert request["status"] == "open" and request["agency_responsible"] == "PEMKAB-BULELENG"  # no names copy yet
    assert "Made" not in repr(request) and "reporter" not in request


def test_the_agency_responsible_is_named_and_the_status_notes_are_a_sentence_for_the_reporter():
    """Issue 21: ``agency_responsible`` held a code and ``status_notes`` ``in_follow_up``."""
    names = Names(DEMO_NAMES)
    english = open311.service_request(REPORT, {}, "en", names)
    assert english["agency_responsible"] == "Pemerintah Kabupaten Buleleng"
    assert english["status_notes"] == "The responsible agency is following this report up."
    assert english["service_code"] == "infrastruktur"  # codes stay where machines read them
    indonesian = open311.service_request({**REPORT, "status": "closed"}, {}, "id", names)
    assert indonesian["status_notes"] == "Laporan telah selesai ditangani."
    for status in ("received", "triage", "forwarded", "dispositioned", "answered", "archived", "incomplete"):
        note = open311.status_note(status, "en")
        assert note != status and note.endswith(".") and "_" not in note


def test_an_anonymous_or_confidential_reports_media_url_is_never_public():
    media = {**REPORT, "media_url": "https://files.example.org/foto-pelapor.jpg"}
    assert open311.service_request(media, {})["media_url"] == media["media_url"]  # a named, public report: shown
    for private in ({"is_anonymous": True}, {"is_confidential": True}, {"is_anonymous": None}):
        request = open311.service_request({**media, **private}, {})
        assert request["media_url"] is None and "foto-pelapor" not in repr(request)
        body, _ = open311.render("requests", [request], "xml")
        assert b"foto-pelapor" not in (body if isinstance(body, bytes) else body.encode())


def test_xml_is_well_formed_and_escaped():
    body, content_type = open311.render("requests", [open311.service_request(REPORT, {})], "xml")
    root = ET.fromstring(body)
    assert content_type.startswith("text/xml") and root.tag == "service_requests"
    assert root.find("request/description").text == "Jalan <rusak> & berlubang"
    assert root.find("request/lat").text == "-8.1"
    errors, _ = open311.render("errors", open311.error_list([(404, "not found")]), "xml")
    assert ET.fromstring(errors).find("error/code").text == "404"

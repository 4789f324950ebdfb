"""The citizen's HTML form as the API's report body, the pickers, the public list's rules."""
from datetime import datetime, timezone
from pathlib import Path

from werkzeug.datastructures import MultiDict

from contract.web import Web
from intake import schemas, web_forms

HERE = Path(web_forms.__file__).parent
REGIONS = [{"code": "51", "name": "Provinsi Bali"}, {"code": "5108", "name": "Kabupaten Buleleng"},
           {"code": "5103", "name": "Kabupaten Badung"}, {"code": "31", "name": "DKI Jakarta"}]


def test_empty_fields_are_left_out_so_the_report_becomes_a_draft():
    form = MultiDict({"title": "  Lampu jalan ", "description": "", "region_code": "5108", "incident_date": "",
                      "reporter_name": "Made", "reporter_email": "", "is_anonymous": "1", "gesi": "women"})
    body = web_forms.report_body(form, "en")
    assert body == {"title": "Lampu jalan", "region_code": "5108", "reporter": {"name": "Made"},
                    "is_anonymous": True, "is_confidential": False, "gesi": ["women"], "language": "en",
                    "channel": "web"}
    assert schemas.load_report(body)["title"] == "Lampu jalan"     # the API schema takes it as it is


def test_regions_are_districts_with_their_province_and_lone_provinces():
    assert web_forms.region_options(REGIONS) == [
        ("31", "DKI Jakarta"), ("5103", "Kabupaten Badung, Provinsi Bali"), ("5108", "Kabupaten Buleleng, Provinsi Bali")]


def test_categories_in_the_page_language():
    docs = [{"code": "kesehatan", "name_id": "Kesehatan", "name_en": "Health"}, {"code": "x", "name_id": "Air"}]
    assert web_forms.category_options(docs, "en") == [("x", "Air"), ("kesehatan", "Health")]


def test_public_item_never_names_an_anonymous_reporter_and_only_first_names_others():
    report = {"_id": "ID-1", "status": "received", "received_at": datetime.now(timezone.utc), "description": "x " * 200,
              "reporter": {"name": "Made Wirawan", "email": "m@example.com"}, "is_anonymous": False}
    assert web_forms.public_item(report)["reporter"] == "Made"
    assert web_forms.public_item({**report, "is_anonymous": True})["reporter"] is None
    assert web_forms.public_item({**report, "is_anonymous": True})["anonymous"] is True
    assert len(web_forms.public_item(report)["excerpt"]) <= 241
    assert "email" not in str(web_forms.public_item(report))


def test_public_filters_ignore_unknown_values():
    args = MultiDict({"status": "incomplete", "classification": "complaint", "region_code": "5108", "page": "x"})
    assert web_forms.public_filters(args) == {"classification": "complaint", "region_code": "5108"}
    assert web_forms.page_number(args) == 1


def test_every_message_of_intake_pages_exists():
    assert Web(HERE / "templates", HERE / "messages.yml", b"k" * 32).missing_messages() == []


def test_the_incident_date_is_typed_in_the_pages_format_and_sent_as_iso():
    """Issue 21: the date input showed the browser's mm/dd/yyyy; the form takes dd/mm/yyyy as typed."""
    assert web_forms.report_body(MultiDict({"incident_date": "16/11/2026"}), "id")["incident_date"] == "2026-11-16"
    assert web_forms.report_body(MultiDict({"incident_date": "2026-11-16"}), "en")["incident_date"] == "2026-11-16"
    # not a date: passed on as typed, so the API's error names the field
    assert web_forms.report_body(MultiDict({"incident_date": "31/02/2026"}), "id")["incident_date"] == "31/02/2026"
    assert web_forms.completion_body(MultiDict({"incident_date": "1.12.2026"}))["incident_date"] == "2026-12-01"

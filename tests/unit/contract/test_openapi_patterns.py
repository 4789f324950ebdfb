"""The patterns the OpenAPI document states are the rules the code applies (issue 20: the document
exactly as strict as the code). Each pattern is checked against the function that decides."""
import re

import pytest
from marshmallow import ValidationError

from assessment import periods
from contract.errors import ApiError
from followup.schemas import AttachmentIn
from contract.ids import TRACKING_ID_PATTERN, new_tracking_id, parse_tracking_id
from intake.channel_schemas import MENTION_PATTERN, SocialIn
from notification.schemas import HTTP_URL_PATTERN, SubscriptionIn


@pytest.mark.parametrize("text", [new_tracking_id("ID"), new_tracking_id("5108").lower(),
                                  f" #{new_tracking_id('ID').replace('-', ' ')} ",
                                  "##" + new_tracking_id("5108").replace("-", "--")])
def test_every_tracking_id_the_parser_takes_has_the_documented_shape(text):
    assert parse_tracking_id(text) is not None and re.search(TRACKING_ID_PATTERN, text)


@pytest.mark.parametrize("text", ["ID-K7M4X-9XQ2U", "ID-K7M4X-9XQ2", "ID-K7M4X-9XQ2BB", "I-K7M4X-9XQ2B",
                                  "ID-K7M4U-9XQ2B", "ID K7M4X", "", "ID-K7M4X-9XQ2L"])
def test_a_tracking_id_of_another_shape_is_refused(text):
    assert parse_tracking_id(text) is None and not re.search(TRACKING_ID_PATTERN, text)


@pytest.mark.parametrize("text", ["2024", "2024-q2", "2100-12", "２０２４", "2024-０５", "1999", "2101-01", "2024-Q5"])
def test_periods_take_exactly_what_the_document_says(text):
    try:
        periods.parse(text)
        accepted = True
    except ApiError:
        accepted = False
    assert accepted == bool(re.search(periods.PERIOD_PATTERN, text))


@pytest.mark.parametrize("text", ["２０２４", "²⁰²⁴", "24", "20245", "1999", "2024"])
def test_a_year_in_a_path_is_four_ascii_digits_or_a_clear_error(text):
    if text == "2024":
        assert periods.year(text) == 2024
        return
    with pytest.raises(ApiError) as caught:  # was a ValueError (a 500) for superscript digits
        periods.year(text)
    assert caught.value.errors[0]["field"] == "year"


@pytest.mark.parametrize("text", ["Jalan rusak #lapor", "@LAPOR1708 tolong", "#Lapor!", "#laporé", "#lapor_x",
                                  "@lapor17089", "#LAPOR", "lapor", "#ʟapor"])
def test_a_social_post_mentions_lapor_exactly_as_the_document_says(text):
    body = {"post_id": "p1", "author_handle": "made_bll", "text": text}
    try:
        SocialIn().load(body)
        accepted = True
    except ValidationError:
        accepted = False
    assert accepted == bool(re.search(MENTION_PATTERN, text))


@pytest.mark.parametrize("url", ["http://hook", "https://hooks.example.go.id:8443/lapor?x=1", "http://127.0.0.1:9/x",
                                 "https://a-b.example"])
def test_every_url_the_document_allows_is_accepted(url):
    assert re.search(HTTP_URL_PATTERN, url)
    assert SubscriptionIn().load({"url": url})["url"] == url
    attachment = {"name": "foto.jpg", "url": url}  # follow-up's attachments state the same one pattern
    assert AttachmentIn().load(attachment)["url"] == url
    assert AttachmentIn().fields["url"].metadata["pattern"] is HTTP_URL_PATTERN

import string

from hypothesis import given, settings, strategies as st

from intake import registry, sms
from tests.unit.intake.test_completeness import REGIONS

INDEX = registry.keyword_index(REGIONS)
TID, SECRET = "5108-K7M4X-9XQ2A", "ABCD-EFGH-JKMN"


def test_region_keyword_and_text():
    parsed = sms.parse("Buleleng Jalan rusak di depan SD 3 sejak Senin", INDEX)
    assert parsed == sms.ParsedSms("5108", "Jalan rusak di depan SD 3 sejak Senin", "id")


def test_unknown_keyword_keeps_the_whole_text_for_national_triage():
    parsed = sms.parse("Jakarta banjir di mana-mana", INDEX)
    assert parsed.region_code is None and parsed.text == "Jakarta banjir di mana-mana"
    assert sms.form(parsed, "+628123")["region_code"] == registry.NATIONAL_REGION


def test_english_when_asked():
    parsed = sms.parse("EN singaraja broken road near school 3 since Monday", INDEX)
    assert parsed.language == "en" and parsed.region_code == "5108"
    assert sms.reply(201, TID, SECRET, [], True, "en").startswith("LAPOR! Report received. No: 5108-K7M4X-9XQ2A")


def test_multipart_is_joined_in_sequence():
    parts = [{"seq": 2, "text": "SD 3 sejak Senin"}, {"seq": 1, "text": "Buleleng Jalan rusak di depan "}]
    assert sms.join_parts(parts) == "Buleleng Jalan rusak di depan SD 3 sejak Senin"


def test_replies_fit_160_and_carry_id_and_secret():
    from intake import completeness
    missing = [completeness.item("description", "too_short")]
    for language in ("id", "en"):
        for status, secret, miss, matched in ((201, SECRET, [], True), (201, SECRET, [], False),
                                              (202, SECRET, missing, True), (200, None, [], True)):
            text = sms.reply(status, TID, secret, miss, matched, language)
            assert len(text) <= 160 and TID in text
            if secret:
                assert secret in text
    assert "kronologi terlalu singkat" in sms.reply(202, TID, SECRET, missing, True, "id")


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=400))
def test_parser_never_fails_and_never_loses_text(message):
    parsed = sms.parse(message, INDEX)
    assert parsed.language in ("id", "en")
    assert parsed.region_code in (None, "5108", "6301", "6202")
    words = " ".join(message.replace("\x00", " ").split())
    assert parsed.text in words  # the complaint text is a tail of the message, never invented
    reply = sms.reply(201, TID, SECRET, [], parsed.region_code is not None, parsed.language)
    assert len(reply) <= 160


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["Buleleng", "BULELENG", "buleleng", "Singaraja", "Tanah  Laut", "tala", "Kab. Buleleng"]),
       st.text(alphabet=string.ascii_letters + " ", min_size=1, max_size=80).filter(str.strip))
def test_known_keywords_always_match(keyword, text):
    parsed = sms.parse(f"  {keyword}   {text}", INDEX)
    assert parsed.region_code is not None


def test_keyword_alone_is_kept_as_text_so_it_becomes_a_draft():
    parsed = sms.parse("Buleleng", INDEX)
    assert parsed.region_code == "5108" and parsed.text == "Buleleng"

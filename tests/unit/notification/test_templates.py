"""Templates: every message renders in both languages, SMS within 160, link everywhere, HTML escaped."""
import pytest

from contract.registry_names import Names
from notification import domain
from notification.exceptions import PermanentError
from notification.templates import LANGUAGES, Renderer
from tests.fakes.names import DEMO_NAMES

BASE = "https://pengaduan.lapor.example.go.id/lacak/"  # 46 characters: the documented maximum is 50
OFFICIALS = "https://pengaduan.lapor.example.go.id/petugas/laporan/"
LONGEST_ID = "ABCDEFGH-K7M4X-9XQ2A"  # an 8-character hub code
CONTEXT = {"tracking_id": LONGEST_ID, "queue": "unit", "unit_code": "PEMKAB-KOTAWARINGIN-TIMUR-DINAS-PUPR",
           "agency_code": "PEMKAB-KOTAWARINGIN-TIMUR", "missing": ["description", "incident_date", "location_text",
                                                                    "category_code", "region_code"],
           "due_at": "2026-11-25T10:00:00+00:00", "until": "2026-12-01T00:00:00+00:00", "indicator": "yellow",
           "target_hub": "5108",
           "level": 2, "excerpt": "Jalan sudah ditambal.", "reason": "Laporan ganda.", "rating": 5, "stage": "follow_up",
           "category_code": "infrastruktur", "region_code": "5108", "day": "2026-11-20", "count": 1,
           "items": [{"tracking_id": LONGEST_ID, "template": "case_overdue", "occurred_at": "2026-11-20T01:00:00+00:00"}]}
REPORTER_TEMPLATES = sorted({t for rules in domain.RULES.values() for a, t in rules if a == "reporter"}
                            | set(domain.DIRECT_MESSAGES.values()))
OFFICIAL_TEMPLATES = sorted({t for rules in domain.RULES.values() for a, t in rules if a != "reporter"} | {"daily_digest"})


@pytest.fixture(scope="module")
def renderer():
    return Renderer(BASE, "Asia/Makassar")


def test_every_template_exists_in_every_language(renderer):
    for language in LANGUAGES:
        assert set(renderer.templates(language)) == set(REPORTER_TEMPLATES) | set(OFFICIAL_TEMPLATES)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("template", REPORTER_TEMPLATES + OFFICIAL_TEMPLATES)
def test_email_renders_with_subject_greeting_and_tracking_link(renderer, template, language):
    message = renderer.render(template, language, "email", CONTEXT, name="Made")
    assert message.subject and (LONGEST_ID in message.subject or template == "daily_digest")
    assert message.text.startswith({"id": "Yth. Made,", "en": "Dear Made,"}[language])
    link = f"{OFFICIALS}{LONGEST_ID}" if template in OFFICIAL_TEMPLATES else f"{BASE}{LONGEST_ID}"
    assert link in message.text and link in message.html
    assert "None" not in message.text


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("template", sorted(set(REPORTER_TEMPLATES) - set(domain.DIRECT_MESSAGES.values())))
def test_reporter_sms_fits_160_characters_with_the_link(renderer, template, language):
    text = renderer.render(template, language, "sms", CONTEXT).text
    assert len(text) <= 160 and f"{BASE}{LONGEST_ID}" in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_social_direct_message_fits_with_the_longest_completion_link(renderer, language):
    link = f"https://pengaduan.lapor.example.go.id/lapor/{LONGEST_ID}?kode=ABCD-EFGH-JKMN"
    text = renderer.render("social_completion", language, "social", {**CONTEXT, "completion_url": link}).text
    assert link in text and len(text) <= 280


def test_languages_differ_and_unknown_language_falls_back_to_bahasa_indonesia(renderer):
    assert renderer.render("receipt", "id", "email", CONTEXT).subject.startswith("Laporan Anda telah diterima")
    assert renderer.render("receipt", "en", "email", CONTEXT).subject.startswith("Your report was received")
    assert renderer.render("receipt", "jv", "email", CONTEXT).subject.startswith("Laporan Anda telah diterima")


def test_missing_fields_are_named_in_the_readers_words(renderer):
    context = {**CONTEXT, "missing": ["description", "incident_date"]}
    assert "kronologi, tanggal kejadian" in renderer.render("incomplete_reminder", "id", "email", context).text
    assert "chronology, incident date" in renderer.render("incomplete_reminder", "en", "email", context).text


def test_dates_are_shown_in_local_time(renderer):
    text = renderer.render("case_due_soon", "id", "email", CONTEXT).text
    assert "25 November 2026, 18:00 WITA" in text


@pytest.mark.parametrize("region, shown", [("3171", "1 Desember 2026, 23:30 WIB"), ("7317", "2 Desember 2026, 00:30 WITA"),
                                           ("9471", "2 Desember 2026, 01:30 WIT")])
def test_a_messages_times_are_in_the_zone_of_the_reports_region_not_the_hubs(region, shown):
    """One time zone rule (issue 21): a Jakarta hub (WIB) tells of a Luwu report in WITA, at a day boundary."""
    context = {**CONTEXT, "region_code": region, "due_at": "2026-12-01T16:30:00+00:00", "until": "2026-12-01T16:30:00+00:00"}
    jakarta = Renderer(BASE, "Asia/Jakarta")
    assert shown in jakarta.render("case_due_soon", "id", "email", context).text
    assert shown.split(",")[0] in jakarta.render("report_postponed", "id", "sms", context).text
    english = jakarta.render("case_due_soon", "en", "email", context).text
    assert shown.replace("Desember", "December") in english


def test_without_a_region_the_hubs_zone_is_named(renderer):
    text = renderer.render("case_due_soon", "id", "email", {**CONTEXT, "region_code": None}).text
    assert "25 November 2026, 18:00 WITA" in text
    assert "25 November 2026, 17:00 WIB" in Renderer(BASE).render("case_due_soon", "id", "email",
                                                                 {**CONTEXT, "region_code": None}).text


def test_html_mail_escapes_what_people_typed(renderer):
    context = {**CONTEXT, "excerpt": '<script>alert("x")</script> & <b>bold</b>'}
    message = renderer.render("final_answer", "en", "email", context, name="<img src=x>")
    assert "<script>" not in message.html and "&lt;script&gt;" in message.html
    assert "<img src=x>" not in message.html and "&lt;img src=x&gt;" in message.html
    assert '<script>alert("x")</script>' in message.text  # the plain-text part is not HTML


def test_broken_or_missing_templates_are_permanent_errors(renderer):
    with pytest.raises(PermanentError, match="no template"):
        renderer.render("no_such_template", "id", "email", CONTEXT)
    with pytest.raises(PermanentError, match="failed to render"):
        renderer.render("case_due_soon", "id", "email", {**CONTEXT, "due_at": None})
    with pytest.raises(PermanentError, match="no short text"):
        renderer.render("case_overdue", "id", "sms", CONTEXT)


def test_an_over_long_sms_is_refused_not_cut():
    long_base = "https://" + "x" * 150 + "/"
    with pytest.raises(PermanentError, match="160-character limit"):
        Renderer(long_base).render("receipt", "id", "sms", CONTEXT)


def test_a_reporter_is_sent_to_the_tracking_page_and_an_official_to_the_reports_officials_page(renderer):
    """Issue 21: every message linked to /reports/<id>, which answers JSON to a browser."""
    assert renderer.link("5108-K7M4X-9XQ2B", "final_answer") == f"{BASE}5108-K7M4X-9XQ2B"
    assert renderer.link("5108-K7M4X-9XQ2B", "case_overdue") == f"{OFFICIALS}5108-K7M4X-9XQ2B"
    assert Renderer(BASE, officials_base_url="https://x.example/p/").link("ID-1", "new_report_in_queue") == \
        "https://x.example/p/ID-1"
    assert "/reports/" not in renderer.render("receipt", "id", "sms", CONTEXT).text


NAMED = {**CONTEXT, "tracking_id": "5108-K7M4X-9XQ2A", "unit_code": "BLL-PUPR", "agency_code": "PEMKAB-BULELENG",
         "category_code": "infrastruktur", "region_code": "5108", "target_hub": "35"}
DEMO = Names(DEMO_NAMES)


@pytest.mark.parametrize("language", LANGUAGES)
def test_messages_name_the_unit_agency_category_region_and_hub_not_their_codes(renderer, language):
    """Issue 21: "diteruskan ke PEMKAB-BULELENG", "kepada BLL-PUPR", "wilayah 5108" read as names."""
    unit = "Dinas Pekerjaan Umum dan Penataan Ruang Kab. Buleleng"
    dispositioned = renderer.render("report_dispositioned", language, "email", NAMED, names=DEMO)
    assert unit in dispositioned.text and "BLL-PUPR" not in dispositioned.text
    in_queue = renderer.render("new_report_in_queue", language, "email", NAMED, names=DEMO).text
    category = {"id": "Infrastruktur (jalan, jembatan, drainase)", "en": "Infrastructure (roads, bridges, drainage)"}
    assert unit in in_queue and category[language] in in_queue and "Kabupaten Buleleng" in in_queue
    assert "BLL-PUPR" not in in_queue and "infrastruktur," not in in_queue
    assert "wilayah 5108" not in in_queue and "region 5108" not in in_queue
    forwarded = renderer.render("report_forwarded", language, "email", {**NAMED, "queue": "agency"}, names=DEMO)
    assert "Simpul Provinsi Jawa Timur" in forwarded.subject and "Simpul Provinsi Jawa Timur" in forwarded.text
    assert "hub 35" not in forwarded.text and "simpul 35" not in forwarded.text
    escalated = renderer.render("case_escalated", language, "email", NAMED, names=DEMO).text
    assert unit in escalated and "BLL-PUPR" not in escalated


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_named_sms_still_fits_with_the_link(renderer, language):
    text = renderer.render("report_dispositioned", language, "sms", {**NAMED, "tracking_id": LONGEST_ID}, names=DEMO).text
    assert len(text) <= 160 and f"{BASE}{LONGEST_ID}" in text and "BLL-PUPR" not in text

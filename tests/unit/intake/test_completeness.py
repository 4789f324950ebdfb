from datetime import date

from intake import completeness, duplicates, registry
from tests.factories import make_report

CATEGORIES = {"infrastruktur", "kesehatan"}
REGIONS = [{"code": "5108", "name": "Kabupaten Buleleng", "keywords": ["buleleng", "singaraja"]},
           {"code": "6301", "name": "Kabupaten Tanah Laut", "keywords": ["tanah laut", "tala", "pelaihari"]},
           {"code": "6202", "name": "Kabupaten Kotawaringin Timur", "keywords": ["kotim", "sampit"]}]


def form(**overrides):
    data = make_report(**overrides)
    data["incident_date"] = date.fromisoformat(data["incident_date"]) if data.get("incident_date") else None
    data.setdefault("channel", "web")
    return data


def fields_of(items):
    return [(i["field"], i["code"]) for i in items]


def test_complete_web_report_misses_nothing():
    assert completeness.missing_items(form(), "web", CATEGORIES) == []


def test_each_missing_item_is_named_with_texts_in_both_languages():
    items = completeness.missing_items(
        form(description="Jalan rusak", location_text=None, incident_date=None, category_code="sihir",
             classification=None), "web", CATEGORIES)
    assert fields_of(items) == [("description", "too_short"), ("location_text", "required"),
                                ("incident_date", "required"), ("classification", "required"),
                                ("category_code", "unknown_category")]
    assert all(i["message"] and i["message_id"] and i["message"] != i["message_id"] for i in items)


def test_coordinates_stand_for_the_place_text():
    assert completeness.missing_items(form(location_text=None, latitude=-8.11, longitude=115.09),
                                      "web", CATEGORIES) == []


def test_without_a_registry_any_category_code_is_accepted():
    assert completeness.missing_items(form(category_code="sihir"), "web", set()) == []


def test_text_channels_need_only_a_useful_chronology():
    assert completeness.missing_items({"description": "Jalan rusak di depan SD 3 sejak Senin"}, "sms", CATEGORIES) == []
    assert fields_of(completeness.missing_items({"description": "rusak"}, "sms", CATEGORIES)) == \
        [("description", "too_short")]


def test_region_keyword_longest_first_and_tolerant():
    index = registry.keyword_index(REGIONS)
    assert registry.match_prefix("Buleleng Jalan rusak", index) == ("5108", "Jalan rusak")
    assert registry.match_prefix("  BULELENG   Jalan rusak", index) == ("5108", "Jalan rusak")
    assert registry.match_prefix("Tanah Laut sekolah rusak", index) == ("6301", "sekolah rusak")
    assert registry.match_prefix("Kab. Buleleng jalan", index) == ("5108", "jalan")
    assert registry.match_prefix("Bulelng jalan rusak", index) == ("5108", "jalan rusak")
    assert registry.match_prefix("Jalan rusak parah", index) == (None, "Jalan rusak parah")
    assert registry.find_anywhere("@LAPOR1708 banjir di Sampit lagi #lapor", index) == "6202"


def test_near_duplicates_by_text_similarity():
    text = "Jalan berlubang besar di depan SD Negeri 3 Singaraja sejak Senin membahayakan anak"
    earlier = [{"tracking_id": "ID-A", "description": "Lampu jalan mati di Jl. Pramuka sejak seminggu"},
               {"tracking_id": "ID-B", "description": text + " sekolah"}]
    assert duplicates.earlier_duplicate(text, earlier) == "ID-B"
    assert duplicates.earlier_duplicate("Pelayanan KTP lambat sekali di kantor kecamatan", earlier) is None

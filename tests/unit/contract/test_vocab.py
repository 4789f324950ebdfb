"""The text channels' "not yet categorised" category is named wherever categories are listed."""
from contract import vocab


def test_the_uncategorised_category_is_added_once_with_both_names():
    registry = [{"code": "infrastruktur", "name_id": "Infrastruktur", "name_en": "Infrastructure"}]
    listed = vocab.with_uncategorised(registry)
    assert [c["code"] for c in listed] == ["infrastruktur", "lainnya"]
    assert listed[-1]["name_id"].startswith("Lainnya") and listed[-1]["name_en"].startswith("Other")
    assert registry == [{"code": "infrastruktur", "name_id": "Infrastruktur", "name_en": "Infrastructure"}]
    own = [{"code": "lainnya", "name_id": "Lain-lain", "name_en": "Others"}]
    assert vocab.with_uncategorised(own) == own  # the registry's own name wins

"""Shared vocabularies (the values every service agrees on)."""
from contract import i18n

CLASSIFICATIONS = ("complaint", "aspiration", "information_request", "whistleblowing")
CHANNELS = ("web", "mobile", "sms", "social", "open311", "manual", "import")
OFFLINE_CHANNELS = ("letter", "phone", "complaint_box", "walk_in", "unit_app")
GESI_MARKERS = ("women", "children", "disability", "elderly", "marginalised")
LANGUAGES = ("id", "en")
# The category the text channels (SMS, social) give a report until the national admin picks one at
# triage; every listing of categories names it even where the registry does not list it.
UNCATEGORISED = {"code": "lainnya", "name_id": i18n.text("category.uncategorised", "id"),
                 "name_en": i18n.text("category.uncategorised", "en")}


def with_uncategorised(categories: list[dict]) -> list[dict]:
    """The registry's categories, with the text channels' "not yet categorised" one if it is missing."""
    if any(c["code"] == UNCATEGORISED["code"] for c in categories):
        return list(categories)
    return [*categories, dict(UNCATEGORISED)]


# Report lifecycle as the tracking page shows it.
STATUSES = ("incomplete", "received", "triage", "dispositioned", "in_follow_up",
            "answered", "closed", "archived", "forwarded")

"""Shared vocabularies (the values every service agrees on)."""

CLASSIFICATIONS = ("complaint", "aspiration", "information_request", "whistleblowing")
CHANNELS = ("web", "mobile", "sms", "social", "open311", "manual", "import")
OFFLINE_CHANNELS = ("letter", "phone", "complaint_box", "walk_in", "unit_app")
GESI_MARKERS = ("women", "children", "disability", "elderly", "marginalised")
LANGUAGES = ("id", "en")
# Report lifecycle as the tracking page shows it.
STATUSES = ("incomplete", "received", "triage", "dispositioned", "in_follow_up",
            "answered", "closed", "archived", "forwarded")

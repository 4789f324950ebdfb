from datetime import datetime, timezone

from notification import domain

NOW = datetime(2026, 11, 20, tzinfo=timezone.utc)
EVENT = {"event_id": "e1", "tracking_id": "ID-X", "origin_hub": "ID", "hub": "ID", "queue": "unit",
         "agency_code": "A", "unit_code": "U", "reporter_ref": "rpt_abc", "channel": "sms", "language": "en"}


def test_disposition_to_unit_tells_reporter_and_liaison():
    queued = domain.for_dispositioned(EVENT, NOW)
    assert {(n["recipient_kind"], n["recipient_ref"], n["channel"]) for n in queued} == {
        ("reporter", "rpt_abc", "sms"), ("liaison", "unit:U", "email")}
    reporter = next(n for n in queued if n["recipient_kind"] == "reporter")
    assert reporter["language"] == "en"


def test_triage_goes_to_the_national_admin():
    queued = domain.for_dispositioned({**EVENT, "queue": "national_triage", "agency_code": None, "unit_code": None}, NOW)
    assert ("national_admin", "hub:ID") in {(n["recipient_kind"], n["recipient_ref"]) for n in queued}


def test_notification_ids_are_deterministic_per_event_recipient_channel():
    first = {n["_id"] for n in domain.for_dispositioned(EVENT, NOW)}
    again = {n["_id"] for n in domain.for_dispositioned(EVENT, NOW)}
    other = {n["_id"] for n in domain.for_dispositioned({**EVENT, "event_id": "e2"}, NOW)}
    assert first == again and not first & other

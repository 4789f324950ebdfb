from datetime import datetime, timezone

import pytest
from marshmallow import ValidationError

from contract import events


def test_build_stamps_id_version_and_time():
    now = datetime.now(timezone.utc)
    entry = events.build(events.CASE_OPENED, hub="ID", tracking_id="ID-K7M4X-9XQ2B", origin_hub="ID", case_id="c1",
                         agency_code="A", stage="follow_up", sla_working_days=5, due_at=now, opened_at=now)
    payload = entry["payload"]
    assert entry["source"] == "followup"
    assert payload["schema_version"] == events.SCHEMA_VERSION
    assert len(payload["event_id"]) == 24
    assert events.load(events.CASE_OPENED, payload)["due_at"] == now


def test_build_refuses_a_payload_that_breaks_the_contract():
    with pytest.raises(ValidationError):
        events.build(events.CASE_OPENED, hub="ID", tracking_id="ID-K7M4X-9XQ2B", origin_hub="ID")


def test_consumers_ignore_fields_added_later():
    now = datetime.now(timezone.utc)
    payload = events.build(events.CASE_OPENED, hub="ID", tracking_id="ID-K7M4X-9XQ2B", origin_hub="ID", case_id="c1",
                           agency_code="A", stage="follow_up", sla_working_days=5, due_at=now,
                           opened_at=now)["payload"]
    assert "future_field" not in events.load(events.CASE_OPENED, {**payload, "future_field": 1})


def test_report_received_carries_no_identity_fields():
    fields = set(events.ReportReceived().fields)
    assert not fields & {"reporter", "name", "phone", "email", "handle"}
    assert {"origin_hub", "target_hub", "reporter_ref"} <= fields


def test_a_report_event_with_a_made_up_tracking_id_is_refused():
    """issue 13: a schema-valid event forged with an ID no hub issued is refused by every consumer."""
    from datetime import datetime, timezone

    import pytest
    from marshmallow import ValidationError

    from contract.ids import new_tracking_id
    good = events.build(events.CASE_OPENED, hub="ID", tracking_id=new_tracking_id("5108"), origin_hub="5108",
                        case_id="c1", agency_code="A", stage="follow_up", sla_working_days=5,
                        due_at=datetime(2026, 11, 20, 16, tzinfo=timezone.utc),
                        opened_at=datetime(2026, 11, 16, 3, tzinfo=timezone.utc))["payload"]
    assert events.load(events.CASE_OPENED, good)["tracking_id"] == good["tracking_id"]
    body = good["tracking_id"][5:]
    wrong_check = good["tracking_id"][:-1] + ("0" if good["tracking_id"][-1] != "0" else "1")
    for forged, field in (({**good, "tracking_id": "ID-1"}, "tracking_id"),
                          ({**good, "tracking_id": wrong_check}, "tracking_id"),
                          ({**good, "tracking_id": "ID-" + body}, "origin_hub")):  # valid ID of hub ID, says 5108
        with pytest.raises(ValidationError) as refused:
            events.load(events.CASE_OPENED, forged)
        assert field in refused.value.messages

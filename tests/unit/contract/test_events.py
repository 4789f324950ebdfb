from datetime import datetime, timezone

import pytest
from marshmallow import ValidationError

from contract import events


def test_build_stamps_id_version_and_time():
    now = datetime.now(timezone.utc)
    entry = events.build(events.CASE_OPENED, hub="ID", tracking_id="ID-1", origin_hub="ID", case_id="c1",
                         agency_code="A", stage="follow_up", sla_working_days=5, due_at=now, opened_at=now)
    payload = entry["payload"]
    assert entry["source"] == "followup"
    assert payload["schema_version"] == events.SCHEMA_VERSION
    assert len(payload["event_id"]) == 24
    assert events.load(events.CASE_OPENED, payload)["due_at"] == now


def test_build_refuses_a_payload_that_breaks_the_contract():
    with pytest.raises(ValidationError):
        events.build(events.CASE_OPENED, hub="ID", tracking_id="ID-1", origin_hub="ID")


def test_consumers_ignore_fields_added_later():
    now = datetime.now(timezone.utc)
    payload = events.build(events.CASE_OPENED, hub="ID", tracking_id="ID-1", origin_hub="ID", case_id="c1",
                           agency_code="A", stage="follow_up", sla_working_days=5, due_at=now,
                           opened_at=now)["payload"]
    assert "future_field" not in events.load(events.CASE_OPENED, {**payload, "future_field": 1})


def test_report_received_carries_no_identity_fields():
    fields = set(events.ReportReceived().fields)
    assert not fields & {"reporter", "name", "phone", "email", "handle"}
    assert {"origin_hub", "target_hub", "reporter_ref"} <= fields

"""Webhook signatures, replay protection, subscription matching and the body's contents."""
from datetime import datetime, timezone

from notification import webhooks

SECRET = "s3cret-for-tests-only-0123456789"
NOTIFICATION = {"_id": "ntf_1", "source_event": "case_overdue", "source_event_id": "ev1", "tracking_id": "ID-AAAAA-AAAAM",
                "hub": "ID", "occurred_at": datetime(2026, 11, 20, tzinfo=timezone.utc),
                "context": {"tracking_id": "ID-AAAAA-AAAAM", "agency_code": "PEMKAB-BULELENG", "indicator": "red",
                            "excerpt": "Teks pelapor", "reason": "alasan"}}


def test_signed_request_verifies_and_tampering_or_replay_fails():
    body = webhooks.body(NOTIFICATION)
    headers = webhooks.headers(SECRET, body, "case_overdue", "ntf_1", now=1_700_000_000)
    assert headers[webhooks.SIGNATURE_HEADER].startswith("sha256=")
    assert webhooks.verify(SECRET, headers, body, now=1_700_000_010)
    assert not webhooks.verify(SECRET, headers, body + b" ", now=1_700_000_010)
    assert not webhooks.verify("another-secret-0123456789", headers, body, now=1_700_000_010)
    assert not webhooks.verify(SECRET, headers, body, now=1_700_000_000 + webhooks.TOLERANCE_SECONDS + 1)
    forged = {**headers, webhooks.TIMESTAMP_HEADER: str(1_700_000_500)}  # fresh timestamp, old signature
    assert not webhooks.verify(SECRET, forged, body, now=1_700_000_500)


def test_body_holds_workflow_facts_only():
    import json
    document = json.loads(webhooks.body(NOTIFICATION))
    assert document["event"] == "case_overdue" and document["indicator"] == "red"
    assert "excerpt" not in document and "reason" not in document and "reporter_ref" not in document


def test_matching_by_event_and_agency():
    sub = {"events": ["case_overdue"], "agency_code": "PEMKAB-BULELENG", "active": True}
    assert webhooks.matches(sub, "case_overdue", {"agency_code": "PEMKAB-BULELENG"})
    assert not webhooks.matches(sub, "case_due_soon", {"agency_code": "PEMKAB-BULELENG"})
    assert not webhooks.matches(sub, "case_overdue", {"agency_code": "PEMKAB-LUWU"})
    assert webhooks.matches({"events": [], "active": True}, "case_opened", {})
    assert not webhooks.matches({**sub, "active": False}, "case_overdue", {"agency_code": "PEMKAB-BULELENG"})

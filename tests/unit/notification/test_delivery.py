"""Retries, backoff, dead letters, routes and redaction."""
from datetime import datetime, timedelta, timezone

import pytest

from notification import delivery
from notification.exceptions import PermanentError

NOW = datetime(2026, 11, 20, tzinfo=timezone.utc)
POLICY = delivery.RetryPolicy(max_attempts=4, base_seconds=30, max_seconds=100)


def test_backoff_doubles_and_is_capped():
    assert [POLICY.delay(n) for n in (1, 2, 3, 4)] == [30, 60, 100, 100]


def test_failed_attempts_retry_later_then_dead_letter_after_the_last():
    first = delivery.after_attempt(0, "HTTP 503", False, POLICY, NOW)
    assert (first.status, first.attempts, first.next_attempt_at) == ("queued", 1, NOW + timedelta(seconds=30))
    second = delivery.after_attempt(1, "HTTP 503", False, POLICY, NOW)
    assert second.next_attempt_at == NOW + timedelta(seconds=60)
    last = delivery.after_attempt(3, "HTTP 503", False, POLICY, NOW)
    assert (last.status, last.attempts, last.error, last.next_attempt_at) == ("dead", 4, "HTTP 503", None)


def test_permanent_failure_dead_letters_at_once_and_success_is_sent():
    assert delivery.after_attempt(0, "no template", True, POLICY, NOW).status == "dead"
    sent = delivery.after_attempt(2, None, False, POLICY, NOW)
    assert (sent.status, sent.attempts, sent.error) == ("sent", 3, None)


@pytest.mark.parametrize("contact, planned, expected", [
    ({"channel": "sms", "phone": "+62812", "email": "a@x.id"}, "email", ("sms", "+62812")),
    ({"channel": "email", "phone": "+62812", "email": "a@x.id"}, "sms", ("email", "a@x.id")),
    ({"channel": "email", "phone": "+62812", "email": None}, "email", ("sms", "+62812")),
    ({"channel": "social", "handle": "@putu", "reporter_ref": "rpt_1"}, "social", ("social", "@putu")),
    ({"channel": "social", "reporter_ref": "rpt_1"}, "social", ("social", "rpt_1")),
])
def test_reporter_route_prefers_the_reporters_channel(contact, planned, expected):
    assert delivery.reporter_route(contact, planned) == expected


def test_a_reporter_without_any_contact_is_a_permanent_failure():
    with pytest.raises(PermanentError):
        delivery.reporter_route({"channel": "email", "reporter_ref": "rpt_1"}, "email")


def test_redaction_removes_every_spelling_of_the_contact():
    contact = {"name": "Made Wirawan", "email": "made@example.com", "phone": "+62 812-3456-7890"}
    error = "550 <made@example.com> refused; 6281234567890 / 081234567890 / Made Wirawan / +62 812-3456-7890"
    redacted = delivery.redact(error, delivery.contact_values(contact))
    for value in ("made@example.com", "6281234567890", "081234567890", "Made Wirawan", "+62 812-3456-7890"):
        assert value not in redacted
    assert redacted.startswith("550 <[redacted]> refused")
    assert len(delivery.redact("x" * 2000, [])) == delivery.ERROR_LIMIT


def test_short_texts_over_the_limit_are_refused_not_cut():
    assert delivery.fit("a  b\n c", 160, "SMS") == "a b c"
    with pytest.raises(PermanentError, match="161 characters"):
        delivery.fit("x" * 161, 160, "SMS")

from datetime import date, datetime, timedelta, timezone

import pytest
from marshmallow import ValidationError

from intake import domain, schemas
from tests.factories import make_report

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=timezone.utc)


def load(**overrides):
    return schemas.ReportIn().load(make_report(**overrides))


def test_new_report_is_received_with_history_and_pseudonym():
    report = domain.new_report(load(), hub="5108", now=NOW, secret="ABCD-EFGH-JKMN", missing=[])
    assert report["tracking_id"].startswith("5108-")
    assert report["status"] == "received"
    assert report["history"][0]["step"] == "received"
    assert report["reporter_ref"].startswith("rpt_")
    assert report["reporter"]["email"] == "made@example.com"


def test_region_code_with_dot_is_normalised():
    assert load(region_code="51.08")["region_code"] == "5108"


@pytest.mark.parametrize("field,value", [
    ("classification", "rant"), ("region_code", "Bali"), ("category_code", "Not A Code!"),
    ("incident_date", (date.today() + timedelta(days=5)).isoformat()), ("description", "x" * 10001),
])
def test_bad_fields_are_refused(field, value):
    with pytest.raises(ValidationError) as exc:
        load(**{field: value})
    assert field in exc.value.messages


def test_received_event_has_no_identity():
    report = domain.new_report(load(), hub="ID", now=NOW, secret="ABCD-EFGH-JKMN", missing=[])
    payload = domain.received_event(report)["payload"]
    text = repr(payload)
    assert "made@example.com" not in text and "Made Wirawan" not in text and "+62812" not in text
    assert payload["reporter_ref"] == report["reporter_ref"]


def test_tracking_view_hides_identity_and_confidential_text():
    report = domain.new_report(load(is_confidential=True, is_anonymous=True), hub="ID", now=NOW,
                               secret="ABCD-EFGH-JKMN", missing=[])
    view = domain.tracking_view(report)
    assert view["title"] is None
    assert "reporter" not in view and "description" not in view
    assert "Made" not in repr(view)


def test_secret_is_stored_only_as_hash_and_forgives_typing_slips():
    secret = domain.new_secret()
    assert len(secret) == 14 and secret.count("-") == 2
    report = domain.new_report(load(), hub="ID", now=NOW, secret=secret, missing=[])
    assert secret not in repr(report)
    assert domain.secret_matches(report["secret_hash"], secret)
    assert domain.secret_matches(report["secret_hash"], secret.lower().replace("-", " "))
    assert not domain.secret_matches(report["secret_hash"], domain.new_secret())
    assert not domain.secret_matches(None, secret)
    assert not domain.secret_matches(report["secret_hash"], 12345)


def test_completion_adds_and_never_erases():
    draft = domain.new_report(load(location_text="Jl. Pramuka"), hub="ID", now=NOW, secret="ABCD-EFGH-JKMN",
                              missing=[{"field": "incident_date"}])
    step = domain.completion(draft, {"location_text": None, "title": ""}, [], NOW)
    assert "location_text" not in step["set"] and "title" not in step["set"]
    assert step["set"]["status"] == "received" and step["entry"]["step"] == "completed"

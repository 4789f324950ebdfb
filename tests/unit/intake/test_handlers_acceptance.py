"""Accepting and completing reports (intake.handlers.acceptance) on the fake unit of work."""
from datetime import date, datetime, timedelta, timezone

import pytest

from intake import domain, duplicates, handlers, schemas
from intake.dependencies import Settings
from intake.exceptions import RateLimited
from tests.factories import make_report
from tests.fakes.intake import intake_units

REGISTRY = {"categories": [{"code": "infrastruktur", "name_id": "Infrastruktur", "name_en": "Infrastructure"}],
            "regions": [{"code": "5108", "name": "Kabupaten Buleleng", "level": "district"}]}


def units(**settings):
    return intake_units(Settings(**settings), registry=REGISTRY)


def form(**overrides) -> dict:
    return schemas.load_report(make_report(**overrides))


def reports_of(fake) -> dict:
    return fake.state["FakeReports"]["reports"]


def test_a_complete_submission_is_stored_with_its_received_event_and_a_secret():
    fake = units(hub_code="5108")
    submission = fake.run(handlers.accept_report, {"form": form()})
    report = reports_of(fake)[submission["report"]["tracking_id"]]
    assert submission["status"] == 201 and report["status"] == "received" and report["_id"].startswith("5108-")
    assert domain.secret_matches(report["secret_hash"], submission["receipt"]["secret"])
    assert fake.published == ["report_received"]


def test_an_incomplete_submission_is_a_draft_and_its_event_is_not_routed():
    fake = units()
    submission = fake.run(handlers.accept_report, {"form": schemas.load_report(
        {"title": "Jalan rusak", "description": "Jalan rusak parah"})})
    assert submission["status"] == 202 and submission["receipt"]["missing"]
    assert fake.published == ["report_draft_saved"]


def test_nothing_to_keep_stores_nothing():
    fake = units()
    with pytest.raises(Exception) as raised:
        fake.run(handlers.accept_report, {"form": {**form(), "title": " ", "description": ""}})
    assert raised.value.errors[0]["field"] == "description"
    assert not fake.state.get("FakeReports", {}).get("reports") and fake.outbox == []


def test_a_resent_idempotency_key_replays_the_first_receipt_without_its_secret():
    fake = units()
    command = {"form": form(), "idempotency_key": "k-1"}
    first = fake.run(handlers.accept_report, command)
    again = fake.run(handlers.accept_report, command)
    assert again["status"] == 200 and again["report"]["_id"] == first["report"]["_id"]
    assert "secret" not in again["receipt"] and len(reports_of(fake)) == 1 and fake.published == ["report_received"]
    other = fake.run(handlers.accept_report, {"form": form(title="Lain sama sekali"), "idempotency_key": "k-1"})
    assert other["status"] == 201  # the same key with another body: a report of its own


def test_a_sender_over_the_limit_gets_429_and_nothing_is_stored():
    fake = units(rate_limit_max=1)
    fake.run(handlers.accept_report, {"form": form(), "sender": "203.0.113.9"})
    with pytest.raises(RateLimited) as raised:
        fake.run(handlers.accept_report, {"form": form(), "sender": "203.0.113.9"})
    assert raised.value.headers == {"Retry-After": "3600"} and len(reports_of(fake)) == 1
    fake.run(handlers.accept_report, {"form": form(), "sender": "198.51.100.1"})  # another sender is not limited


def test_an_exempt_sender_is_never_limited_but_a_gateway_and_its_channel_are():
    fake = units(rate_limit_max=1, rate_limit_exempt=frozenset({"127.0.0.1"}), gateway_rate_limit_max=2)
    for _ in range(3):
        fake.run(handlers.accept_report, {"form": form(), "sender": "127.0.0.1"})
    sms = {**form(), "channel": "sms"}
    fake.run(handlers.accept_report, {"form": sms, "sender": "+62811", "gateway": "gw"})
    fake.run(handlers.accept_report, {"form": sms, "sender": "+62812", "gateway": "gw"})
    with pytest.raises(RateLimited) as raised:
        fake.run(handlers.accept_report, {"form": sms, "sender": "+62813", "gateway": "gw"})
    assert "gateway" in raised.value.errors[0]["message"]


def test_a_similar_recent_report_is_linked_as_a_possible_duplicate():
    fake = units()
    first = fake.run(handlers.accept_report, {"form": form(title="Jalan rusak parah")})
    second = fake.run(handlers.accept_report, {"form": form(title="Jalan rusak parah sekali")})
    assert second["report"]["possible_duplicate_of"] == first["report"]["tracking_id"]
    assert fake.payloads("report_received")[1]["possible_duplicate_of"] == first["report"]["tracking_id"]


def test_near_duplicate_candidates_are_one_bounded_document_per_category_and_region():
    """The check reads one document whatever the number of similar reports stored (issue 23): only the
    newest RECENT_KEPT complete reports are kept, and a report of another region is not a candidate."""
    registry = {**REGISTRY, "regions": REGISTRY["regions"] + [{"code": "5171", "name": "Kota Denpasar",
                                                               "level": "district"}]}
    fake = intake_units(Settings(), registry=registry)
    ids = [fake.run(handlers.accept_report, {"form": form(title=f"Jalan rusak nomor {i}")})["report"]["tracking_id"]
           for i in range(duplicates.RECENT_KEPT + 5)]
    kept = fake.state["FakeReports"][duplicates.RECENT]
    assert list(kept) == ["infrastruktur:5108"]
    (doc,) = kept.values()
    assert [e["tracking_id"] for e in doc["entries"]] == ids[-duplicates.RECENT_KEPT:]
    elsewhere = fake.run(handlers.accept_report, {"form": form(title="Jalan rusak nomor 3", region_code="5171")})
    assert elsewhere["status"] == 201 and elsewhere["report"]["possible_duplicate_of"] is None
    assert sorted(kept) == ["infrastruktur:5108", "infrastruktur:5171"]


def test_a_completed_draft_becomes_a_near_duplicate_candidate():
    fake = units()
    draft = fake.run(handlers.accept_report, {"form": schemas.load_report(
        {"title": "Lampu jalan mati total", "description": "Lampu jalan mati total"})})["receipt"]
    changes = {k: v for k, v in form(title="Lampu jalan mati total").items() if k not in ("reporter", "channel")}
    fake.run(handlers.complete_report, {"tracking_id": draft["tracking_id"], "secret": draft["secret"],
                                        "changes": changes})
    later = fake.run(handlers.accept_report, {"form": form(title="Lampu jalan mati total")})
    assert later["report"]["possible_duplicate_of"] == draft["tracking_id"]


def test_candidates_outside_the_window_are_ignored():
    since = datetime(2026, 12, 6, tzinfo=timezone.utc)
    recent = {"entries": [{"tracking_id": "old", "description": "x", "received_at": since - timedelta(seconds=1)},
                          {"tracking_id": "new", "description": "x", "received_at": since.replace(tzinfo=None)}]}
    assert [c["tracking_id"] for c in duplicates.candidates(recent, since)] == ["new"]
    assert duplicates.candidates(None, since) == []


def test_a_draft_is_completed_with_its_secret_and_then_routed():
    fake = units()
    draft = fake.run(handlers.accept_report, {"form": schemas.load_report(
        {"title": "Jalan rusak", "description": "Jalan rusak parah"})})["receipt"]
    changes = {k: v for k, v in form().items() if k not in ("reporter", "channel")}
    with pytest.raises(Exception) as raised:
        fake.run(handlers.complete_report, {"tracking_id": draft["tracking_id"], "secret": "WRONG", "changes": changes})
    assert raised.value.status == 403
    done = fake.run(handlers.complete_report, {"tracking_id": draft["tracking_id"], "secret": draft["secret"],
                                               "changes": changes})
    assert done["status"] == 200 and done["receipt"]["missing"] == []
    assert fake.published == ["report_draft_saved", "report_received"]
    with pytest.raises(Exception) as raised:  # complete now: nothing to complete
        fake.run(handlers.complete_report, {"tracking_id": draft["tracking_id"], "secret": draft["secret"],
                                            "changes": changes})
    assert raised.value.status == 409


def test_a_one_time_completion_code_is_exchanged_for_a_secret_once():
    fake = units()
    draft = fake.run(handlers.accept_report, {"form": schemas.load_report(
        {"title": "Jalan rusak", "description": "Jalan rusak parah"})})["receipt"]
    code = domain.new_secret()
    fake.run(lambda uow: uow.reports.set_completion_code(draft["tracking_id"], domain.secret_hash(code),
                                                          uow.now().replace(year=uow.now().year + 1)))
    done = fake.run(handlers.complete_report, {"tracking_id": draft["tracking_id"], "completion_code": code,
                                               "changes": {"description": "Jalan rusak parah sejak Senin lalu"}})
    assert done["receipt"]["secret"] and done["status"] == 202
    with pytest.raises(Exception) as raised:
        fake.run(handlers.complete_report, {"tracking_id": draft["tracking_id"], "completion_code": code,
                                            "changes": {}})
    assert raised.value.status == 403


def test_reporter_draft_checks_the_id_the_secret_and_that_it_is_a_draft():
    fake = units()
    draft = fake.run(handlers.accept_report, {"form": schemas.load_report(
        {"title": "Jalan rusak", "description": "Jalan rusak parah"})})["receipt"]
    found = fake.read(handlers.reporter_draft, {"tracking_id": draft["tracking_id"], "secret": draft["secret"]})
    assert found["_id"] == draft["tracking_id"]
    with pytest.raises(Exception) as raised:
        fake.read(handlers.reporter_draft, {"tracking_id": "not-an-id", "secret": draft["secret"]})
    assert raised.value.status == 400


def test_an_imported_row_is_stored_once():
    fake = units()
    row = {**schemas.load_report(make_report()), "original_channel": "letter", "received_on": date(2026, 11, 2)}
    command = {"form": row, "hub": "ID", "key": "row-digest"}
    assert fake.run(handlers.import_report, command) is True
    assert fake.run(handlers.import_report, command) is False
    report, = reports_of(fake).values()
    assert report["channel"] == "import" and report["source"]["imported"] and fake.published == ["report_received"]

"""Tracking (intake.handlers.tracking) on the fake unit of work: history steps, the registry copy,
and the queries behind the API, followup's pages and notification's contacts."""
from datetime import datetime, timedelta, timezone

import pytest

from contract import events
from contract.consumer import RejectEvent
from contract.errors import ApiError
from intake import handlers, schemas
from intake.dependencies import Settings
from tests.factories import make_report
from tests.fakes.intake import intake_units
from tests.fakes.names import DEMO_NAMES
from tests.unit.intake.event_factories import LEAK, event_payload

REGISTRY = {"categories": [{"code": "infrastruktur", "name_id": "Infrastruktur", "name_en": "Infrastructure"}],
            "regions": [{"code": "5108", "name": "Kabupaten Buleleng", "level": "district"}],
            "hubs": [{"code": "ID", "tier": "national", "parent": None},
                     {"code": "51", "tier": "province", "parent": "ID", "public_url": "https://bali.lapor.example/"}]}


def filed(fake, **overrides) -> dict:
    return fake.run(handlers.accept_report, {"form": schemas.load_report(make_report(**overrides))})


def units(**settings):
    return intake_units(Settings(**settings), registry=REGISTRY)


def apply(fake, event_type: str, tracking_id: str, **overrides) -> None:
    event = events.load(event_type, event_payload(event_type, tracking_id, **overrides))
    fake.run(handlers.record_step if event_type != events.REGISTRY_UPDATED else handlers.registry_updated,
             event_type, event)


def test_a_tracked_event_adds_a_step_without_free_text_and_moves_the_status():
    fake = units()
    tracking_id = filed(fake)["report"]["_id"]
    apply(fake, events.REPORT_DISPOSITIONED, tracking_id)
    view = fake.read(handlers.report_view, tracking_id)
    assert view["status"] == "dispositioned" and [h["step"] for h in view["history"]][-1] == "dispositioned"
    assert LEAK not in str(view)


def test_an_event_for_a_report_not_held_here_is_rejected():
    fake = units()
    with pytest.raises(RejectEvent):
        apply(fake, events.CASE_OPENED, "ID-K7M4X-9XQ2B")


def test_a_registry_update_replaces_the_copy_unless_an_older_one_arrives_late():
    fake = units()
    now = datetime.now(timezone.utc)
    update = {"event_id": "e1", "version": "v2", "updated_at": now, "hubs": [],
              "regions": [{"code": "5171", "name": "Kota Denpasar", "level": "district"}],
              "categories": [{"code": "banjir", "name_id": "Banjir", "name_en": "Flood"}]}
    fake.run(handlers.registry_updated, events.REGISTRY_UPDATED, update)
    assert fake.read(handlers.form_registry)["categories"] == {"banjir"}
    older = {**update, "version": "v1", "updated_at": now - timedelta(seconds=1), "categories": []}
    fake.run(handlers.registry_updated, events.REGISTRY_UPDATED, older)
    assert fake.read(handlers.form_registry)["categories"] == {"banjir"}


def test_load_registry_replaces_the_copy_and_counts():
    fake = units()
    counts = fake.run(handlers.load_registry, {"regions": [], "categories": [{"code": "a", "name_id": "A"}]})
    assert counts == {"regions": 0, "categories": 1} and fake.read(handlers.form_registry)["categories"] == {"a"}


def test_track_report_shows_the_view_points_elsewhere_or_says_404():
    fake = units()
    tracking_id = filed(fake)["report"]["_id"]
    found = fake.read(handlers.track_report, {"tracking_id": tracking_id.lower(), "language": "en"})
    assert found["view"]["tracking_id"] == tracking_id and "reporter" not in found["view"]
    from contract.ids import new_tracking_id
    other = new_tracking_id("51")
    assert fake.read(handlers.track_report, {"tracking_id": other}) == {
        "tracking_id": other, "elsewhere": f"https://bali.lapor.example/reports/{other}"}
    assert fake.read(handlers.tracking_page_elsewhere, other) == f"https://bali.lapor.example/lacak/{other}"
    with pytest.raises(ApiError) as raised:
        fake.read(handlers.track_report, {"tracking_id": new_tracking_id("ID")})
    assert raised.value.status == 404
    with pytest.raises(ApiError) as raised:
        fake.read(handlers.track_report, {"tracking_id": "nonsense"})
    assert raised.value.status == 400


def test_verify_reporter_is_true_for_the_secret_only():
    fake = units()
    receipt = filed(fake)["receipt"]
    assert fake.read(handlers.verify_reporter, {"tracking_id": receipt["tracking_id"], "secret": receipt["secret"]})
    assert not fake.read(handlers.verify_reporter, {"tracking_id": receipt["tracking_id"], "secret": "WRONG"})
    assert not fake.read(handlers.verify_reporter, {"tracking_id": None, "secret": receipt["secret"]})


def test_reporter_contacts_are_read_by_reference_and_unknown_ones_left_out():
    fake = units()
    report = filed(fake)["report"]
    contact = fake.read(handlers.reporter_contact, report["reporter_ref"])
    assert contact["email"] == "made@example.com" and contact["channel"] == "email"
    assert fake.read(handlers.reporter_contact, "rpt_unknown") is None
    assert [c["reporter_ref"] for c in fake.read(handlers.reporter_contacts, [report["reporter_ref"], "rpt_x"])] == [
        report["reporter_ref"]]


def test_page_view_shows_texts_to_the_reporter_or_when_public_and_names_from_the_registry():
    fake = units()
    receipt = filed(fake, is_confidential=True)["receipt"]
    hidden = fake.read(handlers.page_view, {"tracking_id": receipt["tracking_id"], "lang": "en"})
    assert hidden["is_public"] is False and "description" not in hidden and hidden["reporter_name"] is None
    shown = fake.read(handlers.page_view, {"tracking_id": receipt["tracking_id"], "secret": receipt["secret"]})
    assert shown["reporter_verified"] and shown["description"] and shown["category_name"] == "Infrastruktur"
    assert fake.read(handlers.page_view, {"tracking_id": 42}) is None


def test_report_count_counts_the_reports():
    fake = units()
    filed(fake)
    filed(fake)
    assert fake.read(handlers.report_count) == 2


def test_open311_names_the_agency_from_the_names_registry_updated_carries():
    """Issue 21: intake keeps the names of ``registry_updated`` and Open311 shows the dispositioned
    report's agency by name, its status as a sentence; the codes stay in service_code."""
    fake = units()
    tracking_id = filed(fake)["report"]["_id"]
    apply(fake, events.REPORT_DISPOSITIONED, tracking_id)
    update = {"event_id": "e1", "version": "v2", "updated_at": datetime.now(timezone.utc), "hubs": [],
              "regions": REGISTRY["regions"], "categories": REGISTRY["categories"], "names": DEMO_NAMES}
    fake.run(handlers.registry_updated, events.REGISTRY_UPDATED, update)
    one, = fake.read(handlers.open311_request, {"request_id": tracking_id, "language": "en"})
    assert one["agency_responsible"] == "Pemerintah Kabupaten Buleleng"
    assert one["status_notes"] == "The report has been forwarded to the responsible agency for follow-up."
    assert "PEMKAB-BULELENG" not in str(one) and "dispositioned" not in str(one)

"""Personal data's lifetime (intake.handlers.privacy) on the fake unit of work: erasure after the
retention, erasure on the reporter's request, the data-subject export, and their audit."""
import json
from datetime import datetime, timedelta, timezone

import pytest
from prometheus_client import REGISTRY

from contract import events
from contract.errors import ApiError
from intake import channel_schemas, domain, handlers, open311_schemas, schemas
from intake.dependencies import Settings
from intake.handlers import privacy as privacy_handlers
from tests.factories import make_report
from tests.fakes.intake import intake_units
from tests.unit.intake.event_factories import event_payload

NAME, EMAIL, PHONE = "Kadek Kanari Pribadi", "kanari.pribadi@example.net", "+6281399990077"
CANARIES = (NAME, EMAIL, PHONE)
REGISTRY_COPY = {"categories": [{"code": "infrastruktur", "name_id": "Infrastruktur", "name_en": "Infrastructure"}],
                 "regions": [{"code": "5108", "name": "Kabupaten Buleleng", "level": "district"}]}
T0 = datetime(2026, 1, 5, 2, 0, tzinfo=timezone.utc)
NATIONAL = {"official_id": "nas-admin-1", "role": "national_admin", "agency_code": None, "unit_code": None}
AGENCY = {"official_id": "adm-buleleng", "role": "agency_admin", "agency_code": "PEMKAB-BULELENG", "unit_code": None}
OTHER_AGENCY = {"official_id": "adm-luwu", "role": "agency_admin", "agency_code": "PEMKAB-LUWU", "unit_code": None}
LIAISON = {"official_id": "lo-bll-pupr", "role": "liaison", "agency_code": "PEMKAB-BULELENG", "unit_code": "BLL-PUPR"}


class Clock:
    def __init__(self):
        self.now = T0

    def __call__(self):
        return self.now


def units(days=30):
    clock = Clock()
    return intake_units(Settings(personal_data_retention_days=days), registry=REGISTRY_COPY, clock=clock), clock


def filed(fake) -> tuple[str, str]:
    form = schemas.load_report(make_report(reporter={"name": NAME, "email": EMAIL, "phone": PHONE}))
    receipt = fake.run(handlers.accept_report, {"form": form, "sender": "203.0.113.9"})["receipt"]
    return receipt["tracking_id"], receipt["secret"]


def step(fake, event_type, tracking_id, at):
    fake.run(handlers.record_step, event_type, events.load(event_type, event_payload(event_type, tracking_id, at=at)))


def closed(fake, at=T0) -> tuple[str, str]:
    tracking_id, secret = filed(fake)
    step(fake, events.REPORT_DISPOSITIONED, tracking_id, at)
    step(fake, events.CASE_OPENED, tracking_id, at)
    step(fake, events.CASE_CLOSED, tracking_id, at)
    return tracking_id, secret


def stored(fake, tracking_id) -> dict:
    return fake.state["FakeReports"]["reports"][tracking_id]


def audit(fake) -> list[dict]:
    return list(fake.state.get("FakePrivacy", {}).get("privacy_audit", {}).values())


def erasures(reason) -> float:
    return REGISTRY.get_sample_value("lapor_personal_data_erasures_total", {"reason": reason}) or 0.0


def test_a_report_closed_longer_than_the_retention_loses_its_reporter_and_keeps_the_rest():
    fake, clock = units(days=30)
    tracking_id, _ = closed(fake)
    before = {k: v for k, v in stored(fake, tracking_id).items() if k not in ("reporter", "source")}
    counted = erasures("retention")

    clock.now = T0 + timedelta(days=30, seconds=1)
    assert fake.run(handlers.erase_expired) == 1

    report = stored(fake, tracking_id)
    assert not any(c in json.dumps(report, default=str) for c in CANARIES)
    assert report["reporter"] == {} and report["personal_data_erasure_reason"] == "retention"
    kept = {k: v for k, v in report.items() if not k.startswith("personal_data_") and k not in ("reporter", "source")}
    assert kept == before  # the report, its status and its history stay as they were
    assert fake.read(handlers.reporter_contact, report["reporter_ref"])["erased"] is True
    (entry,) = audit(fake)
    assert entry["tracking_id"] == tracking_id and (entry["reason"], entry["actor"]) == ("retention", "system")
    assert entry["fields"] == ["reporter.email", "reporter.name", "reporter.phone"]
    assert not any(c in json.dumps(entry, default=str) for c in CANARIES)  # names of fields, never values
    assert erasures("retention") == counted + 1
    assert fake.run(handlers.erase_expired) == 0  # a second pass erases nothing twice
    assert len(audit(fake)) == 1


def test_reports_within_the_retention_open_or_reopened_keep_their_reporter():
    fake, clock = units(days=30)
    recent, _ = closed(fake, at=T0 + timedelta(days=2))
    still_open, _ = filed(fake)
    step(fake, events.REPORT_DISPOSITIONED, still_open, T0)
    reopened, _ = closed(fake)
    step(fake, events.CASE_REOPENED, reopened, T0 + timedelta(hours=1))

    clock.now = T0 + timedelta(days=31)
    assert fake.run(handlers.erase_expired) == 0
    for tracking_id in (recent, still_open, reopened):
        assert stored(fake, tracking_id)["reporter"]["email"] == EMAIL
    clock.now = T0 + timedelta(days=32, seconds=1)
    assert fake.run(handlers.erase_expired) == 1 and stored(fake, recent)["reporter"] == {}


def test_the_sweep_erases_in_batches_oldest_first():
    fake, clock = units(days=1)
    first, _ = closed(fake)
    second, _ = closed(fake, at=T0 + timedelta(hours=1))
    assert not fake.read(privacy_handlers.anything_past_retention)
    clock.now = T0 + timedelta(days=3)
    assert fake.read(privacy_handlers.anything_past_retention)  # the sweep's read-only look first
    assert fake.run(privacy_handlers.erase_expired, 1) == 1
    assert stored(fake, first)["reporter"] == {} and stored(fake, second)["reporter"]["email"] == EMAIL
    assert fake.run(privacy_handlers.erase_expired, 1) == 1 and stored(fake, second)["reporter"] == {}
    assert not fake.read(privacy_handlers.anything_past_retention)


def test_a_reporter_erases_their_contact_with_the_secret_at_any_time():
    fake, _ = units()
    tracking_id, secret = filed(fake)
    counted = erasures("request")
    answer = fake.run(handlers.erase_on_request, {"tracking_id": tracking_id.lower(), "secret": secret})
    assert answer == {"tracking_id": tracking_id, "erased_at": T0, "reason": "request", "already": False,
                      "hubs": [], "hubs_not_reached": []}  # filed and handled here: no other hub holds it
    report = stored(fake, tracking_id)
    assert report["reporter"] == {} and "sender_hash" not in (report.get("source") or {})
    assert report["title"] and report["status"] == "received"
    contact = fake.read(handlers.reporter_contact, report["reporter_ref"])
    assert contact["erased"] is True and not any(contact[k] for k in ("name", "email", "phone"))
    (entry,) = audit(fake)
    assert (entry["reason"], entry["actor"], entry["tracking_id"]) == ("request", "reporter", tracking_id)
    assert erasures("request") == counted + 1
    again = fake.run(handlers.erase_on_request, {"tracking_id": tracking_id, "secret": secret})
    assert again["already"] is True and len(audit(fake)) == 1


@pytest.mark.parametrize("command, status, field", [
    ({"secret": "WRON-GSEC-RET1"}, 403, "secret"),
    ({"secret": None}, 403, "secret"),
    ({"tracking_id": "not-an-id"}, 400, "tracking_id"),
    ({"tracking_id": "ID-K7M4X-9XQ2B"}, 404, "tracking_id"),
])
def test_an_erasure_request_without_the_right_secret_or_report_changes_nothing(command, status, field):
    fake, _ = units()
    tracking_id, secret = filed(fake)
    with pytest.raises(ApiError) as refused:
        fake.run(handlers.erase_on_request, {"tracking_id": tracking_id, "secret": secret, **command})
    assert refused.value.status == status and refused.value.errors[0]["field"] == field
    assert stored(fake, tracking_id)["reporter"]["email"] == EMAIL and audit(fake) == []


def test_an_admin_exports_everything_held_about_a_report_and_the_export_is_audited():
    fake, _ = units()
    tracking_id, secret = closed(fake)
    notes = [{"notification_id": "ntf_1", "template": "case_closed", "status": "sent"}]
    export = fake.run(handlers.export_personal_data, {"tracking_id": tracking_id, "principal": AGENCY,
                                                      "notifications": notes})
    # officials never see the identity: without the reporter's secret, which fields are held, not their values
    assert not any(c in json.dumps(export, default=str) for c in CANARIES)
    assert export["contacts"]["held"] == ["reporter.email", "reporter.name", "reporter.phone"]
    assert export["contacts"]["disclosed"] is False and export["contacts"]["reporter_ref"]
    assert export["report"]["title"] and export["notifications"] == notes and export["evidence"] == []
    assert [h["step"] for h in export["history"]][:2] == ["received", "dispositioned"]
    assert "secret_hash" not in export["report"]
    (entry,) = audit(fake)
    assert (entry["action"], entry["actor"], entry["actor_role"]) == ("exported", "adm-buleleng", "agency_admin")
    assert entry["contacts_disclosed"] is False and export["privacy_audit"][-1]["_id"] == entry["_id"]
    # the data subject's request, their secret handed over with it: the values too
    national = fake.run(handlers.export_personal_data, {"tracking_id": tracking_id, "principal": NATIONAL,
                                                        "secret": secret})
    assert (national["contacts"]["phone"], national["contacts"]["email"], national["contacts"]["name"]) == (
        PHONE, EMAIL, NAME)
    assert len(audit(fake)) == 2 and national["privacy_audit"][-1]["contacts_disclosed"] is True
    with pytest.raises(ApiError) as wrong:
        fake.run(handlers.export_personal_data, {"tracking_id": tracking_id, "principal": NATIONAL,
                                                 "secret": "WRON-GSEC-RET1"})
    assert (wrong.value.status, wrong.value.errors[0]["field"]) == (403, "X-Reporter-Secret") and len(audit(fake)) == 2


@pytest.mark.parametrize("principal", [LIAISON, OTHER_AGENCY, {**LIAISON, "role": "supervisor"}])
def test_the_roles_below_an_agency_admin_and_other_agencies_are_refused_the_export(principal):
    fake, _ = units()
    tracking_id, _ = closed(fake)
    with pytest.raises(ApiError) as refused:
        fake.run(handlers.export_personal_data, {"tracking_id": tracking_id, "principal": principal})
    assert refused.value.status == 403 and audit(fake) == []


@pytest.mark.parametrize("value", ["0", "-3", "ten", "1.5", "", "40000"])
def test_a_retention_that_is_not_whole_days_stops_the_service_at_start(value):
    with pytest.raises(ValueError, match="PERSONAL_DATA_RETENTION_DAYS"):
        Settings.from_config({"PERSONAL_DATA_RETENTION_DAYS": value})
    assert Settings.from_config({"PERSONAL_DATA_RETENTION_DAYS": "90"}).personal_data_retention_days == 90


def test_what_an_sms_or_a_social_channel_kept_of_the_person_is_erased_too():
    fake, _ = units()
    fake.run(lambda uow: uow.registry.replace(
        [{"code": "5108", "name": "Kabupaten Buleleng", "level": "district", "keywords": ["buleleng"]}],
        REGISTRY_COPY["categories"]))
    sms = channel_schemas.SmsIn().load({"message_id": "m-kanari", "from": PHONE, "text": "BULELENG jalan rusak"})
    by_sms = fake.run(handlers.accept_sms, {"message": sms, "gateway": "gw"})["reply"]
    post = channel_schemas.SocialIn().load({"post_id": "p-kanari", "author_handle": "kanari_pribadi",
                                            "text": "@LAPOR1708 jalan rusak"})
    by_post = fake.run(handlers.accept_social, {"post": post, "gateway": "gw"})
    social_id = by_post["reply"]["tracking_id"]
    assert stored(fake, social_id)["reporter"] == {"handle": "@kanari_pribadi"}
    fake.run(handlers.erase_on_request, {"tracking_id": by_sms["tracking_id"], "secret": by_sms["secret"]})
    stored(fake, social_id)["secret_hash"] = domain.secret_hash("KANA-RISE-CRET")  # as after its completion
    fake.run(handlers.erase_on_request, {"tracking_id": social_id, "secret": "KANA-RISE-CRET"})
    for tracking_id in (by_sms["tracking_id"], social_id):
        report = stored(fake, tracking_id)
        assert report["reporter"] == {} and report["source"] == {"gateway": "gw"}
        assert not any(c in json.dumps(report, default=str) for c in ("m-kanari", "p-kanari", "kanari_pribadi",
                                                                      PHONE, PHONE.lstrip("+")))
    fields = sorted(f for e in audit(fake) for f in e["fields"])
    assert fields == ["reporter.handle", "reporter.phone", "source.message_id", "source.post_id", "source.sender_hash"]


def test_an_open311_clients_device_and_account_ids_are_erased_and_the_place_kept():
    fake, _ = units()
    body = {"service_code": "infrastruktur", "jurisdiction_id": "51.08", "api_key": "k", "address_id": "JL-PRAMUKA-3",
            "description": "Jalan berlubang besar di depan SD Negeri 3 Singaraja sejak Senin, membahayakan anak sekolah",
            "attribute[classification]": "complaint", "email": EMAIL, "first_name": "Kadek", "last_name": "Kanari",
            "device_id": "device-kanari-42", "account_id": "akun-kanari-42"}
    created = fake.run(handlers.accept_open311, open311_schemas.Open311RequestIn().load(body))
    tracking_id = created["answer"][0]["service_request_id"]
    report = stored(fake, tracking_id)
    secret = "KANA-RIOP-EN31"
    report["secret_hash"] = domain.secret_hash(secret)  # the notice showed it once; set a known one here
    fake.run(handlers.erase_on_request, {"tracking_id": tracking_id, "secret": secret})
    text = json.dumps(stored(fake, tracking_id), default=str)
    assert not any(c in text for c in (EMAIL, "Kanari", "device-kanari-42", "akun-kanari-42"))
    assert stored(fake, tracking_id)["source"]["address_id"] == "JL-PRAMUKA-3"

"""The other channels (intake.handlers.channels) on the fake unit of work: SMS, social, manual, Open311."""
from datetime import date

import pytest

from intake import channel_schemas, handlers, open311_schemas, schemas
from intake.dependencies import Settings
from intake.exceptions import Open311Error
from tests.factories import make_report
from tests.fakes.intake import intake_units

REGISTRY = {"categories": [{"code": "infrastruktur", "name_id": "Infrastruktur", "name_en": "Infrastructure"},
                           {"code": "lainnya", "name_id": "Lainnya", "name_en": "Other"}],
            "regions": [{"code": "5108", "name": "Kabupaten Buleleng", "level": "district", "keywords": ["buleleng"]}]}
DESCRIPTION = "Jalan berlubang besar di depan SD Negeri 3 Singaraja sejak Senin, membahayakan anak sekolah"


def units(**settings):
    return intake_units(Settings(**settings), registry=REGISTRY)


def reports_of(fake) -> dict:
    return fake.state["FakeReports"]["reports"]


def sms(text: str, message_id: str = "m-1", sender: str = "+6281234000100") -> dict:
    return channel_schemas.SmsIn().load({"message_id": message_id, "from": sender, "text": text})


def test_an_sms_is_a_report_in_its_region_with_a_reply_carrying_the_secret():
    fake = units()
    answer = fake.run(handlers.accept_sms, {"message": sms(f"BULELENG {DESCRIPTION}"), "gateway": "gw"})
    report, = reports_of(fake).values()
    assert answer["status"] in (201, 202) and report["region_code"] == "5108" and report["channel"] == "sms"
    assert report["tracking_id"] in answer["reply"]["reply"] and answer["reply"]["secret"] in answer["reply"]["reply"]
    assert report["source"]["gateway"] == "gw" and "+62812" not in str(report["source"])


def test_a_next_sms_from_the_same_phone_completes_its_draft():
    fake = units()
    first = fake.run(handlers.accept_sms, {"message": sms("jalan rusak"), "gateway": "gw"})
    assert first["status"] == 202
    second = fake.run(handlers.accept_sms, {"message": sms(f"BULELENG {DESCRIPTION}", message_id="m-2"),
                                            "gateway": "gw"})
    report, = reports_of(fake).values()
    assert second["reply"]["tracking_id"] == report["_id"] == first["reply"]["tracking_id"]
    assert DESCRIPTION in report["description"]
    again = fake.run(handlers.accept_sms, {"message": sms(f"BULELENG {DESCRIPTION}", message_id="m-2"),
                                           "gateway": "gw"})
    assert len(reports_of(fake)) == 1 and again["reply"]["tracking_id"] == report["_id"]  # a resend: a replay


COMPLETION_URL = "https://lapor.example/lapor/<tracking_id>?kode=<code>"


def social_draft(fake) -> tuple[dict, dict]:
    post = channel_schemas.SocialIn().load({"post_id": "p-1", "author_handle": "warga", "text": "@LAPOR1708 jalan rusak"})
    answer = fake.run(handlers.accept_social, {"post": post, "gateway": "gw"})
    report, = reports_of(fake).values()
    return answer, report


def complete_with(fake, report: dict, code: str):
    return fake.run(handlers.complete_report, {"tracking_id": report["_id"], "completion_code": code,
                                               "changes": {"description": DESCRIPTION}})


def test_a_social_drafts_public_reply_holds_no_link_or_code_and_a_stranger_cannot_use_it():
    fake = units(social_completion_url=COMPLETION_URL)
    answer, report = social_draft(fake)
    public = answer["reply"]["reply"]
    assert answer["status"] == 202 and report["_id"] in public and "DM" in public
    sent = channel_schemas.SocialReplyOut().dump(answer["reply"])  # what the bridge gets (and posts)
    assert "http" not in public and "kode" not in public and "secret" not in sent and "completion" not in str(sent)
    assert not report.get("completion_code_hash")  # nothing minted for the public reply
    for word in public.replace(":", " ").replace(".", " ").split():  # whatever a reader of the post tries
        with pytest.raises(Exception) as refused:
            complete_with(fake, report, word)
        assert getattr(refused.value, "status", None) in (400, 403), refused.value
    again = fake.run(handlers.accept_social, {"post": channel_schemas.SocialIn().load(
        {"post_id": "p-1", "author_handle": "warga", "text": "@LAPOR1708 jalan rusak"}), "gateway": "gw"})
    assert again["status"] == 200 and "http" not in again["reply"]["reply"]


def test_the_direct_messages_link_completes_the_draft_once_and_a_newer_link_replaces_it():
    fake = units(social_completion_url=COMPLETION_URL)
    _, report = social_draft(fake)
    query = {"reporter_ref": report["reporter_ref"], "notification_id": "ntf_1"}
    first = fake.run(handlers.completion_link, query)
    second = fake.run(handlers.completion_link, {**query, "notification_id": "ntf_2"})
    assert second["url"].startswith(f"https://lapor.example/lapor/{report['_id']}?kode=")
    with pytest.raises(Exception):  # the older link stopped working when the newer one was minted
        complete_with(fake, report, first["url"].split("kode=")[1])
    done = complete_with(fake, report, second["url"].split("kode=")[1])
    assert done["receipt"]["secret"]  # the reporter now holds a secret of their own
    assert fake.run(handlers.completion_link, {**query, "notification_id": "ntf_3"}) is None
    assert fake.run(handlers.completion_link, {"reporter_ref": "rpt_unknown", "notification_id": "n"}) is None


def test_the_senders_own_handle_and_phone_stay_out_of_the_reports_text():
    """Issue 20: the text is what officials and the public read; the sender's identity stays in intake."""
    fake = units()
    post = channel_schemas.SocialIn().load({"post_id": "p-9", "author_handle": "canary_x9",
                                            "text": "@LAPOR1708 RT @canary_x9: jalan rusak, salam canary_x9 #lapor"})
    fake.run(handlers.accept_social, {"post": post, "gateway": "gw"})
    message = sms(f"BULELENG {DESCRIPTION}, hubungi 0812-3400-0100", sender="+6281234000100")
    fake.run(handlers.accept_sms, {"message": message, "gateway": "gw"})
    social, text = reports_of(fake).values()
    assert social["reporter"] == {"handle": "@canary_x9"} and "canary" not in f"{social['title']} {social['description']}"
    assert "jalan rusak" in social["description"] and DESCRIPTION in text["description"]
    assert "3400" not in f"{text['title']} {text['description']}"


def test_a_liaisons_manual_entry_keeps_who_entered_it_and_the_offline_channel():
    fake = units()
    form = schemas.load_report({**make_report(), "original_channel": "letter", "received_on": "2026-11-02"},
                               schema=channel_schemas.ManualIn)
    official = {"official_id": "lo-bll-pupr", "role": "liaison", "agency_code": "PEMKAB-BULELENG", "unit_code": "X",
                "email": "not-kept@example.com"}
    submission = fake.run(handlers.accept_manual, {"form": form, "official": official})
    report = reports_of(fake)[submission["report"]["_id"]]
    assert report["channel"] == "manual" and report["source"]["original_channel"] == "letter"
    assert report["source"]["entered_by"] == {k: official[k] for k in ("official_id", "role", "agency_code",
                                                                         "unit_code")}


def open311_request(**overrides) -> dict:
    body = {"service_code": "infrastruktur", "description": DESCRIPTION, "jurisdiction_id": "51.08",
            "address_string": "Jl. Pramuka, Singaraja", "attribute[classification]": "complaint", "api_key": "k",
            **overrides}
    return open311_schemas.Open311RequestIn().load(body)


def test_an_open311_request_is_a_complete_report_or_a_400_naming_what_is_missing():
    fake = units()
    created = fake.run(handlers.accept_open311, open311_request())
    report, = reports_of(fake).values()
    assert created["created"] and created["answer"][0]["service_request_id"] == report["_id"]
    assert report["region_code"] == "5108" and report["incident_date"] == date.today().isoformat()
    with pytest.raises(Open311Error) as raised:
        fake.run(handlers.accept_open311, open311_request(service_code="tidak-ada"))
    assert raised.value.status == 400 and "service_code" in raised.value.descriptions[0]


def test_the_completion_link_is_on_the_stacks_configured_front_door():
    """Issue 20: not a hard-coded http://127.0.0.1:8780 whatever the stack's address."""
    on = Settings.from_config({"PUBLIC_BASE_URL": "https://lapor.bulelengkab.example.go.id/"}).social_completion_url
    assert on == "https://lapor.bulelengkab.example.go.id/lapor/<tracking_id>?kode=<code>"
    explicit = {"PUBLIC_BASE_URL": "https://a.example", "SOCIAL_COMPLETION_URL": "https://b.example/l/<tracking_id>/<code>"}
    assert Settings.from_config(explicit).social_completion_url == explicit["SOCIAL_COMPLETION_URL"]

"""Every reporter and official notification arrives at the real SMTP server, in the right
language, with the tracking link."""
import requests
from nameko.standalone.events import event_dispatcher

from contract import events
from intake.service import IntakeService
from notification.service import NotificationService
from routing.service import RoutingService
from tests.factories import make_report
from tests.integration.conftest import handled, wait_for
from tests.integration.conftest_notification import *  # noqa: F403  (fixtures: smtp, sms_gateway, ...)
from tests.integration.conftest_notification import OFFICIALS_BASE_URL, TRACKING_BASE_URL, contact_directory, make_event

REPORTER_SUBJECTS = {
    "id": {"receipt": "Laporan Anda telah diterima: {t}",
           "report_dispositioned": "Laporan {t} diteruskan ke instansi berwenang",
           "incomplete_reminder": "Laporan Anda belum lengkap: {t}",
           "report_postponed": "Penanganan laporan {t} ditunda",
           "report_archived": "Laporan {t} diarsipkan",
           "interim_update": "Tanggapan sementara atas laporan {t}",
           "final_answer": "Laporan {t} telah dijawab",
           "rate_request": "Beri penilaian atas jawaban laporan {t}",
           "case_reopened": "Laporan {t} dibuka kembali",
           "case_closed": "Laporan {t} selesai"},
    "en": {"receipt": "Your report was received: {t}",
           "report_dispositioned": "Report {t} forwarded to the responsible agency",
           "incomplete_reminder": "Your report is incomplete: {t}",
           "report_postponed": "Handling of report {t} postponed",
           "report_archived": "Report {t} archived",
           "interim_update": "Interim update on report {t}",
           "final_answer": "Report {t} was answered",
           "rate_request": "Please rate the answer to report {t}",
           "case_reopened": "Report {t} reopened",
           "case_closed": "Report {t} closed"},
}
GREETING = {"id": "Yth. Made Wirawan,", "en": "Dear Made Wirawan,"}
REPORTER_EVENTS = [(events.REPORT_DRAFT_SAVED, "routing"), (events.REPORT_POSTPONED, "routing"),
                   (events.REPORT_ARCHIVED, "routing"), (events.CASE_UPDATED, "followup"),
                   (events.CASE_ANSWERED, "followup"), (events.CASE_REOPENED, "followup"),
                   (events.CASE_CLOSED, "followup")]


def test_each_reporter_notification_arrives_in_the_reporters_language(
        start_services, rpc, notification_config, demo_registry, smtp):
    urls = start_services(IntakeService, RoutingService, NotificationService, config=notification_config)
    rpc.routing.import_registry(demo_registry)
    liaison = "pupr@bulelengkab.example.go.id"
    notification = start_services.containers["notification"]
    tracking_ids = [reporter_mails_arrive_in(language, urls["intake"], notification, rpc, notification_config, smtp)
                    for language in ("id", "en")]  # one stack for both: each reporter has an address of their own
    assert len(smtp.to(liaison)) == 2 * len(tracking_ids)  # nothing else went to the liaison


def reporter_mails_arrive_in(language, intake_url, notification, rpc, notification_config, smtp) -> str:
    email = f"made.{language}@example.com"
    report = make_report(language=language, reporter={"name": "Made Wirawan", "email": email})
    # the only report in flight: notification plans its receipt when it handles report_received
    with handled(notification, event=events.REPORT_RECEIVED):
        tracking_id = requests.post(f"{intake_url}/reports", json=report, timeout=5).json()["tracking_id"]
    receipt = [n for n in rpc.notification.for_report(tracking_id) if n["template"] == "receipt"]
    assert receipt
    reporter_ref = receipt[0]["recipient_ref"]

    dispatch = event_dispatcher(notification_config)
    for event_type, source in REPORTER_EVENTS:
        sender = "intake" if event_type == events.REPORT_DRAFT_SAVED else source
        dispatch(sender, event_type, make_event(event_type, tracking_id, reporter_ref=reporter_ref, language=language))

    expected = {template: subject.format(t=tracking_id) for template, subject in REPORTER_SUBJECTS[language].items()}
    mails = wait_for(lambda: len(m := smtp.to(email)) >= len(expected) and m, timeout=15)
    assert sorted(m["subject"] for m in mails) == sorted(expected.values()), language  # each once, nothing else
    for mail in mails:
        assert mail["language"] == language and mail["text"].startswith(GREETING[language])
        assert f"{TRACKING_BASE_URL}{tracking_id}" in mail["text"] and f'href="{TRACKING_BASE_URL}{tracking_id}"' in mail["html"]
    by_subject = {m["subject"]: m for m in mails}
    missing = {"id": "kronologi, tanggal kejadian", "en": "chronology, incident date"}[language]
    assert missing in by_subject[expected["incomplete_reminder"]]["text"]
    assert "Jalan sudah ditambal pada 20 November." in by_subject[expected["final_answer"]]["text"]
    dispositioned = by_subject[expected["report_dispositioned"]]["text"]  # the unit by name (issue 21)
    assert "Dinas Pekerjaan Umum dan Penataan Ruang Kab. Buleleng" in dispositioned and "BLL-PUPR" not in dispositioned
    # the liaison of the unit the report was routed to is told too, in Bahasa Indonesia
    mails_to_liaison = wait_for(lambda: len(m := [x for x in smtp.to("pupr@bulelengkab.example.go.id")
                                                  if tracking_id in x["subject"]]) == 2 and m)
    liaison = {m["subject"] for m in mails_to_liaison}
    assert liaison == {f"Laporan baru di antrean Anda: {tracking_id}", f"Laporan {tracking_id} dibuka kembali"}
    return tracking_id


OFFICIAL_CASES = [
    (events.REPORT_DISPOSITIONED, "routing", {"queue": "national_triage", "agency_code": None, "unit_code": None},
     "admin.nasional@lapor.example.go.id", "Laporan baru di antrean Anda: {t}", "verifikasi Admin Nasional"),
    (events.REPORT_RETURNED, "routing", {}, "lapor@bulelengkab.example.go.id",
     "Laporan baru di antrean Anda: {t}", "Bukan wewenang Dinas PUPR."),
    (events.CASE_DUE_SOON, "followup", {}, "pupr@bulelengkab.example.go.id",
     "Batas waktu laporan {t} segera berakhir", "Indikator: KUNING"),
    (events.CASE_OVERDUE, "followup", {}, "pupr@bulelengkab.example.go.id",
     "Laporan {t} melewati batas waktu", "Indikator: MERAH"),
    (events.CASE_ESCALATED, "followup", {}, "inspektorat@bulelengkab.example.go.id",
     "Eskalasi laporan {t} (tingkat 2)", "dieskalasi kepada Anda"),
    (events.REPORTER_REPLIED, "followup", {}, "pupr@bulelengkab.example.go.id",
     "Pelapor menanggapi laporan {t}", "Belum diperbaiki di sisi timur."),
    (events.CASE_REOPENED, "followup", {"reporter_ref": None}, "pupr@bulelengkab.example.go.id",
     "Laporan {t} dibuka kembali", "perlu ditindaklanjuti lagi"),
]


def test_each_official_notification_arrives_by_email(start_services, rpc, notification_config, demo_registry, smtp):
    start_services(RoutingService, contact_directory({}), NotificationService, config=notification_config)
    rpc.routing.import_registry(demo_registry)
    dispatch = event_dispatcher(notification_config)
    expected = []
    for event_type, source, overrides, address, subject, phrase in OFFICIAL_CASES:
        payload = make_event(event_type, **{"reporter_ref": "rpt_unknown", **overrides})
        dispatch(source, event_type, payload)
        expected.append((address, subject.format(t=payload["tracking_id"]), phrase, payload["tracking_id"]))
    wait_for(lambda: len(smtp.messages()) >= len(expected), timeout=15)
    mails = smtp.messages()
    for address, subject, phrase, tracking_id in expected:
        found = [m for m in mails if m["subject"] == subject and address in m["rcpt_tos"]]
        assert len(found) == 1, (subject, address, [(m["subject"], m["rcpt_tos"]) for m in mails])
        assert phrase in found[0]["text"] and f"{OFFICIALS_BASE_URL}{tracking_id}" in found[0]["text"]
        assert found[0]["language"] == "id"

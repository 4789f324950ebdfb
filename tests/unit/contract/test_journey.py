"""The reporter's timeline and the one label table of a report's steps (issue 21)."""
from pathlib import Path

from contract import journey
from contract.registry_names import Names, names_of_registry

NAMES = Names(names_of_registry({"agencies": [{"code": "PEMKAB-BULELENG", "name": "Pemerintah Kabupaten Buleleng"}],
                                  "units": [{"code": "BLL-PUPR", "name": "Dinas PUPR Kab. Buleleng"}],
                                  "hubs": [{"code": "35", "name": "Simpul Provinsi Jawa Timur"}]}))
SERVICES = Path(__file__).resolve().parents[3] / "services"


def at(minute):
    return f"2026-11-16T02:{minute:02d}:00+00:00"


def entry(minute, step, **detail):
    return {"at": at(minute), "step": step, "detail": detail}


A_REPORTS_LOG = [
    entry(0, "received", channel="web"), entry(0, "possible_duplicate"),
    entry(1, "dispositioned", queue="agency", agency_code="PEMKAB-BULELENG", unit_code=None, rule_id="bll-any"),
    entry(1, "notification_queued", recipient="reporter", channel="email", template="receipt"),
    entry(1, "notification_queued", recipient="reporter", channel="email", template="dispositioned"),
    entry(1, "notification_queued", recipient="official", channel="email", template="new_in_queue"),
    entry(2, "notification_sent", recipient="reporter", channel="email", template="receipt"),
    entry(2, "notification_sent", recipient="reporter", channel="email", template="dispositioned"),
    entry(3, "verified", queue="agency", agency_code="PEMKAB-BULELENG", actor_role="agency_admin"),
    entry(4, "dispositioned", queue="unit", agency_code="PEMKAB-BULELENG", unit_code="BLL-PUPR"),
    entry(4, "case_opened", stage="follow_up"), entry(5, "verified", queue="unit", agency_code="PEMKAB-BULELENG",
                                                      unit_code="BLL-PUPR", actor_role="liaison"),
    entry(6, "case_overdue", indicator="red"), entry(6, "case_escalated", level=1),
    entry(7, "case_answered", author_role="liaison"), entry(8, "case_reopened"), entry(8, "returned"),
    entry(9, "dispositioned", queue="unit", agency_code="PEMKAB-BULELENG", unit_code="BLL-PUPR"),
    entry(10, "case_answered", author_role="liaison"), entry(11, "case_rated", rating=5), entry(11, "case_closed"),
]


def test_the_reporter_reads_each_step_once_by_name_without_the_bookkeeping():
    shown = journey.reporter_timeline(A_REPORTS_LOG, "id", NAMES)
    assert [e["label"] for e in shown] == [
        "Laporan Anda diterima", "Diteruskan ke Pemerintah Kabupaten Buleleng",
        "Laporan Anda diperiksa dan dinyatakan layak ditindaklanjuti", "Ditangani oleh Dinas PUPR Kab. Buleleng",
        "Laporan Anda dijawab", "Laporan dibuka kembali untuk ditindaklanjuti lagi", "Laporan Anda dijawab",
        "Laporan selesai"]
    assert [e["at"] for e in shown][:2] == [at(0), at(1)]


def test_in_english_a_forward_to_another_hub_names_the_hub():
    shown = journey.reporter_timeline([entry(0, "received"), entry(1, "forwarded", target_hub="35"),
                                       entry(2, "hub_accepted", hub="35")], "en", NAMES)
    assert [e["label"] for e in shown] == ["Your report was received", "Passed to Simpul Provinsi Jawa Timur"]


def test_an_unknown_code_stands_in_for_its_name_and_the_next_step_follows_the_status():
    shown = journey.reporter_timeline([entry(0, "dispositioned", queue="unit", unit_code="XYZ-UNIT")], "en", Names())
    assert shown[0]["label"] == "Handled by XYZ-UNIT"
    assert journey.next_step("answered", "id").startswith("Baca jawabannya")
    assert journey.next_step("incomplete", "en") == "Complete your report so that it can be followed up."
    assert journey.next_step("in_follow_up", "en").startswith("Nothing to do for now")


def test_intake_and_followup_label_each_step_from_the_one_table_in_the_catalogue():
    from intake import history
    assert history.STEP_LABELS == journey.step_labels()
    assert history.label("verified", "en") == journey.step_label("report_verified", "en")
    for path in (SERVICES / "intake/intake/history.py", SERVICES / "followup/followup/views.py"):
        text = path.read_text()  # no second table of step labels in the code
        assert "STEP_LABELS = {" not in text and '"case_answered": ("' not in text, path


def test_a_report_a_hub_could_not_take_says_so_in_plain_words():
    shown = journey.reporter_timeline([entry(0, "received"), entry(1, "hub_waiting", hub="35"),
                                       entry(2, "hub_returned", hub="35")], "id", NAMES)
    assert [e["step"] for e in shown] == ["received", "came_back"]
    assert "tidak dapat menerima laporan ini" in shown[1]["label"]

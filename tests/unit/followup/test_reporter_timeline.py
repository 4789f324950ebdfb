"""The citizen's tracking page tells the reporter's journey (issue 21): the steps a reporter cares
about, by name, each once, and what to do next; no notification bookkeeping, no duplicate hint."""
from contract import events
from contract.ids import new_tracking_id

from .handler_support import units_with_case
from .test_tracking_page import get, page_view, text_of

LUWU_ID = new_tracking_id("ID")
ASSIGNED = {"queue": "unit", "agency_code": "PEMKAB-LUWU", "unit_code": "LWU-PUPR"}


def step(minute, name, **detail):
    return {"at": f"2026-11-16T02:{minute:02d}:00+00:00", "step": name, "label": name, "detail": detail}


def log_of_a_report():
    """intake's history of a Luwu report as the tracking view carries it (labels are intake's)."""
    notifications = [step(1, kind, recipient="reporter", channel="email", template=template)
                     for kind in ("notification_queued", "notification_sent")
                     for template in ("receipt", "dispositioned", "new_in_queue")]
    return [step(0, "received", channel="web"), step(0, "possible_duplicate"),
            step(1, "dispositioned", queue="agency", agency_code="PEMKAB-LUWU", unit_code=None), *notifications,
            step(2, "verified", queue="agency", agency_code="PEMKAB-LUWU"),
            step(3, "dispositioned", **ASSIGNED), step(3, "case_opened", stage="follow_up"),
            step(4, "verified", **ASSIGNED), step(5, events.CASE_DUE_SOON, indicator="yellow"),
            step(6, "case_answered", author_role="liaison")]


def test_the_reporter_reads_their_steps_by_name_once_and_what_to_do_next():
    units, _ = units_with_case()
    html = get(page_view(LUWU_ID, "7317", log_of_a_report(), status="answered", assignment=ASSIGNED), units,
               f"/lacak/{LUWU_ID}")
    timeline = text_of(html, "timeline")
    for gone in ("Pemberitahuan", "Mungkin sama", "PEMKAB-LUWU", "LWU-PUPR", "batas waktu"):
        assert gone not in timeline
    assert timeline.count("Laporan Anda diperiksa") == 1
    order = ["Laporan Anda dijawab", "Ditangani oleh Dinas PUPR Kab. Luwu",
             "Diteruskan ke Pemerintah Kabupaten Luwu", "Laporan Anda diterima"]  # newest first
    assert [timeline.index(text) for text in order] == sorted(timeline.index(text) for text in order)
    assert text_of(html, "next-step").startswith("Baca jawabannya, lalu beri penilaian")


def test_in_english_too():
    units, _ = units_with_case()
    html = get(page_view(LUWU_ID, "7317", log_of_a_report(), assignment=ASSIGNED), units, f"/lacak/{LUWU_ID}", "en")
    timeline = text_of(html, "timeline")
    assert "Handled by Dinas PUPR Kab. Luwu" in timeline and "Passed to Pemerintah Kabupaten Luwu" in timeline
    assert "Notification" not in timeline and "duplicate" not in timeline
    assert text_of(html, "next-step").startswith("Nothing to do for now")

"""The tracking page's "your personal data" part (intake.privacy): the reporter who holds the secret
gets the button to the confirmation step (nobody else does); after the erasure the page says that no
notification will come."""
from .handler_support import TRACKING_ID, units_with_case
from .test_tracking_page import get, page_view, text_of


def view(**overrides):
    return {**page_view(TRACKING_ID, "5108", []), **overrides}


def test_the_reporter_and_nobody_else_gets_a_button_to_the_confirmation_step_in_both_languages():
    units, _ = units_with_case()
    anyone = get(view(contact_erased=False), units, f"/lacak/{TRACKING_ID}")
    assert "/hapus-kontak" not in anyone and 'id="data-pribadi"' not in anyone
    html = get(view(reporter_verified=True, contact_erased=False), units, f"/lacak/{TRACKING_ID}")
    assert f'<form method="get" action="/lapor/{TRACKING_ID}/hapus-kontak">' in html
    assert "Hapus data kontak saya" in html and 'id="contact-erased"' not in html
    english = get(view(reporter_verified=True, contact_erased=False), units, f"/lacak/{TRACKING_ID}", "en")
    assert "Erase my contact details" in english and "you will not receive notifications any more" in english


def test_after_the_erasure_the_page_says_no_notification_will_come():
    units, _ = units_with_case()
    html = get(view(reporter_verified=True, contact_erased=True), units, f"/lacak/{TRACKING_ID}?notice=contact_erased")
    assert "Anda tidak akan menerima notifikasi lagi" in text_of(html, "notice")
    assert "tidak menerima notifikasi lagi" in text_of(html, "contact-erased")
    assert "/hapus-kontak" not in html

"""A reporter erases their contact details from the tracking page, through the front door in a real
browser with and without JavaScript: the button on /lacak, the confirmation step (opening it erases
nothing; it passes axe), the erasure, and the tracking page saying no notification will come."""
import uuid

import pytest

from tests.e2e.test_web_citizen import (COMPLETE, ROUTED, by_id, file_report, no_serious_violations, submit, text_of,
                                        wait_until)

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_the_reporter_erases_their_contact_details_from_the_tracking_page(stack, open_browser, stack_stores,
                                                                           javascript):
    base = stack["base"]
    b = open_browser(javascript=javascript)
    email = f"hapus.{uuid.uuid4().hex[:10]}@example.com"
    tracking_id = file_report(b, base, None, {**COMPLETE, "reporter_email": email})
    wait_until(b, f"{base}/lacak/{tracking_id}", lambda b: by_id(b, "status").get_attribute("data-status") in ROUTED)
    reports = stack_stores["intake"]["lapor_intake"].reports
    submit(b, "#erase-start")
    assert b.driver.current_url.split("?")[0] == f"{base}/lapor/{tracking_id}/hapus-kontak"
    assert "Ya, hapus data kontak saya" in text_of(b, "erase-confirm")
    no_serious_violations(b, "erasure confirmation")
    assert reports.find_one({"_id": tracking_id})["reporter"]["email"] == email  # nothing erased yet
    submit(b, "#erase-confirm")
    assert b.driver.current_url == f"{base}/lacak/{tracking_id}?notice=contact_erased"
    assert "tidak akan menerima notifikasi lagi" in text_of(b, "notice")
    assert "tidak menerima notifikasi lagi" in text_of(b, "contact-erased")
    assert reports.find_one({"_id": tracking_id})["reporter"] == {}

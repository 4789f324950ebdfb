"""Evidence that arrives from another hub is treated as evidence filed here (issue 20): its type is
sniffed from the bytes (an HTML file declared image/jpeg was stored and served as one), an
anonymous report's PDF is cleaned again (an unstripped PDF was served on an anonymous report), and
its name reaches no header as sent (a CR/LF in it was a 500)."""
import base64
import hashlib

from intake.hub_evidence import decoded
from tests.unit.intake.test_pdf_cleaning import canary_pdf


def item(data: bytes, content_type: str, filename: str) -> dict:
    return {"filename": filename, "content_type": content_type, "sha256": hashlib.sha256(data).hexdigest(),
            "data": base64.b64encode(data).decode()}


def test_evidence_from_another_hub_is_sniffed_cleaned_and_safely_named():
    html = b"<!doctype html><script>alert(document.cookie)</script>"
    body = {"report": {"is_anonymous": True},
            "evidence": [item(html, "image/jpeg", "foto.jpg"), item(canary_pdf(), "application/pdf", "bukti\r\n.pdf")]}
    files = decoded(body)
    assert len(files) == 1  # the HTML file is not stored under a type it is not
    pdf, = files
    assert pdf["content_type"] == "application/pdf" and b"CANARY" not in pdf["bytes"]
    assert pdf["sha256"] == hashlib.sha256(pdf["bytes"]).hexdigest()  # passed on as stored
    assert pdf["filename"] == "bukti_.pdf"


def test_a_named_reports_evidence_is_kept_as_sent():
    raw = canary_pdf()
    files = decoded({"report": {"is_anonymous": False}, "evidence": [item(raw, "application/pdf", "b.pdf")]})
    assert files[0]["bytes"] == raw and files[0]["sha256"] == hashlib.sha256(raw).hexdigest()

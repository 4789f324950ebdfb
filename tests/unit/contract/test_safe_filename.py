"""contract.http.safe_filename / attachment: a file name from a user or another hub never reaches a
header as it was sent (a CR/LF in one was a 500 and a header injection; quotes broke the header)."""
import pytest

from contract.http import attachment, safe_filename


@pytest.mark.parametrize("sent, kept", [
    ("foto jalan.jpg", "foto_jalan.jpg"),
    ('a"; filename="evil.html', "a_filename_evil.html"),
    ("x\r\nSet-Cookie: s=1.pdf", "x_Set-Cookie_s_1.pdf"),
    ("../../etc/passwd", "etc_passwd"),
    ("laporan_ñ_ü.pdf", "laporan_.pdf"),
    ("", "file"), (None, "file"), ("....", "file"),
    ("a" * 300 + ".pdf", "a" * 100),
])
def test_a_file_name_is_reduced_to_a_safe_set(sent, kept):
    assert safe_filename(sent) == kept


def test_the_header_value_holds_no_line_break_or_quote_from_the_name():
    value = attachment('bukti"\r\n.pdf', "evidence")
    assert value == 'attachment; filename="bukti_.pdf"'

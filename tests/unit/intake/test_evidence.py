import io

import pikepdf
import pytest
from PIL import Image, PngImagePlugin

from intake import evidence

GPS = b"GPSLatitude-CANARY-8.1120S"
AUTHOR = "Ni Luh CANARY Penulis"
COMMENT = b"COM-CANARY taken by Made"


def jpeg(with_exif=True) -> bytes:
    """A real 16x16 JPEG; with EXIF (a GPS canary in its maker note), a COM comment and XMP."""
    out = io.BytesIO()
    image = Image.new("RGB", (16, 16), (200, 30, 30))
    if not with_exif:
        image.save(out, "JPEG")
        return out.getvalue()
    exif = Image.Exif()
    exif[0x927C] = GPS  # MakerNote
    exif[0x013B] = AUTHOR  # Artist
    image.save(out, "JPEG", exif=exif, comment=COMMENT, xmp=b"<x:xmpmeta>" + GPS + b"</x:xmpmeta>")
    return out.getvalue()


def png() -> bytes:
    """A real PNG with EXIF and text chunks carrying the canaries."""
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", AUTHOR)
    info.add_itxt("XML:com.adobe.xmp", GPS.decode())
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x927C] = GPS
    Image.new("RGB", (16, 16), (30, 200, 30)).save(out, "PNG", pnginfo=info, exif=exif)
    return out.getvalue()


def pdf() -> bytes:
    """A real one-page PDF with /Info /Author, /Creator and an XMP metadata stream."""
    document = pikepdf.new()
    document.add_blank_page()
    document.docinfo["/Author"] = AUTHOR
    document.docinfo["/Creator"] = "Scanner of " + AUTHOR
    document.Root.Metadata = document.make_stream(b"<x:xmpmeta>" + GPS + b"</x:xmpmeta>",
                                                  Type=pikepdf.Name.Metadata, Subtype=pikepdf.Name.XML)
    out = io.BytesIO()
    document.save(out, compress_streams=False)
    return out.getvalue()


def test_type_comes_from_the_bytes():
    assert evidence.sniff(jpeg()) == "image/jpeg"
    assert evidence.sniff(png()) == "image/png"
    assert evidence.sniff(b"%PDF-1.7\n...") == "application/pdf"
    assert evidence.sniff(b"<html><script>") is None


def test_identifying_metadata_is_stripped_for_anonymous_reports_only():
    for original, kind in ((jpeg(), "image/jpeg"), (png(), "image/png"), (pdf(), "application/pdf")):
        assert GPS in original or AUTHOR.encode() in original
        cleaned, sniffed = evidence.prepare(original, anonymous=True)
        assert sniffed == kind
        assert [c for c in (GPS, AUTHOR.encode(), COMMENT, b"xmpmeta", b"Exif") if c in cleaned] == [], kind
        assert evidence.prepare(original, anonymous=False)[0] == original
    with Image.open(io.BytesIO(evidence.prepare(jpeg(), anonymous=True)[0])) as image:
        assert image.size == (16, 16) and not image.info.get("comment") and not image.getexif()
    with pikepdf.open(io.BytesIO(evidence.prepare(pdf(), anonymous=True)[0])) as document:
        assert len(document.pages) == 1 and "/Metadata" not in document.Root and "/Author" not in document.docinfo


@pytest.mark.parametrize("data", [b"", b"GIF89a....", b"\xff\xd8\xff\xe1\x00", b"x" * (evidence.MAX_BYTES + 1),
                                  b"\x89PNG\r\n\x1a\n broken", b"%PDF-1.7 broken"])
def test_bad_files_are_refused(data):
    with pytest.raises(evidence.BadEvidence):
        evidence.prepare(data, anonymous=True)


def test_who_may_read():
    report = {"assignment": {"queue": "unit", "agency_code": "PEMKAB-BULELENG", "unit_code": "BLL-PUPR"}}
    assert evidence.may_read({"role": "national_admin"}, report)
    assert evidence.may_read({"role": "agency_admin", "agency_code": "PEMKAB-BULELENG"}, report)
    assert evidence.may_read({"role": "liaison", "unit_code": "BLL-PUPR"}, report)
    assert not evidence.may_read({"role": "liaison", "unit_code": "BLL-DINKES"}, report)
    assert not evidence.may_read({"role": "supervisor", "agency_code": "PEMKAB-LUWU"}, report)
    assert not evidence.may_read({"role": "liaison", "unit_code": None}, {"assignment": None})

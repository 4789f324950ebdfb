import pytest

from intake import evidence

GPS = b"GPSLatitude-CANARY-8.1120S"


def jpeg(with_exif=True) -> bytes:
    exif = b"Exif\x00\x00" + GPS
    app1 = b"\xff\xe1" + (len(exif) + 2).to_bytes(2, "big") + exif
    dqt = b"\xff\xdb\x00\x04\x00\x01"
    scan = b"\xff\xda\x00\x02" + b"\x12\x34\x56" + b"\xff\xd9"
    return b"\xff\xd8" + (app1 if with_exif else b"") + dqt + scan


def png() -> bytes:
    def chunk(kind, data):
        return len(data).to_bytes(4, "big") + kind + data + b"\x00\x00\x00\x00"
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", b"\x00" * 13) + chunk(b"eXIf", GPS) + chunk(b"iTXt", GPS)
            + chunk(b"IDAT", b"\x01\x02") + chunk(b"IEND", b""))


def test_type_comes_from_the_bytes():
    assert evidence.sniff(jpeg()) == "image/jpeg"
    assert evidence.sniff(png()) == "image/png"
    assert evidence.sniff(b"%PDF-1.7\n...") == "application/pdf"
    assert evidence.sniff(b"<html><script>") is None


def test_location_metadata_is_stripped_for_anonymous_reports_only():
    cleaned, kind = evidence.prepare(jpeg(), anonymous=True)
    assert kind == "image/jpeg" and GPS not in cleaned and cleaned == jpeg(with_exif=False)
    assert evidence.prepare(jpeg(), anonymous=False)[0] == jpeg()
    cleaned_png, _ = evidence.prepare(png(), anonymous=True)
    assert GPS not in cleaned_png and b"IDAT" in cleaned_png and cleaned_png.endswith(b"IEND\x00\x00\x00\x00")


@pytest.mark.parametrize("data", [b"", b"GIF89a....", b"\xff\xd8\xff\xe1\x00", b"x" * (evidence.MAX_BYTES + 1)])
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

"""Evidence attachments: type from the bytes, limits, identifying metadata stripped, who may read.

For anonymous reports every attachment loses what could name or place its maker: images are
re-encoded by Pillow from their pixels alone (no EXIF/GPS, XMP, IPTC, JPEG ``COM`` comments, PNG
text chunks, ICC profile); PDFs are rebuilt from their pages alone (``intake.pdfclean``: no
``/Info``, XMP, annotations, embedded files, JavaScript, actions or outlines).
Plain functions: no nameko, pymongo or kombu here.
"""
from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps

from intake import pdfclean

MAX_BYTES = 5 * 1024 * 1024
MAX_PER_REPORT = 5
ACCEPTED = ("image/jpeg", "image/png", "application/pdf")
MAX_PIXELS = 50_000_000  # a 5 MB file decoding to more is a decompression bomb
_JPEG_DROPPED = {0xE1, 0xED}  # APP1 (Exif, XMP: GPS position), APP13 (IPTC: place names)
_PNG_DROPPED = {b"eXIf", b"tEXt", b"zTXt", b"iTXt"}  # EXIF and text chunks (XMP lives in iTXt)


class BadEvidence(ValueError):
    """The bytes are not an accepted, well-formed file."""


def sniff(data: bytes) -> str | None:
    """The content type the bytes really are (never the client's claim)."""
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if data[:5] == b"%PDF-":
        return "application/pdf"
    return None


def strip_location(data: bytes, content_type: str) -> bytes:
    """The image without the metadata segments that can carry where it was taken."""
    if content_type == "image/jpeg":
        return _strip_jpeg(data)
    if content_type == "image/png":
        return _strip_png(data)
    return data


def _strip_jpeg(data: bytes) -> bytes:
    out, i = bytearray(data[:2]), 2
    while i + 2 <= len(data):
        if data[i] != 0xFF:
            raise BadEvidence("corrupt JPEG segment")
        marker = data[i + 1]
        if marker == 0xDA:  # start of scan: the compressed image follows, no more metadata
            out += data[i:]
            return bytes(out)
        if marker == 0x01 or 0xD0 <= marker <= 0xD8 or marker == 0xFF:
            out += data[i:i + 2]
            i += 2
            continue
        if i + 4 > len(data):
            break
        length = int.from_bytes(data[i + 2:i + 4], "big")
        if length < 2 or i + 2 + length > len(data):
            raise BadEvidence("truncated JPEG segment")
        if marker not in _JPEG_DROPPED:
            out += data[i:i + 2 + length]
        i += 2 + length
    raise BadEvidence("JPEG without image data")


def _strip_png(data: bytes) -> bytes:
    out, i = bytearray(data[:8]), 8
    while i + 12 <= len(data):
        length = int.from_bytes(data[i:i + 4], "big")
        kind = data[i + 4:i + 8]
        end = i + 12 + length
        if end > len(data):
            raise BadEvidence("truncated PNG chunk")
        if kind not in _PNG_DROPPED:
            out += data[i:end]
        i = end
        if kind == b"IEND":
            return bytes(out)
    raise BadEvidence("PNG without IEND")


def strip_identifying(data: bytes, content_type: str) -> bytes:
    """The file without metadata that can identify its maker (see the module docstring)."""
    if content_type == "application/pdf":
        return _clean_pdf(data)
    return _reencode_image(strip_location(data, content_type), content_type)


def _reencode_image(data: bytes, content_type: str) -> bytes:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.width * image.height > MAX_PIXELS:
                    raise BadEvidence("image too large")
                image.load()
                upright = ImageOps.exif_transpose(image)  # the EXIF orientation goes with the EXIF
                clean = Image.frombytes(upright.mode, upright.size, upright.tobytes())  # pixels only, no info
    except (OSError, ValueError, Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise BadEvidence(f"unreadable image ({type(exc).__name__})") from None
    out = io.BytesIO()
    if content_type == "image/jpeg":
        clean = clean if clean.mode in ("RGB", "L", "CMYK") else clean.convert("RGB")
        clean.save(out, "JPEG", quality=92, optimize=True)
    else:
        if clean.mode == "P" and "transparency" in upright.info:
            clean = upright.convert("RGBA")
            clean = Image.frombytes(clean.mode, clean.size, clean.tobytes())
        clean.save(out, "PNG", optimize=True)
    return out.getvalue()


def _clean_pdf(data: bytes) -> bytes:
    try:
        return pdfclean.rebuild(data)
    except pdfclean.UnreadablePdf as exc:
        raise BadEvidence(f"unreadable PDF ({exc})") from None


def prepare(data: bytes, anonymous: bool) -> tuple[bytes, str]:
    """Checked and, for anonymous reports, cleaned bytes with their real content type."""
    if not data:
        raise BadEvidence("empty file")
    if len(data) > MAX_BYTES:
        raise BadEvidence("file too large")
    content_type = sniff(data)
    if content_type is None:
        raise BadEvidence("not a JPEG, PNG or PDF file")
    return (strip_identifying(data, content_type) if anonymous else data), content_type


def may_read(principal: dict, report: dict) -> bool:
    """Officials handling the report: national admins, its agency's admins/supervisors, its unit's liaison."""
    assignment = report.get("assignment") or {}
    role = principal["role"]
    if role == "national_admin":
        return True
    if role in ("agency_admin", "supervisor"):
        return bool(assignment.get("agency_code")) and assignment.get("agency_code") == principal.get("agency_code")
    if role == "liaison":
        return bool(assignment.get("unit_code")) and assignment.get("unit_code") == principal.get("unit_code")
    return False

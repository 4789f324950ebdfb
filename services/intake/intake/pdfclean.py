"""An anonymous report's PDF rebuilt so that only page content survives (issue 20).

Stripping known keys from the original file left places where a maker's name or a note could hide
(an annotation's author ``/T`` and text, a form XObject's XMP ``/Metadata``, embedded files and
their ``/Desc``, document JavaScript and actions, outline titles). Instead, a new document is built
from the pages alone: each page keeps only the keys that draw it (``PAGE_KEYS``: its content
streams, resources and boxes), and every object the pages still reach loses the keys that carry
metadata, actions, attachments or interactive parts (``DROPPED_KEYS``). The new document has no
``/Info``, no catalog entries beyond its pages, and only objects the pages use are written.

Trade-off: links, form fields, comments and attachments are gone from anonymous evidence (the
visible page is what an official needs; what the reporter typed into a comment is not drawn
unless the viewer draws it). Text drawn on the page stays: a reporter who signs a page signs it.
Rasterising would also drop fonts' names and hidden text layers, at the cost of searchable text
and file size; it is not done (the remaining places are drawing instructions, not metadata).
"""
from __future__ import annotations

import io

import pikepdf

PAGE_KEYS = {"/Type", "/Parent", "/Resources", "/Contents", "/MediaBox", "/CropBox", "/BleedBox", "/TrimBox",
             "/ArtBox", "/Rotate", "/UserUnit"}
DROPPED_KEYS = ("/Metadata", "/PieceInfo", "/Annots", "/AA", "/A", "/OpenAction", "/JS", "/JavaScript", "/Names",
                "/EmbeddedFiles", "/EF", "/Desc", "/AcroForm", "/Outlines", "/URI", "/Launch", "/StructParent",
                "/StructParents", "/OC", "/OPI", "/LastModified", "/Thumb", "/Info")


class UnreadablePdf(ValueError):
    pass


def rebuild(data: bytes) -> bytes:
    """A new PDF holding only the pages of ``data`` as they are drawn (see the module docstring)."""
    try:
        with pikepdf.open(io.BytesIO(data)) as source:
            clean = pikepdf.new()
            for page in source.pages:
                clean.pages.append(page)
            for page in clean.pages:
                for key in [k for k in page.obj.keys() if k not in PAGE_KEYS]:
                    del page.obj[key]
            for obj in clean.objects:
                if isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream)):
                    for key in DROPPED_KEYS:
                        if key in obj:
                            del obj[key]
            for key in [k for k in clean.Root.keys() if k not in ("/Type", "/Pages")]:
                del clean.Root[key]
            if "/Info" in clean.trailer:
                del clean.trailer["/Info"]
            out = io.BytesIO()
            clean.save(out, fix_metadata_version=False, deterministic_id=True)
    except pikepdf.PdfError as exc:
        raise UnreadablePdf(type(exc).__name__) from None
    return out.getvalue()

"""An anonymous report's PDF keeps nothing but its pages (issue 20): canaries planted in every place
an outside audit found served to the handling agency (annotation author and text, a form
XObject's XMP, an embedded file and its description, document JavaScript, an open action, outline
titles, /Info, catalog and page XMP, /PieceInfo) are gone from the cleaned bytes and from every
decoded stream, while the page's own drawing survives."""
import io
import re

import pikepdf
import pytest

from intake import evidence

CANARY = b"CANARY"
PAGE_TEXT = b"Jalan berlubang"


def canary_pdf() -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(300, 300))
    page = pdf.pages[0]
    font = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1,
                                                BaseFont=pikepdf.Name.Helvetica))
    form_xmp = pdf.make_stream(b"<x:xmpmeta><dc:creator>CANARY-FORM-XMP</dc:creator></x:xmpmeta>")
    form = pdf.make_stream(b"0 0 m 10 10 l S", Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Form,
                           BBox=[0, 0, 10, 10], Metadata=form_xmp,
                           PieceInfo=pikepdf.Dictionary(App=pikepdf.Dictionary(Private=pikepdf.String("CANARY-PIECE"))))
    page.obj.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font), XObject=pikepdf.Dictionary(Fm1=form))
    page.obj.Contents = pdf.make_stream(b"BT /F1 12 Tf 20 200 Td (" + PAGE_TEXT + b") Tj ET /Fm1 Do")
    page.obj.Metadata = pdf.make_stream(b"<x:xmpmeta>CANARY-PAGE-XMP</x:xmpmeta>")
    page.obj.PieceInfo = pikepdf.Dictionary(App=pikepdf.Dictionary(Private=pikepdf.String("CANARY-PAGE-PIECE")))
    annotation = pdf.make_indirect(pikepdf.Dictionary(
        Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Text, Rect=[10, 10, 50, 50],
        T=pikepdf.String("CANARY-AUTHOR"), Contents=pikepdf.String("CANARY-NOTE")))
    link = pdf.make_indirect(pikepdf.Dictionary(
        Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link, Rect=[60, 60, 90, 90],
        A=pikepdf.Dictionary(S=pikepdf.Name.URI, URI=pikepdf.String("https://canary.example/CANARY-URI"))))
    page.obj.Annots = pdf.make_indirect(pikepdf.Array([annotation, link]))
    page.obj.AA = pikepdf.Dictionary(O=pikepdf.Dictionary(S=pikepdf.Name.JavaScript,
                                                          JS=pikepdf.String("app.alert('CANARY-PAGE-JS')")))
    attached = pdf.make_stream(b"CANARY-ATTACHED-FILE-CONTENT", Type=pikepdf.Name.EmbeddedFile)
    filespec = pdf.make_indirect(pikepdf.Dictionary(
        Type=pikepdf.Name.Filespec, F=pikepdf.String("CANARY-name.txt"), Desc=pikepdf.String("CANARY-DESC"),
        EF=pikepdf.Dictionary(F=attached)))
    script = pdf.make_indirect(pikepdf.Dictionary(S=pikepdf.Name.JavaScript,
                                                  JS=pikepdf.String("app.alert('CANARY-DOC-JS')")))
    pdf.Root.Names = pikepdf.Dictionary(
        EmbeddedFiles=pikepdf.Dictionary(Names=pikepdf.Array([pikepdf.String("CANARY-key"), filespec])),
        JavaScript=pikepdf.Dictionary(Names=pikepdf.Array([pikepdf.String("CANARY-js-key"), script])))
    pdf.Root.OpenAction = script
    outline = pdf.make_indirect(pikepdf.Dictionary(Title=pikepdf.String("CANARY-OUTLINE-TITLE")))
    pdf.Root.Outlines = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Outlines, First=outline, Last=outline,
                                                             Count=1))
    outline.Parent = pdf.Root.Outlines
    pdf.Root.Metadata = pdf.make_stream(b"<x:xmpmeta><dc:creator>CANARY-CATALOG-XMP</dc:creator></x:xmpmeta>")
    pdf.trailer.Info = pdf.make_indirect(pikepdf.Dictionary(Author=pikepdf.String("CANARY-INFO-AUTHOR")))
    out = io.BytesIO()
    pdf.save(out, fix_metadata_version=False)
    return out.getvalue()


def every_decoded_stream(data: bytes) -> list[bytes]:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        return [obj.read_bytes() for obj in pdf.objects if isinstance(obj, pikepdf.Stream)]


def test_the_canary_file_holds_every_canary_before_cleaning():
    raw = canary_pdf()
    found = set(re.findall(rb"CANARY-[A-Z-]+", b"\n".join([raw, *every_decoded_stream(raw)])))
    assert {b"CANARY-AUTHOR", b"CANARY-NOTE", b"CANARY-FORM-XMP", b"CANARY-DESC", b"CANARY-ATTACHED-FILE-CONTENT",
            b"CANARY-DOC-JS", b"CANARY-PAGE-JS", b"CANARY-OUTLINE-TITLE", b"CANARY-CATALOG-XMP",
            b"CANARY-INFO-AUTHOR", b"CANARY-PAGE-XMP", b"CANARY-PIECE", b"CANARY-URI"} <= found


def test_an_anonymous_pdf_keeps_its_page_and_nothing_else():
    cleaned, content_type = evidence.prepare(canary_pdf(), anonymous=True)
    assert content_type == "application/pdf"
    streams = every_decoded_stream(cleaned)
    assert CANARY not in cleaned
    assert not [s for s in streams if CANARY in s]
    assert any(PAGE_TEXT in s for s in streams)  # the page is still drawn
    with pikepdf.open(io.BytesIO(cleaned)) as pdf:
        assert len(pdf.pages) == 1
        assert set(pdf.Root.keys()) == {"/Type", "/Pages"} and "/Info" not in pdf.trailer
        assert "/Fm1" in pdf.pages[0].Resources.XObject  # the form the page draws is kept, without its XMP


def test_a_named_report_keeps_its_pdf_as_sent():
    raw = canary_pdf()
    assert evidence.prepare(raw, anonymous=False) == (raw, "application/pdf")


def test_a_broken_pdf_is_refused():
    with pytest.raises(evidence.BadEvidence):
        evidence.prepare(b"%PDF-1.7\n garbage", anonymous=True)

"""Crackers on small generated fixtures: good files give the right tree, bad files
give the documented CrackError or a document with the documented warning."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from PIL import Image

from indexers.crackers import CRACKERS, Blob, CrackError, crack
from indexers.crackers import pdf as pdf_module
from indexers.crackers import base
from indexers.crackers.base import MAX_IMAGE_SIDE, MIN_IMAGE_SIDE, MIN_IMAGE_THICKNESS
from indexers.crackers.pdf import ENCRYPTED, RENDER_MAX_PX, XREF_WARNING
from enrich.testing import factories

MM = 72 / 25.4  # points per millimetre


def blob_of(path: Path, name: str | None = None) -> Blob:
    return Blob(uri=path.as_uri(), name=name or path.name, data=path.read_bytes())


def crack_one(path: Path, name: str | None = None) -> dict:
    docs = crack(blob_of(path, name))
    assert len(docs) == 1
    return docs[0]


# ---------------------------------------------------------------- registry


def test_registry_names_every_cracker() -> None:
    assert list(CRACKERS) == ["pdf", "image", "docx", "xlsx", "pptx", "xls", "legacy-office",
                              "html", "csv",
                              "jsonl", "record", "email", "mbox", "outlook-msg", "zip", "tar",
                              "7z", "text"]
    assert all(cls.name == name for name, cls in CRACKERS.items())


def test_empty_and_unsupported_blobs_raise() -> None:
    with pytest.raises(CrackError, match="^empty file$"):
        crack(Blob(uri="mem://a", name="a.pdf", data=b""))
    with pytest.raises(CrackError, match="^unsupported content type application/octet-stream$"):
        crack(Blob(uri="mem://b", name="b.txt", data=b"\x00\x01\x02binary"))


def test_generic_source_type_is_resniffed(tmp_path: Path) -> None:
    blob = blob_of(factories.png(tmp_path / "a.bin"))
    blob.mime_type = "application/octet-stream"
    doc = crack(blob)[0]
    assert doc["metadata"]["content_type"] == "image/png"


# -------------------------------------------------------------------- PDF


def test_pdf_text_per_page_with_offsets(tmp_path: Path) -> None:
    pages = ["alpha opening words", "the zebra lives only here", "closing omega"]
    path = factories.text_pdf(tmp_path / "notes.pdf", pages, title="Game notes", author="Coach")
    doc = crack_one(path)
    assert [p["number"] for p in doc["pages"]] == [1, 2, 3]
    assert "zebra" in doc["pages"][1]["text"]
    assert all("zebra" not in p["text"] for p in (doc["pages"][0], doc["pages"][2]))
    for page in doc["pages"]:
        assert doc["content"][page["offset"]:page["offset"] + len(page["text"])] == page["text"]
        assert page["needs_ocr"] is False
        assert (page["width"], page["height"]) == pytest.approx((595.28, 841.89), abs=0.01)
    meta = doc["metadata"]
    assert (meta["title"], meta["author"], meta["page_count"]) == ("Game notes", "Coach", 3)
    assert meta["created"] == "2024-01-02T03:04:05+00:00"
    assert meta["content_type"] == "application/pdf"
    assert doc["images"] == [] and doc["warnings"] == []


def test_pdf_embedded_image_has_page_bbox_and_pixels(tmp_path: Path) -> None:
    doc = crack_one(factories.text_pdf(tmp_path / "photo.pdf", ["a photo", "no photo"], image=True))
    [image] = doc["images"]
    assert (image["kind"], image["page"], image["needs_ocr"]) == ("embedded", 1, False)
    assert (image["width"], image["height"]) == (200, 150)
    assert (image["original_width"], image["original_height"]) == (200, 150)
    x0, y0, x1, y1 = image["bbox"]  # drawn at x=20 mm, y=60 mm from the top, 70 mm wide
    assert (x0, y0, x1 - x0) == pytest.approx((20 * MM, 60 * MM, 70 * MM), abs=0.5)
    assert 0 <= x0 < x1 <= doc["pages"][0]["width"] and 0 <= y0 < y1 <= doc["pages"][0]["height"]
    with Image.open(io.BytesIO(image["data"])) as decoded:  # a many-colour photo: JPEG
        assert (decoded.format, decoded.size, decoded.mode) == ("JPEG", (200, 150), "RGB")
    assert image["format"] == "jpeg"


def test_scanned_pdf_page_is_rendered_for_ocr(tmp_path: Path) -> None:
    doc = crack_one(factories.scanned_pdf(tmp_path / "scan.pdf", "Scanned words"))
    [page] = doc["pages"]
    assert page["needs_ocr"] is True and page["text"] == ""
    [render] = doc["images"]  # the scan itself is not listed again as "embedded"
    assert (render["kind"], render["needs_ocr"], render["page"]) == ("page_render", True, 1)
    assert max(render["width"], render["height"]) == RENDER_MAX_PX
    with Image.open(io.BytesIO(render["data"])) as decoded:
        assert decoded.size == (render["width"], render["height"])
        assert decoded.convert("L").getextrema()[0] < 64  # dark text pixels are there


def test_sniffing_beats_misleading_extensions(tmp_path: Path) -> None:
    pdf_doc = crack_one(factories.text_pdf(tmp_path / "really-a-pdf.txt", ["hidden pdf text"]))
    assert pdf_doc["metadata"]["content_type"] == "application/pdf"
    assert pdf_doc["content"] == "hidden pdf text"
    png_doc = crack_one(factories.png(tmp_path / "really-a-png.pdf"))
    assert png_doc["metadata"]["content_type"] == "image/png"
    assert png_doc["images"][0]["kind"] == "file"


def test_zero_byte_pdf_is_an_empty_file(tmp_path: Path) -> None:
    with pytest.raises(CrackError, match="^empty file$"):
        crack(blob_of(factories.zero_byte_pdf(tmp_path / "empty.pdf")))


def test_header_only_pdf_is_not_readable(tmp_path: Path) -> None:
    with pytest.raises(CrackError, match="^not a readable PDF: .*Data format error"):
        crack(blob_of(factories.header_only_pdf(tmp_path / "header.pdf")))


def test_encrypted_pdf_asks_for_a_password(tmp_path: Path) -> None:
    with pytest.raises(CrackError) as raised:
        crack(blob_of(factories.encrypted_pdf(tmp_path / "locked.pdf")))
    assert str(raised.value) == ENCRYPTED == "encrypted PDF: a password is required to open it"


def test_broken_xref_pdf_is_indexed_with_a_warning(tmp_path: Path) -> None:
    doc = crack_one(factories.broken_xref_pdf(tmp_path / "broken.pdf", "xref damage survivor"))
    assert doc["content"] == "xref damage survivor"
    assert doc["warnings"] == [XREF_WARNING]
    assert XREF_WARNING == "damaged cross-reference table; text recovered by reconstruction"


def test_intact_xref_is_not_flagged(tmp_path: Path) -> None:
    intact = [factories.text_pdf(tmp_path / "a.pdf", ["x"]), factories.cyclic_xobject_pdf(tmp_path / "c.pdf")]
    for path in intact:
        assert not pdf_module.xref_damaged(path.read_bytes())


@pytest.mark.timeout(20)
def test_cyclic_form_xobjects_do_not_hang(tmp_path: Path) -> None:
    doc = crack_one(factories.cyclic_xobject_pdf(tmp_path / "cycle.pdf"))
    assert "cycle survivor" in doc["content"]
    assert doc["warnings"] == []


@pytest.mark.timeout(20)
def test_exponential_form_cycle_skips_the_page_instead_of_hanging(tmp_path: Path) -> None:
    # Each form draws the other twice: pdfium would parse 2^40 forms loading this page.
    doc = crack_one(factories.cyclic_xobject_pdf(tmp_path / "bomb.pdf", fan_out=2))
    assert doc["pages"][0]["text"] == ""
    assert doc["warnings"] == [f"page 1: {pdf_module.EXPLOSIVE_FORMS}; page skipped"]


def test_pdfplumber_opens_what_pdfium_refuses(tmp_path: Path, monkeypatch) -> None:
    def refuse(*args, **kwargs):
        raise pdf_module.pdfium.PdfiumError("Failed to load document (PDFium: Data format error).")

    monkeypatch.setattr(pdf_module.pdfium, "PdfDocument", refuse)
    doc = crack_one(factories.text_pdf(tmp_path / "odd.pdf", ["plumber page one", "plumber page two"]))
    assert [p["text"] for p in doc["pages"]] == ["plumber page one", "plumber page two"]
    assert doc["warnings"][0].startswith("pdfium could not open the PDF")


def test_pdf_dates() -> None:
    assert pdf_module.pdf_date("D:20240102030405+01'00'") == "2024-01-02T03:04:05+01:00"
    assert pdf_module.pdf_date("D:20240102030405-05'30") == "2024-01-02T03:04:05-05:30"
    assert pdf_module.pdf_date("D:2024") == "2024-01-01T00:00:00"
    assert pdf_module.pdf_date("D:20241399") is None


# ----------------------------------------------------------------- images


def test_png_is_one_document_with_the_file_as_image(tmp_path: Path) -> None:
    path = factories.png(tmp_path / "p.png", size=(64, 48))
    doc = crack_one(path)
    assert doc["content"] == ""
    assert doc["pages"] == [{"number": 1, "text": "", "needs_ocr": True, "offset": 0}]
    [image] = doc["images"]
    assert (image["kind"], image["format"], image["width"], image["height"]) == ("file", "png", 64, 48)
    assert (image["original_width"], image["original_height"]) == (64, 48)
    assert image["data"] == path.read_bytes()


def test_jpeg_exif_is_read(tmp_path: Path) -> None:
    doc = crack_one(factories.jpeg_with_exif(tmp_path / "j.jpg"))
    exif = doc["metadata"]["exif"]
    assert exif["Make"] == factories.EXIF_MAKE and exif["Model"] == factories.EXIF_MODEL
    assert exif["DateTimeOriginal"] == factories.EXIF_DATETIME_ORIGINAL
    assert doc["metadata"]["created"] == "2023-05-01T12:34:56"
    json.dumps(doc["metadata"])  # JSON-safe values only


def test_huge_png_is_not_decoded(tmp_path: Path) -> None:
    doc = crack_one(factories.huge_png(tmp_path / "huge.png", 20000, 20000))
    assert doc["images"] == []
    assert doc["warnings"] == [
        "image too large to decode (20000x20000 pixels > limit 89478485); not decoded"]
    assert Image.MAX_IMAGE_PIXELS == 89478485  # the guard is still on


def test_png_between_one_and_two_times_the_limit_is_also_too_large(tmp_path: Path) -> None:
    doc = crack_one(factories.huge_png(tmp_path / "big.png", 10000, 10000))
    assert doc["images"] == [] and "10000x10000" in doc["warnings"][0]


def test_truncated_image_is_unreadable(tmp_path: Path) -> None:
    data = factories.jpeg_with_exif(tmp_path / "j.jpg").read_bytes()
    with pytest.raises(CrackError, match="^unreadable image: "):
        crack(Blob(uri="mem://t", name="t.jpg", data=data[: len(data) // 2]))


# ------------------------------------------------------- normalised images


def decoded(image: dict) -> Image.Image:
    """The image's ``data`` decoded (and checked against its declared size and format)."""
    with Image.open(io.BytesIO(image["data"])) as opened:
        opened.load()
        assert opened.size == (image["width"], image["height"])
        assert opened.format.lower() == image["format"]
        return opened.copy()


def test_image_limits_are_documented_constants() -> None:
    assert (MAX_IMAGE_SIDE, MIN_IMAGE_SIDE, MIN_IMAGE_THICKNESS) == (2000, 50, 16)
    assert RENDER_MAX_PX == MAX_IMAGE_SIDE
    assert base.is_tiny(600, 3) and base.is_tiny(40, 40) and base.is_tiny(30, 30)
    assert not base.is_tiny(200, 40) and not base.is_tiny(50, 16)
    assert base.fitted_size(3000, 1500) == (2000, 1000)
    assert base.fitted_size(1500, 4000) == (750, 2000)
    assert base.fitted_size(640, 480) == (640, 480)  # never scaled up


def test_big_embedded_jpeg_is_capped_with_its_original_size(tmp_path: Path) -> None:
    doc = crack_one(factories.flow_pdf(tmp_path / "big.pdf", ["A big photo below.", (3000, 1500)]))
    [image] = doc["images"]
    assert (image["id"], image["kind"], image["page"]) == ("p1-i0", "embedded", 1)
    assert (image["original_width"], image["original_height"]) == (3000, 1500)
    assert (image["width"], image["height"]) == (2000, 1000)
    picture = decoded(image)
    assert (picture.size, picture.mode, image["format"]) == ((2000, 1000), "RGB", "jpeg")
    page = doc["pages"][0]
    x0, y0, x1, y1 = image["bbox"]
    assert 0 <= x0 < x1 <= page["width"] and 0 <= y0 < y1 <= page["height"]
    assert (x1 - x0) / (y1 - y0) == pytest.approx(2.0, rel=0.01)  # 60 mm x 30 mm on the page
    assert doc["warnings"] == []


def test_small_embedded_jpeg_keeps_its_stored_bytes(tmp_path: Path) -> None:
    doc = crack_one(factories.flow_pdf(tmp_path / "small.pdf", ["x", (400, 300)]))
    [image] = doc["images"]
    assert image["data"] == factories.photo_bytes((400, 300), "JPEG")  # no second lossy pass
    assert (image["width"], image["height"], image["format"]) == (400, 300, "jpeg")


def test_flate_image_is_normalised_by_colour_count(tmp_path: Path) -> None:
    doc = crack_one(factories.flow_pdf(tmp_path / "flate.pdf", ["x", (2400, 600)], image_format="PNG"))
    [image] = doc["images"]
    assert (image["original_width"], image["original_height"]) == (2400, 600)
    assert (decoded(image).size, image["format"]) == ((2000, 500), "jpeg")  # a photo: many colours


def test_normalise_image_formats_and_modes() -> None:
    flat = Image.new("RGB", (300, 200), (255, 255, 255))
    flat.paste((200, 30, 30), (50, 50, 150, 150))
    out = base.normalise_image(flat)
    assert (out.format, out.width, out.height) == ("png", 300, 200)  # few colours: PNG
    grey = Image.open(io.BytesIO(factories.photo_bytes((300, 200), "PNG"))).convert("L").convert("RGB")
    out = base.normalise_image(grey)
    with Image.open(io.BytesIO(out.data)) as again:
        assert (again.mode, again.format) == ("L", "JPEG")  # grey RGB stored as L; many greys: JPEG
    logo = Image.new("RGBA", (120, 60), (0, 0, 0, 0))
    logo.paste((0, 0, 0, 255), (10, 10, 60, 50))
    out = base.normalise_image(logo)
    with Image.open(io.BytesIO(out.data)) as again:  # transparency: composited on white, PNG
        assert (out.format, again.mode) == ("png", "L")
        assert again.getpixel((100, 5)) == 255 and again.getpixel((20, 20)) == 0
    deep = Image.new("I;16", (2500, 100), 65535)
    out = base.normalise_image(deep)
    with Image.open(io.BytesIO(out.data)) as again:  # 16-bit scaled to 8-bit, capped
        assert (again.mode, again.size, again.getpixel((0, 0))) == ("L", (2000, 80), 255)


def test_embedded_image_offset_is_between_the_paragraphs(tmp_path: Path) -> None:
    before = "Before the picture: " + "alpha words here " * 12
    after = "After the picture: " + "omega words there " * 12
    path = factories.flow_pdf(tmp_path / "flow.pdf", [(200, 100), before, (400, 200), after, (100, 100)])
    doc = crack_one(path)
    text = doc["pages"][0]["text"]
    top, middle, bottom = doc["images"]
    assert [i["id"] for i in doc["images"]] == ["p1-i0", "p1-i1", "p1-i2"]
    assert top["offset"] == 0  # above all text
    assert bottom["offset"] == len(text)  # below all text
    at = middle["offset"]
    assert text.index("Before") < text.index("omega") and 0 < at < len(text)
    assert "alpha" in text[:at] and "omega" not in text[:at] and "After" not in text[:at]
    assert "alpha" not in text[at:] and text[at:].startswith("After the picture:")
    assert top["bbox"][1] < middle["bbox"][1] < bottom["bbox"][1]  # top-left origin


def test_offset_maps_pdfium_characters_to_page_text(tmp_path: Path) -> None:
    # Characters outside the page box are in pdfium's character list but not in the text.
    doc = crack_one(factories.offpage_text_pdf(tmp_path / "off.pdf"))
    text = doc["pages"][0]["text"]
    assert text == "Above the picture\nBelow the picture" and "hidden" not in doc["content"]
    [image] = doc["images"]
    assert text[:image["offset"]] == "Above the picture\n"
    # Drawn inside a form XObject translated by (72, 540): bbox in page space.
    assert image["bbox"] == pytest.approx([72.0, 792 - 700, 272.0, 792 - 540])


def test_clean_positions_follow_line_break_and_nul_cleanup() -> None:
    raw = "ab\r\ncd\x00e\rf"
    clean = pdf_module._clean_text(raw)
    positions = pdf_module._clean_positions(raw)
    assert clean == "ab\ncde\nf"
    for k, char in enumerate(raw):
        if char not in "\r\x00":
            assert clean[positions[k]] == char


def test_rules_and_logos_are_skipped_banners_kept(tmp_path: Path) -> None:
    path = factories.flow_pdf(tmp_path / "deco.pdf", ["Decorations", (600, 3), (30, 30), (40, 40),
                                                      (200, 40)])
    doc = crack_one(path)
    assert [(i["id"], i["original_width"], i["original_height"]) for i in doc["images"]] == [
        ("p1-i3", 200, 40)]  # ids count the skipped images, so they do not shift
    assert doc["warnings"] == []


def test_huge_embedded_image_fails_only_that_image(tmp_path: Path) -> None:
    doc = crack_one(factories.huge_image_pdf(tmp_path / "huge.pdf", 20000, 20000))
    assert doc["content"] == "huge image survivor"
    assert doc["warnings"] == [
        "page 1 image 0: too large to decode (20000x20000 pixels > limit 89478485); skipped"]
    [image] = doc["images"]  # the other image on the page is still there
    assert (image["id"], image["width"], image["height"]) == ("p1-i1", 100, 80)
    assert Image.MAX_IMAGE_PIXELS == 89478485  # the guard is still on


def test_embedded_image_over_a_lowered_pixel_limit_is_skipped(tmp_path: Path, monkeypatch) -> None:
    path = factories.flow_pdf(tmp_path / "two.pdf", ["x", (3000, 1500), (400, 300)])
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1_000_000)
    doc = crack_one(path)
    assert doc["warnings"] == [
        "page 1 image 0: too large to decode (3000x1500 pixels > limit 1000000); skipped"]
    assert [i["id"] for i in doc["images"]] == ["p1-i1"]


def test_render_of_a_huge_page_is_capped(tmp_path: Path) -> None:
    doc = crack_one(factories.textless_pdf(tmp_path / "poster.pdf", 14400, 7200))  # 200 x 100 in
    [render] = doc["images"]
    assert (render["id"], render["kind"], render["offset"], render["needs_ocr"]) == (
        "p1-render", "page_render", 0, True)
    assert (render["width"], render["height"]) == (2000, 1000)
    assert (render["original_width"], render["original_height"]) == (2000, 1000)
    assert decoded(render).mode in ("RGB", "L")


def test_ids_and_bytes_are_stable_across_cracks(tmp_path: Path) -> None:
    flow = factories.flow_pdf(tmp_path / "flow.pdf", ["one", (3000, 1500), "two", (30, 30), (300, 200)])
    scan = factories.scanned_pdf(tmp_path / "scan.pdf", "Scanned words")
    for path in (flow, scan, factories.image_file(tmp_path / "t.tiff", (300, 200), "TIFF")):
        first, second = crack_one(path), crack_one(path)
        assert [i["id"] for i in first["images"]] == [i["id"] for i in second["images"]]
        assert first["images"] == second["images"]  # same bytes in, same bytes out
    assert [i["id"] for i in crack_one(flow)["images"]] == ["p1-i0", "p1-i2"]


def test_image_file_within_the_cap_keeps_its_bytes(tmp_path: Path) -> None:
    for name, fmt in (("k.jpg", "JPEG"), ("k.png", "PNG"), ("k.webp", "WEBP")):
        path = factories.image_file(tmp_path / name, (300, 200), fmt)
        [image] = crack_one(path)["images"]
        assert image["data"] == path.read_bytes()
        assert (image["format"], image["width"], image["original_width"]) == (fmt.lower(), 300, 300)
        assert (image["offset"], image["bbox"]) == (0, None)


@pytest.mark.parametrize("fmt", ["BMP", "TIFF", "GIF"])
def test_bmp_tiff_gif_files_become_png(tmp_path: Path, fmt: str) -> None:
    path = factories.image_file(tmp_path / f"p.{fmt.lower()}", (300, 200), fmt)
    doc = crack_one(path)
    [image] = doc["images"]
    assert doc["metadata"]["content_type"] == f"image/{fmt.lower()}"
    assert (image["format"], image["width"], image["height"]) == ("png", 300, 200)
    picture = decoded(image)
    assert picture.mode in ("RGB", "L")
    if fmt != "GIF":  # lossless: the very same pixels (GIF had to be quantised when written)
        with Image.open(path) as original:
            assert picture.convert("RGB").tobytes() == original.convert("RGB").tobytes()


def test_big_image_file_is_capped(tmp_path: Path) -> None:
    path = factories.image_file(tmp_path / "big.jpg", (4000, 3000), "JPEG")
    [image] = crack_one(path)["images"]
    assert (image["original_width"], image["original_height"]) == (4000, 3000)
    assert (image["width"], image["height"], image["format"]) == (2000, 1500, "jpeg")
    assert decoded(image).size == (2000, 1500)


def test_rotated_and_transparent_files_are_normalised(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to view
    rotated = tmp_path / "r.jpg"
    Image.open(io.BytesIO(factories.photo_bytes((300, 200)))).save(rotated, exif=exif.tobytes())
    [image] = crack_one(rotated)["images"]
    assert (image["original_width"], image["original_height"]) == (300, 200)
    assert (image["width"], image["height"]) == (200, 300)  # upright
    clear = tmp_path / "a.png"
    Image.new("RGBA", (120, 80), (0, 0, 0, 0)).save(clear)
    [image] = crack_one(clear)["images"]
    assert image["data"] != clear.read_bytes() and image["format"] == "png"
    assert decoded(image).getextrema() == (255, 255)  # transparent -> white, not black


def test_tiny_image_file_is_still_the_document(tmp_path: Path) -> None:
    [image] = crack_one(factories.image_file(tmp_path / "i.png", (30, 30), "PNG"))["images"]
    assert (image["id"], image["width"]) == ("file", 30)


# ------------------------------------------------------------ text, HTML


def test_invalid_utf8_is_replaced_with_a_warning(tmp_path: Path) -> None:
    doc = crack_one(factories.invalid_utf8_txt(tmp_path / "bad.txt"))
    assert doc["warnings"] == ["invalid UTF-8: 3 undecodable bytes replaced"]
    assert "Caf\u00e9 na\u00efve" in doc["content"] and "\ufffd" in doc["content"]


def test_legacy_charset_is_detected() -> None:
    text = ("Le rapport annuel pr\u00e9sente les r\u00e9sultats de l'\u00e9quipe pour la saison. "
            "Les joueurs ont marqu\u00e9 beaucoup de points, et le caf\u00e9 \u00e9tait ferm\u00e9.\n") * 3
    doc = crack(Blob(uri="mem://l", name="l.txt", data=text.encode("cp1252")))[0]
    assert doc["warnings"] == []
    assert doc["content"] == text


def test_a_text_with_a_few_accents_reads_as_windows_1252() -> None:
    """Too few 8-bit bytes for a charset guess: it had read "café" as "caf" and an Arabic
    letter."""
    text = "The caf\u00e9 by the quay serves cr\u00eapes on Mondays and Fridays.\n"
    doc = crack(Blob(uri="mem://c", name="c.txt", data=text.encode("cp1252")))[0]
    assert (doc["content"], doc["warnings"]) == (text, [])


def test_markdown_title_is_the_first_heading() -> None:
    doc = crack(Blob(uri="mem://m", name="r.md", data=b"intro line\n\n## Scouting report ##\nbody"))[0]
    assert doc["metadata"]["title"] == "Scouting report"
    assert doc["metadata"]["content_type"] == "text/markdown"


def test_html_drops_script_and_keeps_blocks() -> None:
    html = (b"<!doctype html><html><head><title>Box score</title><style>p{}</style>"
            b"<script>var secret = 1;</script><meta name='author' content='Ann'></head>"
            b"<body><h1>Lakers  win</h1><p>LeBron&nbsp;scored <b>40</b>.</p><ul><li>one</li><li>two</li></ul>"
            b"</body></html>")
    doc = crack(Blob(uri="mem://h", name="h.html", data=html))[0]
    assert doc["content"] == "Lakers win\nLeBron scored 40.\none\ntwo"  # nbsp and runs collapse
    assert "secret" not in doc["content"] and "p{}" not in doc["content"]
    assert (doc["metadata"]["title"], doc["metadata"]["author"]) == ("Box score", "Ann")


# ------------------------------------------------------------------- DOCX


def test_docx_paragraphs_and_table_in_order(tmp_path: Path) -> None:
    path = factories.docx(tmp_path / "d.docx", ["First paragraph", "Second paragraph"],
                          table=[["player", "points"], ["LeBron", "40"]], title="Report", author="Ann")
    doc = crack_one(path)
    assert doc["content"] == "First paragraph\nSecond paragraph\nplayer\tpoints\nLeBron\t40"
    meta = doc["metadata"]
    assert (meta["title"], meta["author"], meta["created"]) == ("Report", "Ann", "2024-01-02T03:04:05+00:00")


def test_corrupt_docx_raises(tmp_path: Path) -> None:
    data = factories.docx(tmp_path / "d.docx", ["x"]).read_bytes()
    with pytest.raises(CrackError, match="^unreadable DOCX: "):
        crack(Blob(uri="mem://d", name="d.docx", data=data[: len(data) // 2]))

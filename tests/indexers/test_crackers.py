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
from indexers.crackers.pdf import ENCRYPTED, RENDER_MAX_PX, XREF_WARNING
from tests import factories

MM = 72 / 25.4  # points per millimetre


def blob_of(path: Path, name: str | None = None) -> Blob:
    return Blob(uri=path.as_uri(), name=name or path.name, data=path.read_bytes())


def crack_one(path: Path, name: str | None = None) -> dict:
    docs = crack(blob_of(path, name))
    assert len(docs) == 1
    return docs[0]


# ---------------------------------------------------------------- registry


def test_registry_names_every_cracker() -> None:
    assert list(CRACKERS) == ["pdf", "image", "docx", "html", "csv", "jsonl", "text"]
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
    x0, y0, x1, y1 = image["bbox"]  # drawn at x=20 mm, y=60 mm from the top, 70 mm wide
    assert (x0, y0, x1 - x0) == pytest.approx((20 * MM, 60 * MM, 70 * MM), abs=0.5)
    assert 0 <= x0 < x1 <= doc["pages"][0]["width"] and 0 <= y0 < y1 <= doc["pages"][0]["height"]
    with Image.open(io.BytesIO(image["data"])) as decoded:
        assert (decoded.format, decoded.size) == ("PNG", (200, 150))


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


# -------------------------------------------------------------- tabular


def test_csv_rows_become_documents(tmp_path: Path) -> None:
    rows = [["name", "team", "points"], ["LeBron", "Lakers", 40], ["Curry", "", 31], ["Jokic", "Nuggets", 28]]
    path = factories.csv_file(tmp_path / "box.csv", rows)
    docs = crack(blob_of(path))
    assert [d["uri"] for d in docs] == [f"{path.as_uri()}#row={n}" for n in (1, 2, 3)]
    assert docs[0]["content"] == "name: LeBron\nteam: Lakers\npoints: 40"
    assert docs[1]["content"] == "name: Curry\npoints: 31"  # empty values left out
    assert [d["metadata"]["row"] for d in docs] == [1, 2, 3]
    assert docs[2]["metadata"]["columns"] == ["name", "team", "points"]
    assert all(d["metadata"]["content_type"] == "text/csv" for d in docs)


def test_csv_delimiter_is_sniffed(tmp_path: Path) -> None:
    path = factories.csv_file(tmp_path / "semi.csv", [["a", "b"], ["1;5", "2"], ["3", "4"]], delimiter=";")
    docs = crack(blob_of(path))
    assert [d["content"] for d in docs] == ["a: 1;5\nb: 2", "a: 3\nb: 4"]


def test_csv_with_only_a_header_raises(tmp_path: Path) -> None:
    with pytest.raises(CrackError, match="no data rows"):
        crack(blob_of(factories.csv_file(tmp_path / "h.csv", [["a", "b"]])))


def test_json_lines_with_a_bad_line() -> None:
    data = (b'{"title": "Game 1", "text": "Lakers beat Celtics"}\n\n'
            b'{"player": {"name": "LeBron", "points": 40}, "active": true}\n'
            b"{oops\n[1, 2]\n")
    docs = crack(Blob(uri="mem://g.jsonl", name="g.jsonl", data=data))
    assert [d["uri"] for d in docs] == ["mem://g.jsonl#line=1", "mem://g.jsonl#line=3"]
    assert (docs[0]["content"], docs[0]["metadata"]["title"]) == ("Lakers beat Celtics", "Game 1")
    assert docs[1]["content"] == "player.name: LeBron\nplayer.points: 40"
    assert docs[0]["warnings"][0].startswith("line 4: invalid JSON: ")
    assert docs[0]["warnings"][1] == "line 5: not a JSON object (list)"


def test_json_lines_with_no_good_line_raise() -> None:
    with pytest.raises(CrackError, match="^no valid JSON lines: line 1: invalid JSON"):
        crack(Blob(uri="mem://b", name="b.jsonl", data=b"{nope\n"))


def test_big_csv_streams_rows(tmp_path: Path) -> None:
    rows = [["id", "text"]] + [[i, f"row number {i}"] for i in range(50_000)]
    docs = crack(blob_of(factories.csv_file(tmp_path / "big.csv", rows)))
    assert len(docs) == 50_000 and docs[-1]["uri"].endswith("#row=50000")
    assert docs[-1]["content"] == "id: 49999\ntext: row number 49999"

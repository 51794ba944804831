"""Content sniffing: magic bytes win, extensions only break ties between text formats."""

from __future__ import annotations

import io
import zipfile

import pytest

from indexers.crackers.sniff import DOCX, NDJSON, sniff
from enrich.testing import factories


def _zip(names: list[str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for name in names:
            archive.writestr(name, "<x/>")
    return buf.getvalue()


@pytest.mark.parametrize("data, name, expected", [
    (b"", "a.pdf", "application/x-empty"),
    (b"%PDF-1.7\n...", "notes.txt", "application/pdf"),
    (b"\n\n   junk before the header %PDF-1.4\n", "x", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "photo.pdf", "image/png"),
    (b"\xff\xd8\xff\xe0\x00\x10JFIF", "x.txt", "image/jpeg"),
    (b"GIF89a\x01\x00\x01\x00", "x", "image/gif"),
    (b"II*\x00\x08\x00\x00\x00", "x", "image/tiff"),
    (b"MM\x00*\x00\x00\x00\x08", "x", "image/tiff"),
    (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "x", "image/webp"),
    (b"BMW annual report, 2023 edition\n", "bmw.txt", "text/plain"),
    (b"\x00\x01\x02\x03binary", "data.txt", "application/octet-stream"),
    (b"<!DOCTYPE html><html><body>x</body></html>", "page.txt", "text/html"),
    (b"\xef\xbb\xbf  <html lang='en'><p>hi</p></html>", "x", "text/html"),
    (b"<p>fragment</p>", "frag.html", "text/html"),
    (b"no markup here", "frag.html", "text/plain"),
    (b"a,b\n1,2\n", "data.csv", "text/csv"),
    (b"name;age;city\nann;3;Oslo\nbob;4;Rome\n", "export", "text/csv"),
    (b'{"a": 1}\n{"b": "two"}\n', "records", NDJSON),
    (b"anything\n", "x.jsonl", NDJSON),
    (b"# Title\n\ntext", "readme.md", "text/markdown"),
    (b"Hello, world.\nHow are you, today, friend?\nFine.\n", "x", "text/plain"),
    (b"name;age\nann;3\n", "export.txt", "text/plain"),  # .txt breaks the tie
])
def test_sniff(data: bytes, name: str, expected: str) -> None:
    assert sniff(data, name) == expected


def test_zip_with_word_document_is_docx(tmp_path) -> None:
    data = factories.docx(tmp_path / "a.bin", ["hello"]).read_bytes()
    assert sniff(data, "a.bin") == DOCX
    assert sniff(_zip(["readme.txt"]), "a.docx") == "application/zip"


def test_damaged_docx_is_still_docx_by_member_name() -> None:
    data = _zip(["[Content_Types].xml", "word/document.xml"])
    assert sniff(data[: len(data) // 2], "broken.docx") == DOCX


def test_generated_fixtures_sniff_as_their_format(tmp_path) -> None:
    cases = {
        factories.text_pdf(tmp_path / "a.txt", ["x"]): "application/pdf",
        factories.png(tmp_path / "b.pdf"): "image/png",
        factories.jpeg_with_exif(tmp_path / "c.png"): "image/jpeg",
        factories.csv_file(tmp_path / "d.csv", [["a", "b"], [1, 2]]): "text/csv",
        factories.invalid_utf8_txt(tmp_path / "e.txt"): "text/plain",
    }
    for path, expected in cases.items():
        assert sniff(path.read_bytes(), path.name) == expected, path.name

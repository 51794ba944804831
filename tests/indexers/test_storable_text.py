"""Text a store can hold: a lone surrogate (what a lenient decoder leaves of raw 8-bit
bytes) cannot be encoded as UTF-8, and one such string made SQLite refuse the whole
batch, stopping the run. crack() makes every string of a document storable."""

from __future__ import annotations

import io
import sqlite3
import tarfile

from enrich.indexer import IndexOptions, run_index
from enrich.testing.fuzz import outcome
from enrich.tree import strings
from indexers.crackers import Blob, crack
from indexers.crackers.base import make_storable, storable_text

RAW_FROM = (b"From: Jos\xe9 Mar\xeda <jose@example.org>\r\nTo: a@example.org\r\n"
            b"Subject: Caf\xe9 notes\r\nDate: Mon, 2 Dec 2024 10:00:00 +0000\r\n\r\n"
            b"Harbour words in the body.\r\n")


def _latin1_tar() -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.GNU_FORMAT,
                      encoding="latin-1") as archive:
        data = b"Quay words inside."
        info = tarfile.TarInfo("caf\xe9.txt")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    return out.getvalue()


def test_escaped_bytes_read_as_cp1252_and_other_surrogates_replaced_one_for_one():
    assert storable_text("Jos\udce9") == "José"
    assert storable_text("a\ud800b") == "a\ufffdb"
    assert storable_text("plain") == "plain"
    tree = make_storable({"k\udce9": ["x\udc80y", ("t\udce9",)], "n": 1, "b": b"\xff"})
    assert tree == {"ké": ["x€y", ("té",)], "n": 1, "b": b"\xff"}


def test_raw_8_bit_mail_headers_and_latin_1_tar_names_crack_to_storable_text():
    for name, data in (("raw.eml", RAW_FROM), ("names.tar", _latin1_tar())):
        documents = crack(Blob(uri=f"file:///d/{name}", name=name, data=data, size=len(data)))
        for text in strings(documents, keys=True):
            text.encode("utf-8")  # raises on a lone surrogate
        assert outcome(name, data)[0] in ("ok", "partial")
    mail = crack(Blob(uri="file:///d/raw.eml", name="raw.eml", data=RAW_FROM,
                      size=len(RAW_FROM)))[0]
    assert mail["metadata"]["from"] == ["José María <jose@example.org>"]


def test_a_run_over_them_goes_on_and_stores_both(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "raw.eml").write_bytes(RAW_FROM)
    (folder / "names.tar").write_bytes(_latin1_tar())
    summary = run_index(str(folder), IndexOptions(
        data_dir=str(tmp_path / "data"), workers=0,
        skillset={"skills": ["language"], "entities": []}))
    assert summary.status == "ok" and summary.documents["failed"] == 0
    with sqlite3.connect(tmp_path / "data" / "enrich.sqlite") as db:
        uris = {row[0] for row in db.execute("SELECT uri FROM documents")}
    tar_uri = (folder / "names.tar").as_uri()
    assert (folder / "raw.eml").as_uri() in uris
    assert any(uri.startswith(f"{tar_uri}#member=caf") for uri in uris), uris


def test_an_item_the_store_cannot_hold_fails_alone_with_the_reason(tmp_path, monkeypatch):
    """The safety net under the cleaning: were a lone surrogate to reach the store, that
    item fails at stage ``store`` and the batch and the run go on."""
    import indexers.crackers as crackers
    monkeypatch.setattr(crackers, "make_storable", lambda document: document)
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "raw.eml").write_bytes(RAW_FROM)
    (folder / "good.md").write_text("# Quay\n\nPlain words.\n")
    summary = run_index(str(folder), IndexOptions(
        data_dir=str(tmp_path / "data"), workers=0, batch_size=4,
        skillset={"skills": ["language"], "entities": []}))
    assert summary.status == "ok"
    assert (summary.documents["indexed"], summary.documents["failed"]) == (1, 1)
    failure, = [e for e in summary.errors if e["severity"] == "error"]
    assert failure["stage"] == "store" and failure["uri"].endswith("raw.eml")
    assert "cannot be stored: UnicodeEncodeError" in failure["message"]
    with sqlite3.connect(tmp_path / "data" / "enrich.sqlite") as db:
        uris = {row[0] for row in db.execute("SELECT uri FROM documents")}
        state = db.execute("SELECT status FROM sources WHERE uri LIKE '%raw.eml'").fetchone()
    assert uris == {(folder / "good.md").as_uri()} and state == ("failed",)


def _padded_package(kind_part: str, data: bytes, extra: int) -> bytes:
    """``data`` (a real OOXML package) with one more part of ``extra`` zero bytes."""
    import zipfile
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info, source.read(info))
        target.writestr(kind_part, b"\0" * extra)
    return out.getvalue()


def test_office_packages_are_held_to_the_container_limits_before_inflating():
    """A DOCX/XLSX/PPTX goes to its library whole: a zero-filled part is refused by its
    declared size and ratio first (it took 1.7 GB of memory before)."""
    import pytest

    from enrich.testing import office_factories as of
    from indexers.crackers import CrackError
    seeds = of.seed_files()
    for name in ("sheets.xlsx", "slides.pptx", "pictures.docx"):
        good = seeds[name]
        assert crack(Blob(uri=f"file:///d/{name}", name=name, data=good, size=len(good)))
        bomb = _padded_package("customXml/item9.xml", good, 40 << 20)
        assert len(bomb) < 200_000
        with pytest.raises(CrackError, match="possible zip bomb"):
            crack(Blob(uri=f"file:///d/{name}", name=name, data=bomb, size=len(bomb)))

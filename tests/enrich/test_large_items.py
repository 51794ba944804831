"""Large items are cracked from a file mapped into memory, not read into it.

A PDF with 40 MB of padding after its end is cracked by a worker while tracemalloc
counts Python's allocations: had the item been read, the peak would hold it whole.
"""

from __future__ import annotations

import os
import tempfile
import tracemalloc
from pathlib import Path

import pytest

from indexers.sources import LocalSource, SourceItem
from indexers.sources.blob import spool

from enrich import worker as worker_module
from enrich.skillset import Skillset
from enrich.worker import Worker, WorkerConfig
from enrich.testing import factories

PADDING = 40 << 20


def padded_pdf(path: Path) -> Path:
    factories.text_pdf(path, ["Zorvex sailed the long ship.", "Quilmar waited ashore."])
    with path.open("ab") as out:  # readers ignore what follows the last %%EOF
        out.write(b"\n%" + os.urandom(PADDING).replace(b"startxref", b"_________"))
    return path


def crack_one(source, item: SourceItem):
    """What a worker makes of ``item``: read (or mapped) and cracked (no skills run,
    so that only the item's own memory is counted)."""
    config = WorkerConfig(source_uri=source.uri)
    work = Worker(Skillset.from_dict({"skills": [{"skill": "language"}]}), config)
    work.source = source
    return work.crack([(item, None)])[0]


def item_of(source) -> SourceItem:
    return next(iter(source.list()))


@pytest.mark.slow
def test_a_large_local_pdf_is_cracked_without_reading_it_into_memory(tmp_path):
    source = LocalSource(str(padded_pdf(tmp_path / "big.pdf")))
    item = item_of(source)
    assert item.size > PADDING and item.size > worker_module.MAP_BYTES
    tracemalloc.start()
    try:
        result = crack_one(source, item)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.status == "ok", result.message
    pages = result.documents[0]["pages"]
    assert "Zorvex" in pages[0]["text"] and "Quilmar" in pages[1]["text"]
    assert peak < PADDING / 4, f"peak {peak:,} bytes: the item was read into memory"


def test_mapped_and_read_items_crack_the_same(tmp_path, monkeypatch):
    folder = tmp_path / "docs"
    folder.mkdir()
    factories.text_pdf(folder / "a.pdf", ["LeBron James wore Nike shoes."], image=True)
    (folder / "b.md").write_text("# Notes\n\nStephen Curry in San Francisco.\n")
    source = LocalSource(str(folder))
    read = [crack_one(source, item) for item in source.list()]
    monkeypatch.setattr(worker_module, "MAP_BYTES", 0)  # map everything
    mapped = [crack_one(source, item) for item in source.list()]
    assert [r.status for r in mapped] == ["ok", "ok"]
    for a, b in zip(read, mapped):
        assert a.sha256 == b.sha256
        assert [p["text"] for p in a.documents[0]["pages"]] == \
            [p["text"] for p in b.documents[0]["pages"]]
        assert len(a.documents[0]["images"]) == len(b.documents[0]["images"])


class SpooledSource:
    """A blob-like source: ``open`` spools the bytes as the blob sources do."""

    def __init__(self, path: Path) -> None:
        self.path, self.uri = path, path.as_uri()

    def list(self):
        yield SourceItem(uri=self.uri, name=self.path.name, size=self.path.stat().st_size,
                         mtime=0.0, version="1")

    def read(self, item):
        raise AssertionError("a large item is opened, not read")

    def open(self, item):
        with self.path.open("rb") as raw:
            return spool(iter(lambda: raw.read(1 << 20), b""), item.name, item.size, None)


@pytest.mark.slow
def test_a_large_download_is_spooled_to_disk_and_mapped(tmp_path):
    source = SpooledSource(padded_pdf(tmp_path / "big.pdf"))
    with source.open(item_of(source)) as file:
        assert file._rolled  # on disk beyond SPOOL_BYTES
    result = crack_one(source, item_of(source))
    assert result.status == "ok", result.message
    assert "Zorvex" in result.documents[0]["pages"][0]["text"]
    assert not any(name.startswith("tmp") and (Path(tempfile.gettempdir()) / name).is_file()
                   and (Path(tempfile.gettempdir()) / name).stat().st_size > PADDING
                   for name in os.listdir(tempfile.gettempdir()))  # spooled file removed

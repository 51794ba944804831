"""The document contract: the paths crackers write are the paths they declare.

``indexers.crackers.CRACKED_PATHS`` is what the skillset validation checks a skill's
inputs against. Every registered cracker cracks a tiny real input here: each path in
its documents must be declared, and every declared path must be written by some
cracker (a stale declaration would let a skillset pass validation and read nothing).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest

from enrich.testing import container_factories, factories, msg_factory, office_factories
from indexers.crackers import CRACKED_PATHS, CRACKERS, Blob, crack, pick_cracker
from indexers.sources import open_source

OPAQUE = tuple(p for p in CRACKED_PATHS if p.endswith("/"))
EXACT = {p for p in CRACKED_PATHS if not p.endswith("/")}


def _file(path: Path) -> Blob:
    return Blob(uri=path.as_uri(), name=path.name, data=path.read_bytes())


def _bytes(name: str, data: bytes) -> Callable[[Path], Blob]:
    return lambda tmp: Blob(uri=f"file:///{name}", name=name, data=data)


def _record(tmp: Path) -> Blob:
    """A CSV row read as an item of its own (``--parsing-mode csv``), as the indexer does."""
    table = factories.csv_file(tmp / "players.csv", [["name", "team"], ["LeBron", "Lakers"]])
    source = open_source(str(table), parsing_mode="csv")
    item = next(iter(source.list()))
    return Blob(uri=item.uri, name=item.name, data=source.read(item),
                mime_type=getattr(item, "content_type", None))


# Crackers that only refuse (a reason for formats that cannot be read; tested with
# their formats) write no documents.
REFUSING = {"legacy-office"}
WRITING = [name for name in CRACKERS if name not in REFUSING]

# One tiny real input per cracker, named as CRACKERS names it.
SAMPLES: dict[str, Callable[[Path], Blob]] = {
    "pdf": lambda tmp: _file(factories.text_pdf(tmp / "notes.pdf", ["LeBron scored.", "Nike"],
                                                image=True, title="Notes")),
    "image": lambda tmp: _file(factories.jpeg_with_exif(tmp / "photo.jpg", size=(120, 90))),
    "docx": lambda tmp: _file(factories.docx(tmp / "memo.docx", ["Hello", "World"],
                                             table=[["a", "b"]], title="Memo")),
    "xlsx": lambda tmp: _file(office_factories.xlsx(tmp / "t.xlsx", {"S": [["name", 1]]},
                                                    title="Sheet")),
    "pptx": lambda tmp: _file(office_factories.pptx(tmp / "t.pptx", [
        {"title": "Slide", "picture": factories.photo_bytes((120, 90))}])),
    "xls": lambda tmp: _file(office_factories.xls(tmp / "t.xls", {"S": [["name", 1]]})),
    "html": _bytes("page.html", b"<html><head><title>T</title></head><body><p>Hi there</p>"
                                b"</body></html>"),
    "csv": lambda tmp: _file(factories.csv_file(tmp / "t.csv", [["name", "team"],
                                                                ["Curry", "Warriors"]])),
    "jsonl": _bytes("t.jsonl", b'{"name": "LeBron", "team": "Lakers"}\n{"name": "Curry"}\n'),
    "record": _record,
    "text": _bytes("readme.md", b"# Title\n\nSome text about LeBron James.\n"),
    "email": _bytes("m.eml", container_factories.seed_files()["message.eml"]),
    "mbox": _bytes("b.mbox", container_factories.seed_files()["box.mbox"]),
    "zip": _bytes("box.zip", container_factories.seed_files()["members.zip"]),
    "tar": _bytes("box.tar.gz", container_factories.seed_files()["members.tar.gz"]),
    "7z": _bytes("box.7z", container_factories.seed_files()["members.7z"]),
    "outlook-msg": _bytes("m.msg", msg_factory.seed_files()["mail.msg"]),
}


def paths(node: dict[str, Any], prefix: str = "/document") -> set[str]:
    """Every path in a document tree; a list of nodes fans out as ``*``."""
    found = set()
    for key, value in node.items():
        path = f"{prefix}/{key}"
        found.add(path)
        if isinstance(value, dict):
            found |= paths(value, path)
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            found.add(path + "/*")
            for item in value:
                found |= paths(item, path + "/*")
    return found


def declared(path: str) -> bool:
    return path in EXACT or any(path == o.rstrip("/") or path.startswith(o) for o in OPAQUE)


def cracked(name: str, tmp: Path) -> list[dict[str, Any]]:
    assert name in SAMPLES, f"cracker {name!r} has no sample input here: add one"
    blob = SAMPLES[name](tmp)
    documents = crack(blob)
    assert pick_cracker(blob).name == name, f"the {name!r} sample went to another cracker"
    return documents


@pytest.mark.parametrize("name", WRITING)
def test_a_cracker_writes_only_declared_paths(name, tmp_path):
    documents = cracked(name, tmp_path)
    assert documents
    for document in documents:
        written = paths(document)
        assert not sorted(p for p in written if not declared(p)), \
            "add these paths to CRACKED_PATHS (indexers/crackers/base.py), or stop writing them"
        assert {"/document/uri", "/document/content", "/document/metadata",
                "/document/pages", "/document/images", "/document/warnings"} <= written


def test_every_declared_path_is_written_by_some_cracker(tmp_path):
    written = set()
    for name in WRITING:
        folder = tmp_path / name
        folder.mkdir()
        written |= {p for document in cracked(name, folder) for p in paths(document)}
    assert sorted(EXACT - written) == []
    assert all(any(p.startswith(o) for p in written) for o in OPAQUE)

"""Rows: CSV and JSON Lines files cracked into one document per row, the one id rule
and document shape that record items share with them, and no import circle between
crackers and sources."""

import ast
from pathlib import Path

import pytest

import indexers.crackers
from enrich.records import document_id
from enrich.testing import factories
from indexers.crackers import Blob, CrackError, crack
from tests.indexers.record_helpers import (NOTES, cracked, hits, index, notes_folder, records,
                                           stored, write_csv)


def blob_of(path: Path) -> Blob:
    return Blob(uri=path.as_uri(), name=path.name, data=path.read_bytes())


# ------------------------------------------------------------------ files cracked into rows


def test_csv_rows_become_documents(tmp_path: Path) -> None:
    rows = [["name", "team", "points"], ["LeBron", "Lakers", 40], ["Curry", "", 31], ["Jokic", "Nuggets", 28]]
    path = factories.csv_file(tmp_path / "box.csv", rows)
    docs = crack(blob_of(path))
    assert [d["uri"] for d in docs] == [f"{path.as_uri()}#row={n}" for n in (1, 2, 3)]
    assert docs[0]["content"] == "name: LeBron\nteam: Lakers\npoints: 40"
    assert docs[1]["content"] == "name: Curry\npoints: 31"  # empty values left out
    meta = [d["metadata"] for d in docs]
    assert [(m["key_column"], m["key"]) for m in meta] == [("row", 1), ("row", 2), ("row", 3)]
    assert meta[1]["record"] == {"name": "Curry", "team": "", "points": "31"}  # header order
    assert [m["title"] for m in meta] == ["LeBron", "Curry", "Jokic"]  # the name column
    assert all(m["content_type"] == "text/csv" and m["format"] == "csv" for m in meta)
    assert all(m["origin"] == path.as_uri() and m["file_name"] == "box.csv" for m in meta)


def test_csv_rows_without_a_title_column_are_titled_by_their_name(tmp_path: Path) -> None:
    path = factories.csv_file(tmp_path / "t.csv", [["a", "b"], ["1", "2"], ["", ""], ["3", "4"]])
    assert [d["metadata"]["title"] for d in crack(blob_of(path))] == ["t.csv#row=1", "t.csv#row=2"]


def test_csv_header_names_are_made_unique_and_extra_cells_named(tmp_path: Path) -> None:
    (tmp_path / "h.csv").write_text("id,,id\n1,2,3,4\n")
    doc, = crack(blob_of(tmp_path / "h.csv"))
    assert doc["metadata"]["record"] == {"id": "1", "column_2": "2", "id_3": "3", "column_4": "4"}


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
    assert (docs[0]["content"], docs[0]["metadata"]["title"]) == (
        "title: Game 1\ntext: Lakers beat Celtics", "Game 1")
    assert docs[1]["content"] == "player.name: LeBron\nplayer.points: 40\nactive: true"
    assert docs[1]["metadata"]["record"] == {"player": {"name": "LeBron", "points": 40},
                                             "active": True}
    assert docs[1]["metadata"]["title"] == "g.jsonl#line=3"
    assert docs[1]["metadata"]["content_type"] == "application/x-ndjson"
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


# ------------------------------------------------------------------ one id rule, one shape


def _without_size(doc):
    """A row's document less ``size``: the bytes it was cracked from (a file or a record)."""
    return {**doc, "metadata": {k: v for k, v in doc["metadata"].items() if k != "size"}}


@pytest.mark.parametrize("mode", ["csv", "jsonl"])
def test_a_file_cracked_into_rows_and_its_records_make_the_same_documents(tmp_path, mode):
    if mode == "csv":
        path = write_csv(tmp_path / "notes.csv", NOTES[:2] + [("", "", "", "")] + NOTES[2:])
    else:
        path = tmp_path / "notes.jsonl"
        path.write_text('{"id": 1, "title": "Opening night", "stats": {"points": 40}}\n\n'
                        '{"id": 2, "body": "Curry hit nine threes.", "ok": true}\n')
    whole = crack(Blob(uri=path.as_uri(), name=path.name, data=path.read_bytes()))
    source = records(path, parsing_mode=mode)
    items = list(source.list())
    assert [i.uri for i in items] == [d["uri"] for d in whole]
    assert [d["uri"].rsplit("#", 1)[1] for d in whole] == (
        ["row=1", "row=2", "row=3"] if mode == "csv" else ["line=1", "line=3"])
    assert [_without_size(cracked(source, i)) for i in items] == [_without_size(d) for d in whole]


def test_a_csv_indexed_as_a_file_or_as_records_gets_the_same_ids(tmp_path):
    notes = notes_folder(tmp_path)
    as_file, as_records = tmp_path / "file", tmp_path / "records"
    assert index(notes, as_file).documents["indexed"] == 3
    assert index(notes, as_records, parsing_mode="csv").documents["indexed"] == 3
    uris = hits(as_file, "*")
    assert uris == hits(as_records, "*") == [
        (notes / "notes.csv").as_uri() + f"#row={n}" for n in (1, 2, 3)]
    for uri in uris:
        one, other = stored(as_file, uri), stored(as_records, uri)
        assert one["id"] == other["id"] == document_id(uri)
        assert (one["title"], one["content"]) == (other["title"], other["content"])
        assert _without_size(one)["metadata"] == _without_size(other)["metadata"]
    assert stored(as_file, uris[1])["title"] == "Road trip"


# ------------------------------------------------------------------ layering


def test_crackers_never_import_sources():
    """Sources read rows with the crackers' rows module; a cracker that imported a source
    (even inside a function) would bring back the crackers <-> sources import circle."""
    folder = Path(indexers.crackers.__file__).parent
    found = []
    for path in sorted(folder.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = ".".join(["indexers", "crackers"][:3 - node.level] if node.level else [])
                module = ".".join(p for p in (base, node.module or "") if p)
                names = [module] + [f"{module}.{alias.name}" for alias in node.names]
            else:
                continue
            found += [f"{path.name}: {n}" for n in names if n.startswith("indexers.sources")]
    assert len(list(folder.glob("*.py"))) >= 9 and not found

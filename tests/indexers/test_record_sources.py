"""Record sources (CSV, JSON Lines, JSON arrays as records), the record cracker, and
indexing them end to end with change and deletion detection."""

import json

import pytest

from enrich.indexer import IndexOptions, run_index
from enrich.searching import search
from indexers.crackers import Blob, crack
from indexers.crackers.rows import RECORD_TYPE
from indexers.sources import SourceError, TransientSourceError
from indexers.sources.records import RecordSource
from tests.indexers.record_helpers import (LIGHT, NOTES, ROWS, bump, counting_reads, cracked,
                                           hits, index, listed, make_db, notes_folder, records,
                                           sha256_sorted, stored, write_csv, write_jsonl)


@pytest.fixture
def notes(tmp_path):
    return notes_folder(tmp_path)


@pytest.fixture
def count_reads(monkeypatch):
    return counting_reads(monkeypatch, RecordSource)


# ------------------------------------------------------------------ CSV


def test_csv_rows_are_items_named_by_their_key_column(notes):
    source = records(notes, parsing_mode="csv", key="id", text_columns=["body"])
    assert isinstance(source, RecordSource) and source.uri == notes.as_uri()
    items = listed(source)
    assert list(items) == ["id=n1", "id=n2", "id=n3"]
    item = items["id=n2"]
    assert item.uri == (notes / "notes.csv").as_uri() + "#id=n2"
    assert item.name == "notes.csv#id=n2" and item.content_type == RECORD_TYPE
    assert item.mtime == (notes / "notes.csv").stat().st_mtime
    data = source.read(item)
    assert len(data) == item.size and data.startswith(b'{"enrich_record":1,')
    assert item.version == sha256_sorted(data)
    payload = json.loads(data)
    assert payload["record"] == dict(zip(NOTES[0], NOTES[2]))
    assert payload["key"] == {"column": "id", "value": "n2"}
    assert payload["text_columns"] == ["body"]
    assert payload["origin"] == (notes / "notes.csv").as_uri()


def test_a_changed_row_gets_a_new_version_and_the_others_keep_theirs(notes):
    before = listed(records(notes, parsing_mode="csv", key="id"))
    rows = [NOTES[0], NOTES[2], (*NOTES[1][:2], "Tatum scored fifty.", NOTES[1][3]), NOTES[3]]
    write_csv(notes / "notes.csv", rows)  # row order changed too: keys do not care
    after = listed(records(notes, parsing_mode="csv", key="id"))
    changed = {k for k in before if before[k].version != after[k].version}
    assert changed == {"id=n1"}


def test_a_worker_that_never_listed_reads_each_file_once(notes, monkeypatch):
    from indexers.sources.local import LocalSource
    items = list(records(notes, parsing_mode="csv", key="id").list())
    reads = []
    real_read = LocalSource.read
    monkeypatch.setattr(LocalSource, "read",
                        lambda self, item: reads.append(item.uri) or real_read(self, item))
    fresh = records(notes, parsing_mode="csv", key="id")
    assert [json.loads(fresh.read(i))["record"]["id"] for i in items] == ["n1", "n2", "n3"]
    assert reads == [(notes / "notes.csv").as_uri()]


def test_key_values_are_url_quoted_in_the_uri_and_read_back(tmp_path):
    write_csv(tmp_path / "odd.csv", [("key", "text"), ("a/b c#1=2", "odd key"), ("é", "accent")])
    source = records(tmp_path / "odd.csv", parsing_mode="csv", key="key")
    items = list(source.list())
    assert [i.uri.rsplit("#", 1)[1] for i in items] == ["key=a%2Fb%20c%231%3D2", "key=%C3%A9"]
    assert items[0].name == "odd.csv#key=a/b c#1=2"
    fresh = records(tmp_path / "odd.csv", parsing_mode="csv", key="key")
    assert json.loads(fresh.read(items[0]))["record"]["text"] == "odd key"


def test_without_a_key_rows_are_named_by_position_and_updates_follow_positions(notes):
    (notes / "notes.csv").write_text("id,title,body,team\n\nn1,a,b,c\n\n\nn2,d,e,f\nn3,g,h,i\n")
    before = listed(records(notes, parsing_mode="csv"))
    assert list(before) == ["row=1", "row=2", "row=3"]  # blank lines are not rows
    assert json.loads(records(notes, parsing_mode="csv").read(before["row=2"]))["record"]["id"] == "n2"
    (notes / "notes.csv").write_text("id,title,body,team\nn1,a,b,c\nn3,g,h,i\n")
    after = listed(records(notes, parsing_mode="csv"))
    assert list(after) == ["row=1", "row=2"]
    assert after["row=1"].version == before["row=1"].version
    assert after["row=2"].version != before["row=2"].version  # it holds n3 now
    assert json.loads(records(notes, parsing_mode="csv").read(after["row=2"]))["record"]["id"] == "n3"


def test_text_columns_are_the_content_and_the_other_columns_metadata(notes):
    source = records(notes, parsing_mode="csv", key="id", text_columns="title,body")
    doc = cracked(source, listed(source)["id=n1"])
    assert doc["uri"] == (notes / "notes.csv").as_uri() + "#id=n1"
    assert doc["content"] == "Opening night\n\nTatum scored forty against the Knicks."
    assert len(doc["pages"]) == 1 and doc["pages"][0]["text"] == doc["content"]
    meta = doc["metadata"]
    assert meta["title"] == "Opening night"
    assert meta["record"] == {"id": "n1", "team": "Celtics"}
    assert (meta["key"], meta["key_column"], meta["format"]) == ("n1", "id", "csv")
    assert meta["origin"] == (notes / "notes.csv").as_uri()
    assert meta["content_type"] == "text/csv"  # the file_type facet says csv


def test_without_text_columns_every_text_column_is_a_line(notes):
    source = records(notes, parsing_mode="csv", key="id")
    doc = cracked(source, listed(source)["id=n3"])
    assert doc["content"] == ("id: n3\ntitle: Injury report\n"
                              "body: Embiid sat out with a sore knee.\nteam: 76ers")
    assert doc["metadata"]["record"]["team"] == "76ers"  # all columns stay mappable


def test_multiline_quoted_cells_semicolons_and_crlf(tmp_path):
    (tmp_path / "semi.csv").write_bytes(b'id;body\r\n1;"two\nlines; one cell"\r\n2;"say ""hi"""\r\n')
    source = records(tmp_path / "semi.csv", parsing_mode="csv", key="id", text_columns=["body"])
    items = listed(source)
    fresh = records(tmp_path / "semi.csv", parsing_mode="csv", key="id", text_columns=["body"])
    assert cracked(fresh, items["id=1"])["content"] == "two\nlines; one cell"
    assert cracked(fresh, items["id=2"])["content"] == 'say "hi"'


def test_a_missing_key_or_text_column_names_the_columns_there_are(notes):
    with pytest.raises(SourceError, match=r"no column 'ID'; its columns are 'id', 'title', "
                                          r"'body', 'team'"):
        list(records(notes, parsing_mode="csv", key="ID").list())
    with pytest.raises(SourceError, match="no column 'text'"):
        list(records(notes, parsing_mode="csv", key="id", text_columns=["text"]).list())


def test_a_repeated_key_is_listed_once_and_fails_to_read(notes):
    write_csv(notes / "notes.csv", NOTES + [("n2", "Again", "A second n2.", "Nets")])
    source = records(notes, parsing_mode="csv", key="id")
    items = listed(source)
    assert list(items) == ["id=n1", "id=n2", "id=n3"]
    with pytest.raises(SourceError, match="id=n2 repeats: rows 2 and 4; keys must be unique"):
        source.read(items["id=n2"])
    assert json.loads(source.read(items["id=n3"]))["record"]["id"] == "n3"


def test_files_of_other_types_are_skipped_but_a_named_file_is_parsed(notes, tmp_path):
    (notes / "README.md").write_text("# Notes\n")
    write_jsonl(notes / "more.jsonl", [{"id": "x"}])
    assert list(listed(records(notes, parsing_mode="csv", key="id"))) == ["id=n1", "id=n2", "id=n3"]
    export = write_csv(tmp_path / "export.txt", NOTES)
    assert len(list(records(export, parsing_mode="csv", key="id").list())) == 3


def test_a_changed_file_read_after_listing_says_so(notes):
    source = records(notes, parsing_mode="csv", key="id")
    items = listed(source)
    write_csv(notes / "notes.csv", NOTES[:2])
    with pytest.raises(TransientSourceError, match="no longer in the file"):
        records(notes, parsing_mode="csv", key="id").read(items["id=n3"])


def test_a_file_over_the_size_limit_is_reported_by_its_file_item(notes):
    source = records(notes, parsing_mode="csv", key="id", max_bytes=10)
    item, = source.list()
    assert item.uri == (notes / "notes.csv").as_uri() + "#file"
    with pytest.raises(SourceError, match="over the limit of 10"):
        source.read(item)


def test_an_unknown_mode_or_record_options_without_a_mode_are_refused(notes):
    with pytest.raises(SourceError, match="unknown parsing mode"):
        records(notes, parsing_mode="xml")
    with pytest.raises(SourceError, match="only apply to records"):
        records(notes, key="id")


# ------------------------------------------------------------------ JSON


def test_json_lines_with_a_key_and_bad_lines_reported_by_a_file_item(tmp_path):
    path = tmp_path / "posts.jsonl"
    path.write_text('{"id": 1, "text": "first post", "tags": ["a"]}\n'
                    "not json\n\n"
                    '{"id": 2, "text": "second post"}\n'
                    '{"text": "no id"}\n'
                    '[1, 2]\n')
    source = records(path, parsing_mode="jsonl", key="id", text_columns=["text"])
    items = listed(source)
    assert list(items) == ["id=1", "id=2", "file"]
    assert json.loads(source.read(items["id=1"]))["key"] == {"column": "id", "value": 1}
    doc = cracked(source, items["id=2"])
    assert doc["content"] == "second post" and doc["metadata"]["content_type"] == "application/x-ndjson"
    with pytest.raises(SourceError) as error:
        records(path, parsing_mode="jsonl", key="id").read(items["file"])
    assert str(error.value) == ("records left out: line 2: invalid JSON: Expecting value: "
                                "line 1 column 1 (char 0); line 5 has no 'id' value; "
                                "line 6: not a JSON object (list)")


def test_json_lines_without_a_key_are_named_by_line_number(tmp_path):
    path = write_jsonl(tmp_path / "a.jsonl", [{"text": "one"}, {"text": "two"}])
    path.write_text(path.read_text().replace("\n", "\n\n", 1))
    assert list(listed(records(path, parsing_mode="jsonl"))) == ["line=1", "line=3"]


def test_a_key_no_json_record_has_names_the_fields_there_are(tmp_path):
    path = write_jsonl(tmp_path / "a.jsonl", [{"uid": 1, "text": "x"}])
    with pytest.raises(SourceError, match=r"no column 'id'; its columns are 'text', 'uid'"):
        list(records(path, parsing_mode="jsonl", key="id").list())


def test_json_arrays_and_objects_holding_one_list(tmp_path):
    array = tmp_path / "array.json"
    array.write_text(json.dumps([{"slug": "a", "title": "Alpha", "body": "first"},
                                 {"slug": "b", "title": "Beta", "body": "second"}]))
    wrapped = tmp_path / "wrapped.json"
    wrapped.write_text(json.dumps({"count": 2, "meta": ["x"], "items": [{"body": "one"},
                                                                        {"body": "two"}]}))
    keyed = listed(records(array, parsing_mode="json", key="slug"))
    assert list(keyed) == ["slug=a", "slug=b"]
    doc = cracked(records(array, parsing_mode="json", key="slug"), keyed["slug=b"])
    assert doc["metadata"]["title"] == "Beta" and doc["metadata"]["content_type"] == "application/json"
    positions = listed(records(wrapped, parsing_mode="json", text_columns=["body"]))
    assert list(positions) == ["item=1", "item=2"]
    assert cracked(records(wrapped, parsing_mode="json"), positions["item=2"])["content"] == "body: two"


def test_a_json_file_without_records_is_reported(tmp_path):
    path = tmp_path / "odd.json"
    path.write_text(json.dumps({"a": [1], "b": [2]}))
    source = records(path, parsing_mode="json")
    item, = source.list()
    assert item.uri.endswith("odd.json#file")
    with pytest.raises(SourceError, match="expected an array of objects, or an object holding "
                                          "one list of objects; found lists 'a', 'b'"):
        source.read(item)


# ------------------------------------------------------------------ cracker


def test_the_record_cracker_is_chosen_by_content_type_or_by_the_bytes(notes):
    source = records(notes, parsing_mode="csv", key="id", text_columns=["body"])
    item = listed(source)["id=n1"]
    data = source.read(item)
    sniffed, = crack(Blob(uri=item.uri, name=item.name, data=data))  # no content type given
    assert sniffed["content"] == "Tatum scored forty against the Knicks."
    assert sniffed["uri"] == item.uri


# ------------------------------------------------------------------ end to end


def test_csv_records_index_and_follow_changes(notes, tmp_path, count_reads):
    data, file = tmp_path / "data", (notes / "notes.csv").as_uri()
    options = {"parsing_mode": "csv", "key": "id", "text_columns": ["body"]}
    first = index(notes, data, **options)
    assert first.status == "ok", first.errors
    assert first.documents["seen"] == 3 and first.documents["indexed"] == 3
    doc = stored(data, f"{file}#id=n2")
    assert doc["title"] == "Road trip" and doc["content"] == "Curry hit nine threes in Denver."
    assert doc["metadata"]["record"] == {"id": "n2", "title": "Road trip", "team": "Warriors"}
    assert hits(data, "Curry") == [f"{file}#id=n2"]

    write_csv(notes / "notes.csv", [
        NOTES[0], NOTES[1],  # n1 as it was
        ("n2", "Road trip", "Curry hit ten threes in Utah.", "Warriors"),  # changed
        ("n4", "Trade rumours", "Lillard may move to Milwaukee.", "Bucks")])  # new; n3 gone
    bump(notes / "notes.csv")
    count_reads.clear()
    second = index(notes, data, **options)
    assert (second.documents["indexed"], second.documents["deleted"],
            second.documents["unchanged"]) == (2, 1, 1)
    assert hits(data, "Utah") == [f"{file}#id=n2"] and hits(data, "Denver") == []
    assert hits(data, "Embiid") == [] and stored(data, f"{file}#id=n3") is None
    assert hits(data, "Milwaukee") == [f"{file}#id=n4"]
    assert hits(data, "Tatum") == [f"{file}#id=n1"]
    assert sorted(count_reads) == [f"{file}#id=n2", f"{file}#id=n4"]  # n1 is not read again


def test_a_file_that_cannot_be_read_while_listing_stops_the_run_and_deletes_nothing(
        notes, tmp_path, monkeypatch):
    from indexers.sources.local import LocalSource
    data = tmp_path / "data"
    index(notes, data, parsing_mode="csv", key="id")

    def failing(self, item):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(LocalSource, "read", failing)
    with pytest.raises(OSError):
        index(notes, data, parsing_mode="csv", key="id")
    assert search(data, "*").count == 3


def test_json_lines_file_follows_changes(tmp_path, count_reads):
    path = write_jsonl(tmp_path / "posts.jsonl", [
        {"id": 1, "text": "Tatum scored forty against the Knicks."},
        {"id": 2, "text": "Curry hit nine threes in Denver."},
        {"id": 3, "text": "Embiid sat out with a sore knee."}])
    data, file = tmp_path / "data", path.as_uri()
    first = index(path, data, parsing_mode="jsonl", key="id")  # the source is one file
    assert first.documents["indexed"] == 3 and hits(data, "Denver") == [f"{file}#id=2"]
    write_jsonl(path, [{"id": 2, "text": "Curry hit ten threes in Utah."},
                       {"id": 1, "text": "Tatum scored forty against the Knicks."},
                       {"id": 4, "text": "Lillard may move to Milwaukee."}])
    bump(path)
    count_reads.clear()
    second = index(path, data, parsing_mode="jsonl", key="id")
    assert (second.documents["indexed"], second.documents["deleted"],
            second.documents["unchanged"]) == (2, 1, 1)
    assert hits(data, "Utah") == [f"{file}#id=2"] and hits(data, "Embiid") == []
    assert hits(data, "Milwaukee") == [f"{file}#id=4"]
    assert sorted(count_reads) == [f"{file}#id=2", f"{file}#id=4"]


# ------------------------------------------------------------------ README


README_COMMANDS = [  # the examples of README's "Records" section (read from it once it is there)
    "enrich index exports/ --parsing-mode csv --key id --text-column body",
    "enrich index posts.jsonl --parsing-mode jsonl --key id",
    "enrich index sqlite:///notes.db --table notes --key id --high-water-mark updated_at",
]


def readme_commands():
    import re
    from pathlib import Path
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = re.search(r"\n## Records[^\n]*\n(.*?)(?=\n## |\Z)", readme, flags=re.S)
    if section is None:
        return README_COMMANDS
    blocks = re.findall(r"```bash\n(.*?)```", section.group(1), flags=re.S)
    return [line.strip() for block in blocks for line in block.splitlines()
            if line.strip().startswith("enrich index")]


def test_the_readme_record_examples_run(tmp_path, monkeypatch):
    import shlex

    from typer.testing import CliRunner

    from enrich.cli import app
    monkeypatch.chdir(tmp_path)
    (tmp_path / "exports").mkdir()
    write_csv(tmp_path / "exports" / "notes.csv", NOTES)
    write_jsonl(tmp_path / "posts.jsonl", [{"id": n, "text": body} for n, _, body, _ in NOTES[1:]])
    make_db(tmp_path / "notes.db", [row[:4] + (None,) for row in ROWS], hwm="updated_at")
    (tmp_path / "light.json").write_text(json.dumps(LIGHT))
    commands = readme_commands()
    assert len(commands) >= 3
    for n, command in enumerate(commands):
        args = shlex.split(command)[1:] + ["--data", f"data{n}", "--workers", "0",
                                           "--skillset", "light.json", "--json"]
        for run, indexed in ((1, 3), (2, 0)):  # the second run finds nothing changed
            result = CliRunner().invoke(app, args)
            assert result.exit_code == 0, (command, result.output)
            documents = json.loads(result.stdout)["documents"]
            assert (documents["indexed"], documents["seen"]) == (indexed, 3), (command, run)
        assert search(tmp_path / f"data{n}", "Curry").count == 1


def test_a_repeated_key_is_reported_until_fixed_and_then_indexed(tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    write_csv(folder / "notes.csv", NOTES)
    data = tmp_path / "data"
    assert index(folder, data, parsing_mode="csv", key="id").documents["indexed"] == 3
    first = index(folder, data, parsing_mode="csv", key="id")
    assert first.documents["unchanged"] == 3
    # a row with n2's key appears (n2's own row is unchanged): the repeat is reported
    write_csv(folder / "notes.csv", NOTES + [("n2", "Again", "A second n2 row.", "Nets")])
    repeated = index(folder, data, parsing_mode="csv", key="id")
    assert repeated.documents["failed"] == 1
    assert any("n2 repeats" in e["message"] for e in repeated.errors)
    # fixed: the record is read again and indexed
    write_csv(folder / "notes.csv", NOTES)
    fixed = index(folder, data, parsing_mode="csv", key="id")
    assert (fixed.documents["indexed"], fixed.documents["failed"]) == (1, 0)
    assert search(data, "Curry").count == 1


def test_records_of_a_file_that_cannot_be_read_are_kept(tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    write_csv(folder / "notes.csv", NOTES)
    data = tmp_path / "data"
    index(folder, data, parsing_mode="csv", key="id")
    too_small = run_index(str(folder), IndexOptions(
        data_dir=data, workers=0, skillset=LIGHT, max_bytes=10,
        source_options={"parsing_mode": "csv", "key": "id"}))
    assert too_small.documents["deleted"] == 0 and too_small.documents["failed"] == 1
    assert any("over the limit" in e["message"] for e in too_small.errors)
    assert search(data, "Curry").count == 1  # still indexed

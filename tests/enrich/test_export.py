"""``enrich export``: every table in every format, read back as a user would (pandas)."""

from __future__ import annotations

import json
import sqlite3

import pandas as pd
import pyarrow.parquet as pq
import pytest

from enrich.export import TABLES, export_store
from enrich.export import writers as writers_module
from enrich.testing.stores import small_store, synthetic_store
from indexers.stores import DataDir, SqliteStore
from indexers.stores.sqlite_export import Projection, projection

FORMATS = ("jsonl", "csv", "parquet")
MARWICK = "PERSON:ilse marwick"


def read(path, format: str) -> pd.DataFrame:
    if format == "jsonl":
        return pd.read_json(path, lines=True, dtype=False) if path.stat().st_size else pd.DataFrame()
    if format == "csv":
        return pd.read_csv(path, keep_default_na=False, na_values=[""])
    return pd.read_parquet(path)


def raw(data, sql: str, *params):
    conn = sqlite3.connect(DataDir(data).store)
    with conn:
        rows = conn.execute(sql, params).fetchall()
    conn.close()
    return rows


@pytest.fixture
def data(tmp_path):
    return small_store(tmp_path / "data")


@pytest.mark.parametrize("format", FORMATS)
def test_each_table_round_trips_with_the_stores_row_counts(data, tmp_path, format):
    summary = export_store(data, tmp_path / "out", format=format)
    assert [t["table"] for t in summary["tables"]] == list(TABLES)
    for item in summary["tables"]:
        path = tmp_path / "out" / f"{item['table']}.{format}"
        assert item["file"] == str(path)
        count = raw(data, f"SELECT count(*) FROM {item['table']}")[0][0]
        assert item["rows"] == count == len(read(path, format)), item["table"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        f"{t}.{format}" for t in TABLES)  # no temporary file left


@pytest.mark.parametrize("format", FORMATS)
def test_an_entity_row_has_key_name_type_counts_and_names(data, tmp_path, format):
    export_store(data, tmp_path, tables="entities", format=format)
    rows = read(tmp_path / f"entities.{format}", format).set_index("key")
    row = rows.loc[MARWICK]
    assert (row["name"], row["type"], row["mentions"], row["documents"]) == (
        "Ilse Marwick", "PERSON", 3, 2)
    names = json.loads(row["names"]) if format == "csv" else list(row["names"])
    assert [(n["name"], n["mentions"]) for n in names] == [("Ilse Marwick", 2), ("I. Marwick", 1)]
    aliases = rows.loc["ORG:quillon trust", "aliases"]
    assert list(json.loads(aliases) if format == "csv" else aliases) == ["qt"]


@pytest.mark.parametrize("format", FORMATS)
def test_json_columns_are_nested_and_json_text_in_csv(data, tmp_path, format):
    export_store(data, tmp_path, tables="documents,images", format=format)
    docs = read(tmp_path / f"documents.{format}", format).set_index("id")
    image = read(tmp_path / f"images.{format}", format).iloc[0]
    metadata, fields, bbox = docs.loc["a1", "metadata"], docs.loc["a1", "fields"], image["bbox"]
    if format == "csv":
        assert isinstance(metadata, str)
        metadata, fields, bbox = json.loads(metadata), json.loads(fields), json.loads(bbox)
    assert metadata["author"] == "R. Penhallow" and metadata["page_count"] == 1
    assert fields["language"] == "en" and list(fields["keyphrases"]) == ["ilse"]
    assert "people" not in fields and "content" not in fields  # facets come from mentions
    assert list(bbox) == [10.0, 20.5, 110.0, 95.0]
    assert "tree" not in docs.columns and "data" not in image.index
    assert image["size"] > 0 and pd.isna(image["file"])


def test_parquet_types_an_objects_keys_from_the_store(data, tmp_path):
    export_store(data, tmp_path, tables="documents,mentions", format="parquet")
    schema = pq.read_schema(tmp_path / "documents.parquet")
    metadata = schema.field("metadata").type
    assert {f.name: str(f.type) for f in metadata} == {
        "author": "string", "file_name": "string", "page_count": "int64", "size": "int64"}
    assert str(schema.field("fields").type) == ("struct<keyphrases: list<element: string>, "
                                                 "language: string>")
    mentions = pq.read_schema(tmp_path / "mentions.parquet")
    assert str(mentions.field("initial").type) == "bool"
    assert str(mentions.field("confidence").type) == "double"


def test_the_tree_and_image_files_on_request(data, tmp_path):
    summary = export_store(data, tmp_path, tables="documents,images", tree=True, image_files=True)
    doc = json.loads((tmp_path / "documents.jsonl").read_text().splitlines()[0])
    assert doc["tree"]["pages"] == [doc["content"]]
    image = json.loads((tmp_path / "images.jsonl").read_text())
    stored = raw(data, "SELECT data FROM images WHERE doc_id = 'a1'")[0][0]
    assert image["file"] == "images/a1/p1-i0.png" and summary["images"] == 1
    assert (tmp_path / image["file"]).read_bytes() == stored
    assert "data" not in image


def test_mentions_carry_the_final_key_and_rejected_ones_have_none(data, tmp_path):
    raw(data, "UPDATE mentions SET entity_key = NULL WHERE text = 'Marwick'")
    export_store(data, tmp_path, tables="mentions")
    rows = [json.loads(line) for line in (tmp_path / "mentions.jsonl").read_text().splitlines()]
    assert len(rows) == 8 and [r["id"] for r in rows] == sorted(r["id"] for r in rows)
    rejected = [r for r in rows if r["entity_key"] is None]
    assert [(r["raw_key"], r["text"], r["entity_type"]) for r in rejected] == [
        (MARWICK, "Marwick", None)]
    first = rows[0]
    assert {k: first[k] for k in ("doc_id", "entity_key", "entity_type", "label", "text",
                                  "page", "start", "end", "confidence", "skill", "initial")} == {
        "doc_id": "a1", "entity_key": MARWICK, "entity_type": "PERSON", "label": "PERSON",
        "text": "Ilse Marwick", "page": 1, "start": 0, "end": 12, "confidence": 0.92,
        "skill": "entities", "initial": False}


def test_corrections_made_through_the_store_show_in_mentions_and_entities(data, tmp_path):
    with SqliteStore(DataDir(data).store) as store:
        store.correct({"op": "reject", "entity": "GPE:brackford"}, "ana")
        store.correct({"op": "retype", "entity": "ORG:quillon trust", "type": "PERSON"}, "ana")
    summary = export_store(data, tmp_path, tables="entities,mentions,corrections")
    assert [t["rows"] for t in summary["tables"]] == [3, 8, 2]
    mentions = [json.loads(line) for line in (tmp_path / "mentions.jsonl").read_text().splitlines()]
    by_raw = {}
    for row in mentions:
        by_raw.setdefault(row["raw_key"], set()).add((row["entity_key"], row["entity_type"]))
    assert by_raw["GPE:brackford"] == {(None, None)}
    assert by_raw["ORG:quillon trust"] == {("PERSON:quillon trust", "PERSON")}
    keys = [json.loads(line)["key"] for line in (tmp_path / "entities.jsonl").read_text().splitlines()]
    assert "GPE:brackford" not in keys and "PERSON:quillon trust" in keys
    ops = [json.loads(line)["op"] for line in (tmp_path / "corrections.jsonl").read_text().splitlines()]
    assert ops == ["reject", "retype"]


def _add_correction(data) -> None:
    raw(data, "INSERT INTO corrections (id, op, entity, value, target, who, at, reason, before) "
              "VALUES (1, 'retype', 'GPE:brackford', 'ORG', 'ORG:brackford', 'ana', "
              "'2024-05-01T12:00:00Z', 'a firm', ?)",
        json.dumps({"key": "GPE:brackford", "name": "Brackford", "type": "GPE", "mentions": 2}))


@pytest.mark.parametrize("format", FORMATS)
def test_corrections_every_column_with_before_nested(data, tmp_path, format):
    _add_correction(data)
    export_store(data, tmp_path, tables="corrections", format=format)
    rows = read(tmp_path / f"corrections.{format}", format)
    columns = [name for _, name, *_ in raw(data, "PRAGMA table_info(corrections)")]
    assert list(rows.columns) == columns and len(rows) == 1
    row = rows.iloc[0]
    before = json.loads(row["before"]) if format == "csv" else row["before"]
    assert (row["op"], row["target"], row["who"], before["type"], before["mentions"]) == (
        "retype", "ORG:brackford", "ana", "GPE", 2)
    assert pd.isna(row["undone_at"])


def test_a_failing_export_leaves_no_half_file_and_keeps_the_old_one(data, tmp_path, monkeypatch):
    out = tmp_path / "out"
    export_store(data, out, tables="mentions")
    before = (out / "mentions.jsonl").read_bytes()
    real = Projection.batches

    def broken(self):
        for n, batch in enumerate(real(self)):
            if n == 1:
                raise OSError("disk full")
            yield batch

    monkeypatch.setattr(Projection, "batches", broken)
    with pytest.raises(OSError, match="disk full"):
        export_store(data, out, tables="mentions,edges", batch_rows=3)
    assert (out / "mentions.jsonl").read_bytes() == before
    assert sorted(p.name for p in out.iterdir()) == ["mentions.jsonl"]


def test_the_temporary_file_is_hidden_until_the_last_batch(data, tmp_path, monkeypatch):
    seen = []
    real = writers_module.TableWriter.write

    def spy(self, batch):
        real(self, batch)
        seen.append((self.temp.exists(), self.path.exists(), self.temp.name))

    monkeypatch.setattr(writers_module.TableWriter, "write", spy)
    export_store(data, tmp_path / "out", tables="edges", batch_rows=4)
    assert seen and all(temp and not final for temp, final, _ in seen)
    assert all(name.startswith(".edges.jsonl.") and name.endswith(".tmp") for *_, name in seen)
    assert (tmp_path / "out" / "edges.jsonl").exists()


@pytest.mark.parametrize("format", FORMATS)
def test_rows_are_read_and_written_in_bounded_batches(tmp_path, format, monkeypatch):
    data = synthetic_store(tmp_path / "data", mentions=25, per_document=10, entities=5)
    sizes = []
    real = writers_module.TableWriter.write
    monkeypatch.setattr(writers_module.TableWriter, "write",
                        lambda self, batch: (sizes.append(len(batch[0])), real(self, batch)))
    summary = export_store(data, tmp_path / "out", tables="mentions", format=format, batch_rows=4)
    assert sizes == [4, 4, 4, 4, 4, 4, 1]  # 25 rows, never more than 4 at a time
    assert summary["tables"][0]["rows"] == 25
    if format == "parquet":
        assert pq.ParquetFile(tmp_path / "out" / "mentions.parquet").metadata.num_row_groups == 7


def test_projection_sql_reads_one_cursor_per_table(data):
    with SqliteStore(DataDir(data).store, read_only=True) as store:
        p = projection(store, "entities", batch_rows=2)
        batches = list(p.batches())
        assert [len(b[0]) for b in batches] == [2, 2] and p.count() == 4

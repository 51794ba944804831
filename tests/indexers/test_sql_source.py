"""A SQL table or query as a record source: items, versions (high-water marks or row
hashes), reading rows back, errors, and indexing a table end to end."""

import json
import sqlite3

import pytest

from indexers.crackers.rows import RECORD_TYPE
from indexers.sources import SourceError, TransientSourceError, open_source
from indexers.sources.sql import SqlSource
from tests.indexers.record_helpers import (ROWS, counting_reads, cracked, hits, index, make_db,
                                           sha256_sorted, stored)


@pytest.fixture
def count_reads(monkeypatch):
    return counting_reads(monkeypatch, SqlSource)


def sql(path, **options):
    options = {"table": "notes", "key": "id", **options}
    return open_source(f"sqlite:///{path}", **options)


def test_a_sqlite_table_with_a_high_water_mark(tmp_path):
    db = make_db(tmp_path / "db.sqlite", ROWS, table="order")  # a reserved word, quoted
    source = sql(db, table="order", high_water_mark="updated at", text_columns=["body"])
    assert isinstance(source, SqlSource) and source.uri == f"sqlite:///{db}#order"
    items = list(source.list())
    assert [i.uri for i in items] == [f"{source.uri}/id={n}" for n in (1, 2, 10)]  # numeric order
    assert items[0].name == "order#id=1" and items[0].content_type == RECORD_TYPE
    assert items[0].version.startswith("2024-05-01 10:00:00|")
    assert items[0].mtime == 1714557600.0  # the mark, read as UTC
    fresh = open_source(source.uri, table="order", key="id", high_water_mark="updated at",
                        text_columns=["body"])
    payload = json.loads(fresh.read(items[0]))  # a worker opens the source by its uri
    assert payload["record"] == {"id": 1, "title": "Opening night",  # no "data": binary
                                 "updated at": "2024-05-01 10:00:00",
                                 "body": "Tatum scored forty against the Knicks."}
    assert json.loads(fresh.read(items[2]))["record"]["data"] == "text"
    doc = cracked(fresh, items[1])
    assert doc["content"] == "Curry hit nine threes in Denver."
    assert doc["metadata"]["title"] == "Road trip" and doc["metadata"]["content_type"] == "application/sql"


def test_only_rows_whose_mark_moved_get_a_new_version(tmp_path):
    db = make_db(tmp_path / "db.sqlite", ROWS)
    before = {i.uri: i.version for i in sql(db, high_water_mark="updated at").list()}
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE notes SET body = 'x', \"updated at\" = '2024-06-01 00:00:00' "
                     "WHERE id = 2")
    after = {i.uri: i.version for i in sql(db, high_water_mark="updated at").list()}
    assert [uri for uri in after if after[uri] != before[uri]] == [f"sqlite:///{db}#notes/id=2"]
    other_text = {i.uri: i.version for i in sql(db, high_water_mark="updated at",
                                                 text_columns=["title"]).list()}
    assert all(other_text[uri] != after[uri] for uri in after)  # other options: read again


def test_without_a_mark_the_version_is_the_hash_of_the_row(tmp_path):
    db = make_db(tmp_path / "db.sqlite", ROWS)
    source = sql(db)
    item = next(iter(source.list()))
    data = source.read(item)
    assert sha256_sorted(data) == item.version and item.size == len(data)


def test_a_sql_query_with_a_key_and_a_mark(tmp_path):
    db = make_db(tmp_path / "db.sqlite", ROWS)
    source = sql(db, table=None, query='SELECT id AS note, body, "updated at" AS changed '
                                       "FROM notes WHERE id > 1;",
                 key="note", high_water_mark="changed")
    assert source.uri == f"sqlite:///{db}#query"
    items = list(source.list())
    assert [i.uri for i in items] == [f"{source.uri}/note=2", f"{source.uri}/note=10"]
    assert json.loads(source.read(items[1]))["record"] == {
        "note": 10, "body": "Embiid sat out with a sore knee.", "changed": "2024-05-03 10:00:00"}


def test_a_new_query_changes_every_version_even_with_a_mark(tmp_path):
    db = make_db(tmp_path / "db.sqlite", ROWS)
    narrow = sql(db, table=None, query='SELECT id, "updated at" AS m FROM notes',
                 high_water_mark="m")
    wider = sql(db, table=None, query='SELECT id, body, "updated at" AS m FROM notes',
                high_water_mark="m")
    before = {i.uri: i.version for i in narrow.list()}
    after = {i.uri: i.version for i in wider.list()}
    assert before.keys() == after.keys() and all(before[u] != after[u] for u in before)


def test_sql_options_and_columns_are_checked(tmp_path):
    db = make_db(tmp_path / "db.sqlite", ROWS)
    with pytest.raises(SourceError, match="a table or a query"):
        sql(db, query="SELECT 1")
    with pytest.raises(SourceError, match="needs a key column"):
        sql(db, key=None)
    with pytest.raises(SourceError, match="does not exist"):
        sql(tmp_path / "nope.sqlite")
    with pytest.raises(SourceError, match=r"no column 'updated'; its columns are 'id', 'title', "
                                          r"'body', 'updated at', 'data'"):
        list(sql(db, high_water_mark="updated").list())
    with pytest.raises(SourceError, match="no such table: nope"):
        list(sql(db, table="nope").list())


def test_the_stored_uri_has_no_credentials():
    source = open_source("postgresql+psycopg://ann:s3cret@db.example:5433/news?sslmode=require",
                         table="public.articles", key="id")
    assert source.uri == "postgresql://db.example:5433/news#public.articles"


def test_a_locked_database_is_a_transient_read_error(tmp_path):
    from sqlalchemy import create_engine
    db = make_db(tmp_path / "db.sqlite", ROWS)
    source = sql(db)
    item = next(iter(source.list()))
    source._engine = create_engine(f"sqlite:///{db}", connect_args={"timeout": 0.05})
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(TransientSourceError, match="database is locked"):
            source.read(item)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM notes WHERE id = 1")
    with pytest.raises(TransientSourceError, match="no longer there"):
        source.read(item)


# ------------------------------------------------------------------ end to end


def test_sqlite_table_follows_its_high_water_mark(tmp_path, count_reads):
    db = make_db(tmp_path / "db.sqlite", ROWS)
    data = tmp_path / "data"
    options = {"table": "notes", "key": "id", "high_water_mark": "updated at",
               "text_columns": ["body"]}
    first = index(f"sqlite:///{db}", data, **options)
    root = f"sqlite:///{db}#notes"
    assert first.status == "ok", first.errors
    assert first.documents["indexed"] == 3 and hits(data, "Denver") == [f"{root}/id=2"]
    assert stored(data, f"{root}/id=10")["title"] == "Injury report"
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE notes SET body = 'Curry hit ten threes in Utah.', "
                     "\"updated at\" = '2024-06-01 09:00:00' WHERE id = 2")
        conn.execute("UPDATE notes SET body = 'A silent edit.' WHERE id = 1")  # mark kept
        conn.execute("DELETE FROM notes WHERE id = 10")
        conn.execute("INSERT INTO notes VALUES (11, 'Trade', 'Lillard may move to Milwaukee.', "
                     "'2024-06-02 09:00:00', NULL)")
    count_reads.clear()
    second = index(f"sqlite:///{db}", data, **options)
    assert (second.documents["indexed"], second.documents["deleted"],
            second.documents["unchanged"]) == (2, 1, 1)
    assert sorted(count_reads) == [f"{root}/id=11", f"{root}/id=2"]
    assert hits(data, "Utah") == [f"{root}/id=2"] and hits(data, "Embiid") == []
    assert hits(data, "Milwaukee") == [f"{root}/id=11"]
    assert hits(data, "silent") == []  # the mark did not move: the row is not read

"""Opening a ``KnowledgeGraph``: read-only, through the store, snapshot by snapshot."""

from __future__ import annotations

import sqlite3

import pytest

from graph import IndexNotFound, KnowledgeGraph
from indexers.stores import DataDir, SourceState, SqliteStore, StoreError
from tests.graph.corpus import FBI, LEBRON, NIKE, basketball, build_store, m, record


# --- opening -------------------------------------------------------------------------

def test_open_without_an_index_says_how_to_make_one(tmp_path):
    with pytest.raises(IndexNotFound, match=r"no enrich index in .*; run `enrich index "
                                            r"SOURCE --data .*` first"):
        KnowledgeGraph.open(tmp_path)


def test_open_rejects_a_file_that_is_not_a_store(tmp_path):
    DataDir(tmp_path).store.write_text("not a database")
    with pytest.raises(StoreError, match="not an enrich store"):
        KnowledgeGraph.open(tmp_path)


def test_the_store_is_opened_read_only(kg):
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        kg.reader._conn.execute("DELETE FROM entities")


@pytest.mark.parametrize("setup", [
    "CREATE TABLE entities (key TEXT); CREATE TABLE edges (a TEXT); PRAGMA user_version = 2",
    "PRAGMA user_version = 4", "PRAGMA user_version = 99"])
def test_open_refuses_what_the_store_refuses(tmp_path, setup):
    """An older or newer schema: the graph refuses it with the store's own error."""
    path = DataDir(tmp_path).store
    conn = sqlite3.connect(path)
    conn.executescript(setup)
    conn.close()
    with pytest.raises(StoreError) as refused:
        SqliteStore(path, read_only=True)
    with pytest.raises(StoreError) as graph_refused:
        KnowledgeGraph.open(tmp_path)
    assert str(graph_refused.value) == str(refused.value)
    assert "store schema version" in str(refused.value)


def test_doctests():
    import doctest

    import graph.evidence
    assert doctest.testmod(graph.evidence).failed == 0


def test_reads_while_the_store_is_open_for_writing(tmp_path):
    build_store(tmp_path, basketball())
    with SqliteStore(DataDir(tmp_path).store) as store, KnowledgeGraph.open(tmp_path) as graph:
        with store.transaction():
            store._conn.execute("UPDATE entities SET name = 'Changed' WHERE key = ?",
                                (NIKE,))
            assert graph.entity(NIKE)["name"] == "Nike"  # not committed yet
        assert graph.entity(NIKE)["name"] == "Changed"


def test_queries_read_what_the_store_writes(tmp_path):
    docs = [record("a", ["The Federal Bureau of Investigation (FBI) watched LeBron James.",
                         "LeBron James wore Nike."],
                   [m(FBI, "Federal Bureau of Investigation"), m(LEBRON, "LeBron James"),
                    m(LEBRON, "LeBron James", 2), m(NIKE, "Nike", 2),
                    m(NIKE, "Nike", 2, image="p2-i0", label="BRAND"),
                    m(LEBRON, "LeBron James", 2, image="p2-i0")],
                   aliases=[("ORG:fbi", FBI)]),
            record("b", ["The FBI met Nike."], [m("ORG:fbi", "FBI"), m(NIKE, "Nike")])]
    with SqliteStore(DataDir(tmp_path).store) as store, store.transaction():
        for doc in docs:
            store.put_source(SourceState(uri=doc.source_uri, size=1, mtime=0.0,
                                         sha256=doc.id, status="ok"), [doc])
    with KnowledgeGraph.open(tmp_path) as graph:
        assert graph.resolve("F.B.I.") == FBI and graph.entity("FBI")["acronyms"] == {"fbi": 1}
        near = graph.neighbors("FBI")
        assert dict(zip(near["key"], near["count"])) == {NIKE: 2, LEBRON: 1}
        found = graph.cooccurrence("LeBron James", "Nike")
        assert {s: v["count"] for s, v in found["scopes"].items()} == {
            "document": 1, "page": 1, "image": 1, "sentence": 1}
        assert found["evidence"][0]["snippets"] == [{"page": 2, "text":
                                                     "LeBron James wore Nike."}]
        assert graph.entity(NIKE)["labels"] == {"ORG": 2, "BRAND": 1}
        assert [h["b"] for h in graph.path("LeBron James", "Nike", scope="page")] == [NIKE]

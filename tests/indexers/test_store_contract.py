"""The store contract: every ``Store`` passes ``StoreContract`` (override ``store``)."""

from __future__ import annotations

import contextlib
import sqlite3
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path

import pytest

from indexers.stores import DataDir, DocumentRecord, SourceState, SqliteStore, StoreError
from indexers.stores import sqlite_schema


def state(uri: str, status: str = "ok", sha: str = "h1") -> SourceState:
    return SourceState(uri=uri, size=10, mtime=1700000000.5, sha256=sha, status=status)


def mention(key: str, name: str | None = None, page: int | None = 1, start: int = 0) -> dict:
    name = name or key.split(":", 1)[1].title()
    return {"key": key, "type": key.split(":")[0], "name": name, "text": name,
            "page": page, "start": start, "end": start + len(name), "confidence": 0.9,
            "skill": "entities", "version": "1", "model": "en_core_web_sm"}


def doc(doc_id: str, source: str, *, keys: tuple[str, ...] = (),
        edges: tuple[tuple[str, str, str, int], ...] = (), text: str = "some text",
        images: list | None = None) -> DocumentRecord:
    """A tiny document: one page, a mention per key, the given edges."""
    return DocumentRecord(
        id=doc_id, uri=f"{source}#{doc_id}", source_uri=source, status="ok",
        title=f"Title {doc_id}", content=text,
        metadata={"content_type": "application/pdf", "page_count": 1},
        pages=[{"number": 1, "text": text, "offset": 0, "needs_ocr": False}],
        images=images or [], entities=[mention(k, start=i) for i, k in enumerate(keys)],
        edges=list(edges), fields={"title": f"Title {doc_id}", "content": text,
                                   "people": [k for k in keys if k.startswith("PERSON")]},
        tree={"content": text}, warnings=[])


VARGA, ORVANE, DUNMORE = "PERSON:kell varga", "ORG:orvane", "ORG:dunmore"


# The per-document evidence as rows (the query SCHEMA.md documents).
EVIDENCE = ("SELECT d.doc_id, s.key AS scope, a.key AS a, b.key AS b, b.value AS count "
            "FROM doc_edges AS d, json_each(d.edges) AS s, json_each(s.value) AS a, "
            "json_each(a.value) AS b")


def edge_counts(store) -> dict[tuple[str, str], int]:
    return {(e["a"], e["b"]): e["count"] for e in store.graph.top_edges("document", 1000)}


def entity(store, key: str) -> dict | None:
    """An entity's card and display names, read back through the store's graph reader."""
    card = store.graph.cards([key]).get(key)
    return card and {**card, "names": store.graph.names(key)}


class StoreContract:
    """Tests every store must pass. Subclasses provide the ``store`` fixture."""

    @pytest.fixture
    def store(self, tmp_path):
        raise NotImplementedError("a store test class overrides the store fixture")

    def test_put_and_get_roundtrip(self, store):
        image = {"id": "p1-i0", "page": 1, "bbox": [1.0, 2.0, 30.0, 40.0], "width": 64,
                 "height": 48, "format": "png", "data": b"\x89PNG...", "kind": "embedded",
                 "needs_ocr": False}
        record = doc("d1", "file:///a.pdf", keys=(VARGA, ORVANE), images=[image],
                     edges=(("document", ORVANE, VARGA, 1),))
        with store.transaction():
            store.put_source(state("file:///a.pdf"), [record])
        got = store.get_document("d1")
        assert (got["id"], got["uri"], got["source_uri"]) == ("d1", "file:///a.pdf#d1",
                                                               "file:///a.pdf")
        assert got["title"] == "Title d1" and got["content"] == "some text"
        assert got["metadata"]["page_count"] == 1 and got["tree"] == {"content": "some text"}
        assert [(p["number"], p["text"]) for p in got["pages"]] == [(1, "some text")]
        assert got["images"][0]["id"] == "p1-i0" and got["images"][0]["bbox"] == [1, 2, 30, 40]
        assert "data" not in got["images"][0]
        assert [(m["key"], m["name"], m["start"]) for m in got["entities"]] == [
            (VARGA, "Kell Varga", 0), (ORVANE, "Orvane", 1)]
        assert got["entities"][0]["skill"] == "entities"
        assert store.get_document("nope") is None

    def test_states(self, store):
        store.put_source(state("file:///a.pdf"), [doc("d1", "file:///a.pdf")])
        store.put_source(state("file:///b.pdf", "failed"), [])
        states = store.states()
        assert set(states) == {"file:///a.pdf", "file:///b.pdf"}
        assert states["file:///a.pdf"] == state("file:///a.pdf")
        assert states["file:///b.pdf"].status == "failed"

    def test_touch_source_keeps_status_and_documents(self, store):
        store.put_source(state("file:///a.pdf", "partial"), [doc("d1", "file:///a.pdf")])
        store.touch_source("file:///a.pdf", 999, 123.5)
        touched = store.states()["file:///a.pdf"]
        assert (touched.size, touched.mtime, touched.status) == (999, 123.5, "partial")
        assert store.get_document("d1") is not None

    def test_replacing_a_source_removes_stale_documents_and_edges(self, store):
        a, b = "file:///a.csv", "file:///b.pdf"
        store.put_source(state(a), [
            doc("a1", a, keys=(VARGA, ORVANE), edges=(("document", ORVANE, VARGA, 2),)),
            doc("a2", a, keys=(VARGA, DUNMORE), edges=(("document", DUNMORE, VARGA, 1),))])
        store.put_source(state(b), [
            doc("b1", b, keys=(VARGA, ORVANE), edges=(("document", ORVANE, VARGA, 1),))])
        assert edge_counts(store) == {(ORVANE, VARGA): 3, (DUNMORE, VARGA): 1}
        store.put_source(state(a, sha="h2"), [
            doc("a1", a, keys=(VARGA, ORVANE), edges=(("document", ORVANE, VARGA, 1),))])
        assert store.get_document("a2") is None
        assert edge_counts(store) == {(ORVANE, VARGA): 2}
        assert store.states()[a].sha256 == "h2"
        assert store.stats()["documents"] == 2 and store.stats()["entities"] == 2

    def test_top_edges_carry_entity_names(self, store):
        store.put_source(state("s"), [doc("d", "s", keys=(VARGA, ORVANE),
                                          edges=(("document", ORVANE, VARGA, 1),))])
        assert store.graph.top_edges("document", 10) == [
            {"a": ORVANE, "b": VARGA, "a_name": "Orvane", "b_name": "Kell Varga", "count": 1}]
        assert store.graph.top_edges("page", 10) == []

    def test_failed_source_removes_old_documents(self, store):
        store.put_source(state("s"), [doc("d", "s", keys=(ORVANE,))])
        store.put_source(state("s", "failed"), [])
        assert store.get_document("d") is None
        assert store.stats()["entities"] == 0
        assert store.states()["s"].status == "failed"

    def test_delete_source(self, store):
        store.put_source(state("s"), [doc("d1", "s", keys=(VARGA, ORVANE),
                                          edges=(("document", ORVANE, VARGA, 1),))])
        store.put_source(state("t"), [doc("d2", "t", keys=(ORVANE,))])
        store.mark_indexed(["d1", "d2"], [])
        store.delete_source("s")
        assert "s" not in store.states() and store.get_document("d1") is None
        assert edge_counts(store) == {}
        assert store.pending_index() == ([], ["d1"])
        assert store.stats()["entities"] == 1
        store.delete_source("never-seen")  # a no-op

    def test_index_queue(self, store):
        store.put_source(state("s"), [doc("d1", "s"), doc("d2", "s")])
        upserts, deletes = store.pending_index()
        assert deletes == [] and [u["id"] for u in upserts] == ["d1", "d2"]
        assert upserts[0]["title"] == "Title d1" and upserts[0]["content"] == "some text"
        assert store.pending_index(limit=1)[0][0]["id"] == "d1"
        store.mark_indexed(["d1", "d2"], [])
        assert store.pending_index() == ([], [])
        store.put_source(state("s", sha="h2"), [doc("d2", "s", text="new text")])
        upserts, deletes = store.pending_index()
        assert [u["content"] for u in upserts] == ["new text"] and deletes == ["d1"]
        store.mark_indexed(["d2"], ["d1"])
        assert store.pending_index() == ([], [])

    def test_transaction_rollback_leaves_nothing(self, store):
        store.put_source(state("s"), [doc("d0", "s", keys=(ORVANE,))])
        with pytest.raises(RuntimeError):
            with store.transaction():
                store.put_source(state("t"), [doc("d1", "t", keys=(VARGA, ORVANE))])
                store.delete_source("s")
                store.terms.add("d1", "ngrams", ["a", "b"])
                run = store.start_run("t", {})
                raise RuntimeError("boom")
        assert set(store.states()) == {"s"} and store.get_document("d1") is None
        assert store.get_document("d0") is not None
        assert store.terms.df("ngrams", ["a"]) == {"a": 0}
        assert run not in [r["id"] for r in store.runs()]
        assert [u["id"] for u in store.pending_index()[0]] == ["d0"]

    def test_nested_transactions_commit_with_the_outer_one(self, store):
        with store.transaction():
            with store.transaction():
                store.put_source(state("s"), [doc("d1", "s")])
            assert store.get_document("d1") is not None
        assert store.get_document("d1") is not None

    def test_an_inner_transaction_is_undone_with_a_failing_outer_one(self, store):
        with pytest.raises(RuntimeError):
            with store.transaction():
                with store.transaction():
                    store.put_source(state("s"), [doc("d1", "s", keys=(ORVANE, VARGA))])
                raise RuntimeError("the batch failed after the inner write")
        assert store.get_document("d1") is None
        assert store.states() == {} and store.stats()["edges"] == 0

    def test_terms(self, store):
        terms = store.terms
        terms.add("d1", "ngrams", ["a", "b", "b"])
        terms.add("d2", "ngrams", ["b", "c"])
        terms.add("d1", "phrases", ["a"])
        assert terms.df("ngrams", ["a", "b", "c", "zz"]) == {"a": 1, "b": 2, "c": 1, "zz": 0}
        assert terms.documents("ngrams") == 2 and terms.documents("phrases") == 1
        terms.add("d1", "ngrams", ["c"])  # replaces d1's set
        assert terms.df("ngrams", ["a", "b", "c"]) == {"a": 0, "b": 1, "c": 2}
        terms.add("d2", "ngrams", [])
        assert terms.df("ngrams", ["b", "c"]) == {"b": 0, "c": 1}
        assert terms.documents("ngrams") == 1 and terms.documents("unknown") == 0

    def test_terms_follow_documents(self, store):
        with store.transaction():  # a corpus skill adds terms before the write
            store.terms.add("d1", "ngrams", ["x", "y"])
            store.put_source(state("s"), [doc("d1", "s"), doc("d2", "s")])
        with store.transaction():
            store.terms.add("d1", "ngrams", ["x"])
            store.put_source(state("s", sha="h2"), [doc("d1", "s")])
        assert store.terms.df("ngrams", ["x", "y"]) == {"x": 1, "y": 0}
        store.terms.add("d2", "ngrams", ["x"])
        store.put_source(state("t"), [doc("d2", "t")])
        store.delete_source("s")
        assert store.terms.df("ngrams", ["x"]) == {"x": 1}
        assert store.terms.documents("ngrams") == 1

    def test_runs_and_errors(self, store):
        first = store.start_run("./docs", {"batch_size": 32})
        store.record_error(first, "file:///bad.pdf", "crack", "not a PDF")
        store.record_error(first, "file:///a.pdf", "entities", "model missing", "warning")
        store.finish_run(first, {"status": "ok", "documents": 3})
        second = store.start_run("./other", {})
        runs = store.runs()
        assert [r["id"] for r in runs] == [second, first]
        assert runs[0]["status"] == "running" and runs[0]["finished_at"] is None
        assert runs[1]["summary"] == {"status": "ok", "documents": 3}
        assert runs[1]["config"] == {"batch_size": 32} and runs[1]["source"] == "./docs"
        assert (runs[1]["errors"], runs[1]["warnings"]) == (1, 1)
        assert len(store.runs(limit=1)) == 1

    def test_versions_and_failure_stages_are_kept(self, store):
        store.put_source(SourceState("a", 1, 1.0, "h", "ok", version="etag-1"), [doc("d", "a")])
        store.touch_source("a", 2, 2.0, "etag-2")
        store.save_state(SourceState("b", 1, 1.0, "", "failed", "timed out", stage="worker"))
        store.put_source(SourceState("c", 1, 1.0, "h", "failed", "not a PDF", stage="crack"), [])
        states = store.states()
        assert (states["a"].version, states["a"].size, states["a"].status) == ("etag-2", 2, "ok")
        assert states["b"].transient and not states["c"].transient and not states["a"].transient
        failed = store.failed_sources()
        assert [(f["uri"], f["stage"], f["transient"]) for f in failed] == [
            ("b", "worker", True), ("c", "crack", False)]  # transient ones first
        assert failed[1]["message"] == "not a PDF"
        assert store.stats()["failed"] == {"transient": 1, "permanent": 1}

    def test_stats(self, store):
        image = {"id": "i", "page": 1, "data": b"x", "kind": "file"}
        store.put_source(state("s"), [doc("d1", "s", keys=(VARGA, ORVANE), images=[image],
                                          edges=(("document", ORVANE, VARGA, 1),)),
                                      doc("d2", "s", keys=(ORVANE,))])
        store.put_source(state("f", "failed"), [])
        stats = store.stats()
        assert {k: stats[k] for k in ("documents", "pages", "images", "entities",
                                      "mentions", "edges")} == {
            "documents": 2, "pages": 2, "images": 1, "entities": 2, "mentions": 3, "edges": 1}
        assert stats["sources"] == {"ok": 1, "failed": 1}
        assert store.document_count() == stats["documents"] == 2


class SqliteStoreFixture:
    """A new SQLite store, and ``sql`` to read it with a connection of its own."""

    @pytest.fixture
    def store(self, tmp_path):
        with SqliteStore(DataDir(tmp_path / "data").store) as store:
            yield store

    def sql(self, store, query: str) -> list[tuple]:
        with contextlib.closing(sqlite3.connect(store.path)) as conn:
            return conn.execute(query).fetchall()


class TestSqliteStore(SqliteStoreFixture, StoreContract):
    """The contract, and what the SQLite store adds (its aggregate tables are held
    to the per-document rows in ``test_sqlite_aggregates``)."""

    def test_a_failed_inner_transaction_is_undone(self, store):
        with store.transaction():
            store.put_source(state("a"), [doc("a1", "a")])
            with pytest.raises(RuntimeError):
                with store.transaction():
                    store.put_source(state("b"), [doc("b1", "b")])
                    raise RuntimeError("one bad document")
        assert set(store.states()) == {"a"} and store.get_document("b1") is None

    def test_image_file_and_result_summaries(self, store):
        images = [{"id": "r", "page": 1, "data": b"png", "format": "png", "kind": "page_render"},
                  {"id": "e", "page": 1, "data": b"jpg", "format": "jpeg", "kind": "embedded"}]
        store.put_source(state("s"), [doc("d1", "s", keys=(VARGA,), images=images),
                                      doc("d2", "s")])
        assert store.image_file("d1", "e") == (b"jpg", "jpeg")
        assert store.image_file("d1", "nope") is None
        found = store.summaries(["d1", "d2", "gone"])
        assert set(found) == {"d1", "d2"}
        assert found["d1"]["image"] == "e"  # an embedded picture before a page render
        assert found["d2"]["image"] is None
        assert found["d1"]["content_type"] is None or isinstance(found["d1"]["content_type"], str)
        # the entity facets as resolved now (the entities' names), as get_document gives them
        assert found["d1"]["fields"]["people"] == ["Kell Varga"]
        assert store.summaries([]) == {}

    def test_one_run_by_id(self, store):
        run = store.start_run("./docs", {})
        store.record_error(run, "file:///bad.pdf", "crack", "not a PDF")
        assert store.run(run)["errors"] == 1 and store.run("unknown") is None

    def test_a_read_only_store_reads_while_another_writes(self, store):
        store.put_source(state("s"), [doc("d1", "s", keys=(VARGA,))])
        with SqliteStore(store.path, read_only=True) as reader:
            assert reader.get_document("d1")["title"] == "Title d1"
            with reader.snapshot():
                before = reader.stats()["documents"]
                store.put_source(state("t"), [doc("d2", "t")])  # commits meanwhile
                assert reader.stats()["documents"] == before == 1  # one snapshot
            assert reader.stats()["documents"] == 2
            with pytest.raises(sqlite3.OperationalError, match="readonly"):
                reader.start_run("x", {})

    def test_duplicate_ids_in_one_source_are_refused(self, store):
        with pytest.raises(StoreError, match="same id"):
            store.put_source(state("s"), [doc("d", "s"), doc("d", "s")])
        assert store.states() == {}

    def test_reindex_all_queues_every_document(self, store):
        store.put_source(state("s"), [doc("d1", "s"), doc("d2", "s")])
        store.mark_indexed(["d1", "d2"], [])
        assert store.reindex_all() == 2
        assert [u["id"] for u in store.pending_index()[0]] == ["d1", "d2"]

    def test_file_settings_and_reopen(self, store):
        store.put_source(state("s"), [doc("d1", "s")])
        assert self.sql(store, "PRAGMA journal_mode") == [("wal",)]
        assert self.sql(store, "PRAGMA user_version") == [(sqlite_schema.SCHEMA_VERSION,)]
        store.close()
        with SqliteStore(store.path) as again:
            assert again.get_document("d1")["title"] == "Title d1"
            assert again._conn.execute("PRAGMA foreign_keys").fetchone() == (1,)
            assert again._conn.execute("PRAGMA synchronous").fetchone() == (1,)  # NORMAL

    @pytest.mark.parametrize("version, read_only, match", [
        (99, False, "schema version 99"),  # newer: never touched
        (3, True, "schema version 3.*enrich index"),  # older: only a writer migrates it
    ])
    def test_a_schema_version_it_cannot_use_is_refused(self, tmp_path, version, read_only,
                                                       match):
        path = tmp_path / "enrich.sqlite"
        SqliteStore(path).close()
        with sqlite3.connect(path) as conn:
            conn.execute(f"PRAGMA user_version = {version}")
        with pytest.raises(StoreError, match=match):
            SqliteStore(path, read_only=read_only)

    def test_schema_is_documented(self, store):
        doc_text = (Path(sqlite_schema.__file__).parent / "SCHEMA.md").read_text()
        assert doc_text.strip() == sqlite_schema.__doc__.strip()
        readme = (Path(sqlite_schema.__file__).parents[2] / "README.md").read_text()
        body = doc_text.split("\n", 1)[1].replace("\n## ", "\n### ").strip()
        assert body in readme, "README.md must carry SCHEMA.md (## -> ###) verbatim"
        sections = {part.split(" ", 1)[0]: part for part in doc_text.split("\n## ")[1:]}
        tables = [t for (t,) in self.sql(store, "SELECT name FROM sqlite_master "
                                                "WHERE type = 'table'")]
        assert set(tables) == set(sections)
        for table in tables:
            for column in self.sql(store, f"PRAGMA table_info({table})"):
                assert f"| `{column[1]}` |" in sections[table], (table, column[1])

    def test_a_killed_writer_leaves_the_last_commit(self, store):
        store.put_source(state("s"), [doc("d0", "s", keys=(ORVANE,))])
        store.close()
        script = textwrap.dedent(f"""
            import os, signal, sys
            sys.path[:0] = {sys.path!r}
            from tests.indexers.test_store_contract import doc, state, ORVANE, VARGA
            from indexers.stores import SqliteStore
            store = SqliteStore({str(store.path)!r})
            with store.transaction():
                store.delete_source("s")
                for i in range(50):
                    store.put_source(state(f"t{{i}}"), [doc(f"t{{i}}", f"t{{i}}",
                                     keys=(ORVANE, VARGA))])
                os.kill(os.getpid(), signal.SIGKILL)
            """)
        result = subprocess.run([sys.executable, "-c", script], cwd=Path(__file__).parents[2])
        assert result.returncode == -9
        with SqliteStore(store.path) as again:
            assert set(again.states()) == {"s"} and again.get_document("d0") is not None
            assert again.stats()["entities"] == 1
            assert Counter(u["id"] for u in again.pending_index()[0]) == {"d0": 1}


class TestResolvedMentions(SqliteStoreFixture):
    """Resolution as the store applies it: ``graph.mentions_of`` and the facets."""

    def test_mentions_of_gives_resolved_mentions_without_rejected_ones(self, store):
        store.put_source(state("a"), [doc("d1", "a", keys=("ORG:vantor", VARGA))])
        store.put_source(state("b"), [doc("d2", "b", keys=("GPE:vantor", "ORG:harvest"),
                                          text="the harvest came; a harvest fair, harvest")])
        got = store.graph.mentions_of(["d2", "d1"])
        assert [(m["doc_id"], m["text"], m["label"], m["type"], m["entity_key"],
                 m["raw_key"]) for m in got] == [
            ("d1", "Vantor", "ORG", "ORG", "ORG:vantor", "ORG:vantor"),
            ("d1", "Kell Varga", "PERSON", "PERSON", VARGA, VARGA),
            ("d2", "Vantor", "GPE", "ORG", "ORG:vantor", "GPE:vantor")]  # the type vote
        assert set(got[0]) == {"doc_id", "page", "start", "end", "text", "label", "type",
                               "entity_key", "raw_key", "confidence", "skill"}
        assert (got[0]["confidence"], got[0]["skill"], got[0]["page"]) == (0.9, "entities", 1)
        assert store.graph.cards(["ORG:harvest"]) == {}  # a common word here
        fields = {d["id"]: d for d in store.pending_index()[0]}
        assert fields["d2"]["organizations"] == ["Vantor"] and "locations" not in fields["d2"]
        assert fields["d2"]["entities"] == ["Vantor"]
        assert store.resolution == {rule: True for rule in store.resolution}

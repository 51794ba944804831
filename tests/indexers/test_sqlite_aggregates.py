"""The SQLite store's aggregate tables equal the sums of its per-document rows.

``entities``, ``entity_names``, ``edges``, ``graph_units`` and ``aliases`` are kept
up to date incrementally, document by document; after random edits, rolled-back
batches, alias changes and migrations from older schema versions, each must equal
what :func:`indexers.stores.sqlite_migrate.rebuild_graph` sums from scratch.
"""

from __future__ import annotations

import contextlib
import random
import sqlite3

import pytest

from graph import contributions
from indexers.stores import DocumentRecord, SourceState, SqliteStore, StoreError
from indexers.stores import sqlite_migrate, sqlite_schema
from indexers.stores.sqlite_migrate import rebuild_graph
from tests.indexers.test_store_contract import (EVIDENCE, DUNMORE, VARGA, ORVANE,
                                                SqliteStoreFixture, doc, edge_counts, entity,
                                                state)


class TestSqliteAggregates(SqliteStoreFixture):
    @staticmethod
    def random_docs(rng: random.Random, source: str) -> list[DocumentRecord]:
        """Documents with mentions on pages, sentences and images, some using or
        defining aliases (ORG:a0 stands for ORG:o0 or ORG:o1, as documents say)."""
        keys = [f"PERSON:p{i}" for i in range(6)] + [f"ORG:o{i}" for i in range(4)] + ["ORG:a0"]
        docs = []
        for n in rng.sample(range(4), rng.randrange(4)):
            picked = rng.sample(keys, rng.randrange(1, 5))
            record = doc(f"{source}-{n}", source, keys=tuple(picked + picked[:1]))
            for m in record.entities:
                m.update(page=rng.choice((1, 2, None)), sentence=rng.choice((0, 1, None)),
                         image=rng.choice((None, None, "p1-i0")))
            record.edges = contributions(record.entities)
            if rng.random() < 0.3:
                record.aliases = [("ORG:a0", rng.choice(("ORG:o0", "ORG:o1")))]
            docs.append(record)
        return docs

    def random_edit(self, store, rng: random.Random, step: int) -> None:
        source = f"s{rng.randrange(6)}"
        if rng.random() < 0.2:
            store.delete_source(source)
        else:
            store.put_source(state(source, sha=str(step)), self.random_docs(rng, source))

    def test_aggregates_equal_the_sums_after_random_edits(self, store):
        rng = random.Random(7)
        for step in range(40):
            self.random_edit(store, rng, step)
        self.assert_consistent(store)
        assert self.sql(store, "SELECT count(*) FROM edges")[0][0] > 0

    def test_aggregates_survive_random_batches_and_rollbacks(self, store):
        """Edge deltas of undone savepoints and transactions are dropped, the rest kept."""
        rng = random.Random(11)
        for step in range(60):
            with contextlib.suppress(RuntimeError), store.transaction():
                for i in range(rng.randrange(1, 5)):
                    with contextlib.suppress(RuntimeError), store.transaction():
                        self.random_edit(store, rng, step * 10 + i)
                        if rng.random() < 0.25:
                            raise RuntimeError("undo this savepoint")
                if rng.random() < 0.2:
                    raise RuntimeError("undo the whole batch")
            self.assert_consistent(store)
        assert self.sql(store, "SELECT count(*) FROM edges")[0][0] > 0

    def test_edges_of_a_rolled_back_transaction_are_dropped(self, store):
        first = doc("d0", "s", keys=(VARGA, ORVANE), edges=(("document", ORVANE, VARGA, 1),))
        store.put_source(state("s"), [first])
        with pytest.raises(RuntimeError), store.transaction():
            store.put_source(state("t"), [doc("d1", "t", keys=(VARGA, ORVANE, DUNMORE), edges=(
                ("document", ORVANE, VARGA, 1), ("page", DUNMORE, VARGA, 1)))])
            store.delete_source("s")
            raise RuntimeError("boom")
        store.put_source(state("u"), [doc("d2", "u", keys=(DUNMORE, ORVANE),
                                          edges=(("document", DUNMORE, ORVANE, 1),))])
        assert edge_counts(store) == {(ORVANE, VARGA): 1, (DUNMORE, ORVANE): 1}
        assert store.graph.top_edges("page", 10) == []
        self.assert_consistent(store)

    def test_evidence_is_one_json_row_per_document(self, store):
        store.put_source(state("s"), [
            doc("d1", "s", keys=(VARGA, ORVANE, DUNMORE), edges=(
                ("document", ORVANE, VARGA, 1), ("document", DUNMORE, VARGA, 1),
                ("page", VARGA, ORVANE, 2))),
            doc("d2", "s", keys=(ORVANE,))])
        assert self.sql(store, "SELECT doc_id, json(edges) FROM doc_edges") == [(
            "d1", '{"document":{"ORG:orvane":{"PERSON:kell varga":1},'
                  '"ORG:dunmore":{"PERSON:kell varga":1}},'
                  '"page":{"ORG:orvane":{"PERSON:kell varga":2}}}')]
        assert sorted(self.sql(store, EVIDENCE)) == [
            ("d1", "document", DUNMORE, VARGA, 1), ("d1", "document", ORVANE, VARGA, 1),
            ("d1", "page", ORVANE, VARGA, 2)]
        store.put_source(state("s", sha="h2"), [doc("d2", "s", keys=(ORVANE,))])
        assert self.sql(store, "SELECT count(*) FROM doc_edges") == [(0,)]
        assert edge_counts(store) == {}

    def test_rewriting_the_same_edges_leaves_them(self, store):
        edges = (("document", ORVANE, VARGA, 2),)
        store.put_source(state("s"), [doc("d1", "s", keys=(VARGA, ORVANE), edges=edges)])
        store.put_source(state("t"), [doc("d2", "t", keys=(VARGA, ORVANE), edges=edges)])
        with store.transaction():
            store.put_source(state("s", sha="h2"), [doc("d1", "s", keys=(VARGA, ORVANE),
                                                        edges=edges)])
            store.delete_source("t")
            store.put_source(state("t"), [doc("d2", "t", keys=(VARGA, ORVANE), edges=edges)])
        assert edge_counts(store) == {(ORVANE, VARGA): 4}
        self.assert_consistent(store)

    def test_version_1_file_is_migrated(self, store):
        store.put_source(state("s"), [doc("d1", "s", keys=(VARGA, ORVANE, DUNMORE), edges=(
            ("document", ORVANE, VARGA, 1), ("document", DUNMORE, VARGA, 1),
            ("page", VARGA, ORVANE, 2)))])
        store.close()
        with sqlite3.connect(store.path) as conn:  # rewrite doc_edges as version 1 had it
            conn.executescript(f"""
                CREATE TABLE v1 AS {EVIDENCE};
                DROP TABLE doc_edges;
                CREATE TABLE doc_edges (
                    doc_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
                    scope TEXT NOT NULL, a TEXT NOT NULL, b TEXT NOT NULL,
                    count INTEGER NOT NULL, PRIMARY KEY (doc_id, scope, a, b)
                ) WITHOUT ROWID;
                CREATE INDEX doc_edges_pair ON doc_edges(scope, a, b);
                INSERT INTO doc_edges SELECT * FROM v1;
                DROP TABLE v1;
                PRAGMA user_version = 1;""")
        with SqliteStore(store.path) as again:
            assert self.sql(again, "PRAGMA user_version") == [(sqlite_schema.SCHEMA_VERSION,)]
            assert sorted(self.sql(again, EVIDENCE)) == [
                ("d1", "document", DUNMORE, VARGA, 1), ("d1", "document", ORVANE, VARGA, 1),
                ("d1", "page", ORVANE, VARGA, 2)]
            self.assert_consistent(again)
            again.delete_source("s")
            assert self.sql(again, "SELECT count(*) FROM edges") == [(0,)]
            assert "doc_edges_pair" not in {n for (n,) in self.sql(
                again, "SELECT name FROM sqlite_master")}

    GRAPH_TABLES = ("edges", "entities", "entity_names", "graph_units", "aliases")

    def test_version_3_file_is_migrated(self, store):
        record = doc("d1", "s", keys=(VARGA, ORVANE, DUNMORE))
        record.entities[0].update(page=2, sentence=1)
        record.edges = contributions(record.entities)
        store.put_source(state("s"), [record])
        expected = {t: sorted(self.sql(store, f"SELECT * FROM {t}"))
                    for t in ("edges", "graph_units")}
        store.close()
        with sqlite3.connect(store.path) as conn:  # take away what version 4 added
            conn.executescript("DROP INDEX entities_units; DROP INDEX edges_b; "
                               "DROP INDEX mentions_raw_key; "
                               "CREATE INDEX edges_b ON edges(scope, b);")
            for table, column in sqlite_migrate.ADDED_IN_4:
                conn.execute(f"ALTER TABLE {table} DROP COLUMN {column.split()[0]}")
            conn.executescript("DROP TABLE graph_units; DROP TABLE aliases; "
                               "DROP TABLE doc_aliases; DROP INDEX entity_names_name; "
                               "PRAGMA user_version = 3;")
        with SqliteStore(store.path) as again:
            expected["graph_units"].remove(("sentence", 1))  # version 3 had no sentences
            assert {t: sorted(self.sql(again, f"SELECT * FROM {t}")) for t in expected} \
                == expected
            assert entity(again, VARGA)["pages"] == 1
            self.assert_consistent(again)

    def test_version_4_file_is_migrated(self, store):
        store.put_source(state("s"), [doc("d1", "s", keys=(VARGA,))])
        store.close()
        store_state = SourceState("t", -1, -1.0, "", "failed", "timed out")  # version 4's
        with SqliteStore(store.path) as again:                               # transient kind
            again.save_state(store_state)
        with sqlite3.connect(store.path) as conn:  # take away what version 5 added
            for table, column in sqlite_migrate.ADDED_IN_5:
                conn.execute(f"ALTER TABLE {table} DROP COLUMN {column.split()[0]}")
            conn.execute("PRAGMA user_version = 4")
        with SqliteStore(store.path) as again:
            assert again.states()["s"].version == "" and again.states()["s"].stage == ""
            assert again.states()["t"].transient  # size -1 meant "retry next run"
            assert again.get_document("d1")["title"] == "Title d1"

    def assert_consistent(self, store):
        """Aggregates equal a rebuild from the per-document rows; aliases applied."""
        assert sorted(self.sql(store, "SELECT scope, a, b, count FROM edges")) == sorted(
            self.sql(store, f"SELECT scope, a, b, sum(count) FROM ({EVIDENCE}) "
                            "GROUP BY 1, 2, 3"))
        assert sorted(self.sql(store, "SELECT key, documents, mentions FROM entities")) == \
            sorted(self.sql(store, "SELECT entity_key, count(DISTINCT doc_id), count(*) "
                                   "FROM mentions GROUP BY entity_key"))
        assert sorted(self.sql(store, "SELECT * FROM entity_names")) == sorted(self.sql(
            store, "SELECT entity_key, name, count(*) FROM mentions GROUP BY 1, 2"))
        assert self.sql(store, "SELECT count(*) FROM edges WHERE count <= 0") == [(0,)]
        before = {t: sorted(self.sql(store, f"SELECT * FROM {t}")) for t in self.GRAPH_TABLES}
        with contextlib.closing(sqlite3.connect(store.path)) as conn, conn:
            rebuild_graph(conn)  # the reference: every aggregate summed from scratch
        after = {t: sorted(self.sql(store, f"SELECT * FROM {t}")) for t in self.GRAPH_TABLES}
        assert before == after
        targets = dict(self.sql(store, "SELECT alias, entity_key FROM aliases AS x WHERE "
                                       "entity_key = (SELECT entity_key FROM aliases WHERE "
                                       "alias = x.alias ORDER BY documents DESC, entity_key "
                                       "LIMIT 1)"))
        for raw, key in self.sql(store, "SELECT DISTINCT raw_key, entity_key FROM mentions"):
            assert key == targets.get(raw.split(":", 1)[1], raw), (raw, key)

    def test_a_source_that_cannot_be_written_leaves_the_batch_intact(self, store):
        edge = (("document", ORVANE, VARGA, 1),)
        store.put_source(state("b"), [doc("b0", "b", keys=(ORVANE, VARGA), edges=edge)])
        bad = doc("bad", "b", keys=(ORVANE, DUNMORE), edges=(("document", DUNMORE, ORVANE, 1),))
        bad.pages.append(dict(bad.pages[0]))  # page 1 twice
        with store.transaction():
            store.put_source(state("a"), [doc("a1", "a", keys=(ORVANE,))])
            with pytest.raises(StoreError, match="cannot write the documents of b"):
                store.put_source(state("b", sha="h2"), [bad])
            store.put_source(state("c"), [doc("c1", "c", keys=(ORVANE, VARGA), edges=edge)])
        assert set(store.states()) == {"a", "b", "c"} and store.get_document("bad") is None
        assert store.get_document("b0") is not None and store.states()["b"].sha256 == "h1"
        assert store.stats()["mentions"] == 5
        assert edge_counts(store) == {(ORVANE, VARGA): 2}
        self.assert_consistent(store)

    def test_entity_counts_and_most_common_name(self, store):
        d1 = doc("d1", "s", keys=(VARGA, VARGA, ORVANE))
        d1.entities[1]["name"] = "LeBron James"
        d2 = doc("d2", "t", keys=(VARGA,))
        d2.entities[0]["name"] = "LeBron James"
        store.put_source(state("s"), [d1])
        store.put_source(state("t"), [d2])
        lebron = entity(store, VARGA)
        assert (lebron["documents"], lebron["mentions"], lebron["name"]) == (2, 3, "LeBron James")
        assert lebron["names"] == {"LeBron James": 2, "Kell Varga": 1}
        store.delete_source("t")
        lebron = entity(store, VARGA)
        assert (lebron["documents"], lebron["mentions"]) == (1, 2)
        assert lebron["name"] == "LeBron James"  # tie: the first by text
        store.delete_source("s")
        assert entity(store, VARGA) is None and entity(store, ORVANE) is None
        self.assert_consistent(store)

    def test_an_alias_defined_later_rekeys_earlier_documents_and_reverts(self, store):
        fbi, long = "ORG:fbi", "ORG:federal bureau of investigation"
        store.put_source(state("s"), [doc("d1", "s", keys=(fbi, VARGA), edges=(
            ("document", fbi, VARGA, 1),))])
        definer = doc("d2", "t", keys=(long, ORVANE), edges=(("document", long, ORVANE, 1),))
        definer.aliases = [(fbi, long)]
        store.put_source(state("t"), [definer])
        assert entity(store, fbi) is None
        assert (entity(store, long)["documents"], entity(store, long)["names"]) == (
            2, {"Fbi": 1, "Federal Bureau Of Investigation": 1})
        assert edge_counts(store) == {(long, VARGA): 1, (long, ORVANE): 1}
        assert self.sql(store, "SELECT raw_key, entity_key FROM mentions WHERE doc_id = 'd1' "
                               "AND raw_key = 'ORG:fbi'") == [(fbi, long)]
        store.put_source(state("u"), [doc("d3", "u", keys=(fbi,))])  # resolved on arrival
        assert entity(store, long)["documents"] == 3
        self.assert_consistent(store)
        store.delete_source("t")  # the only definition goes: FBI is itself again
        assert entity(store, long) is None and entity(store, fbi)["documents"] == 2
        assert edge_counts(store) == {(fbi, VARGA): 1}
        self.assert_consistent(store)

    def test_rekeying_keeps_descriptions(self, store):
        fbi, long, code = "ORG:fbi", "ORG:federal bureau of investigation", "CRYPTONYM:amtrunk"
        record = doc("d1", "s", keys=(fbi, code))
        record.entities[1]["description"] = "a CIA operation"
        store.put_source(state("s"), [record])
        definer = doc("d2", "t", keys=(long,))
        definer.aliases = [(fbi, long)]
        store.put_source(state("t"), [definer])
        assert entity(store, code)["description"] == "a CIA operation"
        store.delete_source("t")
        assert entity(store, code)["description"] == "a CIA operation"

    def test_the_alias_most_documents_define_wins(self, store):
        a, x, y = "ORG:a", "ORG:x", "ORG:y"
        for n, target in enumerate((x, y, y)):
            record = doc(f"d{n}", f"s{n}", keys=(target,))
            record.aliases = [(a, target)]
            store.put_source(state(f"s{n}"), [record])
        store.put_source(state("m"), [doc("m", "m", keys=(a,))])
        assert entity(store, y)["documents"] == 3 and entity(store, x)["documents"] == 1
        store.delete_source("s2")  # one each now: the first key wins the tie
        assert entity(store, x)["documents"] == 2 and entity(store, y)["documents"] == 1
        self.assert_consistent(store)

    def test_units_of_each_scope_and_document_frequency(self, store):
        record = doc("d1", "s", keys=(VARGA, ORVANE, VARGA, ORVANE))
        places = [(1, 0, None), (1, 0, "p1-i0"), (2, 3, None), (2, 4, None)]
        for m, (page, sentence, image) in zip(record.entities, places):
            m.update(page=page, sentence=sentence, image=image)
        record.edges = contributions(record.entities)
        store.put_source(state("s"), [record])
        store.put_source(state("t"), [doc("d2", "t", keys=(VARGA, ORVANE), edges=(
            ("document", VARGA, ORVANE, 1),))])
        lebron = entity(store, VARGA)
        assert [lebron[k] for k in ("documents", "pages", "images", "sentences")] == [2, 3, 0, 2]
        assert entity(store, ORVANE)["images"] == 1
        assert dict(self.sql(store, "SELECT scope, units FROM graph_units")) == {
            "document": 2, "page": 3, "image": 1, "sentence": 3}
        assert sorted(self.sql(store, "SELECT scope, count, documents FROM edges")) == [
            ("document", 2, 2), ("page", 2, 1), ("sentence", 1, 1)]
        store.delete_source("t")
        assert dict(self.sql(store, "SELECT scope, units FROM graph_units"))["document"] == 1
        self.assert_consistent(store)

    def test_description_and_label_are_kept(self, store):
        record = doc("d1", "s", keys=("CRYPTONYM:amtrunk", VARGA))
        record.entities[0].update(description="a CIA operation", label="CRYPTONYM")
        record.entities[1]["label"] = "ORG"  # the skill said ORG, the majority PERSON
        store.put_source(state("s"), [record])
        assert entity(store, "CRYPTONYM:amtrunk")["description"] == "a CIA operation"
        assert self.sql(store, "SELECT entity_key, label FROM mentions ORDER BY id") == [
            ("CRYPTONYM:amtrunk", "CRYPTONYM"), (VARGA, "ORG")]

    def test_edges_are_normalised_and_summed(self, store):
        store.put_source(state("s"), [doc("d", "s", keys=(VARGA, ORVANE), edges=(
            ("document", VARGA, ORVANE, 1), ("document", ORVANE, VARGA, 2),
            ("document", ORVANE, ORVANE, 5)))])
        assert edge_counts(store) == {(ORVANE, VARGA): 3}

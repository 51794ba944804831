"""The graph-reader contract: every ``GraphReader`` passes ``GraphReaderContract``.

A reader class's tests subclass it and provide the ``reader`` fixture: a reader over
the ``basketball()`` corpus of ``tests.graph.corpus`` (with the alias ``fbi``). SQLite
is the implementation today; an Elasticsearch-aggregation reader would add a class.
"""

from __future__ import annotations

import contextlib

import pytest

from graph import GraphError, GraphReader, IndexNotFound, KnowledgeGraph
from indexers.stores import DataDir, SqliteStore
from indexers.stores.sqlite import open_graph_reader
from tests.graph.corpus import (BULLS, FBI, JORDAN_G, JORDAN_P, LA, LAKERS, LEBRON, MJ, NIKE,
                                ZORRO, basketball, build_store)


class GraphReaderContract:
    """What ``KnowledgeGraph`` relies on, answer by answer, on the basketball corpus."""

    @pytest.fixture
    def reader(self, tmp_path):
        raise NotImplementedError("a reader test class overrides the reader fixture")

    def test_is_a_graph_reader(self, reader):
        assert isinstance(reader, GraphReader)

    def test_cards(self, reader):
        cards = reader.cards([LEBRON, "PERSON:nobody"])
        assert cards == {LEBRON: {"key": LEBRON, "name": "LeBron James", "type": "PERSON",
                                  "description": "", "documents": 2, "mentions": 4,
                                  "pages": 3, "images": 1, "sentences": 3}}

    def test_types_and_top_entities(self, reader):
        assert reader.types() == ["GPE", "ORG", "PERSON"]
        assert [c["key"] for c in reader.top_entities(None, 3)] == [BULLS, FBI, NIKE]
        assert reader.top_entities(None, 1)[0]["documents"] == 3
        assert [c["key"] for c in reader.top_entities(["ORG"], 10)] == [BULLS, FBI, NIKE,
                                                                         LAKERS]

    def test_names_and_prefixes(self, reader):
        assert reader.keys_named("lebron JAMES") == [LEBRON]
        assert reader.keys_named("jordan") == [JORDAN_G, JORDAN_P]
        assert reader.keys_named("King James") == []  # a surface form, not a display name
        assert reader.keys_by_name_prefix("lebr", 10) == [LEBRON]
        assert sorted(reader.keys_by_name_prefix("l", 10)) == [LA, LAKERS, LEBRON]
        assert len(reader.keys_by_name_prefix("l", 2)) == 2
        assert reader.keys_by_key_prefix("PERSON:", 10) == [JORDAN_P, LEBRON, MJ, ZORRO]
        assert reader.keys_by_key_prefix("PERSON:", 1) == [JORDAN_P]

    def test_names_near(self, reader):
        assert reader.names_near("nike", 2) == [(NIKE, "Nike"), (ZORRO, "Zorro"),
                                                (MJ, "Michael Jordan"), (LA, "Los Angeles")]

    def test_aliases_names_and_surface_forms(self, reader):
        assert reader.alias_targets(["fbi", "nba"]) == {"fbi": FBI}
        assert reader.acronyms(FBI) == {"fbi": 2} and reader.acronyms(NIKE) == {}
        assert reader.names(LEBRON) == {"LeBron James": 3, "Lebron James": 1}
        assert sorted(reader.surface_forms(LEBRON, 100)) == [
            ("King James", "PERSON", 1), ("LeBron James", "PERSON", 2),
            ("Lebron James", "PERSON", 1)]
        assert sum(n for *_, n in reader.surface_forms(LEBRON, 2)) == 2
        assert sorted(reader.surface_forms(NIKE, 100))[0] == ("Nike", "BRAND", 1)

    def test_moved_keys(self, reader):
        assert reader.moved_keys("ORG:fbi") == [FBI]  # d5's own key; counted under FBI's
        assert reader.moved_keys(LEBRON) == [] and reader.moved_keys("PERSON:nobody") == []

    def test_units_and_counts(self, reader):
        assert reader.units() == {"document": 6, "page": 8, "image": 1, "sentence": 10}
        counts = reader.counts()
        assert counts["entities"] == 10
        assert (counts["nodes"]["document"], counts["nodes"]["image"]) == (10, 2)
        assert (counts["edges"]["document"], counts["edges"]["image"]) == (14, 1)

    def test_neighbours(self, reader):
        assert sorted(reader.neighbours(LEBRON, "document", 1)) == [
            (LA, 1, 1, 1), (LAKERS, 1, 1, 1), (NIKE, 2, 2, 2), (MJ, 1, 1, 2)]
        assert reader.neighbours(LEBRON, "document", 1, limit=2) == [(NIKE, 2, 2, 2),
                                                                     (LA, 1, 1, 1)]
        assert reader.neighbours(LEBRON, "document", 1, ["ORG"], 5) == [(NIKE, 2, 2, 2),
                                                                        (LAKERS, 1, 1, 1)]
        assert reader.neighbours(LEBRON, "sentence", 2) == [(NIKE, 2, 1, 3)]
        assert reader.neighbours(ZORRO, "document", 1) == []

    def test_adjacent_and_pair(self, reader):
        assert sorted(reader.adjacent(LEBRON, "page", 2)) == [(NIKE, 2)]
        assert sorted(reader.adjacent(NIKE, "image", 1)) == [(LEBRON, 1)]
        expected = [("document", 2, 2), ("image", 1, 1), ("page", 2, 1), ("sentence", 2, 1)]
        assert sorted(reader.pair(LEBRON, NIKE)) == sorted(reader.pair(NIKE, LEBRON)) == expected
        assert reader.pair(LEBRON, ZORRO) == []

    def test_edges(self, reader):
        assert reader.edges_among([LEBRON, NIKE, BULLS, FBI, ZORRO], "document", 1) == {
            (NIKE, LEBRON): (2, 2), (BULLS, FBI): (2, 2)}
        assert reader.edges_among([LEBRON, NIKE], "document", 3) == {}
        assert list(reader.edges("image", 1, None)) == [(NIKE, LEBRON, 1, 1)]
        assert {e[:2] for e in reader.edges("document", 2, None)} == {(NIKE, LEBRON),
                                                                      (BULLS, FBI)}
        assert {e[:2] for e in reader.edges("document", 1, ["ORG"])} == {(LAKERS, NIKE),
                                                                         (BULLS, FBI)}

    def test_top_edges_carry_entity_names(self, reader):
        assert reader.top_edges("document", 2) == [
            {"a": BULLS, "b": FBI, "a_name": "Bulls",
             "b_name": "Federal Bureau of Investigation", "count": 2},
            {"a": NIKE, "b": LEBRON, "a_name": "Nike", "b_name": "LeBron James", "count": 2}]
        assert len(reader.top_edges("image", 10)) == 1

    def test_documents_and_mentions(self, reader):
        assert reader.shared_documents(LEBRON, NIKE, 10) == ["d1", "d2"]
        assert reader.shared_documents(NIKE, LEBRON, 1) == ["d1"]
        assert reader.shared_documents(LEBRON, ZORRO, 10) == []
        assert reader.documents(["d1", "nope"]) == {
            "d1": {"doc_id": "d1", "uri": "file:///corpus/d1.pdf", "title": "Game notes"}}
        assert reader.mentions([LEBRON, NIKE], ["d2"]) == [
            ("d2", LEBRON, 1, 0, 0, 12, None), ("d2", NIKE, 2, 0, 0, 4, None)]
        images = [m[6] for m in reader.mentions([NIKE], ["d1"])]
        assert images == [None, None, "p1-i0"]

    def test_text(self, reader):
        page = "King James thanked Nike after the game."
        assert reader.text("d1", 2, 0, 10) == ("King James", len(page))
        assert reader.text("d1", 2, 19, 4) == ("Nike", len(page))
        assert reader.text("d1", None, 0, 6)[0] == "LeBron"
        assert reader.text("nope", 1, 0, 5) is None

    def test_entities_of_documents(self, reader):
        assert reader.document_entities(["d1", "d2", "d3"], None, 4) == [
            (NIKE, 2), (LEBRON, 2), (MJ, 2), (JORDAN_G, 1)]
        assert reader.document_entities(["d1", "d2", "d3"], ["PERSON"], 25) == [
            (LEBRON, 2), (MJ, 2)]
        assert reader.document_entities([], None, 4) == []
        assert sorted(reader.mentioned_in(["d2", "d3"], [MJ, BULLS])) == [
            ("d2", MJ), ("d3", BULLS), ("d3", MJ)]

    def test_snapshots_nest(self, reader):
        with reader.snapshot():
            with reader.snapshot():
                assert reader.units()["document"] == 6
            assert reader.counts()["entities"] == 10


class TestSqliteGraphReader(GraphReaderContract):
    @pytest.fixture
    def data_dir(self, tmp_path):
        return build_store(tmp_path, basketball(), aliases=[("fbi", FBI, 2)])

    @pytest.fixture
    def reader(self, data_dir):
        reader = open_graph_reader(data_dir)
        yield reader
        reader.close()

    def test_a_snapshot_sees_one_state(self, reader, data_dir):
        with SqliteStore(DataDir(data_dir).store) as store:
            with reader.snapshot():
                assert reader.cards([NIKE])[NIKE]["name"] == "Nike"
                with store.transaction():
                    store._conn.execute("UPDATE entities SET name = 'Changed' WHERE key = ?",
                                        (NIKE,))
                assert reader.cards([NIKE])[NIKE]["name"] == "Nike"
            assert reader.cards([NIKE])[NIKE]["name"] == "Changed"

    def test_is_the_entry_point_and_refuses_an_empty_folder(self, data_dir, tmp_path):
        with KnowledgeGraph.open(data_dir, reader="sqlite") as kg:
            assert kg.reader.units()["document"] == 6
        with pytest.raises(IndexNotFound, match="no enrich index in"):
            open_graph_reader(tmp_path / "empty")

    def test_an_unknown_reader_is_named(self, data_dir):
        with pytest.raises(GraphError, match="no graph reader named 'nope'; installed: "
                                            ".*sqlite"):
            KnowledgeGraph.open(data_dir, reader="nope")

    def test_an_alias_stands_for_what_most_documents_define(self, tmp_path):
        aliases = [("fbi", FBI, 1), ("fbi", NIKE, 3), ("bb", BULLS, 2), ("bb", FBI, 2)]
        reader = open_graph_reader(build_store(tmp_path / "x", basketball(), aliases))
        with contextlib.closing(reader):
            assert reader.alias_targets(["fbi", "bb"]) == {"fbi": NIKE, "bb": BULLS}

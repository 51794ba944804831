"""Neighbours ranked by count, NPMI and LLR (``graph.neighbours``)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from graph import KnowledgeGraph
from graph.scores import llr, npmi
from indexers.stores import DataDir
from tests.graph.corpus import (BULLS, FBI, LA, LAKERS, LEBRON, MJ, NIKE, ZORRO, basketball,
                                build_store, m)


# --- neighbours ----------------------------------------------------------------------

def test_neighbors_by_count(kg):
    frame = kg.neighbors("LeBron James")
    assert list(frame.columns) == ["key", "name", "type", "count", "documents", "npmi", "llr"]
    assert list(frame["key"]) == [NIKE, LA, LAKERS, MJ]
    assert list(frame["count"]) == [2, 1, 1, 1] and list(frame["documents"]) == [2, 1, 1, 1]
    assert frame["npmi"][0] == pytest.approx(npmi(2, 2, 2, 6))
    assert frame["llr"][0] == pytest.approx(llr(2, 2, 2, 6))


def test_neighbors_at_other_scopes(kg):
    page = kg.neighbors(LEBRON, scope="page")
    assert dict(zip(page["key"], page["count"])) == {NIKE: 2, LAKERS: 1, LA: 1, MJ: 1}
    assert list(kg.neighbors(LEBRON, scope="image")["key"]) == [NIKE]
    sentence = kg.neighbors(LEBRON, scope="sentence")
    assert dict(zip(sentence["key"], sentence["count"])) == {NIKE: 2, MJ: 1}
    assert sentence["npmi"][0] == pytest.approx(npmi(2, 3, 3, 10))


def test_neighbors_kind_limit_and_min_count(kg):
    assert list(kg.neighbors(LEBRON, kind="org")["key"]) == [NIKE, LAKERS]
    assert list(kg.neighbors(LEBRON, kind=["GPE", "person"])["key"]) == [LA, MJ]
    assert list(kg.neighbors(LEBRON, limit=2)["key"]) == [NIKE, LA]
    assert list(kg.neighbors(LEBRON, min_count=2)["key"]) == [NIKE]
    assert kg.neighbors(ZORRO).empty


def test_neighbors_validate_scope_and_rank(kg):
    with pytest.raises(ValueError, match="unknown scope 'paragraph'; choose one of "
                                         "document, page, image, sentence"):
        kg.neighbors(LEBRON, scope="paragraph")
    with pytest.raises(ValueError, match="choose one of count, npmi, llr"):
        kg.neighbors(LEBRON, rank="pmi")


UNCOVERED = ("DROP INDEX entities_units", "DROP INDEX edges_b",
             "CREATE INDEX edges_b ON edges(scope, b)")


def test_covering_indexes_are_used_and_change_no_answer(tmp_path, kg):
    """The store has them; a store without them (an older layout) answers the same."""
    plain_dir = build_store(tmp_path / "plain", basketball(), aliases=[("fbi", FBI, 2)])
    conn = sqlite3.connect(DataDir(plain_dir).store)
    for statement in UNCOVERED:
        conn.execute(statement)
    conn.commit()
    conn.close()
    assert kg.reader._hints == {"edges_b": "INDEXED BY edges_b",
                                "entities": "INDEXED BY entities_units"}
    with KnowledgeGraph.open(plain_dir) as plain:
        assert plain.reader._hints["entities"] == ""
        for rank in ("count", "npmi", "llr"):
            for kind in (None, "ORG"):
                for key in (LEBRON, NIKE, BULLS):
                    args = {"rank": rank, "kind": kind, "limit": 3}
                    assert plain.neighbors(key, **args).equals(kg.neighbors(key, **args))


def exclusive_and_incidental(tmp_path: Path) -> Path:
    """100 documents. X (12 docs) always has Y (3 docs): rare but exclusive.
    Z is in 90 docs, 10 of them X's: frequent, and less often with X than chance."""
    keys = {i: [] for i in range(100)}
    for i in range(90):
        keys[i].append("ORG:z")
    for i in range(80, 92):
        keys[i].append("ORG:x")
    for i in (89, 90, 91):
        keys[i].append("ORG:y")
    for i in range(92, 100):
        keys[i].append("GPE:filler")
    docs = [{"id": f"d{i:03}", "pages": [" ".join(k.split(":")[1] for k in ks)],
             "mentions": [m(k, k.split(":")[1]) for k in ks]} for i, ks in keys.items()]
    return build_store(tmp_path, docs)


def test_a_rare_exclusive_pair_outranks_a_frequent_incidental_one(tmp_path):
    with KnowledgeGraph.open(exclusive_and_incidental(tmp_path)) as graph:
        by_count = graph.neighbors("ORG:x")
        assert list(zip(by_count["key"], by_count["count"])) == [("ORG:z", 10), ("ORG:y", 3)]
        for rank in ("npmi", "llr"):
            assert list(graph.neighbors("ORG:x", rank=rank)["key"]) == ["ORG:y", "ORG:z"]
        scores = graph.neighbors("ORG:x", rank="llr").set_index("key")
    assert scores.loc["ORG:y", "npmi"] == pytest.approx(npmi(3, 12, 3, 100))
    assert scores.loc["ORG:z", "npmi"] == pytest.approx(npmi(10, 12, 90, 100))
    assert scores.loc["ORG:y", "llr"] > 10.83  # p < 0.001
    assert scores.loc["ORG:z", "llr"] < 0  # together less often than chance

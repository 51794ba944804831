"""networkx graphs, statistics and paths (``graph.networks``) on the basketball corpus."""

from __future__ import annotations

import pytest

from graph import KnowledgeGraph, NoPath
from graph.scores import llr, npmi
from tests.graph.corpus import (BULLS, FBI, JORDAN_G, JORDAN_P, LA, LAKERS, LEBRON, MJ, NIKE,
                                build_store, m)


# --- graphs --------------------------------------------------------------------------

def test_ego_graph(kg):
    G = kg.ego_graph("LeBron James")
    assert set(G) == {LEBRON, NIKE, LAKERS, LA, MJ}
    assert G.number_of_edges() == 4 + 4  # the star, Nike-Lakers-LA, Nike-MJ
    assert G.nodes[LEBRON] == {"name": "LeBron James", "type": "PERSON", "documents": 2,
                               "mentions": 4, "description": ""}
    edge = G.edges[LEBRON, NIKE]
    assert edge == {"weight": 2, "count": 2, "documents": 2, "npmi": npmi(2, 2, 2, 6),
                    "llr": llr(2, 2, 2, 6), "scope": "document"}
    assert G.edges[NIKE, MJ]["count"] == 1


def test_ego_graph_radius_and_limit(kg):
    assert set(kg.ego_graph(LEBRON, limit=1)) == {LEBRON, NIKE}
    two = kg.ego_graph(LEBRON, radius=2)
    assert set(two) == {LEBRON, NIKE, LAKERS, LA, MJ, JORDAN_G, BULLS}
    assert set(kg.ego_graph(LEBRON, min_count=2)) == {LEBRON, NIKE}


def test_documents_graph_counts_hits_within_the_documents(kg):
    G = kg.documents_graph(["d1", "d2", "d3"], limit=4)
    # mentioned in d1-d3: LeBron 2, Nike 2, MJ 2; then Bulls, Jordan (GPE), Lakers, LA 1
    # each, of which the first by key (GPE:jordan) fills the 4th place
    assert {k: G.nodes[k]["hits"] for k in G} == {LEBRON: 2, NIKE: 2, MJ: 2, JORDAN_G: 1}
    assert G.edges[LEBRON, NIKE]["hits"] == 2 and G.edges[LEBRON, MJ]["hits"] == 1
    assert G.edges[MJ, JORDAN_G]["hits"] == 1 and not G.has_edge(LEBRON, JORDAN_G)
    corpus = kg.cooccurrence(LEBRON, NIKE)["scopes"]["document"]
    assert (G.edges[LEBRON, NIKE]["count"], G.edges[LEBRON, NIKE]["npmi"]) == \
        (corpus["count"], corpus["npmi"])  # corpus-wide scores
    people = kg.documents_graph(["d1", "d2", "d3"], kind="PERSON")
    assert set(people) == {LEBRON, MJ}
    assert set(kg.documents_graph([])) == set()


def edges(G) -> set[tuple[str, str]]:
    """The edges of ``G`` as sorted pairs."""
    return {tuple(sorted(e)) for e in G.edges}


def test_to_networkx_builds_the_whole_scope(kg):
    G = kg.to_networkx()
    assert set(G) == {LEBRON, NIKE, LAKERS, LA, MJ, JORDAN_G, JORDAN_P, BULLS, FBI}
    assert G.number_of_edges() == 6 + 1 + 3 + 3 + 1
    assert G.edges[BULLS, FBI]["count"] == 2
    assert set(kg.to_networkx(kind="org")) == {NIKE, LAKERS, BULLS, FBI}
    assert edges(kg.to_networkx(min_count=2)) == {(NIKE, LEBRON), (BULLS, FBI)}
    assert edges(kg.to_networkx(scope="image")) == {(NIKE, LEBRON)}


def test_stats(kg):
    stats = kg.stats()
    assert stats["entities"] == 10
    assert stats["scopes"]["document"] == {"nodes": 10, "edges": 14, "units": 6}
    assert stats["scopes"]["image"] == {"nodes": 2, "edges": 1, "units": 1}


# --- paths ---------------------------------------------------------------------------

def test_path_hops_with_evidence(kg):
    hops = kg.path("LeBron James", "FBI")
    assert [(h["a"], h["b"]) for h in hops] == [(LEBRON, MJ), (MJ, BULLS), (BULLS, FBI)]
    assert hops[0]["a_name"] == "LeBron James" and hops[0]["b_name"] == "Michael Jordan"
    assert [h["count"] for h in hops] == [1, 1, 2]
    assert hops[2]["evidence"] == [{"doc_id": "d4", "title": "Watched"},
                                   {"doc_id": "d5", "title": "Files"}]
    assert hops[2]["npmi"] == pytest.approx(npmi(2, 3, 2, 6))
    assert kg.path(LEBRON, LEBRON) == []


def test_no_path(kg):
    with pytest.raises(NoPath, match="no path between PERSON:lebron james and "
                                     "PERSON:zorro within 4 hops"):
        kg.path(LEBRON, "Zorro")
    with pytest.raises(NoPath):
        kg.path(LEBRON, BULLS, max_hops=1)
    assert len(kg.path(LEBRON, BULLS, max_hops=2)) == 2


def test_path_prefers_the_stronger_of_equally_short_chains(tmp_path):
    docs = ([{"id": f"w{i}", "pages": ["S W T"], "mentions": [
        m("X:s", "S"), m("X:w", "W"), m("X:t", "T")]} for i in range(1)] +
            [{"id": f"v{i}", "pages": ["S V T"], "mentions": [
                m("X:s", "S"), m("X:v", "V"), m("X:t", "T")]} for i in range(3)] +
            [{"id": f"u{i}", "pages": ["S U"], "mentions": [
                m("X:s", "S"), m("X:u", "U")]} for i in range(5)])
    with KnowledgeGraph.open(build_store(tmp_path, docs)) as graph:
        assert [h["b"] for h in graph.path("X:s", "X:t")] == ["X:t"]
        assert [h["count"] for h in graph.path("X:u", "X:t")] == [5, 4]
        assert [h["b"] for h in graph.path("X:u", "X:w")] == ["X:s", "X:w"]
        assert [h["a"] for h in graph.path("X:w", "X:u")] == ["X:w", "X:s"]

import doctest

import networkx as nx

import graph.algorithms
from graph.algorithms import (
    by_type,
    filter_edges,
    label_communities,
    rank_neighbors,
    shortest_chain,
    strongest,
)


def test_doctests():
    assert doctest.testmod(graph.algorithms).failed == 0


def sample() -> nx.Graph:
    G = nx.Graph()
    G.add_nodes_from([("P:a", {"type": "PERSON"}), ("O:b", {"type": "ORG"}),
                      ("O:c", {"type": "ORG"}), ("G:d", {"type": "GPE"})])
    G.add_edge("P:a", "O:b", count=5, npmi=0.9, llr=12.0)
    G.add_edge("P:a", "O:c", count=9, npmi=0.1, llr=-2.0)
    G.add_edge("O:c", "G:d", count=1, npmi=0.7, llr=3.0)
    G.add_edge("O:b", "O:c", count=2, npmi=0.9, llr=4.0)
    return G


def test_functions_return_new_graphs_and_leave_the_input():
    G = sample()
    before = nx.to_dict_of_dicts(G)
    for H in (filter_edges(G, min_count=3), by_type(G, "ORG"), strongest(G, 1),
              label_communities(G)):
        assert H is not G
    assert nx.to_dict_of_dicts(G) == before
    assert "community" not in G.nodes["P:a"]


def test_filter_edges_thresholds_combine():
    G = sample()
    assert set(filter_edges(G, min_count=2, min_llr=0).edges) == {("P:a", "O:b"),
                                                                  ("O:b", "O:c")}
    assert len(filter_edges(G, min_count=100)) == 4  # nodes stay


def test_rank_neighbors_breaks_ties_by_count_then_id():
    G = sample()
    assert rank_neighbors(G, "O:b", by="npmi") == [("P:a", 0.9), ("O:c", 0.9)]
    assert rank_neighbors(G, "O:c", by="llr", limit=2) == [("O:b", 4.0), ("G:d", 3.0)]


def test_strongest_keeps_an_edge_strong_for_either_end():
    kept = strongest(sample(), 1, weight="llr")
    assert {tuple(sorted(e)) for e in kept.edges} == {("O:b", "P:a"), ("G:d", "O:c"),
                                                      ("O:b", "O:c")}


def test_shortest_chain_bounds():
    G = nx.path_graph(["a", "b", "c", "d", "e"])
    def adjacent(n):
        return [(m, 1) for m in G[n]]
    assert shortest_chain(adjacent, "a", "e", 4) == ["a", "b", "c", "d", "e"]
    assert shortest_chain(adjacent, "a", "e", 3) is None
    assert shortest_chain(adjacent, "a", "e", 4, max_visited=1) is None

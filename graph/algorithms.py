"""Analyst's operations on a co-occurrence graph, networkx style.

Each function takes the graph first and returns a **new** graph (or a list), never
changing its input. They expect what ``KnowledgeGraph.ego_graph`` and
``to_networkx`` build: nodes with ``name`` and ``type``, edges with ``count``,
``documents``, ``npmi`` and ``llr``; an edge without the attribute used counts as 0.

- ``filter_edges(G, min_count, min_npmi, min_llr)`` keeps the edges passing every
  threshold given, and every node (drop the isolated ones with
  ``G.remove_nodes_from(list(nx.isolates(G)))``);
- ``by_type(G, types)`` is the subgraph induced by the nodes of those types;
- ``strongest(G, k, weight)`` keeps each node's ``k`` strongest edges (an edge stays
  when it is among the ``k`` strongest of either end), the "backbone" of a dense graph;
- ``rank_neighbors(G, node, by)`` lists ``(neighbour, value)``, strongest first;
- ``label_communities(G, weight)`` adds a ``community`` number to each node (Louvain,
  seeded, so repeatable; 0 is the largest community), for Gephi to colour by;
- ``shortest_chain(adjacent, source, target, max_hops)`` is the bidirectional
  breadth-first search behind ``KnowledgeGraph.path``, over any adjacency function.

Ties are broken by count, then by node id, so results are deterministic.

>>> import networkx as nx
>>> G = nx.Graph()
>>> G.add_nodes_from([("A", {"type": "PERSON"}), ("B", {"type": "ORG"}),
...                   ("C", {"type": "ORG"}), ("D", {"type": "GPE"})])
>>> G.add_edge("A", "B", count=5, npmi=0.9)
>>> G.add_edge("A", "C", count=9, npmi=0.1)
>>> G.add_edge("C", "D", count=1, npmi=0.7)
>>> sorted(filter_edges(G, min_count=2).edges), sorted(filter_edges(G, min_npmi=0.5).edges)
([('A', 'B'), ('A', 'C')], [('A', 'B'), ('C', 'D')])
>>> sorted(by_type(G, ["person", "ORG"]).edges)
[('A', 'B'), ('A', 'C')]
>>> sorted(strongest(G, 1, weight="npmi").edges)
[('A', 'B'), ('C', 'D')]
>>> rank_neighbors(G, "A", by="npmi"), rank_neighbors(G, "A", by="count", limit=1)
([('B', 0.9), ('C', 0.1)], [('C', 9)])
>>> shortest_chain(lambda n: [(m, G[n][m]["count"]) for m in G[n]], "B", "D", 4)
['B', 'A', 'C', 'D']
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["filter_edges", "by_type", "strongest", "rank_neighbors", "label_communities",
           "shortest_chain"]


def _value(data: dict, name: str) -> float:
    value = data.get(name)
    return 0 if value is None else value


def filter_edges(G: nx.Graph, min_count: int = 1, min_npmi: float | None = None,
                 min_llr: float | None = None) -> nx.Graph:
    """A copy of ``G`` without the edges below any threshold given (nodes all kept)."""
    def keep(data: dict) -> bool:
        return (_value(data, "count") >= min_count
                and (min_npmi is None or _value(data, "npmi") >= min_npmi)
                and (min_llr is None or _value(data, "llr") >= min_llr))
    H = G.copy()
    H.remove_edges_from([(a, b) for a, b, d in G.edges(data=True) if not keep(d)])
    return H


def by_type(G: nx.Graph, types: str | Iterable[str]) -> nx.Graph:
    """The subgraph (a copy) induced by the nodes whose ``type`` is one of ``types``.

    >>> import networkx as nx
    >>> G = nx.Graph([("a", "b")]); G.nodes["a"]["type"] = "ORG"
    >>> list(by_type(G, "org").nodes)
    ['a']
    """
    wanted = {types.upper()} if isinstance(types, str) else {t.upper() for t in types}
    return G.subgraph(n for n, t in G.nodes(data="type") if str(t).upper() in wanted).copy()


def _ranked(G: nx.Graph, node: Any, by: str) -> list[tuple[Any, Any]]:
    def order(item: tuple[Any, dict]) -> tuple:
        return (-_value(item[1], by), -_value(item[1], "count"), str(item[0]))
    return [(other, _value(d, by)) for other, d in sorted(G[node].items(), key=order)]


def rank_neighbors(G: nx.Graph, node: Any, by: str = "npmi",
                   limit: int | None = None) -> list[tuple[Any, Any]]:
    """``(neighbour, value of by)`` pairs, by ``by`` desc, count desc, then id."""
    return _ranked(G, node, by)[:limit]


def strongest(G: nx.Graph, k: int, weight: str = "npmi") -> nx.Graph:
    """A copy of ``G`` keeping, for each node, its ``k`` strongest edges by ``weight``."""
    kept = {frozenset((node, other)) for node in G
            for other, _ in _ranked(G, node, weight)[:k]}
    H = G.copy()
    H.remove_edges_from([(a, b) for a, b in G.edges if frozenset((a, b)) not in kept])
    return H


def label_communities(G: nx.Graph, weight: str = "count", seed: int = 0) -> nx.Graph:
    """A copy of ``G`` whose nodes carry ``community`` (0 = the largest).

    >>> import networkx as nx
    >>> G = nx.Graph([(1, 2), (2, 3), (1, 3), (4, 5), (5, 6), (4, 6), (3, 4)])
    >>> sorted(label_communities(G).nodes(data="community"))[:4]
    [(1, 0), (2, 0), (3, 0), (4, 1)]
    """
    import networkx as nx
    groups = nx.community.louvain_communities(G, weight=weight, seed=seed)
    groups = sorted(groups, key=lambda g: (-len(g), min(map(str, g))))
    H = G.copy()
    for number, group in enumerate(groups):
        for node in group:
            H.nodes[node]["community"] = number
    return H


def shortest_chain(adjacent: Callable[[Any], Iterable[tuple]], source: Any, target: Any,
                   max_hops: int, max_visited: int = 250_000) -> list | None:
    """A shortest chain ``[source, ..., target]``, or None beyond ``max_hops``.

    ``adjacent(node)`` yields ``(neighbour, count, ...)``. The search expands, a whole
    level at a time, the side with the smaller frontier; among the shortest chains it
    returns the one whose weakest count is largest (then the smallest meeting node).
    It gives up (None) once more than ``max_visited`` nodes have been expanded.
    """
    sides = [_Side(source), _Side(target)]
    expanded = 0
    while all(s.frontier for s in sides) and sides[0].depth + sides[1].depth < max_hops:
        i = 0 if len(sides[0].frontier) <= len(sides[1].frontier) else 1
        expanded += len(sides[i].frontier)
        meets = sides[i].expand(adjacent, sides[1 - i])
        if meets:
            best = max(meets, key=lambda n: min(sides[0].strength[n], sides[1].strength[n]))
            return sides[0].chain(best)[::-1] + sides[1].chain(best)[1:]
        if expanded > max_visited:
            return None
    return None


class _Side:
    """One side of the search: parents, weakest counts from the root, frontier, depth."""

    def __init__(self, root: Any) -> None:
        self.parent: dict = {root: None}
        self.strength: dict = {root: float("inf")}
        self.frontier, self.depth = [root], 0

    def expand(self, adjacent: Callable, other: _Side) -> list:
        """Visit the next level; the nodes where it meets ``other``, sorted."""
        found: dict = {}
        for u in self.frontier:
            for v, count, *_ in adjacent(u):
                strength = min(self.strength[u], count)
                if v not in self.parent and (v not in found or strength > found[v][1]):
                    found[v] = (u, strength)
        for v, (u, strength) in found.items():
            self.parent[v], self.strength[v] = u, strength
        self.frontier, self.depth = sorted(found, key=str), self.depth + 1
        return [v for v in self.frontier if v in other.parent]

    def chain(self, node: Any) -> list:
        """``[node, ..., root]``."""
        out = []
        while node is not None:
            out.append(node)
            node = self.parent[node]
        return out

"""networkx graphs, exports, statistics and paths of ``KnowledgeGraph``.

``ego_graph``, ``documents_graph`` and ``to_networkx`` give ``networkx.Graph``
objects whose node ids are entity keys, with node attributes ``name, type,
documents, mentions, description`` and edge attributes ``weight`` (= ``count``),
``count, documents, npmi, llr, scope`` (plain scalars, so GEXF and GraphML can hold
them); ``to_networkx`` keeps only entities with at least one kept edge, and is
(with ``export``) the one query that reads a whole scope. ``path`` finds a shortest
chain of co-occurrences (bidirectional breadth-first search, expanding the smaller
frontier; among shortest chains the one whose weakest link is strongest) and raises
``NoPath`` when there is none within ``max_hops`` or when the search expanded more
than ``MAX_VISITED`` entities.

``view_graph`` is the bounded graph a page draws in one request: the ``limit``
entities in most documents (of the whole corpus, or of a search's matches, as
``documents_graph``), the edges among them passing ``min_count``/``min_npmi``, the
``max_edges`` strongest of those (by count, then npmi), and optionally Louvain
communities; the graph attributes ``more`` and ``dropped_edges`` say what was left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from graph.cooccurrence import RANKS, SCOPES
from graph.errors import GraphArgumentError, NoPath, choice, kinds_of
from graph.neighbours import pair_scores
from graph.reader import UNITS, GraphReader, in_snapshot
from graph.scores import llr, npmi

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["Networks", "MAX_VISITED"]

MAX_VISITED = 100_000  # entities a path search may expand before giving up
CARD_BATCH = 20_000    # keys per cards() call when building a whole scope


class Networks:
    """Graph-building queries of ``KnowledgeGraph`` (a mixin over ``reader``, using
    ``Lookup.resolve`` and ``Neighbours._strongest``)."""

    reader: GraphReader

    @in_snapshot
    def ego_graph(self, entity: str, radius: int = 1, scope: str = "document",
                  min_count: int = 1, rank: str = "count", limit: int = 25) -> nx.Graph:
        """``entity``, its ``limit`` strongest neighbours (theirs too, up to ``radius``)."""
        choice(scope, SCOPES, "scope")
        choice(rank, RANKS, "rank")
        center = self.resolve(entity)
        nodes, frontier, edges = {center}, [center], {}
        for _ in range(radius):
            following = []
            for key in frontier:
                cols = self._strongest(key, scope, rank, limit, min_count)
                for other, count, docs in zip(cols["key"], cols["count"], cols["documents"]):
                    edges[tuple(sorted((key, other)))] = (int(count), int(docs))
                    if other not in nodes:
                        nodes.add(other)
                        following.append(other)
            frontier = following
        edges.update(self.reader.edges_among(nodes, scope, min_count))
        return self._build(nodes, edges, scope)

    def _build(self, nodes: Iterable[str], edges: dict, scope: str,
               cards: dict[str, dict] | None = None) -> nx.Graph:
        """A ``networkx.Graph`` of the nodes (cards) and ``{(a, b): (count, documents)}``."""
        import networkx as nx
        cards = cards if cards is not None else self.reader.cards(nodes)
        graph = nx.Graph(scope=scope)
        for key, card in cards.items():
            graph.add_node(key, **{f: card[f] for f in ("name", "type", "documents",
                                                        "mentions", "description")})
        pairs, count, n_a, n_b, n = self._pair_arrays(edges, cards, scope)
        scores = zip(np.atleast_1d(npmi(count, n_a, n_b, n)).tolist(),
                     np.atleast_1d(llr(count, n_a, n_b, n)).tolist())
        for (a, b), (p, g) in zip(pairs, scores):
            c, d = edges[(a, b)]
            graph.add_edge(a, b, weight=int(c), count=int(c), documents=int(d), npmi=p,
                           llr=g, scope=scope)
        return graph

    def _pair_arrays(self, edges: dict, cards: dict, scope: str) -> tuple:
        """``(pairs, count, n_a, n_b, n)``: the pairs of ``edges`` between ``cards``, in
        order, their counts and their entities' units of ``scope`` (numpy arrays), and
        the corpus's units of it: what ``npmi`` and ``llr`` score."""
        pairs = [p for p in edges if p[0] in cards and p[1] in cards]
        count = np.array([edges[p][0] for p in pairs], dtype=float)
        n_a = np.array([cards[a][UNITS[scope]] for a, _ in pairs], dtype=float)
        n_b = np.array([cards[b][UNITS[scope]] for _, b in pairs], dtype=float)
        return pairs, count, n_a, n_b, self.reader.units().get(scope, 0)

    @in_snapshot
    def documents_graph(self, doc_ids: Sequence[str], limit: int = 25, scope: str = "document",
                        kind: Any = None) -> nx.Graph:
        """The ``limit`` entities in most of ``doc_ids`` (a search's matches), and
        the edges among them.

        Nodes get ``hits`` (documents of ``doc_ids`` mentioning them), edges ``hits``
        (documents of ``doc_ids`` mentioning both); an edge is there when ``hits > 0``.
        ``count``, ``documents``, ``npmi`` and ``llr`` are corpus-wide, at ``scope``
        (0 and None where the pair never shares a unit of that scope).
        """
        choice(scope, SCOPES, "scope")
        ids = list(dict.fromkeys(doc_ids))
        hits = dict(self.reader.document_entities(ids, kinds_of(kind), limit))
        return self._hits_graph(ids, hits, scope)[0]

    def _hits_graph(self, ids: list[str], hits: dict[str, int], scope: str,
                    keep: dict | None = None) -> tuple[nx.Graph, list, int]:
        """``documents_graph`` of the entities ``hits`` (their hits in ``ids``), nodes in
        the order of ``hits``, with its edges' pairs and how many were dropped;
        ``keep``: ``_keep_strongest``'s thresholds, applied before the graph is built
        (the pairs are then strongest first)."""
        shared = _shared_documents(self.reader.mentioned_in(ids, list(hits)), sorted(hits))
        known = self.reader.edges_among(hits, scope, 1)
        found = self.reader.cards(hits)
        cards = {key: found[key] for key in hits if key in found}  # in the order of hits
        edges, dropped = {pair: known.get(pair, (0, 0)) for pair in shared}, 0
        if keep is not None:
            edges, dropped = self._keep_strongest(edges, cards, scope, **keep)
        graph = self._build(hits, edges, scope, cards)
        for key, n in hits.items():
            graph.nodes[key]["hits"] = n
        for (a, b), n in shared.items():
            if not graph.has_edge(a, b):
                continue
            graph.edges[a, b]["hits"] = n
            if (a, b) not in known:
                graph.edges[a, b].update(npmi=None, llr=None)
        return graph, list(edges), dropped

    @in_snapshot
    def view_graph(self, doc_ids: Sequence[str] | None = None, limit: int = 50,
                   scope: str = "document", kind: Any = None, min_count: int = 1,
                   min_npmi: float | None = None, max_edges: int | None = None,
                   communities: bool = False) -> nx.Graph:
        """The ``limit`` entities in most documents and the edges among them, for a page.

        ``doc_ids`` None: of the whole corpus (edges: pairs sharing a unit of
        ``scope``); else of those documents, as ``documents_graph`` (``hits``; an
        edge where both are in one of them). Edges with ``count < min_count`` or
        ``npmi < min_npmi`` (None: no npmi) are left out, then all but the
        ``max_edges`` strongest (count, then npmi, then keys); edges get ``rank`` (0 =
        the strongest). Nodes get ``degree`` (in this graph) and, with ``communities``, ``community`` (0 = the largest;
        an isolated node is one by itself). Graph attributes: ``more`` (more entities
        beyond ``limit``) and ``dropped_edges`` (passing the thresholds, beyond
        ``max_edges``).
        """
        choice(scope, SCOPES, "scope")
        keep = {"min_count": min_count, "min_npmi": min_npmi, "max_edges": max_edges}
        if limit < 1 or min_count < 1 or (max_edges is not None and max_edges < 0):
            raise GraphArgumentError(f"view_graph needs limit >= 1, min_count >= 1 and "
                                     f"max_edges >= 0; got {limit}, {min_count}, {max_edges}")
        if doc_ids is None:
            top = self.reader.top_entities(kinds_of(kind), limit + 1)
            cards = {card["key"]: card for card in top[:limit]}
            edges, dropped = self._keep_strongest(self.reader.edges_among(cards, scope, min_count),
                                                  cards, scope, **keep)
            graph, order = self._build(cards, edges, scope, cards), list(edges)
            more = len(top) > limit
        else:
            ids = list(dict.fromkeys(doc_ids))
            hits = self.reader.document_entities(ids, kinds_of(kind), limit + 1)
            graph, order, dropped = self._hits_graph(ids, dict(hits[:limit]), scope, keep)
            more = len(hits) > limit
        for rank, (a, b) in enumerate(order):
            graph.edges[a, b]["rank"] = rank
        return _shaped(graph, communities, more, dropped)

    def _keep_strongest(self, edges: dict, cards: dict, scope: str, min_count: int,
                        min_npmi: float | None, max_edges: int | None) -> tuple[dict, int]:
        """The edges ``{(a, b): (count, documents)}`` passing the thresholds, at most the
        ``max_edges`` strongest, strongest first (count, then npmi, None last, then the
        keys), and how many passing ones were left out: scored with numpy before any
        graph is built, so a dense corpus never builds millions of edges only to drop
        them."""
        pairs, count, n_a, n_b, n = self._pair_arrays(edges, cards, scope)
        if not pairs:
            return {}, 0
        with np.errstate(all="ignore"):
            score = np.atleast_1d(npmi(count, n_a, n_b, n))
        score = np.asarray(score, dtype=float)
        ok = count >= min_count
        if min_npmi is not None:
            ok &= np.isfinite(score) & (score >= min_npmi)
        chosen = np.flatnonzero(ok)
        strength = np.where(np.isfinite(score), -score, np.inf)[chosen]
        firsts = np.array([pairs[i][0] for i in chosen])
        seconds = np.array([pairs[i][1] for i in chosen])
        order = chosen[np.lexsort((seconds, firsts, strength, -count[chosen]))]
        kept = order if max_edges is None else order[:max_edges]
        return {pairs[i]: edges[pairs[i]] for i in kept}, len(order) - len(kept)

    @in_snapshot
    def to_networkx(self, scope: str = "document", min_count: int = 1,
                    kind: Any = None) -> nx.Graph:
        """The whole graph of ``scope`` (edges with ``count >= min_count``, ``kind`` only)."""
        choice(scope, SCOPES, "scope")
        edges = {(a, b): (c, d) for a, b, c, d in
                 self.reader.edges(scope, min_count, kinds_of(kind))}
        keys = sorted({k for pair in edges for k in pair})
        cards: dict[str, dict] = {}
        for i in range(0, len(keys), CARD_BATCH):
            cards.update(self.reader.cards(keys[i:i + CARD_BATCH]))
        return self._build(keys, edges, scope, cards)

    def export(self, path: str | Path, format: str | None = None, scope: str = "document",
               min_count: int = 1, kind: Any = None) -> Path:
        """Write ``to_networkx(scope, min_count, kind)`` as GEXF, GraphML or d3 JSON."""
        from graph.export import check_format, write
        fmt = check_format(path, format)  # fail before building the graph
        return write(self.to_networkx(scope, min_count, kind), path, fmt)

    @in_snapshot
    def stats(self) -> dict:
        """``{"entities": n, "scopes": {scope: {"nodes", "edges", "units"}}}``."""
        counts, units = self.reader.counts(), self.reader.units()
        return {"entities": counts["entities"],
                "scopes": {s: {"nodes": counts["nodes"].get(s, 0),
                               "edges": counts["edges"].get(s, 0),
                               "units": units.get(s, 0)} for s in SCOPES}}

    @in_snapshot
    def path(self, a: str, b: str, scope: str = "document", min_count: int = 1,
             max_hops: int = 4) -> list[dict]:
        """A shortest chain of co-occurrences from ``a`` to ``b``, one dict per hop."""
        choice(scope, SCOPES, "scope")
        ka, kb = self.resolve(a), self.resolve(b)
        if ka == kb:
            return []
        from graph.algorithms import shortest_chain
        chain = shortest_chain(lambda k: self.reader.adjacent(k, scope, min_count),
                               ka, kb, max_hops, MAX_VISITED)
        if chain is None:
            raise NoPath(f"no path between {ka} and {kb} within {max_hops} hops at {scope} "
                         f"scope (min_count={min_count}, searching at most {MAX_VISITED:,} "
                         "entities); raise max_hops or lower min_count")
        return self._hops(chain, scope)

    def _hops(self, chain: list[str], scope: str) -> list[dict]:
        cards, units = self.reader.cards(chain), self.reader.units()
        hops = []
        for x, y in pairwise(chain):
            count, docs = self.reader.edges_among({x, y}, scope, 1)[tuple(sorted((x, y)))]
            found = self.reader.documents(self.reader.shared_documents(x, y, 3))
            evidence = [{"doc_id": i, "title": found[i]["title"]} for i in sorted(found)]
            hops.append({"a": x, "b": y, "a_name": cards[x]["name"],
                         "b_name": cards[y]["name"], "count": count, "documents": docs,
                         **pair_scores(count, cards[x], cards[y], scope, units),
                         "evidence": evidence})
        return hops


PAIR_CHUNK = 4_000_000  # pair codes counted at once by _shared_documents


def _shared_documents(rows: Iterable[tuple[str, str]], keys: list[str]) -> dict:
    """``{(a, b): documents mentioning both}`` (a < b) from distinct ``(doc, key)`` rows
    of the sorted ``keys``: each document's pairs as integer codes, counted with numpy a
    chunk at a time (memory bounded by the distinct pairs, not by ``len(keys)`` squared),
    so that documents naming hundreds of the entities cost seconds, not minutes."""
    index = {key: i for i, key in enumerate(keys)}
    n = len(keys)
    by_doc: dict[str, list[int]] = {}
    for doc, key in rows:
        by_doc.setdefault(doc, []).append(index[key])
    codes: list[np.ndarray] = []
    counts: list[np.ndarray] = []
    chunk: list[np.ndarray] = []
    size = 0

    def count_chunk() -> None:
        found, times = np.unique(np.concatenate(chunk), return_counts=True)
        codes.append(found)
        counts.append(times)

    for members in by_doc.values():
        ids = np.unique(np.asarray(members, dtype=np.int64))  # sorted, so a < b
        i, j = np.triu_indices(len(ids), 1)
        chunk.append(ids[i] * n + ids[j])
        size += len(i)
        if size >= PAIR_CHUNK:
            count_chunk()
            chunk, size = [], 0
    if chunk:
        count_chunk()
    if not codes:
        return {}
    found, where = np.unique(np.concatenate(codes), return_inverse=True)
    totals = np.bincount(where, weights=np.concatenate(counts)).astype(np.int64)
    firsts, seconds = np.divmod(found, n)
    return {(keys[a], keys[b]): total for a, b, total in
            zip(firsts.tolist(), seconds.tolist(), totals.tolist())}


def _shaped(graph: nx.Graph, communities: bool, more: bool, dropped: int) -> nx.Graph:
    """``graph`` (its edges already chosen by ``_keep_strongest``) with each node's
    ``degree``, ``community`` when asked, and the graph attributes ``more`` and
    ``dropped_edges``."""
    from graph.algorithms import label_communities
    for key, degree in graph.degree():
        graph.nodes[key]["degree"] = degree
    if communities:
        graph = label_communities(graph, weight="count")
    graph.graph.update(more=more, dropped_edges=dropped)
    return graph

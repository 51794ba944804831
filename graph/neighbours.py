"""Neighbours ranked by count or significance: ``KnowledgeGraph.neighbors``.

Co-occurrence is counted per scope (``SCOPES``: document, page, image, sentence):
``count`` is the number of units holding both entities, ``documents`` the number
of documents in which they co-occur at that scope. ``npmi`` and ``llr`` (signed; see
:mod:`graph.scores`) are computed when queried from ``count``, both entities' unit
counts and the units of the scope. ``neighbors`` ranks by ``count``, ``npmi`` or
``llr`` (``RANKS``), then by count, then by key, and gives a pandas frame.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from graph.cooccurrence import RANKS, SCOPES
from graph.errors import choice, kinds_of
from graph.reader import UNITS, GraphReader, in_snapshot
from graph.scores import llr, npmi

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Neighbours", "pair_scores", "NEIGHBOR_COLUMNS"]

NEIGHBOR_COLUMNS = ["key", "name", "type", "count", "documents", "npmi", "llr"]


class Neighbours:
    """The neighbour queries of ``KnowledgeGraph`` (a mixin over ``reader``, using
    ``Lookup.resolve``)."""

    reader: GraphReader

    def _scored(self, key: str, scope: str, rows: list[tuple]) -> dict[str, np.ndarray]:
        """Columns of ``reader.neighbours`` rows with ``npmi`` and ``llr`` added."""
        def column(i: int) -> np.ndarray:
            return np.fromiter((r[i] for r in rows), np.int64, len(rows))
        keys = np.empty(len(rows), dtype=object)
        keys[:] = [r[0] for r in rows]
        count, units = column(1), column(3)
        n_a = self.reader.cards([key])[key][UNITS[scope]]
        n = self.reader.units().get(scope, 0)
        return {"key": keys, "count": count, "documents": column(2),
                "npmi": np.asarray(npmi(count, n_a, units, n)),
                "llr": np.asarray(llr(count, n_a, units, n))}

    def _strongest(self, key: str, scope: str, rank: str, limit: int | None,
                   min_count: int, kinds: list[str] | None = None) -> dict[str, np.ndarray]:
        """The ``limit`` strongest neighbours by ``rank``, sorted (columns as arrays)."""
        pushed = limit if rank == "count" else None
        rows = self.reader.neighbours(key, scope, min_count, kinds, pushed)
        cols = self._scored(key, scope, rows)
        order = top_order(cols[rank], cols["count"], cols["key"], limit)
        return {name: col[order] for name, col in cols.items()}

    @in_snapshot
    def neighbors(self, entity: str, kind: Any = None, scope: str = "document",
                  rank: str = "count", limit: int | None = 10,
                  min_count: int = 1) -> pd.DataFrame:
        """The entities co-occurring with ``entity``, strongest first (``kind`` filters them)."""
        import pandas as pd
        choice(scope, SCOPES, "scope")
        choice(rank, RANKS, "rank")
        key = self.resolve(entity)
        cols = self._strongest(key, scope, rank, limit, min_count, kinds_of(kind))
        cards = self.reader.cards(cols["key"].tolist())
        frame = pd.DataFrame({name: cols[name] for name in NEIGHBOR_COLUMNS if name in cols})
        frame.insert(1, "name", [cards[k]["name"] for k in cols["key"]])
        frame.insert(2, "type", [cards[k]["type"] for k in cols["key"]])
        return frame.astype({"key": str, "name": str, "type": str})[NEIGHBOR_COLUMNS]


def pair_scores(count: int, card_a: dict, card_b: dict, scope: str,
                units: dict[str, int]) -> dict[str, float]:
    """NPMI and LLR of one pair at ``scope``, from the two cards and the scope's units."""
    n_a, n_b, n = card_a[UNITS[scope]], card_b[UNITS[scope]], units.get(scope, 0)
    return {"npmi": npmi(count, n_a, n_b, n), "llr": llr(count, n_a, n_b, n)}


def top_order(score: np.ndarray, count: np.ndarray, keys: np.ndarray,
              limit: int | None) -> list[int]:
    """Indexes of the ``limit`` best rows: score desc, count desc, key asc."""
    if limit is not None and limit <= 0:
        return []
    index = np.arange(len(keys))
    if limit is not None and len(keys) > limit:
        kth = np.partition(score, len(score) - limit)[len(score) - limit]
        index = index[score >= kth]  # ties at the cut stay for the exact sort
    best = sorted(index.tolist(), key=lambda i: (-score[i], -count[i], keys[i]))
    return best[:limit] if limit is not None else best

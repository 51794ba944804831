"""The SQLite store's reads for the review queue (``enrich.review``): read-only SQL
over ``entities``, ``mentions``, ``edges``, ``name_keys``, ``name_votes``,
``name_stats``, ``word_cases`` and ``corrections``.

Every query is one pass over a table or an index (grouped in SQLite, not in Python),
so the whole queue of a 100k-mention store costs a few of them; per-item details
(labels, sample mentions) are asked only for the items shown.
``review_reader(store)`` reads through the store's own connection and lock, inside
its snapshots, as ``store.graph`` does.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from contextlib import AbstractContextManager
from typing import Any, Callable, Iterable, Sequence

__all__ = ["SqliteReviewReader", "review_reader"]

TYPE_OF_KEY = "substr({0}, 1, instr({0}, ':') - 1)"


class SqliteReviewReader:
    """The queries of the review queue over one connection (see the module doc)."""

    def __init__(self, conn: sqlite3.Connection, lock: threading.RLock,
                 snapshot: Callable[[], AbstractContextManager[None]]) -> None:
        self._conn, self._lock, self.snapshot = conn, lock, snapshot

    def _rows(self, sql: str, params: Sequence[Any] | dict = ()) -> list[tuple]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def entities(self) -> list[tuple]:
        """``(key, name, type, mentions, documents, confidences, confidence sum,
        mentions labelled otherwise, authority mentions)`` of every entity with
        mentions (the label of a mention is the type its skill gave)."""
        return self._rows(
            "SELECT e.key, e.name, e.type, e.mentions, e.documents, m.conf_n, m.conf_sum, "
            "m.other, m.authority FROM (SELECT entity_key, count(confidence) AS conf_n, "
            "total(confidence) AS conf_sum, total(label IS NOT NULL AND label != "
            f"{TYPE_OF_KEY.format('entity_key')}) AS other, total(authority) AS authority "
            "FROM mentions WHERE entity_key IS NOT NULL GROUP BY entity_key) AS m "
            "JOIN entities AS e ON e.key = m.entity_key")

    def degrees(self, scope: str = "document") -> dict[str, int]:
        """Each entity's number of edges at ``scope``."""
        return dict(self._rows(
            "SELECT key, total(n) FROM (SELECT a AS key, count(*) AS n FROM edges WHERE "
            "scope = :s GROUP BY a UNION ALL SELECT b AS key, count(*) AS n FROM edges "
            "WHERE scope = :s GROUP BY b) GROUP BY key", {"s": scope}))

    def type_votes(self) -> dict[str, dict[str, int]]:
        """Per target name (an entity key's name part), the mentions of each type its
        names were given (``name_votes`` over the names resolving to it)."""
        out: dict[str, dict[str, int]] = {}
        for target, type, mentions in self._rows(
                "SELECT k.target, v.type, sum(v.mentions) FROM name_keys AS k JOIN "
                "name_votes AS v ON v.name = k.name WHERE k.rejected = 0 "
                "GROUP BY k.target, v.type"):
            out.setdefault(target, {})[type] = mentions
        return out

    def word_cases(self, words: Iterable[str]) -> dict[str, tuple[int, int]]:
        """``(lower, capital)`` of each of ``words`` found in ``word_cases``."""
        return {word: (low, cap) for word, low, cap in self._rows(
            "SELECT c.word, c.lower, c.capital FROM json_each(?) AS w CROSS JOIN "
            "word_cases AS c ON c.word = w.value", (json.dumps(sorted(set(words))),))}

    def rejected_names(self) -> list[tuple[str, str, int, int]]:
        """``(name, raw key, documents, mentions)`` of the names resolution rejects
        (common words), the raw key of their commonest type."""
        return self._rows(
            "SELECT k.name, (SELECT v.type || ':' || k.name FROM name_votes AS v WHERE "
            "v.name = k.name ORDER BY v.mentions DESC, v.type LIMIT 1), s.documents, "
            "s.mentions FROM name_keys AS k JOIN name_stats AS s ON s.name = k.name "
            "WHERE k.rejected = 1")

    def corrected(self) -> set[str]:
        """The entity keys an active correction of the whole entity names (as made on, or
        as its target): a split or a reject in one document leaves it in the queue."""
        rows = self._rows("SELECT entity, target FROM corrections WHERE undone_at IS NULL "
                          "AND doc_id IS NULL")
        return {key for row in rows for key in row if key}

    def labels(self, key: str) -> dict[str, int]:
        """The labels the skills gave the mentions of ``key``, most first."""
        return dict(self._rows("SELECT coalesce(label, ''), count(*) AS n FROM mentions "
                               "WHERE entity_key = ? GROUP BY label ORDER BY n DESC, label",
                               (key,)))

    def samples(self, key: str | None, name: str | None, limit: int) -> list[tuple]:
        """``(doc_id, page, start, end, text, confidence)`` of up to ``limit`` text
        mentions of entity ``key`` (or of the rejected ``name``: any raw key with that
        name part, no entity), one per document first, the least confident first."""
        if key is not None:
            where, params = "entity_key = :k", {"k": key}
        else:
            where = ("entity_key IS NULL AND raw_key IN (SELECT v.type || ':' || v.name FROM "
                     "name_votes AS v WHERE v.name = :n)")
            params = {"n": name}
        return self._rows(
            'SELECT doc_id, page, start, "end", text, confidence FROM (SELECT *, row_number() '
            "OVER (PARTITION BY doc_id ORDER BY coalesce(confidence, 2), id) AS nth FROM "
            f"mentions WHERE {where} AND start IS NOT NULL LIMIT 2000) "
            "ORDER BY nth, coalesce(confidence, 2), id LIMIT :l", {**params, "l": limit})

    def display_name(self, raw_key: str) -> str | None:
        """The display name a mention with ``raw_key`` carries."""
        rows = self._rows("SELECT name FROM mentions WHERE raw_key = ? LIMIT 1", (raw_key,))
        return rows[0][0] if rows else None


def review_reader(store: Any) -> SqliteReviewReader:
    """The review queries over a ``SqliteStore``'s connection, lock and snapshots."""
    return SqliteReviewReader(store._conn, store._lock, store.snapshot)

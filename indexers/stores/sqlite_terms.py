"""Corpus term statistics (``skills.base.TermStats``) kept in the SQLite store.

``doc_terms`` holds the set of terms each document contributes to a namespace;
``term_df`` and ``term_docs`` are kept equal to its counts incrementally, so a
corpus skill reads document frequencies with one indexed lookup per term.
"""

from __future__ import annotations

import sqlite3
import threading
from contextlib import AbstractContextManager
from typing import Callable, Iterable

__all__ = ["SqliteTermStats"]

_CHUNK = 500  # terms per ``IN (...)`` lookup, well under SQLite's variable limit


class SqliteTermStats:
    """Document frequencies per namespace; writes join the store's transaction."""

    def __init__(self, conn: sqlite3.Connection,
                 transaction: Callable[[], AbstractContextManager[None]],
                 lock: threading.RLock) -> None:
        self._conn = conn
        self._transaction = transaction
        self._lock = lock

    def add(self, doc_id: str, namespace: str, terms: Iterable[str]) -> None:
        """Replace the set of terms ``doc_id`` contributes to ``namespace``."""
        new = set(terms)
        with self._transaction():
            old = self._terms_of(doc_id, namespace)
            self._remove(doc_id, namespace, old - new)
            self._insert(doc_id, namespace, new - old)
            if bool(old) != bool(new):
                self._count_document(namespace, 1 if new else -1)

    def df(self, namespace: str, terms: Iterable[str]) -> dict[str, int]:
        """Number of documents containing each term (0 when unseen)."""
        wanted = list(dict.fromkeys(terms))
        found: dict[str, int] = {}
        with self._lock:
            for i in range(0, len(wanted), _CHUNK):
                chunk = wanted[i:i + _CHUNK]
                marks = ", ".join("?" * len(chunk))
                found.update(self._conn.execute(
                    f"SELECT term, df FROM term_df WHERE namespace = ? AND term IN ({marks})",
                    [namespace, *chunk]).fetchall())
        return {term: found.get(term, 0) for term in wanted}

    def documents(self, namespace: str) -> int:
        """Number of documents that contributed any term to ``namespace``."""
        with self._lock:
            row = self._conn.execute("SELECT documents FROM term_docs WHERE namespace = ?",
                                     (namespace,)).fetchone()
        return row[0] if row else 0

    def _terms_of(self, doc_id: str, namespace: str) -> set[str]:
        rows = self._conn.execute(
            "SELECT term FROM doc_terms WHERE doc_id = ? AND namespace = ?",
            (doc_id, namespace))
        return {term for (term,) in rows}

    def _remove(self, doc_id: str, namespace: str, terms: set[str]) -> None:
        rows = [(namespace, term) for term in terms]
        self._conn.executemany("DELETE FROM doc_terms WHERE doc_id = ? AND namespace = ? "
                               "AND term = ?", [(doc_id, *row) for row in rows])
        self._conn.executemany("UPDATE term_df SET df = df - 1 WHERE namespace = ? "
                               "AND term = ?", rows)
        self._conn.executemany("DELETE FROM term_df WHERE namespace = ? AND term = ? "
                               "AND df <= 0", rows)

    def _insert(self, doc_id: str, namespace: str, terms: set[str]) -> None:
        rows = [(namespace, term) for term in terms]
        self._conn.executemany("INSERT INTO doc_terms (doc_id, namespace, term) "
                               "VALUES (?, ?, ?)", [(doc_id, *row) for row in rows])
        self._conn.executemany(
            "INSERT INTO term_df (namespace, term, df) VALUES (?, ?, 1) "
            "ON CONFLICT (namespace, term) DO UPDATE SET df = df + 1", rows)

    def _count_document(self, namespace: str, delta: int) -> None:
        self._conn.execute(
            "INSERT INTO term_docs (namespace, documents) VALUES (?, ?) "
            "ON CONFLICT (namespace) DO UPDATE SET documents = documents + excluded.documents",
            (namespace, delta))
        self._conn.execute("DELETE FROM term_docs WHERE namespace = ? AND documents <= 0",
                           (namespace,))

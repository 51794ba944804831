"""What ``enrich train`` reads from a store: active corrections, the mentions they
decide, page texts, and the entities they accepted.

The store's tables are the contract here (``indexers/stores/SCHEMA.md``): the file is
opened read-only, its schema version checked by the store's own
:func:`~indexers.stores.sqlite_migrate.check_readable`, and nothing is written, so
training can run while an index run writes. A store from before corrections (no
``corrections`` table) has none.

Which mentions teach what (the corrections contract):

* **positive**: a mention whose ``entity_key`` is the ``target`` of an active
  correction other than ``reject`` (accept, retype, rename, merge, split, alias): the
  analyst vouched for that entity, so its mentions are entities of the key's type;
* **negative**: a rejected mention (``entity_key`` NULL) whose raw key's name equals
  the name of an active ``reject``'s entity (in the reject's document only, when it
  names one): that span is not an entity.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from graph.resolution import type_of
from indexers.stores.sqlite_corrections import list_corrections
from indexers.stores.sqlite_migrate import check_readable

__all__ = ["Mention", "StoreRows"]

_ACTIVE = "undone_at IS NULL"
_POSITIVE = (
    'SELECT m.doc_id, m.page, m.start, m."end", m.entity_key FROM mentions AS m '
    f"WHERE m.entity_key IN (SELECT target FROM corrections WHERE {_ACTIVE} AND "
    "op != 'reject' AND target IS NOT NULL) AND m.start IS NOT NULL AND m.image_id IS NULL "
    "ORDER BY m.id")
_NEGATIVE = (
    'SELECT DISTINCT m.id, m.doc_id, m.page, m.start, m."end" FROM mentions AS m '
    "JOIN corrections AS c ON c.op = 'reject' AND c.undone_at IS NULL "
    "AND substr(m.raw_key, instr(m.raw_key, ':') + 1) = substr(c.entity, instr(c.entity, ':') + 1) "
    "AND (c.doc_id IS NULL OR c.doc_id = m.doc_id) "
    "WHERE m.entity_key IS NULL AND m.start IS NOT NULL AND m.image_id IS NULL ORDER BY m.id")


@dataclass(frozen=True)
class Mention:
    """A reviewed mention: where it is and what it teaches (``label`` None: not an
    entity)."""

    doc_id: str
    page: int | None
    start: int
    end: int
    label: str | None


class StoreRows:
    """Read-only access to one store file for training; a context manager."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._conn = sqlite3.connect(self.path.resolve().as_uri() + "?mode=ro", uri=True)
        try:
            check_readable(self._conn, str(self.path))
        except BaseException:
            self._conn.close()
            raise

    def __enter__(self) -> StoreRows:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._conn.close()

    def _rows(self, sql: str, params: tuple = ()) -> list[dict[str, Any]]:
        cursor = self._conn.execute(sql, params)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]

    def corrections(self) -> list[dict[str, Any]]:
        """The active corrections, in the order they apply (``id``)."""
        return list_corrections(self._conn, active=True)

    def reviewed_mentions(self) -> list[Mention]:
        """The positive mentions, then the negative ones (see the module docstring)."""
        positive = [Mention(r["doc_id"], r["page"], r["start"], r["end"],
                            type_of(r["entity_key"])) for r in self._rows(_POSITIVE)]
        negative = [Mention(r["doc_id"], r["page"], r["start"], r["end"], None)
                    for r in self._rows(_NEGATIVE)]
        return positive + negative

    def text(self, doc_id: str, page: int | None) -> str | None:
        """The page text (``pages.text``), or the document's content when ``page`` is
        None: what the mentions' offsets index."""
        row = self._conn.execute(
            "SELECT text FROM pages WHERE doc_id = ? AND number = ?", (doc_id, page)
        ) if page is not None else self._conn.execute(
            "SELECT content FROM documents WHERE id = ?", (doc_id,))
        found = row.fetchone()
        return found[0] if found else None

    def document_ids(self) -> list[str]:
        return [r[0] for r in self._conn.execute("SELECT id FROM documents ORDER BY id")]

    def texts(self, doc_id: str) -> Iterator[tuple[int | None, str]]:
        """``(page, text)`` of a document's pages, or ``(None, content)`` without pages."""
        pages = self._conn.execute("SELECT number, text FROM pages WHERE doc_id = ? "
                                   "ORDER BY number", (doc_id,)).fetchall()
        if pages:
            yield from ((number, text or "") for number, text in pages)
        else:
            yield None, self.text(doc_id, None) or ""

    def entities(self, keys: list[str]) -> dict[str, dict[str, Any]]:
        """``{key: {key, name, type, description}}`` of the entities that exist."""
        return {r["key"]: r for r in self._rows(
            "SELECT key, name, type, description FROM entities WHERE key IN "
            "(SELECT value FROM json_each(?))", (json.dumps(keys),))}

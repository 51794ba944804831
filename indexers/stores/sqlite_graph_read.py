"""The SQLite store's graph reads: ``graph.reader.GraphReader`` over its tables.

``SqliteStore.graph`` is this reader on the store's own connection and snapshots
(the writes to these tables are in :mod:`indexers.stores.sqlite_graph`);
``indexers.stores.sqlite.open_graph_reader``, the ``sqlite`` entry of the
``enrich.graph_readers`` group, opens a data directory's store **read-only** for it,
so the store's schema check refuses what the store refuses. An index run may write
meanwhile. Neighbour queries name ``edges_b`` with ``INDEXED BY`` (without
statistics the planner scans the whole scope instead), and an index on ``entities``
that starts with ``key`` and holds ``type`` and the unit counts when there is one.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from contextlib import AbstractContextManager
from functools import cached_property
from typing import Any, Callable, Iterable, Iterator, Sequence

from graph.cooccurrence import SCOPES
from graph.reader import CARD, MENTION, UNITS
from graph.resolution import FACET_FIELDS

from .sqlite_graph_names import targets_by_name

__all__ = ["SqliteGraphReader", "entity_fields", "entity_types", "ENTITY_FIELDS"]

ENTITY_FIELDS = ("people", "organizations", "locations", "labels", "entities")


def entity_fields(conn: sqlite3.Connection, doc_ids: Sequence[str]) -> dict[str, dict]:
    """Each document's entity facets from its resolved mentions: the entities' names in
    ``entities``, ``labels`` (found in an image) and the typed fields (``people``...)."""
    found: dict[str, dict[str, list[str]]] = {}
    for doc_id, type, name, image in conn.execute(
            "SELECT m.doc_id, e.type, e.name, m.image_id FROM json_each(?) AS d CROSS JOIN "
            "mentions AS m ON m.doc_id = d.value CROSS JOIN entities AS e ON "
            "e.key = m.entity_key ORDER BY m.id", (json.dumps(list(doc_ids)),)):
        fields = found.setdefault(doc_id, {})
        typed = FACET_FIELDS.get(type)
        for field in ([typed] if typed else []) + (["labels"] if image else []) + ["entities"]:
            bucket = fields.setdefault(field, [])
            if name not in bucket:
                bucket.append(name)
    return found

ENTITY_COLUMNS = ("key, name, type, coalesce(description, ''), documents, mentions, "
                  "pages, images, sentences")
LOOKUPS = 100_000  # edges_among, mentioned_in: up to this many index lookups, else a scan
TOP = "\U0010ffff"  # sorts after every character: ``prefix + TOP`` bounds a prefix range


def entity_types(conn: sqlite3.Connection) -> list[str]:
    """The types of ``entities``, skipping along the key index one type at a time."""
    types, after = [], ""
    while row := conn.execute("SELECT key FROM entities WHERE key > ? ORDER BY key LIMIT 1",
                              (after,)).fetchone():
        types.append(row[0].split(":", 1)[0])
        after = types[-1] + ";"  # ";" sorts right after ":"
    return types


class SqliteGraphReader:
    """``GraphReader`` over a ``SqliteStore``'s connection, lock and snapshots."""

    def __init__(self, conn: sqlite3.Connection, lock: threading.RLock,
                 snapshot: Callable[[], AbstractContextManager[None]],
                 close: Callable[[], None]) -> None:
        self._conn, self._lock = conn, lock
        self.snapshot, self.close = snapshot, close

    def _rows(self, sql: str, params: Sequence[Any] | dict = ()) -> list[tuple]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    @cached_property
    def _hints(self) -> dict[str, str]:
        """``INDEXED BY`` clauses for the neighbour query."""
        found = {"edges_b": ("edges", ["scope", "b"]),
                 "entities": ("entities", ["key", "type", *UNITS.values()])}
        hints = {}
        for name, (table, columns) in found.items():
            index = self._index_on(table, columns, exact_prefix=name == "edges_b")
            hints[name] = f"INDEXED BY {index}" if index else ""
        return hints

    def _index_on(self, table: str, columns: list[str], exact_prefix: bool) -> str | None:
        """An index of ``table`` starting with ``columns`` (or with ``key`` and
        covering ``columns``)."""
        for _, index, *_ in self._rows(f"PRAGMA index_list({table})"):
            have = [r[2] for r in self._rows(f"PRAGMA index_info({index})")]
            if (have[:len(columns)] == columns if exact_prefix
                    else have[:1] == ["key"] and set(columns) <= set(have)):
                return index
        return None

    # --- entities ---------------------------------------------------------------

    def cards(self, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
        rows = self._rows(f"SELECT {ENTITY_COLUMNS} FROM entities WHERE key IN "
                          "(SELECT value FROM json_each(?))", (json.dumps(list(keys)),))
        return {row[0]: dict(zip(CARD, row)) for row in rows}

    def types(self) -> list[str]:
        with self._lock:
            return entity_types(self._conn)

    def top_entities(self, kinds: Sequence[str] | None, limit: int) -> list[dict[str, Any]]:
        where = "WHERE upper(type) IN (SELECT value FROM json_each(?))" if kinds else ""
        params = ([json.dumps(list(kinds))] if kinds else []) + [limit]
        rows = self._rows(f"SELECT {ENTITY_COLUMNS} FROM entities {where} "
                          "ORDER BY documents DESC, key LIMIT ?", params)
        return [dict(zip(CARD, row)) for row in rows]

    def keys_named(self, name: str) -> list[str]:
        rows = self._rows("SELECT DISTINCT entity_key FROM entity_names "
                          "WHERE name = ? COLLATE NOCASE", (name,))
        return sorted(r[0] for r in rows)

    def keys_by_name_prefix(self, prefix: str, limit: int) -> list[str]:
        return [r[0] for r in self._rows(
            "SELECT DISTINCT entity_key FROM entity_names WHERE name >= ? COLLATE NOCASE AND "
            "name < ? COLLATE NOCASE LIMIT ?", (prefix, prefix + TOP, limit))]

    def keys_by_key_prefix(self, prefix: str, limit: int) -> list[str]:
        return [r[0] for r in self._rows("SELECT key FROM entities WHERE key >= ? AND "
                                         "key < ? ORDER BY key LIMIT ?",
                                         (prefix, prefix + TOP, limit))]

    def names_near(self, word: str, limit: int) -> list[tuple[str, str]]:
        return [row for op, order in ((">=", "ASC"), ("<", "DESC")) for row in self._rows(
            f"SELECT entity_key, name FROM entity_names WHERE name {op} ? COLLATE NOCASE "
            f"ORDER BY name COLLATE NOCASE {order} LIMIT ?", (word, limit))]

    def alias_targets(self, aliases: Iterable[str]) -> dict[str, str]:
        with self._lock:  # the rule the writer applies when it re-keys mentions
            return targets_by_name(self._conn, aliases)

    def moved_keys(self, raw_key: str) -> list[str]:
        return sorted(r[0] for r in self._rows(
            "SELECT DISTINCT entity_key FROM mentions WHERE raw_key = ? AND entity_key "
            "IS NOT NULL AND entity_key != raw_key", (raw_key,)))

    def names(self, key: str) -> dict[str, int]:
        return dict(self._rows("SELECT name, mentions FROM entity_names WHERE "
                               "entity_key = ? ORDER BY mentions DESC, name", (key,)))

    def acronyms(self, key: str) -> dict[str, int]:
        return dict(self._rows("SELECT alias, documents FROM aliases WHERE entity_key = ? "
                               "ORDER BY documents DESC, alias", (key,)))

    def surface_forms(self, key: str, sample: int) -> list[tuple[str, str | None, int]]:
        return self._rows("SELECT text, label, count(*) FROM (SELECT text, label FROM "
                          "mentions WHERE entity_key = ? LIMIT ?) GROUP BY text, label",
                          (key, sample))

    # --- co-occurrence ----------------------------------------------------------

    def units(self) -> dict[str, int]:
        return dict(self._rows("SELECT scope, units FROM graph_units"))

    def _edges_of(self, select: str) -> str:
        """SQL: the edges of ``:key`` at ``:scope`` with ``count >= :min``, as ``key, ...``."""
        return (f"SELECT b AS key, {select} FROM edges WHERE scope = :scope AND a = :key AND "
                f"count >= :min UNION ALL SELECT a AS key, {select} FROM edges "
                f"{self._hints['edges_b']} WHERE scope = :scope AND b = :key AND count >= :min")

    def neighbours(self, key: str, scope: str, min_count: int,
                   kinds: Sequence[str] | None = None,
                   limit: int | None = None) -> list[tuple[str, int, int, int]]:
        edges, order = self._edges_of("count, documents"), ""
        if limit is not None and not kinds:  # the strongest first, then only their units
            edges = f"SELECT * FROM ({edges}) ORDER BY count DESC, key LIMIT :limit"
        elif limit is not None:
            order = "ORDER BY n.count DESC, n.key LIMIT :limit"
        where = "WHERE upper(t.type) IN (SELECT value FROM json_each(:kinds))" if kinds else ""
        sql = (f"SELECT n.key, n.count, n.documents, t.{UNITS[scope]} FROM ({edges}) AS n "
               f"CROSS JOIN entities AS t {self._hints['entities']} ON t.key = n.key "
               f"{where} {order}")
        return self._rows(sql, {"scope": scope, "key": key, "min": min_count,
                                "kinds": json.dumps(kinds and list(kinds)), "limit": limit})

    def adjacent(self, key: str, scope: str, min_count: int) -> list[tuple[str, int]]:
        return self._rows(self._edges_of("count"),
                          {"scope": scope, "key": key, "min": min_count})

    def pair(self, a: str, b: str) -> list[tuple[str, int, int]]:
        lo, hi = sorted((a, b))
        return self._rows("SELECT scope, count, documents FROM edges WHERE scope IN "
                          "(SELECT value FROM json_each(?)) AND a = ? AND b = ?",
                          (json.dumps(SCOPES), lo, hi))

    def edges_among(self, keys: Iterable[str], scope: str,
                    min_count: int) -> dict[tuple[str, str], tuple[int, int]]:
        """A few keys: one primary-key lookup per pair (scanning each key's edges would
        cost a hub's whole degree). Many (over ``LOOKUPS`` pairs, which grow as the
        square): each edge whose ``a`` is a key is read once (``+e.b``: never the
        ``edges_b`` index, which would seek every pair again)."""
        keys = sorted(set(keys))
        sql = ("SELECT e.a, e.b, e.count, e.documents FROM json_each(:k) AS x "
               "CROSS JOIN json_each(:k) AS y CROSS JOIN edges AS e ON "
               "e.scope = :s AND e.a = x.value AND e.b = y.value "
               "WHERE x.value < y.value AND e.count >= :m" if len(keys) ** 2 // 2 <= LOOKUPS else
               "SELECT e.a, e.b, e.count, e.documents FROM json_each(:k) AS x "
               "CROSS JOIN edges AS e ON e.scope = :s AND e.a = x.value "
               "WHERE +e.b IN (SELECT value FROM json_each(:k)) AND e.count >= :m")
        rows = self._rows(sql, {"k": json.dumps(keys), "s": scope, "m": min_count})
        return {(a, b): (count, docs) for a, b, count, docs in rows}

    def edges(self, scope: str, min_count: int,
              kinds: Sequence[str] | None) -> Iterator[tuple[str, str, int, int]]:
        where = ("AND upper(ta.type) IN (SELECT value FROM json_each(:k)) AND upper(tb.type) "
                 "IN (SELECT value FROM json_each(:k))") if kinds else ""
        with self._lock:
            yield from self._conn.execute(
                "SELECT e.a, e.b, e.count, e.documents FROM edges AS e CROSS JOIN entities "
                "AS ta ON ta.key = e.a CROSS JOIN entities AS tb ON tb.key = e.b WHERE "
                f"e.scope = :s AND e.count >= :m {where}",
                {"s": scope, "m": min_count, "k": json.dumps(kinds and list(kinds))})

    def top_edges(self, scope: str, limit: int) -> list[dict[str, Any]]:
        rows = self._rows(
            "SELECT e.a, e.b, coalesce(ea.name, e.a), coalesce(eb.name, e.b), e.count "
            "FROM edges AS e LEFT JOIN entities AS ea ON ea.key = e.a LEFT JOIN entities "
            "AS eb ON eb.key = e.b WHERE e.scope = ? ORDER BY e.count DESC, e.a, e.b "
            "LIMIT ?", (scope, limit))
        return [dict(zip(("a", "b", "a_name", "b_name", "count"), row)) for row in rows]

    def counts(self) -> dict[str, Any]:
        row = self._rows("SELECT count(*), " + ", ".join(
            f"coalesce(sum({UNITS[s]} > 0), 0)" for s in SCOPES) + " FROM entities")[0]
        return {"entities": row[0], "nodes": dict(zip(SCOPES, row[1:])),
                "edges": dict(self._rows("SELECT scope, count(*) FROM edges GROUP BY scope"))}

    # --- evidence ---------------------------------------------------------------

    def shared_documents(self, a: str, b: str, limit: int) -> list[str]:
        """Driven by the entity in fewer documents."""
        cards = self.cards([a, b])
        rare, other = sorted((a, b), key=lambda k: cards.get(k, {}).get("documents", 0))
        rows = self._rows("SELECT DISTINCT m.doc_id FROM mentions AS m WHERE "
                          "m.entity_key = ? AND EXISTS (SELECT 1 FROM mentions WHERE "
                          "entity_key = ? AND doc_id = m.doc_id) ORDER BY m.doc_id LIMIT ?",
                          (rare, other, limit))
        return [r[0] for r in rows]

    def documents(self, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        rows = self._rows("SELECT id, uri, title FROM documents WHERE id IN "
                          "(SELECT value FROM json_each(?))", (json.dumps(list(ids)),))
        return {row[0]: dict(zip(("doc_id", "uri", "title"), row)) for row in rows}

    def mail_headers(self) -> list[dict[str, Any]]:
        names = ("subject", "from", "date", "message_id", "in_reply_to", "references")
        headers = ", ".join(f"'{n}', json_extract(metadata, '$.{n}')" for n in names)
        rows = self._rows(
            f"SELECT id, uri, title, json_object({headers}) FROM documents WHERE "
            "json_extract(metadata, '$.message_id') IS NOT NULL OR "
            "json_extract(metadata, '$.in_reply_to') IS NOT NULL OR "
            "json_extract(metadata, '$.references') IS NOT NULL ORDER BY uri, id")
        return [{"doc_id": r[0], "uri": r[1], "title": r[2], **json.loads(r[3])} for r in rows]

    def mentions(self, keys: Sequence[str], doc_ids: Sequence[str]) -> list[tuple]:
        return self._rows('SELECT doc_id, entity_key, page, sentence, start, "end", image_id '
                          "FROM mentions WHERE entity_key IN (SELECT value FROM json_each(?)) "
                          "AND doc_id IN (SELECT value FROM json_each(?)) ORDER BY id",
                          (json.dumps(list(keys)), json.dumps(list(doc_ids))))

    def mentions_of(self, doc_ids: Sequence[str]) -> list[dict[str, Any]]:
        rows = self._rows(
            "SELECT m.doc_id, m.page, m.start, m.\"end\", m.text, m.label, "
            "substr(m.entity_key, 1, instr(m.entity_key, ':') - 1), m.entity_key, m.raw_key, "
            "m.confidence, m.skill FROM json_each(?) AS d CROSS JOIN mentions AS m ON "
            "m.doc_id = d.value WHERE m.entity_key IS NOT NULL ORDER BY m.doc_id, m.id",
            (json.dumps(list(doc_ids)),))
        return [dict(zip(MENTION, row)) for row in rows]

    def text(self, doc_id: str, page: int | None, start: int,
             length: int) -> tuple[str, int] | None:
        sql = ("SELECT substr(text, ?, ?), length(text) FROM pages WHERE doc_id = ? AND "
               "number = ?" if page is not None else
               "SELECT substr(content, ?, ?), length(content) FROM documents WHERE id = ?")
        params = (start + 1, length, doc_id) + ((page,) if page is not None else ())
        rows = self._rows(sql, params)
        return rows[0] if rows and rows[0][0] is not None else None

    def document_entities(self, doc_ids: Sequence[str], kinds: Sequence[str] | None,
                          limit: int) -> list[tuple[str, int]]:
        where = "AND upper(e.type) IN (SELECT value FROM json_each(:k))" if kinds else ""
        return self._rows(
            "SELECT m.entity_key, count(DISTINCT m.doc_id) AS n FROM json_each(:d) AS d "
            "CROSS JOIN mentions AS m ON m.doc_id = d.value CROSS JOIN entities AS e "
            f"ON e.key = m.entity_key WHERE 1 {where} GROUP BY m.entity_key "
            "ORDER BY n DESC, m.entity_key LIMIT :l",
            {"d": json.dumps(list(doc_ids)), "k": json.dumps(kinds and list(kinds)),
             "l": limit})

    def mentioned_in(self, doc_ids: Sequence[str],
                     keys: Sequence[str]) -> list[tuple[str, str]]:
        """A lookup per (document, key), or when that is over ``LOOKUPS``, each
        document's mentions read once (``+``: not the index on the key)."""
        key = "m.entity_key" if len(keys) * len(doc_ids) <= LOOKUPS else "+m.entity_key"
        return self._rows(
            "SELECT DISTINCT m.doc_id, m.entity_key FROM json_each(:d) AS d CROSS JOIN "
            f"mentions AS m ON m.doc_id = d.value WHERE {key} IN "
            "(SELECT value FROM json_each(:t))",
            {"d": json.dumps(list(doc_ids)), "t": json.dumps(list(keys))})

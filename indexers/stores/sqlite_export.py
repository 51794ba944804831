"""The SQLite store's tables as projections: typed columns and rows read in batches.

``enrich export`` (:mod:`enrich.export`) writes what this module reads; the meaning of
every column is documented there. A :class:`Projection` is one exported table: a
``SELECT`` over the store with a declared type per column, read through one cursor
in batches of ``batch_rows`` (``fetchmany``), column by column, so memory stays flat
in the number of rows. Types are the few a file format needs to agree batch after
batch: ``string``, ``int64``, ``float64``, ``bool``, ``bytes``, ``json`` (any JSON
value), ``object`` (a JSON object whose keys :func:`infer_fields` types from the
store, every key's types in one aggregate query) and ``list<T>`` of those.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field, replace
from typing import Any, Iterator

from .sqlite import SqliteStore
from .sqlite_graph_read import ENTITY_FIELDS

__all__ = ["TABLES", "Column", "Projection", "projection", "infer_fields"]

TABLES = ("documents", "pages", "images", "entities", "mentions", "edges", "corrections")
BATCH_ROWS = {"documents": 200, "pages": 1000, "images": 500}  # long texts, image bytes
DEFAULT_BATCH = 10_000


@dataclass(frozen=True)
class Column:
    """One exported column: its name, type, the SQL that reads it, an object's keys."""

    name: str
    type: str
    sql: str = ""
    fields: tuple[Column, ...] = ()

    @property
    def decoded(self) -> bool:
        """Whether the store holds it as JSON text (or a 0/1 flag) to decode."""
        return self.type in ("json", "object", "bool") or self.type.startswith("list<")


@dataclass
class Projection:
    """One exported table over a store: ``columns``, ``count()``, ``batches()``."""

    store: SqliteStore
    table: str
    columns: list[Column]
    source: str  # FROM ... (joins)
    order: str
    batch_rows: int = field(default=DEFAULT_BATCH)

    @property
    def sql(self) -> str:
        selected = ", ".join(f"{c.sql or c.name} AS \"{c.name}\"" for c in self.columns)
        return f"SELECT {selected} FROM {self.source} ORDER BY {self.order}"

    def count(self) -> int:
        return self.store._conn.execute(f"SELECT count(*) FROM {self.source}").fetchone()[0]

    def batches(self) -> Iterator[list[list[Any]]]:
        """The rows as batches of columns (one list per column), decoded: JSON as
        Python values, flags as bools. One cursor, ``fetchmany(batch_rows)``."""
        cursor = self.store._conn.execute(self.sql)
        decoders = [(i, _decoder(c)) for i, c in enumerate(self.columns) if c.decoded]
        while rows := cursor.fetchmany(self.batch_rows):
            columns = [list(values) for values in zip(*rows)]
            for i, decode in decoders:
                columns[i] = [None if v is None else decode(v) for v in columns[i]]
            yield columns
        cursor.close()

    def typed(self) -> Projection:
        """This projection with every ``object`` column's keys typed from the data
        (what a fixed Parquet schema needs; JSON lines and CSV do without)."""
        columns = [replace(c, fields=infer_fields(self.store, self.source, c.sql or c.name))
                   if _object(c) and not c.fields else c for c in self.columns]
        return replace(self, columns=columns)


def _object(column: Column) -> bool:
    return column.type in ("object", "list<object>")


def _decoder(column: Column):
    return bool if column.type == "bool" else json.loads


def S(name: str, sql: str = "", type: str = "string", fields: tuple[Column, ...] = ()) -> Column:
    return Column(name, type, sql, fields)


def I(name: str, sql: str = "") -> Column:
    return Column(name, "int64", sql)


def F(name: str, sql: str = "") -> Column:
    return Column(name, "float64", sql)


def B(name: str, sql: str = "") -> Column:
    return Column(name, "bool", sql)


_NAMES = (S("name"), I("mentions"))
_NOT_FIELDS = ", ".join(f"'$.{name}'" for name in ("title", "content", *ENTITY_FIELDS))


def _documents(tree: bool) -> tuple[list[Column], str, str]:
    columns = [S("id"), S("uri"), S("source_uri"), S("status"), S("title"), S("content"),
               S("content_type"), S("metadata", type="object"),
               S("fields", f"json_remove(fields, {_NOT_FIELDS})", type="object"),
               S("warnings", type="list<string>"), S("indexed_at")]
    return columns + ([S("tree", type="json")] if tree else []), "documents", "id"


def _pages() -> tuple[list[Column], str, str]:
    return ([S("doc_id"), I("number"), S("text"), I("offset"), B("needs_ocr"), F("width"),
             F("height")], "pages", "doc_id, number")


def _images(data: bool) -> tuple[list[Column], str, str]:
    columns = [S("doc_id"), S("image_id"), I("page"), S("bbox", type="list<float64>"),
               I("width"), I("height"), S("format"), S("kind"), B("needs_ocr"),
               I("size", "length(data)"), S("file", "NULL")]
    return columns + ([S("data", type="bytes")] if data else []), "images", "doc_id, image_id"


def _entities() -> tuple[list[Column], str, str]:
    names = ("(SELECT json_group_array(json_object('name', n.name, 'mentions', n.mentions)) "
             "FROM (SELECT name, mentions FROM entity_names WHERE entity_key = e.key "
             "ORDER BY mentions DESC, name) AS n)")
    return ([S("key", "e.key"), S("type", "e.type"), S("name", "e.name"),
             S("description", "e.description"), I("documents", "e.documents"),
             I("mentions", "e.mentions"), I("pages", "e.pages"), I("images", "e.images"),
             I("sentences", "e.sentences"),
             S("names", names, type="list<object>", fields=_NAMES),
             S("aliases", "coalesce(a.aliases, '[]')", type="list<string>")],
            "entities AS e LEFT JOIN (SELECT entity_key, json_group_array(alias) AS aliases "
            "FROM (SELECT entity_key, alias FROM aliases ORDER BY entity_key, alias) "
            "GROUP BY entity_key) AS a ON a.entity_key = e.key", "e.key")


def _mentions() -> tuple[list[Column], str, str]:
    m = "m."
    return ([I("id", m + "id"), S("doc_id", m + "doc_id"), S("entity_key", m + "entity_key"),
             S("entity_type", "e.type"), S("raw_key", m + "raw_key"), S("label", m + "label"),
             S("name", m + "name"), S("text", m + "text"), I("page", m + "page"),
             I("sentence", m + "sentence"), I("start", m + "start"), I("end", m + '"end"'),
             S("image_id", m + "image_id"), F("confidence", m + "confidence"),
             B("initial", m + "initial"), B("authority", m + "authority"),
             S("skill", m + "skill"), S("skill_version", m + "skill_version"),
             S("model", m + "model")],
            "mentions AS m LEFT JOIN entities AS e ON e.key = m.entity_key", "m.id")


def _edges() -> tuple[list[Column], str, str]:
    return ([S("scope"), S("a"), S("b"), I("count"), I("documents")], "edges", "scope, a, b")


def _corrections() -> tuple[list[Column], str, str]:
    return ([I("id"), S("op"), S("entity"), S("value"), S("target"), S("doc_id"), I("page"),
             I("start"), S("who"), S("at"), S("reason"), S("before", type="object"),
             S("after", type="object"), S("undone_at"), S("undone_by")], "corrections", "id")


def projection(store: SqliteStore, table: str, *, tree: bool = False,
               image_data: bool = False, batch_rows: int | None = None) -> Projection:
    """The projection of ``table`` (one of ``TABLES``) over ``store``: ``tree`` adds the
    documents' enrichment trees, ``image_data`` the images' bytes (a ``data`` column)."""
    columns, source, order = {
        "documents": lambda: _documents(tree), "pages": _pages,
        "images": lambda: _images(image_data), "entities": _entities,
        "mentions": _mentions, "edges": _edges, "corrections": _corrections}[table]()
    return Projection(store, table, columns, source, order,
                      batch_rows or BATCH_ROWS.get(table, DEFAULT_BATCH))


_SCALARS = {frozenset({"integer"}): "int64", frozenset({"real"}): "float64",
            frozenset({"integer", "real"}): "float64", frozenset({"text"}): "string",
            frozenset({"true"}): "bool", frozenset({"false"}): "bool",
            frozenset({"true", "false"}): "bool"}


def infer_fields(store: SqliteStore, source: str, expression: str) -> tuple[Column, ...]:
    """The keys of the JSON objects ``expression`` holds over ``source``, sorted, each
    typed from every value it has: a scalar type, ``list<T>`` of scalars, or ``json``
    (objects, mixed values). Two aggregate queries; nothing held per row."""
    kinds: dict[str, set[str]] = {}
    items: dict[str, set[str]] = {}
    each = f"FROM {source}, json_each({expression}) AS j"
    objects = f"WHERE json_type({expression}) = 'object'"
    for key, kind in store._conn.execute(f"SELECT j.key, j.type {each} {objects} GROUP BY 1, 2"):
        kinds.setdefault(key, set()).add(kind)
    for key, kind in store._conn.execute(
            f"SELECT j.key, e.type {each}, json_each(j.value) AS e {objects} "
            "AND j.type = 'array' GROUP BY 1, 2"):
        items.setdefault(key, set()).add(kind)
    return tuple(Column(key, _json_type(kinds[key] - {"null"}, items.get(key, set()) - {"null"}))
                 for key in sorted(kinds))


def _json_type(kinds: set[str], items: set[str]) -> str:
    if kinds == {"array"}:
        inner = _SCALARS.get(frozenset(items or {"text"}))
        return f"list<{inner}>" if inner else "json"
    return _SCALARS.get(frozenset(kinds or {"text"}), "json")

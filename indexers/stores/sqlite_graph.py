"""The knowledge-graph tables of the SQLite store, kept equal to the per-document rows.

A document adds mentions (each with its ``raw_key``, the document's own canonical
key, and its ``entity_key`` after corpus-wide aliases), aliases it defines, and
co-occurrence edges; it adds to ``entities`` (documents, mentions, and units of
each scope), ``entity_names``, ``graph_units``, ``aliases`` and ``edges``, and a
removed document subtracts exactly what it added. Everything here runs inside the
caller's transaction, set-based where it can.

Edge changes are summed in an :data:`EdgeDeltas` counter and applied once per
transaction by :func:`flush_edges`. A delta packs an edge's two sums in one
integer, ``count + documents * PACK``, so one counter addition carries both.

Keys: a mention's ``raw_key`` is its document's own key; its ``entity_key`` is what
corpus-level resolution decided for the raw key's name (``name_keys``, through
:func:`indexers.stores.sqlite_graph_names.machine_keys`) as people's corrections
change it (``graph.corrections``), or NULL when resolution or a correction rejects
it: a rejected mention stays in ``mentions`` and counts nowhere else. When the
decisions change, :func:`rekey_documents` subtracts the graph rows of the documents
holding the names and adds them again under the new keys (the evidence of
resolution does not change: the mentions are the same).
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter, defaultdict
from typing import Any, Iterable, Sequence

from graph.cooccurrence import SCOPES, contributions, unit_of, units

from .base import DocumentRecord
from .sqlite_graph_names import (add_evidence, insert_aliases, load_corrections, machine_keys,
                                 subtract_aliases, subtract_evidence)
from .sqlite_schema import GONE as _GONE
from .sqlite_schema import to_json

__all__ = ["EdgeDeltas", "PACK", "add_graph", "remove_graph", "flush_edges", "add_deltas",
           "rekey_documents", "doc_edge_counts", "nest_edges", "refresh_names",
           "unit_counts", "scope_units"]

EdgeDeltas = Counter  # (scope, a, b) -> packed change of (count, documents)
PACK = 1 << 32
_HALF = 1 << 31

# One document's graph input: its id, mentions (``key`` = raw key) and edges under the
# raw keys (None: count them from the mentions).
GraphPart = tuple[str, list[dict[str, Any]], list[tuple[str, str, str, int]] | None]


# -- add ------------------------------------------------------------------------------

def add_graph(conn: sqlite3.Connection, docs: Sequence[DocumentRecord],
              deltas: EdgeDeltas, rules: dict[str, bool]) -> None:
    """Add new documents' aliases, resolution evidence, mentions, entity counts, edges."""
    insert_aliases(conn, docs)
    add_evidence(conn, docs, rules)
    _add_parts(conn, [(doc.id, doc.entities, doc.edges) for doc in docs], deltas)


def _add_parts(conn: sqlite3.Connection, parts: Sequence[GraphPart], deltas: EdgeDeltas) -> None:
    machine = machine_keys(conn, {m["key"] for _, mentions, _ in parts for m in mentions})
    key = load_corrections(conn).key  # people's corrections, over the machine's keys
    keyed = []
    for doc_id, mentions, edges in parts:
        rows = [(key(m["key"], machine[m["key"]], doc_id, m.get("page"), m.get("start")), m)
                for m in mentions]
        keyed.append((doc_id, rows, _keyed_edges(rows, edges)))
    _add_entities(conn, keyed)
    _add_units(conn, keyed)
    _add_edges(conn, keyed, deltas)


def _keyed_edges(rows: list[tuple[str | None, dict[str, Any]]],
                 edges: list[tuple[str, str, str, int]] | None) -> list[tuple[str, str, str, int]]:
    """A document's edges under its resolved keys: its raw edges renamed when no two
    of its raw keys became one and none became two (a split), a rejected key's edges
    dropped; else counted again."""
    renamed = {m["key"]: key for key, m in rows}
    split = len({(m["key"], key) for key, m in rows}) > len(renamed)  # one raw key, two keys
    if edges is not None and not split and all(raw == key for raw, key in renamed.items()):
        return edges
    kept = {raw: key for raw, key in renamed.items() if key is not None}
    if edges is None or split or len(set(kept.values())) < len(kept):
        return contributions({**m, "key": key} for key, m in rows if key is not None)
    out = []
    for scope, a, b, n in edges:
        if a in kept and b in kept:
            a, b = kept[a], kept[b]
            out.append((scope, a, b, n) if a < b else (scope, b, a, n))
    return out


def _name(mention: dict[str, Any]) -> str:
    return mention.get("name") or mention.get("text") or mention["key"].split(":", 1)[-1]


def _mention_row(doc_id: str, key: str, m: dict[str, Any]) -> tuple:
    return (doc_id, key, m["key"], m.get("label") or m.get("type"), _name(m),
            m.get("text") or _name(m), m.get("page"), m.get("sentence"), m.get("start"),
            m.get("end"), m.get("image"), m.get("confidence"), m.get("skill"),
            m.get("version"), m.get("model"), int(bool(m.get("initial"))),
            int(bool(m.get("authority"))))


def _add_entities(conn: sqlite3.Connection, keyed: list) -> None:
    """Insert mentions; add their counts to ``entities`` and ``entity_names``."""
    counts: dict[str, list] = {}  # key -> [documents, mentions, {units per scope}, description]
    names: Counter[tuple[str, str]] = Counter()
    for doc_id, rows, _ in keyed:
        for key, m in rows:
            if key is None:
                continue
            entry = counts.setdefault(key, [set(), 0, {s: set() for s in SCOPES[1:]}, None])
            entry[0].add(doc_id)
            entry[1] += 1
            for scope, seen in entry[2].items():
                unit = unit_of(m, scope)
                if unit is not None:
                    seen.add((doc_id, unit))
            entry[3] = m.get("description") or entry[3]
            names[key, _name(m)] += 1
    conn.executemany(
        "INSERT INTO entities (key, type, name, description, documents, mentions, pages, "
        "images, sentences) VALUES (?, ?, '', ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE "
        "SET documents = documents + excluded.documents, mentions = mentions + "
        "excluded.mentions, pages = pages + excluded.pages, images = images + "
        "excluded.images, sentences = sentences + excluded.sentences, "
        "description = coalesce(excluded.description, description)",
        [(key, key.split(":", 1)[0], desc, len(docs), n, len(u["page"]), len(u["image"]),
          len(u["sentence"])) for key, (docs, n, u, desc) in counts.items()])
    conn.executemany(
        "INSERT INTO entity_names (entity_key, name, mentions) VALUES (?, ?, ?) "
        "ON CONFLICT (entity_key, name) DO UPDATE SET mentions = mentions + excluded.mentions",
        [(key, name, n) for (key, name), n in names.items()])
    conn.executemany(
        "INSERT INTO mentions (doc_id, entity_key, raw_key, label, name, text, page, "
        "sentence, start, end, image_id, confidence, skill, skill_version, model, initial, "
        "authority) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [_mention_row(doc_id, key, m) for doc_id, rows, _ in keyed for key, m in rows])
    refresh_names(conn, counts)


def _add_units(conn: sqlite3.Connection, keyed: list) -> None:
    total: Counter[str] = Counter()
    for _, rows, _ in keyed:
        total.update(units(m for key, m in rows if key is not None))
    conn.executemany(
        "INSERT INTO graph_units (scope, units) VALUES (?, ?) "
        "ON CONFLICT (scope) DO UPDATE SET units = units + excluded.units",
        [(scope, n) for scope, n in total.items() if n])


def refresh_names(conn: sqlite3.Connection, keys: Iterable[str]) -> None:
    """Set each entity's name to the one its latest active rename gives, else to its most
    used display name (ties: the longest, the first)."""
    conn.executemany(
        "UPDATE entities SET name = coalesce((SELECT value FROM corrections WHERE target = ? "
        "AND op = 'rename' AND undone_at IS NULL ORDER BY id DESC LIMIT 1), (SELECT name "
        "FROM entity_names WHERE entity_key = ? ORDER BY mentions DESC, length(name) DESC, "
        "name LIMIT 1)) WHERE key = ?",
        [(key, key, key) for key in keys])


def _add_edges(conn: sqlite3.Connection, keyed: list, deltas: EdgeDeltas) -> None:
    """Save each document's edge contributions (one JSON row) and add them to ``deltas``."""
    rows = []
    for doc_id, _, edges in keyed:
        counts = doc_edge_counts(edges)
        if counts:
            rows.append((doc_id, to_json(nest_edges(counts))))
            add_deltas(deltas, {key: n + PACK for key, n in counts.items()})
    conn.executemany("INSERT INTO doc_edges (doc_id, edges) VALUES (?, ?)", rows)


def doc_edge_counts(edges: Sequence[tuple[str, str, str, int]]) -> dict[tuple[str, str, str], int]:
    """A document's edges with ``a < b`` and duplicates summed (self-pairs dropped)."""
    counts = {(scope, a, b): int(n) for scope, a, b, n in edges if a < b and n}
    if len(counts) == len(edges):  # already normalised, as ``graph.contributions`` gives
        return counts
    slow: dict[tuple[str, str, str], int] = defaultdict(int)
    for scope, a, b, n in edges:
        if a != b and n:
            slow[(scope, a, b) if a < b else (scope, b, a)] += int(n)
    return slow


def nest_edges(counts: dict[tuple[str, str, str], int]) -> dict[str, dict[str, dict[str, int]]]:
    """``{scope: {a: {b: count}}}``, the layout of ``doc_edges.edges``."""
    nested: dict[str, dict[str, dict[str, int]]] = {}
    scope_at = a_at = None
    for (scope, a, b), n in counts.items():
        if scope != scope_at or a != a_at:  # runs of one (scope, a) are the usual case
            row = nested.setdefault(scope, {}).setdefault(a, {})
            scope_at, a_at = scope, a
        row[b] = n
    return nested


def add_deltas(total: EdgeDeltas, more: dict[tuple[str, str, str], int]) -> None:
    """``total += more``, key by key."""
    if not total:
        dict.update(total, more)
        return
    get = total.get
    for key, n in more.items():
        total[key] = get(key, 0) + n


def flush_edges(conn: sqlite3.Connection, deltas: EdgeDeltas) -> None:
    """Apply a transaction's net edge changes to ``edges``, set-based and in key order.

    The changed pairs go through ``temp.edge_deltas`` (emptied again; a rollback
    empties it too) into one upsert; pairs whose count fell, and only those, are
    then deleted if it reached zero.
    """
    rows = []
    for key, packed in sorted(deltas.items()):
        if packed:
            documents = (packed + _HALF) >> 32
            rows.append((*key, packed - (documents << 32), documents))
    if not rows:
        return
    conn.executemany("INSERT INTO temp.edge_deltas VALUES (?, ?, ?, ?, ?)", rows)
    conn.execute(
        "INSERT INTO edges (scope, a, b, count, documents) SELECT scope, a, b, count, "
        "documents FROM temp.edge_deltas WHERE true ON CONFLICT (scope, a, b) DO UPDATE "
        "SET count = count + excluded.count, documents = documents + excluded.documents")
    conn.execute("DELETE FROM edges WHERE count <= 0 AND (scope, a, b) IN "
                 "(SELECT scope, a, b FROM temp.edge_deltas WHERE count < 0)")
    conn.execute("DELETE FROM temp.edge_deltas")


# -- remove ---------------------------------------------------------------------------

def remove_graph(conn: sqlite3.Connection, deltas: EdgeDeltas, rules: dict[str, bool],
                 *, rekey: bool = False) -> None:
    """Subtract the graph rows of the documents in ``temp.gone_docs``.

    Their mentions and ``doc_edges`` rows are deleted; their ``doc_aliases`` rows and
    resolution evidence too unless they are being re-keyed (``rekey``).
    """
    if not rekey:
        subtract_evidence(conn, rules)
        subtract_aliases(conn)
    _subtract_entities(conn)
    _subtract_units(conn)
    _subtract_edges(conn, deltas)
    conn.execute(f"DELETE FROM mentions WHERE doc_id IN {_GONE}")
    conn.execute(f"DELETE FROM doc_edges WHERE doc_id IN {_GONE}")
    keys = "(SELECT key FROM temp.gone_keys)"
    conn.execute(f"DELETE FROM entity_names WHERE mentions <= 0 AND entity_key IN {keys}")
    conn.execute(f"DELETE FROM entities WHERE documents <= 0 AND key IN {keys}")
    remaining = conn.execute(f"SELECT key FROM entities WHERE key IN {keys}").fetchall()
    refresh_names(conn, [key for (key,) in remaining])


def unit_counts(where: str) -> str:
    """SELECT documents, mentions and units of each scope of the mentions ``where``."""
    return (
        "count(DISTINCT doc_id) AS documents, count(*) AS mentions, "
        "count(DISTINCT CASE WHEN page IS NOT NULL THEN doc_id || '/' || page END) AS pages, "
        "count(DISTINCT CASE WHEN image_id IS NOT NULL THEN doc_id || '/' || image_id END) "
        "AS images, count(DISTINCT CASE WHEN sentence IS NOT NULL THEN doc_id || '/' || "
        f"coalesce(page, '') || '/' || sentence END) AS sentences FROM mentions WHERE {where}")


def scope_units(conn: sqlite3.Connection, where: str) -> dict[str, int]:
    """Units of each scope (``SCOPES``) that the mentions ``where`` fall in."""
    documents, _, *others = conn.execute(f"SELECT {unit_counts(where)}").fetchone()
    return dict(zip(SCOPES, (documents, *others)))


def _subtract_entities(conn: sqlite3.Connection) -> None:
    conn.execute("DELETE FROM temp.gone_keys")
    conn.execute("INSERT INTO temp.gone_keys (key) SELECT DISTINCT entity_key "
                 f"FROM mentions WHERE doc_id IN {_GONE} AND entity_key IS NOT NULL")
    conn.execute(
        "UPDATE entities SET documents = entities.documents - d.documents, "
        "mentions = entities.mentions - d.mentions, pages = entities.pages - d.pages, "
        "images = entities.images - d.images, sentences = entities.sentences - d.sentences "
        f"FROM (SELECT entity_key, {unit_counts(f'doc_id IN {_GONE}')} GROUP BY entity_key) "
        "AS d WHERE entities.key = d.entity_key")
    conn.execute(
        "UPDATE entity_names SET mentions = entity_names.mentions - d.mentions FROM "
        "(SELECT entity_key, name, count(*) AS mentions FROM mentions "
        f"WHERE doc_id IN {_GONE} GROUP BY entity_key, name) AS d "
        "WHERE entity_names.entity_key = d.entity_key AND entity_names.name = d.name")


def _subtract_units(conn: sqlite3.Connection) -> None:
    """Take the gone documents' units off ``graph_units`` (each scope's count of units)."""
    gone = scope_units(conn, f"doc_id IN {_GONE} AND entity_key IS NOT NULL")
    conn.executemany("UPDATE graph_units SET units = units - ? WHERE scope = ?",
                     [(n, scope) for scope, n in gone.items() if n])
    conn.execute("DELETE FROM graph_units WHERE units <= 0")


def _subtract_edges(conn: sqlite3.Connection, deltas: EdgeDeltas) -> None:
    """Subtract the gone documents' contributions from ``deltas``."""
    for (text,) in conn.execute(f"SELECT edges FROM doc_edges WHERE doc_id IN {_GONE}"):
        for scope, by_a in json.loads(text).items():
            for a, row in by_a.items():
                for b, n in row.items():
                    deltas[scope, a, b] -= n + PACK


# -- re-keying -----------------------------------------------------------------------

def rekey_documents(conn: sqlite3.Connection, doc_ids: list[str], deltas: EdgeDeltas) -> None:
    """Subtract and add again the graph rows of stored documents, under today's keys."""
    conn.execute("DELETE FROM temp.gone_docs")
    conn.executemany("INSERT INTO temp.gone_docs (id) VALUES (?)", [(i,) for i in doc_ids])
    parts = _stored_parts(conn)
    remove_graph(conn, deltas, {}, rekey=True)
    _add_parts(conn, parts, deltas)


def _stored_parts(conn: sqlite3.Connection) -> list[GraphPart]:
    """The mentions of the documents in ``temp.gone_docs``, as written, raw keys restored."""
    cursor = conn.execute(  # descriptions live on entities: carry them over
        "SELECT m.doc_id, m.raw_key AS key, m.label, m.name, m.text, m.page, m.sentence, "
        "m.start, m.end, m.image_id AS image, m.confidence, m.skill, m.skill_version AS "
        "version, m.model, m.initial, m.authority, e.description FROM mentions AS m "
        "LEFT JOIN entities AS e ON "
        f"e.key = m.entity_key WHERE m.doc_id IN {_GONE} ORDER BY m.doc_id, m.id")
    columns = [c[0] for c in cursor.description]
    by_doc: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in cursor:
        mention = dict(zip(columns, row))
        by_doc[mention.pop("doc_id")].append(mention)
    return [(doc_id, mentions, None) for doc_id, mentions in by_doc.items()]

"""Re-keying a stored document by renaming: the cheap path when resolution changes keys.

When a decision changes (a name's voted type flips, a short form finds or loses its
long form), most documents holding the name change by a *renaming*: every mention
of one entity key moves to another key the document does not have yet, or (a
*drop*: a rejection) out of the graph, and no mention is restored. Then the
document's units, names and edges are the same under new names, less the dropped
keys' (their pairs go; a unit holding nothing else stops counting), so
:func:`rename_documents` moves its counts from the old entity to the new one,
renames the keys in its ``doc_edges`` row and moves the edge deltas, touching only
the pairs of the renamed keys, instead of subtracting and counting the whole
document again. Documents that are not a renaming (two keys become one, a mention
is restored) are returned for :func:`indexers.stores.sqlite_graph.rekey_documents`.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict

from .sqlite_graph import PACK, EdgeDeltas, refresh_names, scope_units, unit_counts
from .sqlite_graph_names import load_corrections, machine_keys
from .sqlite_schema import GONE as _GONE
from .sqlite_schema import to_json

__all__ = ["rename_documents", "new_keys"]

_UNITS = ("documents", "mentions", "pages", "images", "sentences")


def new_keys(conn: sqlite3.Connection, doc_ids: list[str]) -> list[tuple]:
    """``(doc_id, raw_key, entity_key, new key, mention id)`` of every mention of the
    documents: its key now, and the one the decisions and corrections give."""
    found = conn.execute("SELECT doc_id, raw_key, entity_key, page, start, id FROM mentions "
                         "WHERE doc_id IN (SELECT value FROM json_each(?))",
                         (json.dumps(doc_ids),)).fetchall()
    machine = machine_keys(conn, {raw for _, raw, *_ in found})
    corrected = load_corrections(conn).key
    return [(doc_id, raw, old, corrected(raw, machine[raw], doc_id, page, start), id)
            for doc_id, raw, old, page, start, id in found]


def rename_documents(conn: sqlite3.Connection, doc_ids: list[str], deltas: EdgeDeltas,
                     rows: list[tuple] | None = None) -> list[str]:
    """Re-key the documents whose change is a renaming; return the others. ``rows``:
    :func:`new_keys` of the documents, when the caller has them."""
    if rows is None:
        rows = new_keys(conn, doc_ids)
    else:
        wanted = set(doc_ids)
        rows = [row for row in rows if row[0] in wanted]
    mappings: dict[str, dict] = defaultdict(dict)
    others: set[str] = set()
    for doc_id, raw, old, key, _ in rows:
        if old is None:
            if key is not None:  # restored: its units and pairs are counted afresh
                others.add(doc_id)
        elif mappings[doc_id].setdefault(old, key) != key:
            others.add(doc_id)
    renames = {}
    for doc_id, mapping in mappings.items():
        kept = [key for key in mapping.values() if key is not None]
        if doc_id in others or len(set(kept)) < len(kept):
            others.add(doc_id)
        elif any(old != key for old, key in mapping.items()):
            renames[doc_id] = {old: key for old, key in mapping.items() if old != key}
    if renames:
        dropping = [doc_id for doc_id, mapping in renames.items() if None in mapping.values()]
        units = _units(conn, dropping)
        _move_counts(conn, renames)
        conn.executemany("UPDATE mentions SET entity_key = ? WHERE id = ?",
                         [(key, id) for doc_id, _, old, key, id in rows
                          if doc_id in renames and key != old])
        if dropping:  # a unit whose only entities were dropped counts no more
            conn.executemany("UPDATE graph_units SET units = units + ? WHERE scope = ?",
                             [(n - units[scope], scope)
                              for scope, n in _units(conn, dropping).items()
                              if n != units[scope]])
            conn.execute("DELETE FROM graph_units WHERE units <= 0")
        _drop_empty(conn, renames)
        _rename_edges(conn, renames, deltas)
    return sorted(others)


def _units(conn: sqlite3.Connection, doc_ids: list[str]) -> dict[str, int]:
    """Units of each scope holding an entity, in ``doc_ids``."""
    if not doc_ids:
        return {}
    conn.execute("DELETE FROM temp.gone_docs")
    conn.executemany("INSERT INTO temp.gone_docs (id) VALUES (?)", [(i,) for i in doc_ids])
    try:
        return scope_units(conn, f"doc_id IN {_GONE} AND entity_key IS NOT NULL")
    finally:
        conn.execute("DELETE FROM temp.gone_docs")


def _move_counts(conn: sqlite3.Connection, renames: dict[str, dict[str, str]]) -> None:
    """Move each renamed key's share of its documents (units, display names) to the
    new key; the emptied rows go in :func:`_drop_empty`, once the mentions moved."""
    ids = json.dumps(sorted(renames))
    moved: dict[str, list[int]] = defaultdict(lambda: [0] * len(_UNITS))
    names: dict[tuple[str, str], int] = defaultdict(int)
    for doc_id, key, *counts in conn.execute(
            f"SELECT doc_id, entity_key, {unit_counts('doc_id IN (SELECT value FROM json_each(?))')}"
            " GROUP BY doc_id, entity_key", (ids,)):
        if key in renames[doc_id]:  # renamed, or dropped (to None)
            for sign, k in ((1, renames[doc_id][key]), (-1, key)):
                if k is not None:
                    moved[k] = [a + sign * b for a, b in zip(moved[k], counts)]
    for doc_id, key, name, n in conn.execute(
            "SELECT doc_id, entity_key, name, count(*) FROM mentions WHERE doc_id IN "
            "(SELECT value FROM json_each(?)) GROUP BY 1, 2, 3", (ids,)):
        if key in renames[doc_id]:
            target = renames[doc_id][key]
            if target is not None:
                names[target, name] += n
            names[key, name] -= n
    source: dict[str, str] = {}  # a new key -> an old key renamed to it (its description)
    for mapping in renames.values():
        for old, new in mapping.items():
            if new is not None:
                source.setdefault(new, old)
    conn.executemany(
        "INSERT INTO entities (key, type, name, description, documents, mentions, pages, "
        "images, sentences) VALUES (?, ?, '', (SELECT description FROM entities WHERE key = ?),"
        " ?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET documents = documents + "
        "excluded.documents, mentions = mentions + excluded.mentions, pages = pages + "
        "excluded.pages, images = images + excluded.images, sentences = sentences + "
        "excluded.sentences, description = coalesce(description, excluded.description)",
        [(key, key.split(":", 1)[0], source.get(key, key), *counts)
         for key, counts in moved.items()])
    conn.executemany(
        "INSERT INTO entity_names (entity_key, name, mentions) VALUES (?, ?, ?) "
        "ON CONFLICT (entity_key, name) DO UPDATE SET mentions = mentions + excluded.mentions",
        [(key, name, n) for (key, name), n in names.items() if n > 0])
    conn.executemany("UPDATE entity_names SET mentions = mentions + ? WHERE entity_key = ? "
                     "AND name = ?", [(n, key, name) for (key, name), n in names.items() if n < 0])


def _drop_empty(conn: sqlite3.Connection, renames: dict[str, dict[str, str]]) -> None:
    keys = json.dumps(sorted({k for m in renames.values() for pair in m.items() for k in pair
                              if k is not None}))
    conn.execute("DELETE FROM entity_names WHERE mentions <= 0 AND entity_key IN "
                 "(SELECT value FROM json_each(?))", (keys,))
    conn.execute("DELETE FROM entities WHERE documents <= 0 AND key IN "
                 "(SELECT value FROM json_each(?))", (keys,))
    refresh_names(conn, [k for (k,) in conn.execute(
        "SELECT key FROM entities WHERE key IN (SELECT value FROM json_each(?))", (keys,))])


def _rename_edges(conn: sqlite3.Connection, renames: dict[str, dict[str, str]],
                  deltas: EdgeDeltas) -> None:
    """Rename the keys in the documents' ``doc_edges`` rows; move their edge deltas.

    Only the pairs of renamed keys are visited: the rows of a renamed first key, and
    the renamed second keys of the other rows."""
    rows = []
    for doc_id, text in conn.execute("SELECT doc_id, edges FROM doc_edges WHERE doc_id IN "
                                     "(SELECT value FROM json_each(?))",
                                     (json.dumps(sorted(renames)),)).fetchall():
        mapping = renames[doc_id]
        nested = json.loads(text)
        for scope, by_a in nested.items():
            moved = []  # (old a, old b, n) of the pairs with a renamed key
            for old in mapping:
                for b, n in (by_a.pop(old, None) or {}).items():
                    moved.append((old, b, n))
            for a, row in by_a.items():
                for old in mapping:
                    if old in row:
                        moved.append((a, old, row.pop(old)))
            for a, b, n in moved:
                new_a, new_b = mapping.get(a, a), mapping.get(b, b)
                deltas[scope, a, b] -= n + PACK
                if new_a is None or new_b is None:  # a dropped key's pairs go
                    continue
                if new_a > new_b:
                    new_a, new_b = new_b, new_a
                by_a.setdefault(new_a, {})[new_b] = n
                deltas[scope, new_a, new_b] += n + PACK
            for a in [a for a, row in by_a.items() if not row]:
                del by_a[a]
        rows.append((to_json(nested), doc_id))
    conn.executemany("UPDATE doc_edges SET edges = ? WHERE doc_id = ?", rows)

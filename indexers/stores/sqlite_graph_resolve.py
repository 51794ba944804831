"""Corpus-level entity resolution in the SQLite store: deciding again what changed.

:func:`settle` runs once at the end of every write transaction (``SqliteStore``
calls it just before the edges are flushed). It applies the transaction's word case
changes, then takes the names whose evidence changed (``temp.touched_names``, plus
the names holding a word whose case evidence crossed a threshold) and the names
whose decision depends on them: those that resolve to one of them (``name_keys``
by ``target``) and their leading and trailing words (the short forms they may
absorb). It reads those names' evidence, asks :func:`graph.resolution.decide`, saves
what changed in ``name_keys`` and re-keys the stored documents holding a mention
whose entity key is not the new one (by renaming where that is all it takes,
:mod:`indexers.stores.sqlite_graph_rename`), queueing them for the search index
(their facets follow). The cost follows the names a batch touches, not the corpus; a
decision depends only on the evidence, so the same documents give the same
entities whatever the batches and their order.

:func:`rebuild_resolution` recomputes the evidence from every stored mention and
page and decides every name again: when the rule switches change, and when an
older store is migrated.
"""

from __future__ import annotations

import json
import sqlite3

from graph.resolution import Decision, Facts, decide, is_common
from graph.resolution_forms import affixes

from .sqlite_graph import EdgeDeltas, rekey_documents
from .sqlite_graph_rename import new_keys, rename_documents
from .sqlite_graph_names import (add_cases, add_mentions, decisions, json_list, load_corrections,
                                 load_facts,
                                 stored_mentions, stored_texts, touch)
from .sqlite_write import enqueue

__all__ = ["settle", "rebuild_resolution"]


def settle(conn: sqlite3.Connection, deltas: EdgeDeltas, rules: dict[str, bool]) -> None:
    """Decide again the names the transaction touched; re-key what changed."""
    _apply_case_deltas(conn)
    touched = [name for (name,) in conn.execute("SELECT name FROM temp.touched_names")]
    if not touched:
        return
    conn.execute("DELETE FROM temp.touched_names")
    names = _dependants(conn, touched)
    facts = load_facts(conn, names)
    old = decisions(conn, names)
    new = {name: decide(name, facts, rules) for name in names if name in facts.stats}
    changed = {n: d for n, d in new.items() if d != old.get(n, Decision(n))}
    trivial = [n for n in names if n in old and new.get(n, Decision(n)) == Decision(n)]
    conn.execute("DELETE FROM name_keys WHERE name IN (SELECT value FROM json_each(?))",
                 (json_list(trivial),))
    conn.executemany(
        "INSERT INTO name_keys (name, target, type, rejected) VALUES (?, ?, ?, ?) ON "
        "CONFLICT (name) DO UPDATE SET target = excluded.target, type = excluded.type, "
        "rejected = excluded.rejected",
        [(n, d.target, d.type, int(d.rejected)) for n, d in changed.items()
         if d != Decision(n)])
    stale = _stale_documents(conn, changed)
    if stale:
        rest = rename_documents(conn, stale, deltas)
        if rest:
            rekey_documents(conn, rest, deltas)
        enqueue(conn, stale, "upsert")


def _apply_case_deltas(conn: sqlite3.Connection) -> None:
    """Fold ``temp.case_deltas`` into ``word_cases``; touch the names holding a word
    whose common-word evidence changed side."""
    rows = conn.execute(
        "SELECT d.word, coalesce(w.lower, 0), coalesce(w.capital, 0), d.lower, d.capital "
        "FROM temp.case_deltas AS d LEFT JOIN word_cases AS w ON w.word = d.word "
        "WHERE d.word IN (SELECT word FROM name_words)").fetchall()
    flipped = [word for word, low, cap, d_low, d_cap in rows
               if _sides(low, cap) != _sides(low + d_low, cap + d_cap)]
    conn.execute(
        "INSERT INTO word_cases (word, lower, capital) SELECT word, lower, capital FROM "
        "temp.case_deltas WHERE lower != 0 OR capital != 0 ON CONFLICT (word) DO UPDATE "
        "SET lower = lower + excluded.lower, capital = capital + excluded.capital")
    conn.execute("DELETE FROM word_cases WHERE lower <= 0 AND capital <= 0 AND word IN "
                 "(SELECT word FROM temp.case_deltas)")
    conn.execute("DELETE FROM temp.case_deltas")
    if flipped:
        touch(conn, [name for (name,) in conn.execute(
            "SELECT name FROM name_words WHERE word IN (SELECT value FROM json_each(?))",
            (json_list(flipped),))])


def _sides(low: int, cap: int) -> tuple[bool, bool]:
    """Which side of each threshold of ``graph.resolution.is_common`` a word is on."""
    one = Facts(stats={"w": (1, 1, 1, 0)}, cases={"w": (low, cap)})
    many = Facts(stats={"w": (1, 1, 0, 0)}, cases={"w": (low, cap)})
    return is_common("w", one), is_common("w", many)


def _dependants(conn: sqlite3.Connection, touched: list[str]) -> set[str]:
    """The touched names, those resolving to them, and their stored affixes."""
    names = set(touched)
    names.update(n for (n,) in conn.execute(
        "SELECT name FROM name_keys WHERE target IN (SELECT value FROM json_each(?))",
        (json_list(touched),)))
    parts = {part for name in touched for part, _ in affixes(name)}
    names.update(n for (n,) in conn.execute(
        "SELECT name FROM name_stats WHERE name IN (SELECT value FROM json_each(?))",
        (json_list(parts),)))
    return names


def _stale_documents(conn: sqlite3.Connection, changed: dict[str, Decision]) -> list[str]:
    """Stored documents with a mention of ``changed`` names whose key is not the new one."""
    corrections = load_corrections(conn)
    pairs = [[f"{type}:{name}",
              corrections.key(f"{type}:{name}", changed[name].key(f"{type}:{name}"))]
             for name, type in conn.execute(
                 "SELECT name, type FROM name_votes WHERE mentions > 0 AND name IN "
                 "(SELECT value FROM json_each(?))", (json_list(changed),))]
    if not pairs:
        return []
    stale = {doc_id for (doc_id,) in conn.execute(
        "SELECT DISTINCT m.doc_id FROM json_each(?) AS p CROSS JOIN mentions AS m ON "
        "m.raw_key = json_extract(p.value, '$[0]') WHERE m.entity_key IS NOT "
        "json_extract(p.value, '$[1]')", (json.dumps(pairs),))}
    scoped = {c.doc for c in corrections.items if c.doc is not None}
    if scoped:  # a split or a reject in one document applies per mention: ask them
        docs = [doc_id for (doc_id,) in conn.execute(
            "SELECT DISTINCT doc_id FROM mentions WHERE raw_key IN (SELECT value FROM "
            "json_each(?)) AND doc_id IN (SELECT value FROM json_each(?))",
            (json_list(p[0] for p in pairs), json_list(scoped)))]
        stale.update(doc for doc, _, old, key, _ in new_keys(conn, docs) if key != old)
    return sorted(stale)


def rebuild_resolution(conn: sqlite3.Connection, deltas: EdgeDeltas,
                       rules: dict[str, bool]) -> None:
    """Recompute every name's evidence from the stored rows and decide each again."""
    for table in ("name_stats", "name_votes", "name_words", "word_cases", "temp.case_deltas"):
        conn.execute(f"DELETE FROM {table}")
    add_mentions(conn, stored_mentions(conn, "ORDER BY doc_id"), +1)
    if rules.get("common_words", True):
        add_cases(conn, stored_texts(conn, "(SELECT id FROM documents)"), +1)
    touch(conn, [name for (name,) in conn.execute("SELECT name FROM name_keys")])
    settle(conn, deltas, rules)

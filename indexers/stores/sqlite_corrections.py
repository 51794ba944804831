"""People's corrections in the SQLite store: checked, kept, applied at once, undone.

The ``corrections`` table holds every correction (``graph.corrections`` says what
each op does); the active ones re-key mentions wherever a key is computed
(:func:`indexers.stores.sqlite_graph_names.load_corrections`, per mention in
:mod:`indexers.stores.sqlite_graph` and :mod:`indexers.stores.sqlite_graph_rename`),
so a document indexed again gets them too. Making or undoing corrections
(:func:`correct_many`, :func:`undo`) changes no skill output: it finds the stored
documents holding the keys and names involved, computes their mentions' keys again
and re-keys those whose keys changed, by renaming where that is all it takes, in the
caller's transaction, and queues them for the search index. The cost follows the
documents the corrections touch, not the corpus.

Checks, before anything is written (one error and nothing changed): the shape
(``graph.corrections.parse``); the entity (a key, or a name denoting exactly one
entity, ``graph.lookup``) exists, counting what the corrections before it in the
same batch did; a merge is not into itself and closes no cycle; a split names a
mention of the entity.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from graph.corrections import (Correction, CorrectionConflict, CorrectionError,
                               UnknownCorrection, is_key, parse)
from graph.errors import EntityNotFound, GraphError
from graph.resolution import name_of

from .sqlite_graph import EdgeDeltas, refresh_names, rekey_documents
from .sqlite_graph_names import json_list, stored_corrections
from .sqlite_graph_rename import new_keys, rename_documents
from .sqlite_write import enqueue, utc_now

__all__ = ["correct_many", "undo", "list_corrections", "COLUMNS"]

COLUMNS = ("id", "op", "entity", "value", "target", "doc_id", "page", "start", "who", "at",
           "reason", "before", "after", "undone_at", "undone_by")
Resolver = Callable[[str], str]  # a name or key -> the one entity key it denotes


def list_corrections(conn: sqlite3.Connection, active: bool | None = None) -> list[dict]:
    """Every correction as a dict (``before`` decoded); ``active`` filters."""
    where = {None: "", True: "WHERE undone_at IS NULL", False: "WHERE undone_at IS NOT NULL"}
    rows = [dict(zip(COLUMNS, row)) for row in conn.execute(
        f"SELECT {', '.join(COLUMNS)} FROM corrections {where[active]} ORDER BY id")]
    for row in rows:
        row["before"], row["after"] = json.loads(row["before"]), json.loads(row["after"])
    return rows


# -- checks ----------------------------------------------------------------------------

class _State:
    """Which entity keys and rejected names exist, as the batch's corrections leave them."""

    def __init__(self, conn: sqlite3.Connection, resolve: Resolver):
        self.conn, self.resolve = conn, resolve
        self.added: set[str] = set()
        self.gone: set[str] = set()
        self.rejected: set[str] = set()  # names a correction of the batch rejected
        self.merges = {e: v for e, v in conn.execute(
            "SELECT entity, value FROM corrections WHERE op = 'merge' AND undone_at IS NULL")}

    def exists(self, key: str) -> bool:
        if key in self.gone:
            return False
        return key in self.added or self.conn.execute(
            "SELECT 1 FROM entities WHERE key = ?", (key,)).fetchone() is not None

    def name_rejected(self, name: str) -> bool:
        return name in self.rejected or self.conn.execute(
            "SELECT 1 FROM name_keys WHERE name = ? AND rejected = 1 UNION ALL SELECT 1 FROM "
            "corrections WHERE op = 'reject' AND undone_at IS NULL AND doc_id IS NULL AND "
            "substr(entity, instr(entity, ':') + 1) = ? LIMIT 1", (name, name)).fetchone() \
            is not None

    def key_of(self, value: str, op: str) -> str:
        """The entity ``value`` denotes (a key, or a name of exactly one entity)."""
        if value in self.gone:  # an earlier correction of the batch took its mentions
            raise EntityNotFound(value)
        if is_key(value) and (self.exists(value) or
                              (op in ("accept", "reject") and self.name_rejected(name_of(value)))):
            return value
        if value in self.added:
            return value
        return self.resolve(value)

    def check(self, c: Correction) -> Correction:
        entity = self.key_of(c.entity, c.op)
        value = c.value
        if c.op == "merge":
            value = c.value if is_key(c.value) else self.key_of(c.value, c.op)
            if value == entity:
                raise CorrectionConflict(f"merge: {entity!r} cannot be merged into itself")
            at, seen = value, {value}
            while at in self.merges:  # follow the merges of the entity merged into
                at = self.merges[at]
                if at == entity:
                    raise CorrectionConflict(
                        f"merge: {entity!r} into {value!r} closes a cycle of merges "
                        f"({value!r} is merged into {entity!r} already); undo that first")
                if at in seen:
                    break
                seen.add(at)
            value = self.key_of(value, c.op)
            self.merges[entity] = value
        elif c.op == "split":
            value = self._check_split(c, entity)
        c = Correction(c.op, entity, value, c.doc, c.page, c.start, c.id, c.who, c.at, c.reason)
        if c.op == "reject":
            self.rejected.add(name_of(entity))
        if c.target is not None and c.target != entity and c.op != "split":
            self.gone.add(entity)
        if c.target is not None:
            self.added.add(c.target)
            self.gone.discard(c.target)
        return c

    def _check_split(self, c: Correction, entity: str) -> str | None:
        row = self.conn.execute(
            "SELECT raw_key FROM mentions WHERE doc_id = ? AND page IS ? AND start = ? AND "
            "entity_key = ?", (c.doc, c.page, c.start, entity)).fetchone()
        if row is None:
            raise CorrectionError(
                f"split: no mention of {entity!r} in document {c.doc!r}"
                + (f" page {c.page}" if c.page is not None else "") + f" at {c.start}")
        into = c.value
        if into is not None and not is_key(into):
            into = self.key_of(into, c.op)
        if (into or row[0]) == entity:
            raise CorrectionError(f"split: the mention's own key is {entity!r}; say where it "
                                  "goes with 'into'")
        return into


# -- applying --------------------------------------------------------------------------

def correct_many(conn: sqlite3.Connection, items: Sequence[Any], who: str,
                 deltas: EdgeDeltas, resolve: Resolver) -> list[dict]:
    """Check, save and apply corrections in the caller's transaction; the saved rows.

    A bad item raises (:class:`~graph.corrections.CorrectionError`, or the lookup's
    ``EntityNotFound``/``AmbiguousEntity``) with its position when there are several;
    the caller's transaction then rolls everything back."""
    state, checked = _State(conn, resolve), []
    for n, item in enumerate(items, 1):
        try:
            checked.append(state.check(parse(item)))
        except GraphError as exc:  # a bad shape, an unknown or ambiguous entity
            if len(items) > 1:
                exc.args = (f"correction {n}: {exc}", *exc.args[1:])
            raise
    now = utc_now()
    saved = []
    for c in checked:
        before = _card(conn, c.entity)
        cursor = conn.execute(
            "INSERT INTO corrections (op, entity, value, target, doc_id, page, start, who, at, "
            "reason, before) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (c.op, c.entity, c.value, c.target, c.doc, c.page, c.start, c.who or who,
             c.at or now, c.reason, json.dumps(before)))
        saved.append(cursor.lastrowid)
    reapply(conn, checked, deltas)
    conn.executemany("UPDATE corrections SET after = ? WHERE id = ?",
                     [(json.dumps(_card(conn, c.target) if c.target else {}), id)
                      for c, id in zip(checked, saved)])
    rows = {row["id"]: row for row in list_corrections(conn)}
    return [rows[i] for i in saved]


def undo(conn: sqlite3.Connection, ids: Iterable[int], who: str, deltas: EdgeDeltas) -> list[dict]:
    """Undo active corrections (they stay, marked undone); the keys become what the
    others give."""
    ids = list(dict.fromkeys(ids))
    found = {c.id: c for c in stored_corrections(conn, "AND id IN (SELECT value FROM "
                                                 "json_each(?))", [json.dumps(ids)])}
    missing = [i for i in ids if i not in found]
    if missing:
        raise UnknownCorrection(f"no active correction with id {', '.join(map(str, missing))}; "
                                "`enrich corrections list --all` shows them")
    conn.executemany("UPDATE corrections SET undone_at = ?, undone_by = ? WHERE id = ?",
                     [(utc_now(), who, i) for i in ids])
    reapply(conn, found.values(), deltas)
    rows = {row["id"]: row for row in list_corrections(conn)}
    return [rows[i] for i in ids]


def _card(conn: sqlite3.Connection, key: str) -> dict[str, Any]:
    row = conn.execute("SELECT key, name, type, mentions, documents FROM entities WHERE key = ?",
                       (key,)).fetchone()
    return dict(zip(("key", "name", "type", "mentions", "documents"), row)) if row else \
        {"key": key, "mentions": 0}


def reapply(conn: sqlite3.Connection, changed: Iterable[Correction], deltas: EdgeDeltas) -> None:
    """Re-key the stored documents the ``changed`` corrections may concern."""
    keys, names = set(), set()
    for c in changed:
        keys.update(k for k in (c.entity, c.target, c.value if c.op == "merge" else None) if k)
        names.update(n for n in (name_of(c.entity), c.alias_name) if n)
    docs = _documents(conn, keys, names)
    if not docs:
        return
    names_before = dict(conn.execute("SELECT key, name FROM entities WHERE key IN "
                                     "(SELECT value FROM json_each(?))", (json_list(keys),)))
    rows = new_keys(conn, docs)
    stale = sorted({doc for doc, _, old, key, _ in rows if key != old})
    if stale:
        rest = rename_documents(conn, stale, deltas, rows)
        if rest:
            rekey_documents(conn, rest, deltas)
    refresh_names(conn, [k for (k,) in conn.execute(
        "SELECT key FROM entities WHERE key IN (SELECT value FROM json_each(?))",
        (json_list(keys),))])
    renamed = [k for k, name in conn.execute(
        "SELECT key, name FROM entities WHERE key IN (SELECT value FROM json_each(?))",
        (json_list(keys),)) if names_before.get(k, name) != name]
    shown = [doc for (doc,) in conn.execute(
        "SELECT DISTINCT doc_id FROM mentions WHERE entity_key IN (SELECT value FROM "
        "json_each(?))", (json_list(renamed),))] if renamed else []
    enqueue(conn, sorted(set(stale) | set(shown)), "upsert")


def _documents(conn: sqlite3.Connection, keys: set[str], names: set[str]) -> list[str]:
    """Documents holding a mention keyed ``keys``, or of a raw key with one of ``names``."""
    raw = [f"{kind}:{name}" for name, kind in conn.execute(
        "SELECT name, type FROM name_votes WHERE name IN (SELECT value FROM json_each(?))",
        (json_list(names),))]
    kinds = {kind for (kind,) in conn.execute("SELECT DISTINCT type FROM name_votes")}
    keyed = keys | {f"{kind}:{name}" for kind in kinds for name in names}
    return sorted(doc for (doc,) in conn.execute(
        "SELECT doc_id FROM mentions WHERE entity_key IN (SELECT value FROM json_each(?)) "
        "UNION SELECT doc_id FROM mentions WHERE raw_key IN (SELECT value FROM json_each(?))",
        (json_list(keyed), json_list(raw))))

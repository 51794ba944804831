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
mention that has the entity's key; a reject in one document names a document holding
the entity; a retype or alias that would change nothing is refused.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import Any

from graph.corrections import (Correction, CorrectionConflict, CorrectionError, Corrections,
                               UnknownCorrection, is_key, parse)
from graph.errors import EntityNotFound, GraphError
from graph.resolution import name_of

from .sqlite_graph import EdgeDeltas, refresh_names, rekey_documents
from .sqlite_graph_names import forget_corrections, json_list, machine_keys, stored_corrections
from .sqlite_graph_read import entity_types
from .sqlite_graph_rename import new_keys, rename_documents
from .sqlite_write import enqueue, utc_now

__all__ = ["correct_many", "undo", "list_corrections", "COLUMNS"]

COLUMNS = ("id", "op", "entity", "value", "target", "doc_id", "page", "start", "who", "at",
           "reason", "before", "after", "undone_at", "undone_by")
Resolver = Callable[[str], str]  # a name or key -> the one entity key it denotes
MAX_LISTED = 20  # errors listed in one message


def list_corrections(conn: sqlite3.Connection, active: bool | None = None,
                     ids: Sequence[int] | None = None) -> list[dict]:
    """Every correction (or those of ``ids``) as a dict, ``before`` and ``after``
    decoded; ``active`` filters."""
    where = {None: "true", True: "undone_at IS NULL", False: "undone_at IS NOT NULL"}[active]
    if ids is not None:
        where += " AND id IN (SELECT value FROM json_each(?))"
    rows = [dict(zip(COLUMNS, row)) for row in conn.execute(
        f"SELECT {', '.join(COLUMNS)} FROM corrections WHERE {where} ORDER BY id",
        () if ids is None else (json.dumps(list(ids)),))]
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
        self.checked: list[Correction] = []  # the batch's, so far, with provisional ids
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
        if is_key(value) and value not in self.gone and (
                self.exists(value) or
                (op in ("accept", "reject") and self.name_rejected(name_of(value)))):
            return value
        key = value if value in self.added else self.resolve(value)
        if key in self.gone:  # an earlier correction of the batch took its mentions
            raise EntityNotFound(value)
        return key

    def check(self, c: Correction) -> Correction:
        entity = self.key_of(c.entity, c.op)
        value = c.value
        if c.op == "merge":
            value = self._check_merge(entity, c.value)
        elif c.op == "split":
            value = self._check_split(c, entity)
        elif c.op == "retype" and value == entity.split(":", 1)[0]:
            raise CorrectionError(f"retype: {entity!r} is of type {value} already")
        elif c.op == "alias" and c.alias_name == name_of(entity):
            raise CorrectionError(f"alias: {c.value!r} is {entity!r}'s own name")
        elif c.op == "reject" and c.doc is not None and entity not in self.added and \
                self.conn.execute("SELECT 1 FROM mentions WHERE doc_id = ? AND entity_key = ? "
                                  "LIMIT 1", (c.doc, entity)).fetchone() is None:
            raise CorrectionError(f"reject: document {c.doc!r} holds no mention of {entity!r}")
        c = Correction(c.op, entity, value, c.doc, c.page, c.start, c.id, c.who, c.at, c.reason)
        if c.op == "reject" and c.doc is None:
            self.rejected.add(name_of(entity))
            self.gone.add(entity)
        if c.target is not None and c.target != entity and c.op != "split":
            self.gone.add(entity)
        if c.target is not None:
            self.added.add(c.target)
            self.gone.discard(c.target)
        self.checked.append(c)
        return c

    def _check_merge(self, entity: str, into: str) -> str:
        value = into if is_key(into) else self.key_of(into, "merge")
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
        value = self.key_of(value, "merge")
        self.merges[entity] = value
        return value

    def _check_split(self, c: Correction, entity: str) -> str | None:
        """The split's target; the mention must have ``entity``'s key under the active
        corrections and those before it in the batch."""
        found = self.conn.execute("SELECT raw_key FROM mentions WHERE doc_id = ? AND page IS ? "
                                  "AND start = ?", (c.doc, c.page, c.start)).fetchall()
        machine = machine_keys(self.conn, {raw for (raw,) in found})
        rules = Corrections([*stored_corrections(self.conn),
                             *(replace(done, id=_PENDING + n) for n, done in
                               enumerate(self.checked))])
        raws = [raw for (raw,) in found
                if rules.key(raw, machine[raw], c.doc, c.page, c.start) == entity]
        if not raws:
            raise CorrectionError(
                f"split: no mention of {entity!r} in document {c.doc!r}"
                + (f" page {c.page}" if c.page is not None else "") + f" at {c.start}")
        into = c.value
        if into is not None and not is_key(into):
            into = self.key_of(into, c.op)
        if (into or raws[0]) == entity:
            raise CorrectionError(f"split: the mention's own key is {entity!r}; say where it "
                                  "goes with 'into'")
        return into


_PENDING = 1 << 60  # provisional ids of a batch's corrections: after every stored one


# -- applying --------------------------------------------------------------------------

def correct_many(conn: sqlite3.Connection, items: Sequence[Any], who: str,
                 deltas: EdgeDeltas, resolve: Resolver, labels: Sequence[str] | None = None,
                 authored: bool = False) -> list[dict]:
    """Check, save and apply corrections in the caller's transaction; the saved rows.

    Every item is checked (each against the state the ones before it leave); a bad
    one raises its error (:class:`~graph.corrections.CorrectionError`, or the
    lookup's ``EntityNotFound``/``AmbiguousEntity``) named by its label (``labels``,
    e.g. the file's line numbers; else "correction N"), several a
    :class:`~graph.corrections.CorrectionError` listing each, and the caller's
    transaction rolls everything back. An item's own ``who`` and ``at`` are kept only
    when ``authored`` (an import of corrections made elsewhere); else they are ``who``
    and now."""
    state, checked, errors = _State(conn, resolve), [], []
    labels = list(labels) if labels is not None else [f"correction {n}"
                                                      for n in range(1, len(items) + 1)]
    for label, item in zip(labels, items):
        try:
            checked.append(state.check(parse(item)))
        except GraphError as exc:  # a bad shape, an unknown or ambiguous entity
            errors.append((label, exc))
    if len(errors) == 1 and len(items) == 1:
        raise errors[0][1]
    if len(errors) == 1:
        label, exc = errors[0]
        exc.args = (f"{label}: {exc}", *exc.args[1:])
        raise exc
    if errors:
        shown = "; ".join(f"{label}: {exc.code} {exc}" for label, exc in errors[:MAX_LISTED])
        more = f" (and {len(errors) - MAX_LISTED} more)" if len(errors) > MAX_LISTED else ""
        raise CorrectionError(f"{len(errors)} of {len(items)} corrections cannot apply, "
                              f"nothing changed{more}: {shown}")
    now = utc_now()
    saved = []
    for c in checked:
        before = _card(conn, c.entity)
        cursor = conn.execute(
            "INSERT INTO corrections (op, entity, value, target, doc_id, page, start, who, at, "
            "reason, before) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (c.op, c.entity, c.value, c.target, c.doc, c.page, c.start,
             (c.who if authored else None) or who, (c.at if authored else None) or now,
             c.reason, json.dumps(before)))
        saved.append(cursor.lastrowid)
    forget_corrections(conn)
    reapply(conn, checked, deltas)
    conn.executemany("UPDATE corrections SET after = ? WHERE id = ?",
                     [(json.dumps(_card(conn, c.target) if c.target else {}), id)
                      for c, id in zip(checked, saved)])
    rows = {row["id"]: row for row in list_corrections(conn, ids=saved)}
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
    forget_corrections(conn)
    reapply(conn, found.values(), deltas)
    rows = {row["id"]: row for row in list_corrections(conn, ids=ids)}
    return [rows[i] for i in ids]


def _card(conn: sqlite3.Connection, key: str) -> dict[str, Any]:
    row = conn.execute("SELECT key, name, type, mentions, documents FROM entities WHERE key = ?",
                       (key,)).fetchone()
    return dict(zip(("key", "name", "type", "mentions", "documents"), row)) if row else \
        {"key": key, "mentions": 0}


def reapply(conn: sqlite3.Connection, changed: Iterable[Correction], deltas: EdgeDeltas) -> None:
    """Re-key the stored documents the ``changed`` corrections (made or undone) may
    concern: a correction naming a document, that document; the others, every document
    holding a key or name they connect to through the active corrections (so undoing a
    merge finds the mentions a later retype of its target moved too), or a name the
    machine resolves into one of those names (a short form)."""
    changed = list(changed)
    scoped = {c.doc for c in changed if c.doc is not None}
    spread = [c for c in changed if c.doc is None]
    keys, names, more = _connected(conn, spread)
    docs = sorted(set(_documents(conn, keys, names) if spread else ()) | scoped | more)
    keys |= {k for c in changed for k in _ends(c)[0]}
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


def _ends(c: Correction) -> tuple[set[str], set[str]]:
    """The keys and names a correction joins."""
    keys = {k for k in (c.entity, c.target, c.value if c.op in ("merge", "split") else None)
            if k}
    return keys, {name_of(k) for k in keys} | ({c.alias_name} if c.alias_name else set())


def _connected(conn: sqlite3.Connection, changed: list[Correction]
               ) -> tuple[set[str], set[str], set[str]]:
    """The keys and names of ``changed`` and of every active correction that shares one
    with them, transitively; and the documents those of them naming one name (a
    split's mention may have come into the chain from any raw name)."""
    keys: set[str] = set()
    names: set[str] = set()
    for c in changed:
        more_keys, more_names = _ends(c)
        keys |= more_keys
        names |= more_names
    others = [(c.doc, *_ends(c)) for c in stored_corrections(conn)] if changed else []
    grown = bool(others)
    while grown:
        grown = False
        for doc, more_keys, more_names in others:
            if (more_keys & keys or more_names & names) and \
                    not (more_keys <= keys and more_names <= names):
                keys |= more_keys
                names |= more_names
                grown = True
    docs = {doc for doc, more_keys, more_names in others
            if doc is not None and (more_keys & keys or more_names & names)}
    return keys, names, docs


def _documents(conn: sqlite3.Connection, keys: set[str], names: set[str]) -> list[str]:
    """Documents holding a mention keyed ``keys`` or with one of ``names`` (any type, as
    a raw name or as a key's), or whose raw name the machine resolves into one."""
    names = names | {n for (n,) in conn.execute(
        "SELECT name FROM name_keys WHERE target IN (SELECT value FROM json_each(?))",
        (json_list(names),))}
    raw = [f"{kind}:{name}" for name, kind in conn.execute(
        "SELECT name, type FROM name_votes WHERE name IN (SELECT value FROM json_each(?))",
        (json_list(names),))]
    kinds = {key.split(":", 1)[0] for key in keys} | set(entity_types(conn))  # every key's
    keyed = keys | {f"{kind}:{name}" for kind in kinds for name in names}
    return sorted(doc for (doc,) in conn.execute(
        "SELECT doc_id FROM mentions WHERE entity_key IN (SELECT value FROM json_each(?)) "
        "UNION SELECT doc_id FROM mentions WHERE raw_key IN (SELECT value FROM json_each(?))",
        (json_list(keyed), json_list(raw))))


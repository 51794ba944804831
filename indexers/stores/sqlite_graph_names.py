"""The evidence of corpus-level entity resolution in the SQLite store, and its keys.

A document adds to ``name_stats``, ``name_votes``, ``name_words`` (its mentions,
through :func:`graph.resolution.name_contributions`), ``word_cases`` (its page
texts, while the ``common_words`` rule is on) and the acronym ``aliases`` it
defines; a removed document subtracts exactly that, recomputed from its stored
mentions and pages. Every name whose evidence changed goes into
``temp.touched_names`` and word case changes into ``temp.case_deltas`` (both undone
with the transaction or savepoint), for :func:`indexers.stores.sqlite_graph_resolve.settle`
to decide again at the end of the transaction. :func:`machine_keys` gives a mention's
entity key under the decisions ``name_keys`` holds (a name without a row keeps its
raw key); :func:`load_corrections` gives people's corrections to apply over it.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from typing import Any, Iterable, Sequence

from graph.corrections import Correction, Corrections
from graph.resolution import (DEFAULT_RULES, Decision, Facts, check_rules,
                              name_contributions, name_of)
from graph.resolution_text import word_cases

from .base import DocumentRecord
from .sqlite_schema import GONE as _GONE

__all__ = ["load_rules", "save_rules", "add_evidence", "subtract_evidence",
           "machine_keys", "load_corrections", "forget_corrections", "StoreConnection", "stored_corrections", "decisions", "touch", "targets_by_name", "insert_aliases", "subtract_aliases",
           "add_cases", "add_mentions", "stored_mentions", "stored_texts", "json_list",
           "load_facts"]

def json_list(values: Iterable[str]) -> str:
    return json.dumps(sorted(set(values)))


# -- settings ---------------------------------------------------------------------------

def load_rules(conn: sqlite3.Connection) -> dict[str, bool]:
    """The rule switches the store applies (all on when none were saved)."""
    row = conn.execute("SELECT value FROM settings WHERE key = 'resolution'").fetchone()
    return check_rules(json.loads(row[0])) if row else dict(DEFAULT_RULES)


def save_rules(conn: sqlite3.Connection, rules: dict[str, bool]) -> None:
    conn.execute("INSERT INTO settings (key, value) VALUES ('resolution', ?) ON CONFLICT "
                 "(key) DO UPDATE SET value = excluded.value",
                 (json.dumps(rules, sort_keys=True),))


def touch(conn: sqlite3.Connection, names: Iterable[str]) -> None:
    """Mark names to decide again when the transaction ends."""
    conn.executemany("INSERT OR IGNORE INTO temp.touched_names (name) VALUES (?)",
                     [(name,) for name in set(names)])


# -- evidence ---------------------------------------------------------------------------

def _texts(doc: DocumentRecord) -> list[str]:
    texts = [page.get("text") or "" for page in doc.pages]
    return texts if any(texts) else [doc.content or ""]


def add_evidence(conn: sqlite3.Connection, docs: Sequence[DocumentRecord],
                 rules: dict[str, bool]) -> None:
    """Add new documents' names, votes and (``common_words``) word cases."""
    add_mentions(conn, [doc.entities for doc in docs], +1)
    if rules.get("common_words", True):
        add_cases(conn, (text for doc in docs for text in _texts(doc)), +1)


def subtract_evidence(conn: sqlite3.Connection, rules: dict[str, bool]) -> None:
    """Subtract the evidence of the documents in ``temp.gone_docs``."""
    add_mentions(conn, stored_mentions(conn, f"WHERE doc_id IN {_GONE}"), -1)
    if rules.get("common_words", True):
        add_cases(conn, stored_texts(conn, _GONE), -1)


def stored_mentions(conn: sqlite3.Connection, tail: str) -> list[list[dict[str, Any]]]:
    """The stored mentions ``FROM mentions {tail}``, grouped by document, with the
    fields :func:`graph.resolution.name_contributions` reads (``key`` the raw key)."""
    by_doc: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for doc_id, key, label, confidence, authority, text, initial in conn.execute(
            f"SELECT doc_id, raw_key, label, confidence, authority, text, initial "
            f"FROM mentions {tail}"):
        by_doc[doc_id].append({"key": key, "label": label, "confidence": confidence,
                               "authority": authority, "text": text, "initial": initial})
    return list(by_doc.values())


def stored_texts(conn: sqlite3.Connection, doc_ids_sql: str) -> Iterable[str]:
    """The page texts of stored documents (the content of those without pages)."""
    for (text,) in conn.execute(
            f"SELECT p.text FROM pages AS p WHERE p.doc_id IN {doc_ids_sql} UNION ALL "
            f"SELECT d.content FROM documents AS d WHERE d.id IN {doc_ids_sql} AND NOT "
            "EXISTS (SELECT 1 FROM pages WHERE doc_id = d.id AND text != '')"):
        yield text or ""


def add_mentions(conn: sqlite3.Connection, documents: list[list[dict[str, Any]]],
                 sign: int) -> None:
    """Add (``sign`` +1) or subtract (-1) the evidence of each document's mentions."""
    stats: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    votes: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0, 0])
    for mentions in documents:
        doc_stats, doc_votes = name_contributions(mentions)
        for name, row in doc_stats.items():
            stats[name] = [a + sign * b for a, b in zip(stats[name], row)]
        for key, row in doc_votes.items():
            votes[key] = [a + sign * b for a, b in zip(votes[key], row)]
    if not stats:
        return
    conn.executemany(
        "INSERT INTO name_stats (name, documents, mentions, initial, capitals) VALUES "
        "(?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET documents = documents + "
        "excluded.documents, mentions = mentions + excluded.mentions, initial = initial + "
        "excluded.initial, capitals = capitals + excluded.capitals",
        [(name, *row) for name, row in stats.items()])
    conn.executemany(
        "INSERT INTO name_votes (name, type, weight, authority, mentions) VALUES "
        "(?, ?, ?, ?, ?) ON CONFLICT (name, type) DO UPDATE SET weight = weight + "
        "excluded.weight, authority = authority + excluded.authority, "
        "mentions = mentions + excluded.mentions",
        [(name, type, *row) for (name, type), row in votes.items()])
    names = json_list(stats)
    if sign > 0:
        conn.executemany("INSERT OR IGNORE INTO name_words (word, name) VALUES (?, ?)",
                         [(word, name) for name in stats for word in set(name.split())])
    else:
        conn.execute("DELETE FROM name_votes WHERE name IN (SELECT value FROM json_each(?)) "
                     "AND mentions <= 0 AND authority <= 0 AND weight < 1e-9", (names,))
        gone = [name for (name,) in conn.execute(
            "SELECT value FROM json_each(?) WHERE value NOT IN (SELECT name FROM name_stats "
            "WHERE mentions > 0)", (names,))]
        conn.executemany("DELETE FROM name_words WHERE word = ? AND name = ?",
                         [(word, name) for name in gone for word in set(name.split())])
        conn.execute("DELETE FROM name_stats WHERE name IN (SELECT value FROM json_each(?)) "
                     "AND mentions <= 0", (names,))
        conn.execute("DELETE FROM name_votes WHERE name IN (SELECT value FROM json_each(?))",
                     (json_list(gone),))
    touch(conn, stats)


def add_cases(conn: sqlite3.Connection, texts: Iterable[str], sign: int) -> None:
    """Add (or subtract) the word cases of ``texts`` to ``temp.case_deltas``."""
    total: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for text in texts:
        for word, (low, cap) in word_cases(text).items():
            row = total[word]
            row[0] += sign * low
            row[1] += sign * cap
    conn.executemany(
        "INSERT INTO temp.case_deltas (word, lower, capital) VALUES (?, ?, ?) ON CONFLICT "
        "(word) DO UPDATE SET lower = lower + excluded.lower, capital = capital + "
        "excluded.capital", [(word, low, cap) for word, (low, cap) in total.items()])


# -- decisions --------------------------------------------------------------------------

def decisions(conn: sqlite3.Connection, names: Iterable[str]) -> dict[str, Decision]:
    """The stored decisions of ``names`` (those without one are left out)."""
    return {name: Decision(target, type, bool(rejected)) for name, target, type, rejected
            in conn.execute("SELECT name, target, type, rejected FROM name_keys WHERE name "
                            "IN (SELECT value FROM json_each(?))", (json_list(names),))}


def machine_keys(conn: sqlite3.Connection, raw_keys: Iterable[str]) -> dict[str, str | None]:
    """The entity key of each raw key under the stored decisions (None: rejected)."""
    raw_keys = set(raw_keys)
    found = decisions(conn, {name_of(k) for k in raw_keys})
    return {k: found[name_of(k)].key(k) if name_of(k) in found else k for k in raw_keys}


def stored_corrections(conn: sqlite3.Connection, where: str = "",
                       params: Sequence[Any] = ()) -> list[Correction]:
    """The active corrections (and ``where``), in order."""
    return [Correction(op, entity, value, doc, page, start, id, who, at, reason)
            for id, op, entity, value, doc, page, start, who, at, reason in conn.execute(
                "SELECT id, op, entity, value, doc_id, page, start, who, at, reason FROM "
                f"corrections WHERE undone_at IS NULL {where} ORDER BY id", params)]


class StoreConnection(sqlite3.Connection):
    """The store's connection: it keeps the active corrections once read (every
    document written asks for them), until :func:`forget_corrections`."""

    corrections: Corrections | None = None


def load_corrections(conn: sqlite3.Connection) -> Corrections:
    """The active corrections, indexed to re-key mentions (read once per store
    connection while they do not change)."""
    found = getattr(conn, "corrections", None)
    if found is None:
        found = Corrections(stored_corrections(conn))
        if isinstance(conn, StoreConnection):
            conn.corrections = found
    return found


def forget_corrections(conn: sqlite3.Connection) -> None:
    """The corrections changed (made, undone, or a transaction rolled back): read them
    again next time."""
    if isinstance(conn, StoreConnection):
        conn.corrections = None


def load_facts(conn: sqlite3.Connection, names: Iterable[str]) -> Facts:
    """The evidence :func:`graph.resolution.decide` needs for ``names``."""
    names = set(names)
    facts = Facts(aliases=targets_by_name(conn, names))
    starting: dict[str, list[str]] = defaultdict(list)
    ending: dict[str, list[str]] = defaultdict(list)
    for name in names:
        words = name.split()
        if words:
            starting[words[0]].append(name)
            ending[words[-1]].append(name)
    containing: dict[str, set[str]] = defaultdict(set)
    for (long,) in conn.execute("SELECT DISTINCT name FROM name_words WHERE word IN "
                                "(SELECT value FROM json_each(?))",
                                (json_list(starting.keys() | ending.keys()),)):
        words = long.split()
        for name in starting.get(words[0], ()):
            if long.startswith(name + " "):
                containing[name].add(long)
        for name in ending.get(words[-1], ()):
            if long.endswith(" " + name):
                containing[name].add(long)
    facts.containing = {name: sorted(longs) for name, longs in containing.items()}
    wanted = names | {n for longs in containing.values() for n in longs} | \
        {name_of(key) for key in facts.aliases.values()}
    wanted_json = json_list(wanted)
    facts.stats = {row[0]: tuple(row[1:]) for row in conn.execute(
        "SELECT name, documents, mentions, initial, capitals FROM name_stats WHERE name IN "
        "(SELECT value FROM json_each(?)) AND mentions > 0", (wanted_json,))}
    for name, type, weight, authority, mentions in conn.execute(
            "SELECT name, type, weight, authority, mentions FROM name_votes WHERE name IN "
            "(SELECT value FROM json_each(?))", (wanted_json,)):
        facts.votes.setdefault(name, {})[type] = (weight, authority, mentions)
    words = {w for name in wanted for w in name.split()}
    facts.cases = {word: (low, cap) for word, low, cap in conn.execute(
        "SELECT word, lower, capital FROM word_cases WHERE word IN "
        "(SELECT value FROM json_each(?))", (json_list(words),))}
    return facts


# -- aliases --------------------------------------------------------------------------

def insert_aliases(conn: sqlite3.Connection, docs: Sequence[DocumentRecord]) -> None:
    rows = sorted({(doc.id, name_of(alias), key) for doc in docs
                   for alias, key in doc.aliases if alias != key})
    conn.executemany("INSERT INTO doc_aliases (doc_id, alias, entity_key) VALUES (?, ?, ?)",
                     rows)
    conn.executemany(
        "INSERT INTO aliases (alias, entity_key, documents) VALUES (?, ?, 1) "
        "ON CONFLICT (alias, entity_key) DO UPDATE SET documents = documents + 1",
        [(alias, key) for _, alias, key in rows])
    touch(conn, [alias for _, alias, _ in rows])


def subtract_aliases(conn: sqlite3.Connection) -> None:
    """Take the aliases of the documents in ``temp.gone_docs`` off ``aliases``."""
    touch(conn, [alias for (alias,) in conn.execute(
        f"SELECT DISTINCT alias FROM doc_aliases WHERE doc_id IN {_GONE}")])
    conn.execute(
        "UPDATE aliases SET documents = aliases.documents - d.n FROM (SELECT alias, "
        f"entity_key, count(*) AS n FROM doc_aliases WHERE doc_id IN {_GONE} "
        "GROUP BY alias, entity_key) AS d "
        "WHERE aliases.alias = d.alias AND aliases.entity_key = d.entity_key")
    conn.execute("DELETE FROM aliases WHERE documents <= 0")
    conn.execute(f"DELETE FROM doc_aliases WHERE doc_id IN {_GONE}")


def targets_by_name(conn: sqlite3.Connection, names: Iterable[str]) -> dict[str, str]:
    """The entity each alias name stands for (most documents win, ties by key)."""
    if conn.execute("SELECT NOT EXISTS (SELECT 1 FROM aliases)").fetchone()[0]:
        return {}
    found: dict[str, str] = {}
    for alias, key in conn.execute(
            "SELECT alias, entity_key FROM aliases WHERE alias IN (SELECT value FROM "
            "json_each(?)) ORDER BY alias, documents DESC, entity_key", (json_list(names),)):
        found.setdefault(alias, key)
    return found

"""Opening a store file: pragmas, a new file's schema, old versions migrated.

``initialise`` prepares a connection that may write (creating the tables of a new
file, migrating a file of an older schema version in one transaction);
``check_readable`` prepares a read-only one and refuses a file that is not a store
or has another schema version (a reader never migrates). ``rebuild_graph``
recomputes the graph's aggregate tables from the per-document rows: the migration
from version 3 needs it, and the tests and ``bench.graph_update`` hold the
incremental updates of :mod:`indexers.stores.sqlite_graph` to it. The tables
themselves are in :mod:`indexers.stores.sqlite_schema`.
"""

from __future__ import annotations

import sqlite3

from graph.resolution import DEFAULT_RULES
from graph.resolution_text import starts_sentence

from .base import StoreError
from .sqlite_graph import EdgeDeltas, flush_edges, scope_units, unit_counts
from .sqlite_graph_resolve import rebuild_resolution
from .sqlite_schema import DDL, SCHEMA_VERSION, TEMP_DDL

__all__ = ["initialise", "check_readable", "rebuild_graph", "ADDED_IN_4", "ADDED_IN_5"]

# Version 1 kept one doc_edges row per (document, scope, a, b); version 2 keeps
# one row per document, the pairs nested as {scope: {a: {b: count}}}.
MIGRATE_1_TO_2 = """
ALTER TABLE doc_edges RENAME TO doc_edges_v1;
{doc_edges};
INSERT INTO doc_edges (doc_id, edges)
    SELECT doc_id, json_group_object(scope, json(pairs)) FROM (
        SELECT doc_id, scope, json_group_object(a, json(bs)) AS pairs FROM (
            SELECT doc_id, scope, a, json_group_object(b, count) AS bs
            FROM doc_edges_v1 GROUP BY doc_id, scope, a)
        GROUP BY doc_id, scope)
    GROUP BY doc_id;
DROP TABLE doc_edges_v1
"""

PRAGMAS = ("PRAGMA journal_mode = WAL", "PRAGMA synchronous = NORMAL",
           "PRAGMA foreign_keys = ON", "PRAGMA busy_timeout = 10000",
           "PRAGMA cache_size = -32000", "PRAGMA temp_store = MEMORY")


def initialise(conn: sqlite3.Connection, path: str) -> None:
    """Set the pragmas, create the schema of a new file, check the version of an old one."""
    for pragma in PRAGMAS:
        conn.execute(pragma)
    conn.executescript(TEMP_DDL)
    conn.execute("BEGIN IMMEDIATE")
    try:
        _create_or_check(conn, path)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def check_readable(conn: sqlite3.Connection, path: str) -> None:
    """Set the reading pragmas of a read-only connection and check the schema version."""
    try:
        conn.execute("PRAGMA busy_timeout = 10000")
        conn.execute("PRAGMA cache_size = -32000")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path} is not an enrich store: {exc}") from None
    if version != SCHEMA_VERSION:
        raise StoreError(
            f"{path} has store schema version {version}, this enrich reads {SCHEMA_VERSION}; "
            "run `enrich index` on it once (it migrates the store), or use the enrich "
            "version that wrote it")


def _create_or_check(conn: sqlite3.Connection, path: str) -> None:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version == SCHEMA_VERSION:
        return
    if version in (1, 2, 3, 4, 5, 6):
        # version 7 added people's corrections (first: re-keying reads them)
        conn.execute(_statement("TABLE", "corrections"))
        conn.execute(_statement("INDEX", "corrections_target"))
        if version == 6:
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            return
        if version == 1:
            _migrate_1_to_2(conn)
        if version < 4:
            columns = {row[1] for row in conn.execute("PRAGMA table_info(mentions)")}
            if "image_id" not in columns:  # version 3 added it
                conn.execute("ALTER TABLE mentions ADD COLUMN image_id TEXT")
            _migrate_3_to_4(conn)
        _add_columns(conn, ADDED_IN_5)
        # before version 5 a transient failure was kept with size -1 (retried next run)
        conn.execute("UPDATE sources SET stage = 'read' WHERE status = 'failed' AND "
                     "stage = '' AND size = -1")
        _migrate_5_to_6(conn)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        return
    if version == 0 and not _has_tables(conn):
        for statement in DDL.split(";"):
            if statement.strip():
                conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        return
    raise StoreError(
        f"{path} has store schema version {version}, this enrich expects "
        f"{SCHEMA_VERSION}; use the enrich version that wrote it, or index into a "
        "new data directory.")


def _migrate_1_to_2(conn: sqlite3.Connection) -> None:
    """Fold version 1's per-pair ``doc_edges`` rows into one JSON row per document."""
    doc_edges = DDL[DDL.index("CREATE TABLE doc_edges"):]
    statements = MIGRATE_1_TO_2.format(doc_edges=doc_edges[:doc_edges.index(";")])
    for statement in statements.split(";"):
        if statement.strip():
            conn.execute(statement)
    conn.execute("PRAGMA user_version = 2")


# Version 4 added entity unit counts and descriptions, each mention's raw key,
# label and sentence, edges' document frequency, graph_units and the aliases.
ADDED_IN_4 = (("entities", "description TEXT"),
              ("entities", "pages INTEGER NOT NULL DEFAULT 0"),
              ("entities", "images INTEGER NOT NULL DEFAULT 0"),
              ("entities", "sentences INTEGER NOT NULL DEFAULT 0"),
              ("mentions", "raw_key TEXT NOT NULL DEFAULT ''"),
              ("mentions", "label TEXT"), ("mentions", "sentence INTEGER"),
              ("edges", "documents INTEGER NOT NULL DEFAULT 0"))


# Version 5 added each source item's version (ETag, row high-water mark) and, for a
# failed item, the stage it failed at (transient or permanent).
ADDED_IN_5 = (("sources", "version TEXT NOT NULL DEFAULT ''"),
              ("sources", "stage TEXT NOT NULL DEFAULT ''"))


def _add_columns(conn: sqlite3.Connection, added: tuple[tuple[str, str], ...]) -> None:
    for table, column in added:
        if column.split()[0] not in {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}:
            conn.execute(f"ALTER TABLE {table} ADD COLUMN {column}")


def _migrate_3_to_4(conn: sqlite3.Connection) -> None:
    """Add version 4's columns and tables, then compute the new aggregates."""
    _add_columns(conn, ADDED_IN_4)
    conn.execute("UPDATE mentions SET raw_key = entity_key WHERE raw_key = ''")
    conn.execute("UPDATE mentions SET label = (SELECT type FROM entities "
                 "WHERE key = mentions.entity_key) WHERE label IS NULL")
    conn.execute("DROP INDEX IF EXISTS edges_b")  # version 4's covers count, documents
    for name in ("graph_units", "aliases", "doc_aliases", "entity_names_name", "edges_b",
                 "entities_units"):
        kind = "TABLE" if name in ("graph_units", "aliases", "doc_aliases") else "INDEX"
        start = DDL.index(f"CREATE {kind} {name} ")
        statement = DDL[start:DDL.index(";", start)]
        conn.execute(statement.replace(f"{kind} ", f"{kind} IF NOT EXISTS ", 1))
    rebuild_graph(conn)


def _statement(kind: str, name: str) -> str:
    """The ``CREATE kind name`` statement of ``DDL``, as ``CREATE kind IF NOT EXISTS``."""
    start = DDL.index(f"CREATE {kind} {name} ")
    return DDL[start:DDL.index(";", start)].replace(f"{kind} ", f"{kind} IF NOT EXISTS ", 1)


# Version 6 added corpus-level entity resolution: a mention's entity key may be NULL
# (rejected), each mention says whether it starts a sentence and whether the user's
# dictionary or gallery gave it; the evidence and decision tables; the settings.
_MENTION_COLUMNS = ("id, doc_id, entity_key, raw_key, label, name, text, page, sentence, "
                    "start, end, image_id, confidence, skill, skill_version, model")


def _migrate_5_to_6(conn: sqlite3.Connection) -> None:
    """Rebuild ``mentions`` (a nullable key, two columns), add the resolution tables,
    then resolve the stored mentions under the default rules."""
    conn.execute(_statement("TABLE", "mentions").replace(" mentions ", " mentions_v6 ", 1))
    # ``skill`` holds the skillset's block name, which is the skill's own unless the
    # skillset renamed it; a renamed dictionary or gallery block loses its authority
    # until its documents are indexed again.
    conn.execute(f"INSERT INTO mentions_v6 ({_MENTION_COLUMNS}, initial, authority) SELECT "
                 f"{_MENTION_COLUMNS}, 0, skill IN ('entity_lookup', 'labels') FROM mentions")
    conn.execute("DROP TABLE mentions")
    conn.execute("ALTER TABLE mentions_v6 RENAME TO mentions")
    _mark_initial(conn)
    for index in ("mentions_doc_id", "mentions_entity_key", "mentions_raw_key"):
        conn.execute(_statement("INDEX", index))
    for table in ("name_stats", "name_votes", "name_words", "word_cases", "name_keys",
                  "settings"):
        conn.execute(_statement("TABLE", table))
    conn.execute(_statement("INDEX", "name_keys_target"))
    deltas = EdgeDeltas()
    rebuild_resolution(conn, deltas, dict(DEFAULT_RULES))
    flush_edges(conn, deltas)


def _mark_initial(conn: sqlite3.Connection) -> None:
    """Set ``initial`` (the mention starts a sentence) from the stored texts, as a new
    index would, so that the common-word rule decides a migrated store the same way."""
    rows = conn.execute(
        "SELECT m.id, m.start, coalesce(p.text, d.content) FROM mentions m "
        "JOIN documents d ON d.id = m.doc_id LEFT JOIN pages p ON p.doc_id = m.doc_id "
        "AND p.number = m.page WHERE m.start IS NOT NULL")
    conn.executemany("UPDATE mentions SET initial = 1 WHERE id = ?",
                     [(mention_id,) for mention_id, start, text in rows
                      if text is not None and starts_sentence(text, start)])


def _has_tables(conn: sqlite3.Connection) -> bool:
    row = conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()
    return row[0] > 0


def rebuild_graph(conn: sqlite3.Connection) -> None:
    """Recompute every aggregate graph table from the per-document rows.

    Not used by indexing (which adds and subtracts per document); it migrates old
    files, and it is what the incremental updates are checked and timed against.
    """
    conn.execute("DELETE FROM edges")
    conn.execute(
        "INSERT INTO edges (scope, a, b, count, documents) SELECT s.key, a.key, b.key, "
        "sum(b.value), count(*) FROM doc_edges AS d, json_each(d.edges) AS s, "
        "json_each(s.value) AS a, json_each(a.value) AS b GROUP BY 1, 2, 3")
    conn.execute(
        "UPDATE entities SET documents = d.documents, mentions = d.mentions, pages = d.pages, "
        f"images = d.images, sentences = d.sentences FROM (SELECT entity_key, "
        f"{unit_counts('entity_key IS NOT NULL')} GROUP BY entity_key) AS d "
        "WHERE entities.key = d.entity_key")
    conn.execute("DELETE FROM graph_units")
    conn.executemany("INSERT INTO graph_units (scope, units) VALUES (?, ?)",
                     [(scope, n) for scope, n in
                      scope_units(conn, "entity_key IS NOT NULL").items() if n])
    conn.execute("DELETE FROM aliases")
    conn.execute("INSERT INTO aliases (alias, entity_key, documents) SELECT alias, "
                 "entity_key, count(*) FROM doc_aliases GROUP BY alias, entity_key")

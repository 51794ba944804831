"""The store's tables (replaced below by SCHEMA.md, which documents them)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

# The tables are documented once, in SCHEMA.md (the README carries it, ## -> ###).
__doc__ = (Path(__file__).parent / "SCHEMA.md").read_text(encoding="utf-8")

__all__ = ["SCHEMA_VERSION", "DDL", "GONE", "TEMP_DDL", "to_json"]

SCHEMA_VERSION = 7

DDL = """
CREATE TABLE sources (
    uri TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    mtime REAL NOT NULL,
    sha256 TEXT NOT NULL,
    version TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL CHECK (status IN ('ok', 'partial', 'failed')),
    stage TEXT NOT NULL DEFAULT '',
    message TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL
);
CREATE TABLE documents (
    id TEXT PRIMARY KEY,
    uri TEXT NOT NULL,
    source_uri TEXT NOT NULL REFERENCES sources(uri),
    status TEXT NOT NULL CHECK (status IN ('ok', 'partial')),
    title TEXT NOT NULL DEFAULT '',
    content TEXT NOT NULL DEFAULT '',
    content_type TEXT,
    metadata TEXT NOT NULL DEFAULT '{}',
    tree TEXT NOT NULL DEFAULT '{}',
    warnings TEXT NOT NULL DEFAULT '[]',
    fields TEXT NOT NULL DEFAULT '{}',
    indexed_at TEXT NOT NULL
);
CREATE INDEX documents_source_uri ON documents(source_uri);
CREATE TABLE pages (
    doc_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    text TEXT NOT NULL DEFAULT '',
    offset INTEGER,
    needs_ocr INTEGER NOT NULL DEFAULT 0,
    width REAL,
    height REAL,
    PRIMARY KEY (doc_id, number)
);
CREATE TABLE images (
    doc_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    image_id TEXT NOT NULL,
    page INTEGER,
    bbox TEXT,
    width INTEGER,
    height INTEGER,
    format TEXT,
    kind TEXT,
    needs_ocr INTEGER NOT NULL DEFAULT 0,
    data BLOB,
    PRIMARY KEY (doc_id, image_id)
);
CREATE TABLE entities (
    key TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    documents INTEGER NOT NULL,
    mentions INTEGER NOT NULL,
    pages INTEGER NOT NULL DEFAULT 0,
    images INTEGER NOT NULL DEFAULT 0,
    sentences INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE entity_names (
    entity_key TEXT NOT NULL REFERENCES entities(key) ON DELETE CASCADE,
    name TEXT NOT NULL,
    mentions INTEGER NOT NULL,
    PRIMARY KEY (entity_key, name)
) WITHOUT ROWID;
CREATE INDEX entity_names_name ON entity_names(name COLLATE NOCASE);
CREATE INDEX entities_units ON entities(key, type, documents, pages, images, sentences);
CREATE TABLE mentions (
    id INTEGER PRIMARY KEY,
    doc_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    entity_key TEXT REFERENCES entities(key),
    raw_key TEXT NOT NULL,
    label TEXT,
    name TEXT NOT NULL,
    text TEXT NOT NULL,
    page INTEGER,
    sentence INTEGER,
    start INTEGER,
    end INTEGER,
    image_id TEXT,
    confidence REAL,
    skill TEXT,
    skill_version TEXT,
    model TEXT,
    initial INTEGER NOT NULL DEFAULT 0,
    authority INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX mentions_doc_id ON mentions(doc_id);
CREATE INDEX mentions_entity_key ON mentions(entity_key, doc_id);
CREATE INDEX mentions_raw_key ON mentions(raw_key, doc_id);
CREATE TABLE name_stats (name TEXT PRIMARY KEY, documents INTEGER NOT NULL, mentions INTEGER
    NOT NULL, initial INTEGER NOT NULL, capitals INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE name_votes (name TEXT NOT NULL, type TEXT NOT NULL, weight REAL NOT NULL, authority
    INTEGER NOT NULL, mentions INTEGER NOT NULL, PRIMARY KEY (name, type)) WITHOUT ROWID;
CREATE TABLE name_words (word TEXT, name TEXT, PRIMARY KEY (word, name)) WITHOUT ROWID;
CREATE TABLE word_cases (word TEXT PRIMARY KEY, lower INTEGER NOT NULL, capital INTEGER NOT NULL
    ) WITHOUT ROWID;
CREATE TABLE name_keys (name TEXT PRIMARY KEY, target TEXT NOT NULL, type TEXT,
    rejected INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
CREATE INDEX name_keys_target ON name_keys(target);
CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE edges (
    scope TEXT NOT NULL,
    a TEXT NOT NULL,
    b TEXT NOT NULL,
    count INTEGER NOT NULL,
    documents INTEGER NOT NULL,
    PRIMARY KEY (scope, a, b)
) WITHOUT ROWID;
-- Covering: the neighbours of b are read without visiting the table.
CREATE INDEX edges_b ON edges(scope, b, count, documents);
CREATE TABLE graph_units (
    scope TEXT PRIMARY KEY,
    units INTEGER NOT NULL
);
CREATE TABLE aliases (
    alias TEXT NOT NULL,
    entity_key TEXT NOT NULL,
    documents INTEGER NOT NULL,
    PRIMARY KEY (alias, entity_key)
) WITHOUT ROWID;
CREATE TABLE doc_aliases (
    doc_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    alias TEXT NOT NULL,
    entity_key TEXT NOT NULL,
    PRIMARY KEY (doc_id, alias, entity_key)
) WITHOUT ROWID;
CREATE TABLE doc_edges (
    doc_id TEXT PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
    edges TEXT NOT NULL
);
CREATE TABLE doc_terms (
    doc_id TEXT NOT NULL,
    namespace TEXT NOT NULL,
    term TEXT NOT NULL,
    PRIMARY KEY (doc_id, namespace, term)
) WITHOUT ROWID;
CREATE TABLE term_df (
    namespace TEXT NOT NULL,
    term TEXT NOT NULL,
    df INTEGER NOT NULL,
    PRIMARY KEY (namespace, term)
) WITHOUT ROWID;
CREATE TABLE term_docs (
    namespace TEXT PRIMARY KEY,
    documents INTEGER NOT NULL
);
CREATE TABLE index_queue (
    doc_id TEXT PRIMARY KEY,
    op TEXT NOT NULL CHECK (op IN ('upsert', 'delete')),
    seq INTEGER NOT NULL
);
CREATE INDEX index_queue_seq ON index_queue(seq);
CREATE TABLE runs (
    id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL,
    config TEXT NOT NULL DEFAULT '{}',
    summary TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE errors (
    id INTEGER PRIMARY KEY,
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    uri TEXT NOT NULL,
    stage TEXT NOT NULL,
    message TEXT NOT NULL,
    severity TEXT NOT NULL CHECK (severity IN ('error', 'warning')),
    at TEXT NOT NULL
);
CREATE INDEX errors_run_id ON errors(run_id);
CREATE TABLE corrections (
    id INTEGER PRIMARY KEY,
    op TEXT NOT NULL CHECK (op IN ('reject', 'retype', 'rename', 'merge', 'split', 'alias',
                                   'accept')),
    entity TEXT NOT NULL,
    value TEXT,
    target TEXT,
    doc_id TEXT,
    page INTEGER,
    start INTEGER,
    who TEXT NOT NULL,
    at TEXT NOT NULL,
    reason TEXT,
    before TEXT NOT NULL DEFAULT '{}',
    after TEXT NOT NULL DEFAULT '{}',
    undone_at TEXT,
    undone_by TEXT
);
CREATE INDEX corrections_target ON corrections(target, op);
"""

# Scratch tables of one connection, used for set-based updates and deletes.
GONE = "(SELECT id FROM temp.gone_docs)"  # the documents being removed, as a subquery
TEMP_DDL = """
CREATE TEMP TABLE IF NOT EXISTS gone_docs (id TEXT PRIMARY KEY);
CREATE TEMP TABLE IF NOT EXISTS gone_keys (key TEXT PRIMARY KEY);
CREATE TEMP TABLE IF NOT EXISTS touched_names (name TEXT PRIMARY KEY);
CREATE TEMP TABLE IF NOT EXISTS case_deltas (word TEXT PRIMARY KEY, lower INTEGER,
                                             capital INTEGER);
CREATE TEMP TABLE IF NOT EXISTS edge_deltas (scope TEXT, a TEXT, b TEXT, count INTEGER,
                                              documents INTEGER);
"""


def to_json(value: Any) -> str:
    """JSON text for a column; values JSON does not know become strings."""
    return json.dumps(value, ensure_ascii=False, default=str)

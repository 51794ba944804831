"""# The enrich SQLite store

One file, `enrich.sqlite`, in the data directory (default `./enrich-data`). It is
the store of record: everything a run produces is here, and the search index is
rebuilt from it. Open it with `sqlite3`, pandas (`pd.read_sql("select * from
entities", sqlite3.connect("enrich-data/enrich.sqlite"))`) or Datasette; the
foreign keys below are declared, so Datasette links rows across tables.

Conventions: ids and keys are text; times are ISO 8601 UTC text
(`2024-05-01T12:00:00Z`), except `sources.mtime` (seconds since the epoch);
columns marked JSON hold JSON text (query them with `json_extract(metadata,
'$.author')`); flags are 0/1 integers. The schema version is `PRAGMA user_version`.
Tables are written only by enrich, one transaction per batch of documents;
aggregate tables (`entities`, `entity_names`, `edges`, `graph_units`, `aliases`,
`term_df`, `term_docs`) always equal the sums over the per-document tables.

## sources - what the indexer last saw of each source item

| column | type | meaning |
|---|---|---|
| `uri` | TEXT PK | the source item (file, blob, record) |
| `size` | INTEGER | size in bytes |
| `mtime` | REAL | modification time, seconds since the epoch |
| `sha256` | TEXT | content hash, used to detect changes |
| `version` | TEXT | what the source says changes with the content (an ETag, a generation, a row's high-water mark); empty when it says nothing |
| `status` | TEXT | `ok`, `partial` (some skill failed) or `failed` (not indexed) |
| `stage` | TEXT | where a failed item failed: `read` or `worker` (transient: tried again next run), `source`, `size` or `crack` (permanent: tried again when it changes, or with `--retry-failed`) |
| `message` | TEXT | why the item failed or is partial, else empty |
| `updated_at` | TEXT | when this row was written |

## documents - one row per indexed document (a source item gives one or more)

| column | type | meaning |
|---|---|---|
| `id` | TEXT PK | stable id derived from the document URI |
| `uri` | TEXT | the document (`file:///a.csv#row=3` for a CSV row) |
| `source_uri` | TEXT | the source item it came from (`sources.uri`) |
| `status` | TEXT | `ok` or `partial` |
| `title` | TEXT | title |
| `content` | TEXT | full text, pages joined by a blank line |
| `content_type` | TEXT | MIME type of the source item |
| `metadata` | JSON | file name, size, dates, author, page count... |
| `tree` | JSON | the whole enrichment tree (image bytes removed) |
| `warnings` | JSON | list of warning messages |
| `fields` | JSON | the search-index fields; `true` for `title`/`content` means "same as the column" |
| `indexed_at` | TEXT | when the document was written |

## pages - page texts (offsets are character positions in `documents.content`)

| column | type | meaning |
|---|---|---|
| `doc_id` | TEXT | `documents.id` |
| `number` | INTEGER | page number, from 1 |
| `text` | TEXT | page text (with OCR text when the page was scanned) |
| `offset` | INTEGER | where the page text starts in `documents.content` |
| `needs_ocr` | INTEGER | 1 when the page had no text layer |
| `width` | REAL | page width in points |
| `height` | REAL | page height in points |

## images - embedded images, page renders of scans, image files

| column | type | meaning |
|---|---|---|
| `doc_id` | TEXT | `documents.id` |
| `image_id` | TEXT | id within the document (`p1-i0`) |
| `page` | INTEGER | page number, or NULL |
| `bbox` | JSON | `[x0, y0, x1, y1]` in points, origin top-left, or NULL |
| `width` | INTEGER | pixels |
| `height` | INTEGER | pixels |
| `format` | TEXT | `png`, `jpeg`... |
| `kind` | TEXT | `embedded`, `page_render` or `file` |
| `needs_ocr` | INTEGER | 1 for a page render of a scanned page |
| `data` | BLOB | the encoded image bytes, or NULL |

## entities - one row per entity (a canonical key), counts kept current

| column | type | meaning |
|---|---|---|
| `key` | TEXT PK | `TYPE:normalised name`, e.g. `PERSON:lebron james` |
| `type` | TEXT | `PERSON`, `ORG`, `GPE`, `LOC`, ... (the majority type; `mentions.label` keeps each skill's) |
| `name` | TEXT | the most common display name (ties: the longest, then the first by text) |
| `description` | TEXT | from a dictionary (`entity_lookup`), or NULL |
| `documents` | INTEGER | number of documents that mention it |
| `mentions` | INTEGER | number of mentions |
| `pages` | INTEGER | number of pages that mention it |
| `images` | INTEGER | number of images it was recognised in |
| `sentences` | INTEGER | number of sentences that mention it |

## entity_names - display names of each entity and how often each is used

| column | type | meaning |
|---|---|---|
| `entity_key` | TEXT | `entities.key` |
| `name` | TEXT | a display name |
| `mentions` | INTEGER | mentions with that name |

## mentions - every entity mention, with its provenance

| column | type | meaning |
|---|---|---|
| `id` | INTEGER PK | row id |
| `doc_id` | TEXT | `documents.id` |
| `entity_key` | TEXT | `entities.key` after corpus-level resolution; NULL when resolution rejects the mention (a common word): it stays stored, out of the graph and facets, until evidence restores it |
| `raw_key` | TEXT | the document's own key, before corpus-level resolution (its name part is the mention's *name* in `name_keys`) |
| `label` | TEXT | the type the skill gave this mention (`entities.type` is the voted type) |
| `name` | TEXT | display name (a short form or acronym gets its long form's name) |
| `text` | TEXT | surface form in the text (an alias when it differs from the name) |
| `page` | INTEGER | page number, or NULL when the offsets are in `documents.content` |
| `sentence` | INTEGER | sentence number within the page text (from 0), or NULL |
| `start` | INTEGER | start offset (characters) in the page text or content; NULL for an image's labels |
| `end` | INTEGER | end offset (exclusive) |
| `image_id` | TEXT | the image (`images.image_id`) an entity was recognised in, or NULL |
| `confidence` | REAL | the model's confidence, or NULL |
| `initial` | INTEGER | 1 when the mention starts a sentence |
| `authority` | INTEGER | 1 when the user's dictionary or gallery gave it (its type wins the vote) |
| `skill` | TEXT | skill that found it |
| `skill_version` | TEXT | its version |
| `model` | TEXT | model id, or NULL |

## edges - co-occurrence of two entities, summed over documents

Significance is computed when queried, from `count`, the two entities' unit counts
(`entities.documents`, `pages`, `images`, `sentences`) and `graph_units`.

| column | type | meaning |
|---|---|---|
| `scope` | TEXT | `document`, `page`, `image` or `sentence` |
| `a` | TEXT | entity key (`a < b`) |
| `b` | TEXT | entity key |
| `count` | INTEGER | number of co-occurrences (units of the scope containing both) |
| `documents` | INTEGER | number of documents in which they co-occur at this scope |

## graph_units - how many units of each scope hold an entity (the N of NPMI and LLR)

| column | type | meaning |
|---|---|---|
| `scope` | TEXT PK | `document`, `page`, `image` or `sentence` |
| `units` | INTEGER | documents, pages, images or sentences with at least one entity mention |

## aliases - acronyms defined in the text, e.g. "Federal Bureau of Investigation (FBI)"

A mention with an alias's name (`FBI`, `F.B.I.`: `fbi`), whatever type the recogniser
gave it, counts as the entity the alias stands for, in every document; when documents
disagree, the entity most of them name wins.

| column | type | meaning |
|---|---|---|
| `alias` | TEXT | the alias, a normalised name, e.g. `fbi` |
| `entity_key` | TEXT | the entity it stands for, e.g. `ORG:federal bureau of investigation` |
| `documents` | INTEGER | number of documents defining it so |

## doc_aliases - the aliases each document defines

| column | type | meaning |
|---|---|---|
| `doc_id` | TEXT | `documents.id` |
| `alias` | TEXT | the alias name |
| `entity_key` | TEXT | entity key |

## name_stats - the corpus evidence of each name (entity resolution)

A *name* is the name part of a mention's `raw_key`. This table, `name_votes`,
`name_words` and `word_cases` equal sums over `mentions` and `pages`;
`name_keys` holds what resolution decided from them (README "Entity resolution").

| column | type | meaning |
|---|---|---|
| `name` | TEXT PK | a name |
| `documents` | INTEGER | documents with a mention of it |
| `mentions` | INTEGER | its mentions |
| `initial` | INTEGER | its mentions that start a sentence |
| `capitals` | INTEGER | its mentions written in capitals |

## name_votes - the types a name was given

| column | type | meaning |
|---|---|---|
| `name` | TEXT | a name |
| `type` | TEXT | a type |
| `weight` | REAL | sum of the confidences of its mentions the skills gave that type (0.5 without) |
| `authority` | INTEGER | its mentions given that type by the user's dictionary or gallery |
| `mentions` | INTEGER | its mentions whose `raw_key` has that type |

## name_words - the words of each name

| column | type | meaning |
|---|---|---|
| `word` | TEXT | a word |
| `name` | TEXT | a name holding it |

## word_cases - how each word of the page texts is written

| column | type | meaning |
|---|---|---|
| `word` | TEXT PK | a casefolded word |
| `lower` | INTEGER | its lower-case occurrences |
| `capital` | INTEGER | its capitalised occurrences that do not start a sentence |

## name_keys - what resolution decided for each name

| column | type | meaning |
|---|---|---|
| `name` | TEXT PK | a name |
| `target` | TEXT | the name it resolves to: its own, an acronym's long form, the full name it abbreviates |
| `type` | TEXT | the voted type, or NULL (each mention keeps its own) |
| `rejected` | INTEGER | 1: a common word, kept out of the graph |

## settings - the store's settings

| column | type | meaning |
|---|---|---|
| `key` | TEXT PK | `resolution`: the entity resolution rules it applies (JSON); `index_id`: the search index its queue feeds |
| `value` | TEXT | the value |

## doc_edges - each document's contribution to `edges` (the evidence)

One row per document that has co-occurrence edges. `edges` nests the document's
pairs (`a < b`) by scope, then by first key:
`{"document": {"ORG:nike": {"PERSON:lebron james": 1}}, "page": {...}}`; a count
is the number of the scope's units (the document, its pages) holding both. As rows:

```sql
SELECT d.doc_id, s.key AS scope, a.key AS a, b.key AS b, b.value AS count
FROM doc_edges AS d, json_each(d.edges) AS s, json_each(s.value) AS a,
     json_each(a.value) AS b
WHERE d.doc_id = ?
```

Which documents mention both of two entities is quicker asked of `mentions`,
through its index on `(entity_key, doc_id)`:

```sql
SELECT doc_id FROM mentions WHERE entity_key = 'ORG:nike'
INTERSECT SELECT doc_id FROM mentions WHERE entity_key = 'PERSON:lebron james'
```

| column | type | meaning |
|---|---|---|
| `doc_id` | TEXT PK | `documents.id` |
| `edges` | JSON | `{scope: {a: {b: count}}}`, the co-occurrences in this document |

## doc_terms - terms each document contributes to corpus statistics

| column | type | meaning |
|---|---|---|
| `doc_id` | TEXT | document id |
| `namespace` | TEXT | statistics family, e.g. `keyphrases` |
| `term` | TEXT | the term |

## term_df - document frequency of each term

| column | type | meaning |
|---|---|---|
| `namespace` | TEXT | as in `doc_terms` |
| `term` | TEXT | the term |
| `df` | INTEGER | number of documents containing it |

## term_docs - documents that contributed terms, per namespace

| column | type | meaning |
|---|---|---|
| `namespace` | TEXT | as in `doc_terms` |
| `documents` | INTEGER | number of documents |

## index_queue - documents waiting for the search index (an outbox)

| column | type | meaning |
|---|---|---|
| `doc_id` | TEXT PK | document id |
| `op` | TEXT | `upsert` or `delete` |
| `seq` | INTEGER | queue order |

## runs - one row per indexer run

| column | type | meaning |
|---|---|---|
| `id` | TEXT PK | run id (sorts by start time) |
| `source` | TEXT | the data source URI |
| `started_at` | TEXT | start time |
| `finished_at` | TEXT | end time, NULL while running (or if killed) |
| `status` | TEXT | `running`, then the summary's status (`ok`, `failed`...) |
| `config` | JSON | the run's configuration |
| `summary` | JSON | counts, timings, model versions |

## errors - per-document errors and warnings of a run

| column | type | meaning |
|---|---|---|
| `id` | INTEGER PK | row id |
| `run_id` | TEXT | `runs.id` |
| `uri` | TEXT | the source item or document |
| `stage` | TEXT | `read`, `crack`, `enrich` (a skill failed on it) or `worker` (timeout, crash) |
| `message` | TEXT | what happened |
| `severity` | TEXT | `error` or `warning` |
| `at` | TEXT | when |
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["SCHEMA_VERSION", "DDL", "GONE", "TEMP_DDL", "to_json"]

SCHEMA_VERSION = 6

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

"""Writing and removing documents in the SQLite store, with their aggregates.

Every function here runs inside the caller's transaction and uses
``executemany`` or set-based SQL, so a batch of documents costs a handful of
statements, not one per mention. Aggregates (``entities``, ``entity_names``)
are adjusted by exactly what a document adds or removes, so they always equal
the sums over ``mentions``. Co-occurrence edges, O(entities^2) per document,
are kept as one JSON row per document in ``doc_edges``; the changes they make to
``edges`` are summed in a ``Counter`` of deltas and applied once per
transaction by ``flush_edges``, so a pair shared by a batch's documents (or
removed and written again) costs one upsert, or none.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter, defaultdict
from datetime import datetime, timezone
from typing import Any, Iterable, Sequence

from .base import DocumentRecord

__all__ = ["EdgeDeltas", "insert_documents", "remove_documents", "add_deltas", "flush_edges",
           "enqueue", "expand_fields", "to_json", "utc_now"]

EdgeDeltas = Counter  # (scope, a, b) -> change of edges.count, pending in a transaction

_SAME_AS_COLUMN = True  # marker in documents.fields: "the title/content column"


def utc_now() -> str:
    """The current time as ISO 8601 UTC text."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def to_json(value: Any) -> str:
    """JSON text for a column; values JSON does not know become strings."""
    return json.dumps(value, ensure_ascii=False, default=str)


def enqueue(conn: sqlite3.Connection, ids: Iterable[str], op: str) -> None:
    """Queue documents for the search index (the latest operation per id wins)."""
    conn.executemany(
        "INSERT INTO index_queue (doc_id, op, seq) VALUES "
        "(?, ?, (SELECT coalesce(max(seq), 0) + 1 FROM index_queue)) "
        "ON CONFLICT (doc_id) DO UPDATE SET op = excluded.op, seq = excluded.seq",
        [(doc_id, op) for doc_id in ids])


# -- insert ---------------------------------------------------------------------------

def insert_documents(conn: sqlite3.Connection, docs: Sequence[DocumentRecord],
                     deltas: EdgeDeltas) -> None:
    """Write new documents and everything derived from them (ids must be free).

    Their edge contributions are added to ``deltas``, for ``flush_edges``.
    """
    now = utc_now()
    conn.executemany(
        "INSERT INTO documents (id, uri, source_uri, status, title, content, "
        "content_type, metadata, tree, warnings, fields, indexed_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [_document_row(doc, now) for doc in docs])
    conn.executemany(
        "INSERT INTO pages (doc_id, number, text, offset, needs_ocr, width, height) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [_page_row(doc.id, page) for doc in docs for page in doc.pages])
    conn.executemany(
        "INSERT INTO images (doc_id, image_id, page, bbox, width, height, format, "
        "kind, needs_ocr, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [_image_row(doc.id, image) for doc in docs for image in doc.images])
    _add_entities(conn, docs)
    _add_edges(conn, docs, deltas)


def _document_row(doc: DocumentRecord, now: str) -> tuple:
    content_type = doc.metadata.get("content_type") or doc.fields.get("file_type")
    return (doc.id, doc.uri, doc.source_uri, doc.status, doc.title or "",
            doc.content or "", content_type, to_json(doc.metadata), to_json(doc.tree),
            to_json(list(doc.warnings)), to_json(_compact_fields(doc)), now)


def _compact_fields(doc: DocumentRecord) -> dict[str, Any]:
    """The index fields, with title/content equal to the columns stored as a marker."""
    fields = dict(doc.fields)
    for name, column in (("title", doc.title), ("content", doc.content)):
        if name in fields and fields[name] == column and isinstance(column, str):
            fields[name] = _SAME_AS_COLUMN
    return fields


def expand_fields(fields_json: str, title: str, content: str) -> dict[str, Any]:
    """The index fields of a ``documents`` row (markers replaced by the columns)."""
    fields = json.loads(fields_json)
    for name, column in (("title", title), ("content", content)):
        if fields.get(name) is _SAME_AS_COLUMN:
            fields[name] = column
    return fields


def _page_row(doc_id: str, page: dict[str, Any]) -> tuple:
    return (doc_id, page["number"], page.get("text") or "", page.get("offset"),
            int(bool(page.get("needs_ocr"))), page.get("width"), page.get("height"))


def _image_row(doc_id: str, image: dict[str, Any]) -> tuple:
    bbox = image.get("bbox")
    return (doc_id, image["id"], image.get("page"),
            None if bbox is None else to_json(list(bbox)), image.get("width"),
            image.get("height"), image.get("format"), image.get("kind"),
            int(bool(image.get("needs_ocr"))), image.get("data"))


def _add_entities(conn: sqlite3.Connection, docs: Sequence[DocumentRecord]) -> None:
    """Insert mentions and add their counts to ``entities`` and ``entity_names``."""
    types: dict[str, str] = {}
    documents: Counter[str] = Counter()
    mentions: Counter[str] = Counter()
    names: Counter[tuple[str, str]] = Counter()
    for doc in docs:
        for m in doc.entities:
            types.setdefault(m["key"], m.get("type") or m["key"].split(":", 1)[0])
            mentions[m["key"]] += 1
            names[m["key"], _name(m)] += 1
        documents.update({m["key"] for m in doc.entities})
    conn.executemany(
        "INSERT INTO entities (key, type, name, documents, mentions) VALUES (?, ?, '', ?, ?) "
        "ON CONFLICT (key) DO UPDATE SET documents = documents + excluded.documents, "
        "mentions = mentions + excluded.mentions",
        [(key, types[key], documents[key], mentions[key]) for key in types])
    conn.executemany(
        "INSERT INTO entity_names (entity_key, name, mentions) VALUES (?, ?, ?) "
        "ON CONFLICT (entity_key, name) DO UPDATE SET mentions = mentions + excluded.mentions",
        [(key, name, n) for (key, name), n in names.items()])
    conn.executemany(
        "INSERT INTO mentions (doc_id, entity_key, name, text, page, start, end, image_id, "
        "confidence, skill, skill_version, model) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [_mention_row(doc.id, m) for doc in docs for m in doc.entities])
    refresh_names(conn, types)


def _name(mention: dict[str, Any]) -> str:
    return mention.get("name") or mention.get("text") or mention["key"].split(":", 1)[-1]


def _mention_row(doc_id: str, m: dict[str, Any]) -> tuple:
    return (doc_id, m["key"], _name(m), m.get("text") or _name(m), m.get("page"),
            m.get("start"), m.get("end"), m.get("image"), m.get("confidence"), m.get("skill"),
            m.get("version"), m.get("model"))


def refresh_names(conn: sqlite3.Connection, keys: Iterable[str]) -> None:
    """Set each entity's name to its most used display name (ties: the first by text)."""
    conn.executemany(
        "UPDATE entities SET name = (SELECT name FROM entity_names WHERE entity_key = ? "
        "ORDER BY mentions DESC, name LIMIT 1) WHERE key = ?",
        [(key, key) for key in keys])


def _add_edges(conn: sqlite3.Connection, docs: Sequence[DocumentRecord],
               deltas: EdgeDeltas) -> None:
    """Save each document's edge contributions (one JSON row) and add them to ``deltas``."""
    rows = []
    for doc in docs:
        counts = doc_edge_counts(doc)
        if counts:
            rows.append((doc.id, to_json(nest_edges(counts))))
            add_deltas(deltas, counts)
    conn.executemany("INSERT INTO doc_edges (doc_id, edges) VALUES (?, ?)", rows)


def doc_edge_counts(doc: DocumentRecord) -> dict[tuple[str, str, str], int]:
    """A document's edges with ``a < b`` and duplicates summed (self-pairs dropped)."""
    edges = doc.edges
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
    rows = sorted((*key, n) for key, n in deltas.items() if n)
    if not rows:
        return
    conn.executemany("INSERT INTO temp.edge_deltas VALUES (?, ?, ?, ?)", rows)
    conn.execute(
        "INSERT INTO edges (scope, a, b, count) SELECT scope, a, b, count "
        "FROM temp.edge_deltas WHERE true "
        "ON CONFLICT (scope, a, b) DO UPDATE SET count = count + excluded.count")
    conn.execute("DELETE FROM edges WHERE count <= 0 AND (scope, a, b) IN "
                 "(SELECT scope, a, b FROM temp.edge_deltas WHERE count < 0)")
    conn.execute("DELETE FROM temp.edge_deltas")


# -- remove ---------------------------------------------------------------------------

def remove_documents(conn: sqlite3.Connection, ids: Iterable[str],
                     deltas: EdgeDeltas, *, keep_terms: bool) -> None:
    """Delete documents and their rows, subtracting their share of every aggregate.

    Their edge contributions are subtracted from ``deltas``, for ``flush_edges``.
    ``keep_terms`` keeps the documents' term statistics (for documents about to be
    written again, whose terms a corpus skill may already have replaced).
    """
    conn.execute("DELETE FROM temp.gone_docs")
    conn.executemany("INSERT OR IGNORE INTO temp.gone_docs (id) VALUES (?)",
                     [(doc_id,) for doc_id in ids])
    _subtract_entities(conn)
    _subtract_edges(conn, deltas)
    if not keep_terms:
        subtract_terms(conn)
    conn.execute("DELETE FROM documents WHERE id IN (SELECT id FROM temp.gone_docs)")


_GONE = "(SELECT id FROM temp.gone_docs)"


def _subtract_entities(conn: sqlite3.Connection) -> None:
    conn.execute("DELETE FROM temp.gone_keys")
    conn.execute("INSERT INTO temp.gone_keys (key) SELECT DISTINCT entity_key "
                 f"FROM mentions WHERE doc_id IN {_GONE}")
    conn.execute(
        "UPDATE entities SET documents = entities.documents - d.documents, "
        "mentions = entities.mentions - d.mentions FROM (SELECT entity_key, "
        "count(DISTINCT doc_id) AS documents, count(*) AS mentions FROM mentions "
        f"WHERE doc_id IN {_GONE} GROUP BY entity_key) AS d WHERE entities.key = d.entity_key")
    conn.execute(
        "UPDATE entity_names SET mentions = entity_names.mentions - d.mentions FROM "
        "(SELECT entity_key, name, count(*) AS mentions FROM mentions "
        f"WHERE doc_id IN {_GONE} GROUP BY entity_key, name) AS d "
        "WHERE entity_names.entity_key = d.entity_key AND entity_names.name = d.name")
    conn.execute(f"DELETE FROM mentions WHERE doc_id IN {_GONE}")
    keys = "(SELECT key FROM temp.gone_keys)"
    conn.execute(f"DELETE FROM entity_names WHERE mentions <= 0 AND entity_key IN {keys}")
    conn.execute(f"DELETE FROM entities WHERE documents <= 0 AND key IN {keys}")
    remaining = conn.execute(f"SELECT key FROM entities WHERE key IN {keys}").fetchall()
    refresh_names(conn, [key for (key,) in remaining])


def _subtract_edges(conn: sqlite3.Connection, deltas: EdgeDeltas) -> None:
    """Subtract the contributions of the documents in ``temp.gone_docs`` from ``deltas``.

    Their ``doc_edges`` rows go with the documents (``ON DELETE CASCADE``).
    """
    for (text,) in conn.execute(f"SELECT edges FROM doc_edges WHERE doc_id IN {_GONE}"):
        for scope, by_a in json.loads(text).items():
            for a, row in by_a.items():
                for b, n in row.items():
                    deltas[scope, a, b] -= n


def subtract_terms(conn: sqlite3.Connection) -> None:
    """Remove the term statistics of the documents in ``temp.gone_docs``."""
    conn.execute(
        "UPDATE term_df SET df = term_df.df - d.n FROM (SELECT namespace, term, "
        f"count(*) AS n FROM doc_terms WHERE doc_id IN {_GONE} GROUP BY namespace, term) "
        "AS d WHERE term_df.namespace = d.namespace AND term_df.term = d.term")
    conn.execute(
        "DELETE FROM term_df WHERE df <= 0 AND (namespace, term) IN "
        f"(SELECT namespace, term FROM doc_terms WHERE doc_id IN {_GONE})")
    conn.execute(
        "UPDATE term_docs SET documents = term_docs.documents - d.n FROM "
        "(SELECT namespace, count(DISTINCT doc_id) AS n FROM doc_terms "
        f"WHERE doc_id IN {_GONE} GROUP BY namespace) AS d "
        "WHERE term_docs.namespace = d.namespace")
    conn.execute("DELETE FROM term_docs WHERE documents <= 0")
    conn.execute(f"DELETE FROM doc_terms WHERE doc_id IN {_GONE}")

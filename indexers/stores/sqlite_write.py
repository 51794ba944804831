"""Writing and removing documents in the SQLite store, with their aggregates.

Every function here runs inside the caller's transaction and uses
``executemany`` or set-based SQL, so a batch of documents costs a handful of
statements, not one per mention. Aggregates are adjusted by exactly what a
document adds or removes, so they always equal the sums over the per-document
rows: the graph's (entities, mentions, edges, units, aliases) in
:mod:`indexers.stores.sqlite_graph`, the term statistics here. Co-occurrence
edges, O(entities^2) per document, are kept as one JSON row per document in
``doc_edges``; the changes they make to ``edges`` are summed in a counter of
deltas and applied once per transaction by ``flush_edges``, so a pair shared by
a batch's documents (or removed and written again) costs one upsert, or none.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timezone
from typing import Any, Iterable, Sequence

from .base import DocumentRecord
from .sqlite_graph import EdgeDeltas, add_graph, remove_graph
from .sqlite_schema import GONE as _GONE
from .sqlite_schema import to_json

__all__ = ["insert_documents", "remove_documents", "enqueue", "expand_fields", "utc_now"]

_SAME_AS_COLUMN = True  # marker in documents.fields: "the title/content column"


def utc_now() -> str:
    """The current time as ISO 8601 UTC text."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def enqueue(conn: sqlite3.Connection, ids: Iterable[str], op: str) -> None:
    """Queue documents for the search index (the latest operation per id wins)."""
    conn.executemany(
        "INSERT INTO index_queue (doc_id, op, seq) VALUES "
        "(?, ?, (SELECT coalesce(max(seq), 0) + 1 FROM index_queue)) "
        "ON CONFLICT (doc_id) DO UPDATE SET op = excluded.op, seq = excluded.seq",
        [(doc_id, op) for doc_id in ids])


# -- insert ---------------------------------------------------------------------------

def insert_documents(conn: sqlite3.Connection, docs: Sequence[DocumentRecord],
                     deltas: EdgeDeltas, rules: dict[str, bool]) -> None:
    """Write new documents and everything derived from them (ids must be free).

    Their edge contributions are added to ``deltas``, for ``flush_edges``; ``rules``
    are the resolution switches the store applies.
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
    add_graph(conn, docs, deltas, rules)


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


# -- remove ---------------------------------------------------------------------------

def remove_documents(conn: sqlite3.Connection, ids: Iterable[str],
                     deltas: EdgeDeltas, *, keep_terms: bool, rules: dict[str, bool]) -> None:
    """Delete documents and their rows, subtracting their share of every aggregate.

    Their edge contributions are subtracted from ``deltas``, for ``flush_edges``.
    ``keep_terms`` keeps the documents' term statistics (for documents about to be
    written again, whose terms a corpus skill may already have replaced).
    """
    conn.execute("DELETE FROM temp.gone_docs")
    conn.executemany("INSERT OR IGNORE INTO temp.gone_docs (id) VALUES (?)",
                     [(doc_id,) for doc_id in ids])
    remove_graph(conn, deltas, rules)
    if not keep_terms:
        subtract_terms(conn)
    conn.execute(f"DELETE FROM documents WHERE id IN {_GONE}")


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

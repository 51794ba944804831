"""The embedded store of record: one SQLite file (see ``SCHEMA.md`` for the tables).

The file is opened in WAL mode with ``synchronous=NORMAL`` and foreign keys on:
readers never block the writer, and a committed transaction survives the process
being killed (a power cut may lose the last transactions, never corrupt the file).
Every write method runs in ``transaction()``; the indexer wraps a whole batch of
documents in one, so a run killed mid-batch leaves the previous batch's state.
Inside it, ``put_source`` is a savepoint: a source whose documents cannot be
written raises ``StoreError`` and leaves the rest of the batch intact.
Changes to ``edges`` are summed in memory and applied once, just before the
outermost ``COMMIT``: ``graph`` reads and ``stats`` show them after it, not before.
The table layout lives in :mod:`indexers.stores.sqlite_schema` (opening and
migrating a file in :mod:`indexers.stores.sqlite_migrate`), the document writes in
:mod:`indexers.stores.sqlite_write`, the graph reads (``store.graph``, a
``graph.GraphReader``) in :mod:`indexers.stores.sqlite_graph_read`.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

from graph.errors import IndexNotFound
from graph.knowledge import KnowledgeGraph

from .base import CHUNKS_KEY, TRANSIENT_STAGES, DocumentRecord, SourceState, StoreError
from .datadir import DataDir
from .sqlite_chunks import HAS_VECTORS, chunk_texts, chunks_of
from .sqlite_terms import SqliteTermStats
from .sqlite_corrections import correct_many, list_corrections, undo
from .sqlite_graph import EdgeDeltas, add_deltas, flush_edges
from .sqlite_graph_names import StoreConnection, forget_corrections, load_rules, save_rules
from .sqlite_graph_read import ENTITY_FIELDS, SqliteGraphReader, entity_fields
from .sqlite_graph_resolve import rebuild_resolution, settle
from .sqlite_migrate import check_readable, initialise
from .sqlite_schema import to_json
from .sqlite_write import enqueue, expand_fields, insert_documents, remove_documents, utc_now

__all__ = ["SqliteStore", "open_graph_reader"]


class SqliteStore:
    """The ``Store`` protocol over one SQLite file; usable as a context manager."""

    def __init__(self, path: str | Path, *, read_only: bool = False) -> None:
        """Open (creating or migrating) the store at ``path``.

        ``read_only`` opens an existing store for reading alone (the HTTP server): it
        never creates, migrates or writes, and an index run may write meanwhile.
        """
        self.path = Path(path)
        self.read_only = read_only
        if read_only:
            self._conn = sqlite3.connect(self.path.resolve().as_uri() + "?mode=ro", uri=True,
                                         isolation_level=None, check_same_thread=False)
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # the one writer of its data directory (the lock): it may keep what it read
            self._conn = sqlite3.connect(self.path, isolation_level=None, factory=StoreConnection,
                                         check_same_thread=False)
        self._lock = threading.RLock()
        self._edge_deltas: list[EdgeDeltas] = []  # one per open transaction level
        try:
            (check_readable if read_only else initialise)(self._conn, str(self.path))
        except BaseException:
            self._conn.close()
            raise
        self._rules = load_rules(self._conn)
        self.terms = SqliteTermStats(self._conn, self.transaction, self._lock)
        self.graph = SqliteGraphReader(self._conn, self._lock, self.snapshot, self.close)

    def __enter__(self) -> SqliteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """``BEGIN IMMEDIATE`` ... ``COMMIT``, or ``ROLLBACK`` on any exception.

        Nesting is safe: an inner ``transaction()`` is a savepoint of the outer one.
        Its writes commit with the outermost block (or not at all); if it fails,
        they are undone, so a caller that catches the error (one bad document)
        can go on with the outer transaction. Each level's edge deltas likewise
        pass to its parent on success and are dropped on failure.
        """
        with self._lock:
            depth = len(self._edge_deltas)
            name = f"nested_{depth}"
            begin, end, undo = ((["BEGIN IMMEDIATE"], ["COMMIT"], ["ROLLBACK"])
                                if not depth else
                                ([f"SAVEPOINT {name}"], [f"RELEASE {name}"],
                                 [f"ROLLBACK TO {name}", f"RELEASE {name}"]))
            self._execute(begin)
            deltas = EdgeDeltas()
            self._edge_deltas.append(deltas)
            try:
                yield
                if not depth:
                    settle(self._conn, deltas, self._rules)
                    flush_edges(self._conn, deltas)
                self._execute(end)
            except BaseException:
                deltas.clear()
                forget_corrections(self._conn)  # a rolled-back correction must not stay
                if self._conn.in_transaction:  # SQLite may have rolled back already
                    self._execute(undo)
                raise
            finally:
                self._edge_deltas.pop()
                if depth and deltas:  # a savepoint's changes now belong to its parent
                    add_deltas(self._edge_deltas[-1], deltas)

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Reads inside see one state of the store, whatever other processes commit."""
        with self._lock:
            if self._conn.in_transaction:
                yield
                return
            self._conn.execute("BEGIN")
            try:
                yield
            finally:
                self._conn.execute("COMMIT")

    def _execute(self, statements: list[str]) -> None:
        for statement in statements:
            self._conn.execute(statement)

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        with self._lock:
            cursor = self._conn.execute(sql, params)
            names = [column[0] for column in cursor.description]
            return [dict(zip(names, row)) for row in cursor.fetchall()]

    # -- indexer state ----------------------------------------------------------------

    def states(self) -> dict[str, SourceState]:
        """The last state of every source item, by source URI."""
        rows = self._rows("SELECT uri, size, mtime, sha256, version, status, stage, message "
                          "FROM sources")
        return {row["uri"]: SourceState(**row) for row in rows}

    def put_source(self, state: SourceState, documents: Sequence[DocumentRecord]) -> None:
        """Replace everything derived from ``state.uri`` by ``documents``; save the state."""
        ids = [doc.id for doc in documents]
        if len(set(ids)) != len(ids):
            raise StoreError(f"source {state.uri} gives two documents with the same id: "
                             f"{sorted(i for i in set(ids) if ids.count(i) > 1)}")
        try:
            with self.transaction():
                self._save_state(state)
                kept = set(ids)
                gone = [i for i in self._ids_of_source(state.uri) if i not in kept]
                deltas, rules = self._edge_deltas[-1], self._rules
                remove_documents(self._conn, gone, deltas, keep_terms=False, rules=rules)
                remove_documents(self._conn, ids, deltas, keep_terms=True, rules=rules)
                insert_documents(self._conn, documents, deltas, rules)
                enqueue(self._conn, gone, "delete")
                enqueue(self._conn, ids, "upsert")
        except (sqlite3.Error, KeyError) as error:
            raise StoreError(f"cannot write the documents of {state.uri}: "
                             f"{type(error).__name__}: {error}") from error

    def delete_source(self, uri: str) -> None:
        """Remove a source item that is gone, and everything derived from it."""
        with self.transaction():
            gone = self._ids_of_source(uri)
            remove_documents(self._conn, gone, self._edge_deltas[-1], keep_terms=False,
                             rules=self._rules)
            enqueue(self._conn, gone, "delete")
            self._conn.execute("DELETE FROM sources WHERE uri = ?", (uri,))

    @property
    def resolution(self) -> dict[str, bool]:
        """The entity resolution rules this store applies (``graph.resolution.RULES``)."""
        return dict(self._rules)

    def set_resolution(self, rules: dict[str, bool]) -> bool:
        """Apply other resolution rules (a skillset's ``resolution:``): every name is
        decided again and the documents whose keys change are re-keyed. Returns
        whether anything was to change."""
        if dict(rules) == self._rules:
            return False
        before = self._rules
        try:
            with self.transaction():
                save_rules(self._conn, dict(rules))
                self._rules = dict(rules)
                rebuild_resolution(self._conn, self._edge_deltas[-1], self._rules)
        except BaseException:
            self._rules = before
            raise
        return True

    # -- corrections (``graph.corrections``; :mod:`indexers.stores.sqlite_corrections`) --

    def correct(self, item: dict[str, Any], who: str) -> dict[str, Any]:
        """Check, save and apply one correction (the JSONL shapes: ``{"op": "merge",
        "entity": E, "into": E2}``...); the saved row. A bad one changes nothing."""
        return self.correct_many([item], who)[0]

    def correct_many(self, items: Sequence[Any], who: str, *, dry_run: bool = False,
                     labels: Sequence[str] | None = None,
                     authored: bool = False) -> list[dict[str, Any]]:
        """Corrections in one transaction: all of them, or (on any error) none, every
        bad one reported by its label (``labels``: e.g. a file's line numbers);
        ``dry_run`` checks and applies them, returns the rows, and rolls back;
        ``authored`` keeps an item's own ``who`` and ``at`` (an import)."""
        lookup = KnowledgeGraph(self.graph)
        try:
            with self.transaction():
                rows = correct_many(self._conn, items, who, self._edge_deltas[-1],
                                    lookup.resolve, labels, authored)
                if dry_run:
                    raise _RolledBack(rows)
                return rows
        except _RolledBack as undone:
            return undone.rows

    def undo_correction(self, ids: Iterable[int], who: str) -> list[dict[str, Any]]:
        """Undo active corrections; the keys become what the others give."""
        with self.transaction():
            return undo(self._conn, ids, who, self._edge_deltas[-1])

    def corrections(self, active: bool | None = None) -> list[dict[str, Any]]:
        """Every correction, oldest first (``active``: only those that apply, or not)."""
        with self._lock:
            return list_corrections(self._conn, active)

    def save_state(self, state: SourceState) -> None:
        """Save a source item's state alone, keeping its documents (a transient failure)."""
        with self.transaction():
            self._save_state(state)

    def touch_source(self, uri: str, size: int, mtime: float, version: str = "") -> None:
        """Record a new size, mtime and version for an item whose bytes did not change."""
        with self.transaction():
            self._conn.execute("UPDATE sources SET size = ?, mtime = ?, version = ?, "
                               "updated_at = ? WHERE uri = ?",
                               (size, mtime, version, utc_now(), uri))

    def failed_sources(self, limit: int = 100) -> list[dict[str, Any]]:
        """Items that failed, transient first: ``{uri, stage, transient, message, updated_at}``."""
        transient = ",".join("?" * len(TRANSIENT_STAGES))
        rows = self._rows(
            "SELECT uri, stage, message, updated_at FROM sources WHERE status = 'failed' "
            f"ORDER BY stage NOT IN ({transient}), updated_at DESC, uri LIMIT ?",
            (*TRANSIENT_STAGES, limit))
        for row in rows:
            row["transient"] = row["stage"] in TRANSIENT_STAGES
        return rows

    def _save_state(self, state: SourceState) -> None:
        self._conn.execute(
            "INSERT INTO sources (uri, size, mtime, sha256, version, status, stage, message, "
            "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (uri) DO UPDATE SET "
            "size = excluded.size, mtime = excluded.mtime, sha256 = excluded.sha256, "
            "version = excluded.version, status = excluded.status, stage = excluded.stage, "
            "message = excluded.message, updated_at = excluded.updated_at",
            (state.uri, state.size, state.mtime, state.sha256, state.version, state.status,
             state.stage, state.message or "", utc_now()))

    def _ids_of_source(self, uri: str) -> list[str]:
        rows = self._conn.execute("SELECT id FROM documents WHERE source_uri = ?", (uri,))
        return [doc_id for (doc_id,) in rows]

    # -- search-index outbox ----------------------------------------------------------

    def pending_index(self, limit: int = 500) -> tuple[list[dict[str, Any]], list[str]]:
        """Documents (``{"id": ..., **fields}``, with their chunk vectors under
        ``CHUNKS_KEY`` when they have some) to upsert and ids to delete, oldest first."""
        rows = self._rows(
            "SELECT q.doc_id, q.op, d.id IS NOT NULL AS present, d.title, d.content, "
            f"d.fields, CASE WHEN {HAS_VECTORS} THEN d.tree END AS tree "
            "FROM index_queue AS q LEFT JOIN documents AS d ON d.id = q.doc_id "
            "ORDER BY q.seq LIMIT ?", (limit,))
        upserts, deletes = [], []
        for row in rows:
            if row["op"] == "upsert" and row["present"]:
                fields = expand_fields(row["fields"], row["title"], row["content"])
                chunks = chunks_of(json.loads(row["tree"]), row["doc_id"]) if row["tree"] else []
                upserts.append({**fields, "id": row["doc_id"],
                                **({CHUNKS_KEY: chunks} if chunks else {})})
            else:
                deletes.append(row["doc_id"])
        self._resolved_fields({doc["id"]: doc for doc in upserts})
        return upserts, deletes

    def _resolved_fields(self, docs: dict[str, dict[str, Any]]) -> None:
        """Set the entity facets (people, organizations, locations, labels, entities) of
        each id's fields: the resolved entities' names, rejected mentions left out."""
        with self._lock:
            found = entity_fields(self._conn, list(docs))
        for doc_id, doc in docs.items():
            for name in ENTITY_FIELDS:
                doc.pop(name, None)
            doc.update(found.get(doc_id, {}))

    def chunk_texts(self, chunk_ids: Sequence[str]) -> dict[str, str]:
        """The text of each text chunk id (``DOC#N``) found (see ``sqlite_chunks``)."""
        with self._lock:
            return chunk_texts(self._conn, chunk_ids)

    def mark_indexed(self, upserted: Iterable[str], deleted: Iterable[str]) -> None:
        """Take ids off the index queue once the index has committed them.

        An id queued again meanwhile for the other operation stays queued.
        """
        rows = [(doc_id, "upsert") for doc_id in upserted]
        rows += [(doc_id, "delete") for doc_id in deleted]
        with self.transaction():
            self._conn.executemany("DELETE FROM index_queue WHERE doc_id = ? AND op = ?", rows)

    def reindex_all(self) -> int:
        """Queue every document for the search index (to rebuild it); returns the count."""
        with self.transaction():
            ids = [doc_id for (doc_id,) in self._conn.execute("SELECT id FROM documents")]
            enqueue(self._conn, ids, "upsert")
        return len(ids)

    def track_index(self, index_id: str) -> int:
        """Make the queue feed the index ``index_id``; another one before: queue all."""
        with self.transaction():
            row = self._conn.execute("SELECT value FROM settings WHERE key = 'index_id'"
                                     ).fetchone()
            if row and row[0] == index_id:
                return 0
            self._conn.execute("INSERT INTO settings (key, value) VALUES ('index_id', ?) ON "
                               "CONFLICT (key) DO UPDATE SET value = excluded.value",
                               (index_id,))
            return self.reindex_all()

    # -- runs -------------------------------------------------------------------------

    def start_run(self, source: str, config: dict[str, Any]) -> str:
        """Record a new run; returns its id (sortable by start time)."""
        now = utc_now()
        run_id = now[:19].replace("-", "").replace(":", "") + "-" + uuid.uuid4().hex[:6]
        with self.transaction():
            self._conn.execute(
                "INSERT INTO runs (id, source, started_at, status, config) "
                "VALUES (?, ?, ?, 'running', ?)", (run_id, source, now, to_json(config)))
        return run_id

    def record_error(self, run_id: str, uri: str, stage: str, message: str,
                     severity: str = "error") -> None:
        """Record one document's error ("error") or warning ("warning") in a run."""
        if severity not in ("error", "warning"):
            raise StoreError(f"severity must be 'error' or 'warning', not {severity!r}")
        with self.transaction():
            self._conn.execute(
                "INSERT INTO errors (run_id, uri, stage, message, severity, at) "
                "VALUES (?, ?, ?, ?, ?, ?)", (run_id, uri, stage, message, severity, utc_now()))

    def finish_run(self, run_id: str, summary: dict[str, Any]) -> None:
        """Store the run's summary; its status is ``summary["status"]`` (default "ok")."""
        with self.transaction():
            self._conn.execute(
                "UPDATE runs SET finished_at = ?, status = ?, summary = ? WHERE id = ?",
                (utc_now(), str(summary.get("status", "ok")), to_json(summary), run_id))

    def runs(self, limit: int = 10) -> list[dict[str, Any]]:
        """The latest runs, newest first, with summaries and error/warning counts."""
        return self._runs("ORDER BY r.started_at DESC, r.id DESC LIMIT ?", (limit,))

    def run(self, run_id: str) -> dict[str, Any] | None:
        """One run as :meth:`runs` gives it, or None."""
        found = self._runs("WHERE r.id = ?", (run_id,))
        return found[0] if found else None

    def _runs(self, where: str, params: Sequence[Any]) -> list[dict[str, Any]]:
        rows = self._rows(
            "SELECT r.*, (SELECT count(*) FROM errors WHERE run_id = r.id AND "
            "severity = 'error') AS errors, (SELECT count(*) FROM errors WHERE "
            f"run_id = r.id AND severity = 'warning') AS warnings FROM runs AS r {where}",
            params)
        for row in rows:
            row["config"], row["summary"] = json.loads(row["config"]), json.loads(row["summary"])
        return rows

    def errors(self, run_id: str) -> list[dict[str, Any]]:
        """The errors and warnings recorded in one run, in order."""
        return self._rows("SELECT uri, stage, message, severity, at FROM errors "
                          "WHERE run_id = ? ORDER BY id", (run_id,))

    # -- reads ------------------------------------------------------------------------

    def get_document(self, doc_id: str) -> dict[str, Any] | None:
        """A document with its pages, images (no bytes) and entity mentions."""
        rows = self._rows("SELECT * FROM documents WHERE id = ?", (doc_id,))
        if not rows:
            return None
        doc = rows[0]
        for name in ("metadata", "tree", "warnings"):
            doc[name] = json.loads(doc[name])
        doc["fields"] = expand_fields(doc["fields"], doc["title"], doc["content"])
        self._resolved_fields({doc_id: doc["fields"]})
        doc["pages"] = self._pages(doc_id)
        doc["images"] = self._images(doc_id)
        doc["entities"] = self._mentions(doc_id)
        return doc

    def _pages(self, doc_id: str) -> list[dict[str, Any]]:
        pages = self._rows("SELECT number, text, offset, needs_ocr, width, height FROM pages "
                           "WHERE doc_id = ? ORDER BY number", (doc_id,))
        for page in pages:
            page["needs_ocr"] = bool(page["needs_ocr"])
        return pages

    def _images(self, doc_id: str) -> list[dict[str, Any]]:
        images = self._rows(
            "SELECT image_id AS id, page, bbox, width, height, format, kind, needs_ocr, "
            "length(data) AS size FROM images WHERE doc_id = ? ORDER BY rowid", (doc_id,))
        for image in images:
            image["bbox"] = None if image["bbox"] is None else json.loads(image["bbox"])
            image["needs_ocr"] = bool(image["needs_ocr"])
        return images

    def _mentions(self, doc_id: str) -> list[dict[str, Any]]:
        return self._rows(
            "SELECT m.entity_key AS key, e.type, m.name, m.text, m.page, m.start, m.end, "
            "m.image_id AS image, "
            "m.confidence, m.skill, m.skill_version AS version, m.model FROM mentions AS m "
            "JOIN entities AS e ON e.key = m.entity_key WHERE m.doc_id = ? ORDER BY m.id",
            (doc_id,))

    def summaries(self, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """For a page of search results: each document's content type, index fields (entity
        facets as resolved now), first image (``{id: {"content_type", "fields", "image"}}``)."""
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        docs = self._rows(f"SELECT id, content_type, fields FROM documents WHERE id IN ({marks})",
                          list(ids))
        images = self._rows(
            f"SELECT doc_id, image_id FROM images WHERE doc_id IN ({marks}) AND data IS NOT NULL "
            "ORDER BY doc_id, kind = 'page_render', rowid", list(ids))
        first = {row["doc_id"]: row["image_id"] for row in reversed(images)}  # the first wins
        out = {row["id"]: {"content_type": row["content_type"], "fields": json.loads(row["fields"]),
                           "image": first.get(row["id"])} for row in docs}
        self._resolved_fields({i: summary["fields"] for i, summary in out.items()})
        return out

    def image_file(self, doc_id: str, image_id: str) -> tuple[bytes, str | None] | None:
        """``(bytes, format)`` of one image, or None (unknown image, or no bytes kept)."""
        rows = self._rows("SELECT data, format FROM images WHERE doc_id = ? AND image_id = ?",
                          (doc_id, image_id))
        return (rows[0]["data"], rows[0]["format"]) if rows and rows[0]["data"] else None

    def document_count(self) -> int:
        """How many documents are stored (cheap, unlike :meth:`stats`, which counts
        every table)."""
        return self._rows("SELECT count(*) AS n FROM documents")[0]["n"]

    def stats(self) -> dict[str, Any]:
        """Counts: documents, pages, images, entities, mentions, edges, sources by status."""
        counts = {table: self._rows(f"SELECT count(*) AS n FROM {table}")[0]["n"]
                  for table in ("documents", "pages", "images", "entities", "mentions",
                                "edges", "index_queue", "runs")}
        counts["index_pending"] = counts.pop("index_queue")
        sources = self._rows("SELECT status, count(*) AS n FROM sources GROUP BY status")
        counts["sources"] = {row["status"]: row["n"] for row in sources}
        failed = self._rows(
            "SELECT stage IN (%s) AS transient, count(*) AS n FROM sources WHERE status = "
            "'failed' GROUP BY 1" % ",".join("?" * len(TRANSIENT_STAGES)), TRANSIENT_STAGES)
        by_kind = {bool(row["transient"]): row["n"] for row in failed}
        counts["failed"] = {"transient": by_kind.get(True, 0), "permanent": by_kind.get(False, 0)}
        return counts


class _RolledBack(Exception):
    """Ends a dry run's transaction (rolled back) with the rows it would have saved."""

    def __init__(self, rows: list[dict[str, Any]]):
        super().__init__("dry run")
        self.rows = rows


def open_graph_reader(data_dir: str | Path) -> SqliteGraphReader:
    """The graph reader of ``data_dir``'s store, opened read-only (the ``sqlite`` entry
    of the ``enrich.graph_readers`` group; closing the reader closes the store)."""
    data = DataDir(data_dir)
    if not data.exists():
        raise IndexNotFound(f"no enrich index in {data}; run `enrich index SOURCE --data "
                            f"{data}` first")
    return SqliteStore(data.store, read_only=True).graph

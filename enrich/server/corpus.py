"""Read-only access to a data directory from the server's worker threads.

Each thread gets its own read-only SQLite connections (the store and the graph), so
concurrent requests read in parallel and never block the index run writing the same
files (SQLite WAL: readers see the last commit). The tantivy reader is shared and
reloaded at most every ``REFRESH_SECONDS`` to see what an index run has committed.
Images are resized and PDF pages rendered on demand, with small LRU caches, and whole
answers are remembered while the data they read is unchanged (``remember``).
"""

from __future__ import annotations

import io
import json
import logging
import sqlite3
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable
from urllib.parse import unquote, urlparse

from graph import GraphError, KnowledgeGraph
from indexers.stores import (DataDir, IndexMissingError, QueryError, SearchIndex, SearchResult,
                             SqliteStore, StoreError, hybrid, open_index)
from indexers.stores.vectors import VectorDimensionError
from skills.base import SkillUnavailable

from .errors import ApiError

__all__ = ["Corpus", "LruCache", "Original"]

log = logging.getLogger(__name__)

REFRESH_SECONDS = 0.5
ANSWER_BYTES = 32 << 20  # JSON answers kept per server process (see Corpus.remember)
BLOB_SCHEMES = ("az", "s3", "gs", "gcs")
MAX_ORIGINAL_BYTES = 256 << 20  # blobs served through the API at most (read into memory)
MAX_RENDER_HEIGHT = 4000  # pixels: bounds a page render's memory (2000 x 4000 RGB = 24 MB)


@dataclass(frozen=True)
class Original:
    """A document's original: a local file (``path``), or a blob whose bytes ``read()``
    fetches (only when needed: a cached page render needs just the ``key``)."""

    name: str
    path: Path | None = None
    key: tuple = ()  # changes when the original does (for caching renders)
    fetch: Callable[[], bytes] | None = None

    def read(self) -> bytes:
        return self.path.read_bytes() if self.path is not None else self.fetch()


class LruCache:
    """A thread-safe LRU map of rendered bytes (or ``(bytes, type)``), bounded in bytes."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes, self.used = max_bytes, 0
        self._items: OrderedDict[Any, tuple[Any, int]] = OrderedDict()
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.used = 0

    def get(self, key: Any, make: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key][0]
        value = make()  # two threads may both make it; the second one is kept
        size = len(value[0] if isinstance(value, tuple) else value)
        if size > self.max_bytes:  # kept, it would push out everything else
            return value
        with self._lock:
            if key in self._items:
                self.used -= self._items.pop(key)[1]
            self._items[key] = (value, size)
            self.used += size
            while self.used > self.max_bytes:
                self.used -= self._items.popitem(last=False)[1][1]
        return value


def _generation(index: SearchIndex) -> str | None:
    """The index's generation stamp, where its backend gives one (the embedded index)."""
    stamp = getattr(index, "generation", None)
    return stamp() if callable(stamp) else None


def _no_index(data_dir: Path, why: str = "") -> ApiError:
    return ApiError(503, "no_index", f"nothing is indexed in {data_dir.name or data_dir} yet"
                    f"{why}: run `enrich index SOURCE --data {data_dir}`")


class Corpus:
    """The store, graph and search index of one data directory, for reading.

    ``index_url`` names a search index other than the data directory's own (see
    ``indexers.stores.open_index``): an Elasticsearch index, or a folder elsewhere.
    """

    def __init__(self, data_dir: str | Path, index_url: str | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.index_url = index_url or None
        self.db = DataDir(self.data_dir).store
        self._local = threading.local()
        self._opened: list[Any] = []
        self._lock = threading.Lock()
        self._index: SearchIndex | None = None
        self._refreshed = 0.0
        self._stamp: str | None = None  # the index generation the reader sees (generation)
        self.ready = threading.Event()  # set once the query models are loaded (or none)
        self.thumbnails = LruCache(32 << 20)
        self.renders = LruCache(64 << 20)
        self.answers = LruCache(ANSWER_BYTES)
        self._stamps: sqlite3.Connection | None = None  # reads the store's version alone
        self._stamps_lock = threading.Lock()  # not _lock: an index refresh holds that one
        self._pdfium = threading.Lock()  # PDFium is not thread-safe

    def _per_thread(self, name: str, open_: Callable[[], Any]) -> Any:
        handle = getattr(self._local, name, None)
        if handle is None:
            if not self.db.is_file():
                raise _no_index(self.data_dir)
            try:
                handle = open_()
            except (StoreError, GraphError, sqlite3.DatabaseError) as exc:
                # a first run creating the store, or a store of another version
                raise ApiError(503, "no_index", f"the store cannot be read yet: {exc}") from None
            setattr(self._local, name, handle)
            with self._lock:
                self._opened.append(handle)
        return handle

    def store(self) -> SqliteStore:
        """This thread's read-only store connection."""
        return self._per_thread("store", lambda: SqliteStore(self.db, read_only=True))

    def graph(self) -> KnowledgeGraph:
        """This thread's read-only knowledge graph (on this thread's store connection)."""
        return self._per_thread("graph", lambda: KnowledgeGraph(self.store().graph))

    def index(self) -> SearchIndex:
        """The search index, refreshed if it has not been for ``REFRESH_SECONDS``."""
        with self._lock:
            if self._index is None:
                return self._open_index()
            if time.monotonic() - self._refreshed > REFRESH_SECONDS:
                stamp = _generation(self._index)  # before: the reload sees at least it
                try:
                    self._index.refresh()
                except StoreError as exc:  # removed meanwhile: open it again (or say so)
                    log.warning("search index of %s reopened: %s", self.data_dir, exc)
                    self._index.close()
                    self._index = None
                    return self._open_index()
                self._refreshed, self._stamp = time.monotonic(), stamp
            return self._index

    def changed(self) -> None:
        """This server just wrote the data directory (a correction): the next search
        reloads the index instead of waiting ``REFRESH_SECONDS``."""
        with self._lock:
            self._refreshed = 0.0

    def _open_index(self) -> SearchIndex:
        """Open the search index (the caller holds ``_lock``)."""
        try:
            self._index = open_index(self.data_dir, self.index_url)
        except IndexMissingError as exc:
            if self.index_url:
                raise ApiError(503, "no_index", str(exc)) from None
            raise _no_index(self.data_dir) from None
        except StoreError as exc:
            raise ApiError(503, "no_index", f"the search index cannot be read: {exc}") from None
        self._refreshed, self._stamp = time.monotonic(), None  # no stamp: no cache yet
        return self._index

    def search(self, query: str, **options: Any) -> SearchResult:
        """Search the index in a mode (``hybrid.search``; QueryError for a query or mode
        it refuses; ApiError 503 when the index is missing or cannot answer, as an
        Elasticsearch index may at any time, or the query model cannot be loaded). The
        routes remember whole answers (``remember``)."""
        texts = self.store().chunk_texts
        return self._ask(lambda index: hybrid.search(index, query, texts=texts, **options))

    def generation(self, index: bool = False) -> tuple | None:
        """What a remembered answer is good for: the store's data version (any commit to
        it, by an index run or by this server's corrections, changes it) and, with
        ``index``, the search index's generation; None where that cannot be known (the
        store not written yet; an index without a stamp, as Elasticsearch's).

        Read before the answer is made: an answer made meanwhile from a newer state is
        kept under the older stamp, and missed by the next request, never the reverse."""
        stamp = None
        if index:
            self.index()  # refresh, if due
            stamp = self._stamp
            if stamp is None:
                return None
        with self._stamps_lock:  # one connection: its data_version counts others' commits
            try:
                if self._stamps is None:
                    if not self.db.is_file():
                        return None
                    self._stamps = sqlite3.connect(self.db.resolve().as_uri() + "?mode=ro",
                                                   uri=True, check_same_thread=False)
                return self._stamps.execute("PRAGMA data_version").fetchone()[0], stamp
            except sqlite3.Error:
                return None

    def remember(self, key: tuple, make: Callable[[], bytes], *, index: bool = False) -> bytes:
        """``make()``, or the bytes it gave before for the same ``key`` while the store
        (and, with ``index``, the search index) has not changed since: graph answers,
        documents and suggestions are asked again and again (the page, several analysts
        on one entity). The last ``ANSWER_BYTES`` are kept; an error is never kept."""
        stamp = self.generation(index)
        if stamp is None:
            return make()
        return self.answers.get((stamp, json.dumps(key, default=str)), make)

    def user_fields(self) -> tuple[Any, ...]:
        """The index's user fields (``FieldSpec``s of a skillset's typed ``fields:``)."""
        def fields(index: SearchIndex) -> tuple[Any, ...]:
            readable = getattr(index, "readable", None)  # Elasticsearch reads its mappings
            if readable is not None:
                readable()
            return tuple(getattr(index, "fields", ()) or ())
        return self._ask(fields)

    def has_vectors(self) -> bool:
        """Whether the index holds vectors (vector modes and "more like this" can run)."""
        return self._ask(lambda index: bool(index.vector_models()))

    def warm_up_queries(self) -> None:
        """Start loading the query model of each of the index's vector spaces in a
        background thread (``ready`` is set when done), so that the first searches do not
        wait seconds for them. A model that cannot be loaded is logged; its searches
        answer 503."""
        try:
            spaces = self._ask(lambda index: list(index.vector_models()))
        except ApiError:  # nothing indexed yet
            spaces = []
        except Exception:  # noqa: BLE001 - never stops the server from starting
            log.exception("the index's vector spaces could not be read at start")
            spaces = []
        if not spaces:
            self.ready.set()
            return
        threading.Thread(target=_load_query_models, args=(spaces, self.ready),
                         name="enrich-query-models", daemon=True).start()

    def similar(self, doc_id: str, **options: Any) -> SearchResult:
        """"More like this" (``hybrid.similar``; QueryError when it has no vectors)."""
        texts = self.store().chunk_texts
        return self._ask(lambda index: hybrid.similar(index, doc_id, texts=texts, **options))

    def index_count(self) -> int:
        """How many documents the search index holds."""
        return self._ask(lambda index: index.count())

    def _ask(self, question: Callable[[SearchIndex], Any]) -> Any:
        index = self.index()
        try:
            return question(index)
        except (QueryError, VectorDimensionError):
            raise
        except SkillUnavailable as exc:  # the query's embedding model
            raise ApiError(503, "model_unavailable", str(exc)) from None
        except IndexMissingError as exc:  # deleted meanwhile: open it again next time
            with self._lock:
                if self._index is index:
                    self._index = None
                    index.close()
            raise ApiError(503, "no_index", str(exc)) from None
        except StoreError as exc:
            raise ApiError(503, "index_unavailable",
                           f"the search index cannot answer now: {exc}") from None

    def close(self) -> None:
        with self._lock:
            for handle in self._opened:
                handle.close()
            self._opened.clear()
            if self._index is not None:
                self._index.close()
                self._index = None
        with self._stamps_lock:  # a version is per connection: the answers go with it
            if self._stamps is not None:
                self._stamps.close()
                self._stamps = None
            self.answers.clear()
        self._local = threading.local()

    # --- documents -----------------------------------------------------------------

    def document(self, doc_id: str) -> dict[str, Any]:
        store = self.store()
        with store.snapshot():
            doc = store.get_document(doc_id)
        if doc is None:
            raise ApiError(404, "not_found", f"no document {doc_id!r} in the index")
        return doc

    def original(self, doc: dict[str, Any]) -> Original:
        """The original a document was indexed from: a local file, or a blob's bytes
        (only documents in the index; the location comes from the store)."""
        uri = doc["source_uri"]
        if uri.startswith("file://"):
            path = Path(unquote(urlparse(uri).path))
            if not path.is_file():
                raise ApiError(410, "file_gone", f"the original of {doc['id']!r} is no longer "
                               f"at {path} (moved or deleted since it was indexed)")
            stat = path.stat()
            return Original(path.name, path=path, key=(str(path), stat.st_size, stat.st_mtime_ns))
        if uri.split("://", 1)[0] in BLOB_SCHEMES:
            return self._blob(uri, doc["id"])
        raise ApiError(404, "not_found", f"the original of {doc['id']!r} is at {uri}, which "
                       "this server does not read; open it there")

    def _blob(self, uri: str, doc_id: str) -> Original:
        from indexers.sources import SourceError, TransientSourceError, open_source
        try:
            source = open_source(uri, max_bytes=MAX_ORIGINAL_BYTES)  # lists this blob alone
            item = next((i for i in source.list() if i.uri == uri), None)
            if item is None:
                raise ApiError(410, "file_gone", f"the original of {doc_id!r} is no longer at "
                               f"{uri} (deleted since it was indexed)")
        except (SourceError, TransientSourceError) as exc:
            raise _unreadable(exc, uri, doc_id) from None

        def fetch() -> bytes:
            try:
                return source.read(item)
            except (SourceError, TransientSourceError) as exc:
                raise _unreadable(exc, uri, doc_id) from None
        return Original(item.name, key=(uri, item.version), fetch=fetch)

    def image(self, doc_id: str, image_id: str) -> tuple[bytes, str]:
        """An image's stored bytes and content type."""
        found = self.store().image_file(doc_id, image_id)
        if found is None:
            raise ApiError(404, "not_found", f"no image {image_id!r} in document {doc_id!r}")
        return found[0], _image_type(found[1])

    def thumbnail(self, doc_id: str, image_id: str, size: int) -> tuple[bytes, str]:
        data, _ = self.image(doc_id, image_id)
        key = (doc_id, image_id, size, len(data), hash(data))
        return self.thumbnails.get(key, lambda: _shrink(data, size))

    def page_image(self, doc_id: str, number: int, width: int) -> bytes:
        """A PDF page rendered as PNG, ``width`` pixels wide."""
        doc = self.document(doc_id)
        if doc.get("content_type") != "application/pdf":
            raise ApiError(404, "not_found", f"document {doc_id!r} is not a PDF; its pictures "
                           "are under /images")
        if not any(page["number"] == number for page in doc["pages"]):
            raise ApiError(404, "not_found", f"document {doc_id!r} has no page {number}")
        original = self.original(doc)
        key = (*original.key, number, width)
        return self.renders.get(key, lambda: self._render(original, number, width))

    def _render(self, original: Original, number: int, width: int) -> bytes:
        import pypdfium2 as pdfium
        name = original.name
        with self._pdfium:
            try:
                pdf = pdfium.PdfDocument(str(original.path) if original.path else original.read())
            except pdfium.PdfiumError as exc:
                raise ApiError(410, "file_gone", f"{name} can no longer be read as a "
                               f"PDF: {exc}") from None
            try:
                if number > len(pdf):
                    raise ApiError(410, "file_gone", f"{name} has changed since it was "
                                   f"indexed: it has no page {number} now")
                page = pdf[number - 1]
                # ``width`` wide, but no taller than MAX_RENDER_HEIGHT (a receipt roll)
                scale = min(width / page.get_width(), MAX_RENDER_HEIGHT / page.get_height())
                image = page.render(scale=scale).to_pil()
            except pdfium.PdfiumError as exc:
                raise ApiError(410, "file_gone", f"page {number} of {name} cannot be "
                               f"rendered now: {exc}") from None
            finally:
                pdf.close()
        out = io.BytesIO()
        image.save(out, "PNG", optimize=False)
        return out.getvalue()


def _unreadable(exc: Exception, uri: str, doc_id: str) -> ApiError:
    from indexers.sources import TransientSourceError
    if isinstance(exc, TransientSourceError):
        return ApiError(503, "source_unavailable", f"{uri} cannot be read now: {exc}")
    return ApiError(410, "file_gone", f"the original of {doc_id!r} cannot be read from "
                    f"{uri}: {exc}")


def _image_type(fmt: str | None) -> str:
    fmt = (fmt or "").lower()
    return {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif",
            "webp": "image/webp", "bmp": "image/bmp", "tiff": "image/tiff"}.get(
                fmt, "application/octet-stream")


def _shrink(data: bytes, size: int) -> tuple[bytes, str]:
    """A JPEG (PNG when the image has transparency) at most ``size`` px on a side."""
    from PIL import Image
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.thumbnail((size, size))
            alpha = image.mode in ("RGBA", "LA", "P") and "transparency" in image.info or \
                image.mode in ("RGBA", "LA")
            out = io.BytesIO()
            if alpha:
                image.save(out, "PNG")
                return out.getvalue(), "image/png"
            image.convert("RGB").save(out, "JPEG", quality=82)
            return out.getvalue(), "image/jpeg"
    except (OSError, ValueError) as exc:
        raise ApiError(415, "unsupported_media_type",
                       f"this image cannot be decoded for a thumbnail: {exc}") from None


def _load_query_models(spaces: list[str], ready: threading.Event) -> None:
    from skills.query_encoders import warm_up
    try:
        for space in spaces:
            try:
                warm_up(space)
            except Exception as exc:  # noqa: BLE001 - a missing model is the searches' 503
                log.warning("query model of vector space %r not loaded: %s", space, exc)
    finally:
        ready.set()

"""The embedded vector index: chunk vectors of documents, cosine kNN (usearch HNSW).

One folder per embedding model (``vector_spaces``: inside the search index's folder),
derived from the store like the
full-text index, so it can always be rebuilt from it. Chosen by measurement
(``python -m bench.vector_index``, 2 shared cores): at 1M clustered 384-dim vectors
usearch answers recall@10 0.984 with p95 1.9 ms on one thread at ef 96 (goal: 0.95
and 20 ms); with 5,000-vector clusters (near-uniform noise inside them, harder than
real embeddings) ef 96 drops to 0.87 at 100k and ef 256, the default, gives 0.979 at
p95 1.8 ms (at 1M, ef 256: 0.999 at p95 3.1 ms). It needs no training (faiss IVF does: its cells are fitted to
the first vectors, and a growing corpus drifts away from them), removes vectors
(faiss's HNSW cannot), ships wheels on PyPI (hnswlib is a source build) and is
approximate (sqlite-vec scans every vector per query). Its cost is insertion: about
1 ms per vector on 2 threads at 1M, below what embedding the chunk costs. A space of
at most ``EXACT_SEARCH_LIMIT`` vectors is searched exactly (as fast there, and every
duplicate found).

Ids are chunk ids ``DOC#N`` (``document_of`` splits at the last ``#``); each gets a
fresh uint64 key in the HNSW graph, never reused, so a deleted or replaced chunk's
old key can never be answered for its id again. ``add`` replaces an id that exists;
``delete_documents`` removes every chunk of the documents (a document -> keys map).

Files, written by ``commit()`` only::

    enrich-vectors.json        the manifest, written last: library, format, metric, dim,
                               count, generation, index_id, the base and the journal
    vectors-<g>.usearch        the base's graph and vectors (generation g)
    keys-<g>.npz               the base's keys, chunk ids, next key and chunk metadata
    journal-<g>.npz            what commit g changed: chunks removed, chunks added

A commit that changes little appends a journal file, a large one saves a new base (see
``vector_files``): indexing a corpus batch by batch does not rewrite the whole graph at
every batch. Each file goes to a temporary name, is fsynced and renamed, then the
manifest is replaced; the previous manifest's files stay until the next commit, so a
reader loading at the same moment still finds them. A crash before the manifest leaves
the previous generation whole: ``generation`` is then behind what the search index
recorded at its last commit (``vector_spaces``), and the index is rebuilt from the
store. A manifest whose files are missing or unreadable is a ``VectorIndexBrokenError``
for a reader; a writer opens empty, with ``stale`` saying why, to be refilled.
"""

from __future__ import annotations

import functools
import json
import threading
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .base import ForeignIndexError, IndexMissingError, StoreError
from .files import replace_atomic
from .vector_files import (FILES, JOURNAL_FRACTION, JOURNAL_MIN, listed, read_journal,
                           read_keys, remove_unlisted, save_journal, save_keys)

__all__ = [
    "MANIFEST",
    "VectorDimensionError",
    "VectorIndex",
    "VectorIndexBrokenError",
    "VectorIndexError",
    "VectorLayoutError",
    "document_of",
]

MANIFEST = "enrich-vectors.json"
LIBRARY = "usearch"
FORMAT = 2  # raise it when the files change: older folders are refilled
METRIC = "cos"
CONNECTIVITY = 16  # HNSW M
EXPANSION_ADD = 128  # ef at build
EXPANSION_SEARCH = 256  # ef at query: recall@10 >= 0.95 on hard clusters too (bench)
ADD_THREADS = 2  # threads for inserting into the graph; queries use one
EXACT_FILTER_LIMIT = 20_000  # a `documents` filter with at most this many chunks is exact
# A space of at most this many vectors is searched exactly: at 20,000 x 384 dimensions it
# costs what the graph does (1.7 ms against 1.4, one thread), finds every duplicate (an
# HNSW graph of 400 equal vectors answers about half of them) and answers the same
# whatever order the insertion threads took.
EXACT_SEARCH_LIMIT = 20_000


class VectorIndexError(StoreError):
    """Base class of the vector index's errors."""

    code = "E420"


class VectorDimensionError(VectorIndexError):
    """A vector whose dimension is not the index's (another embedding model?)."""

    code = "E421"


class VectorLayoutError(VectorIndexError):
    """A vector folder made by another library, metric, format or dimension."""

    code = "E422"


class VectorIndexBrokenError(VectorIndexError):
    """The manifest names files that are missing or unreadable (a crash, a copy cut
    short): rebuild the vectors from the store."""

    code = "E423"


def document_of(chunk_id: str) -> str:
    """The document of chunk ``DOC#N`` (everything before the last ``#``)."""
    document, sep, _ = chunk_id.rpartition("#")
    return document if sep else chunk_id


def _locked(method):
    """Run ``method`` holding the index's lock: a server searches from several threads
    while one of them refreshes the index."""
    @functools.wraps(method)
    def run(self, *args, **kwargs):
        with self._lock:
            return method(self, *args, **kwargs)
    return run


class VectorIndex:
    """Chunk vectors in ``path``: ``add``, ``delete_documents``, ``search``, ``commit``.

    ``dim`` is required for a folder without an index (and checked against one that
    has); reading (``write=False``) a folder without one is an IndexMissingError.
    One writer at a time (the data directory's lock); readers call ``refresh()``. Every
    method holds the index's lock, so searches and a refresh may run on several threads.
    """

    def __init__(self, path: str | Path, dim: int | None = None, *, write: bool = False,
                 expansion_search: int = EXPANSION_SEARCH) -> None:
        self.path = Path(path)
        self.write = write
        self.expansion_search = expansion_search  # HNSW ef: higher is slower, finds more
        self.stale: str | None = None
        self._lock = threading.RLock()
        self._previous: set[str] = set()  # files of the manifest before the last commit
        manifest = _read_manifest(self.path)
        if manifest is None:
            if dim is None or not write:
                raise IndexMissingError(f"no vector index in {self.path}: index documents "
                                        "with embeddings first")
            self._empty(dim)
            return
        _check_layout(manifest, dim, self.path)
        try:
            self._load(manifest)
        except VectorIndexBrokenError as error:
            if not write:
                raise
            self.stale = str(error)
            self._empty(manifest["dim"])

    # -- state ----------------------------------------------------------------

    def _empty(self, dim: int) -> None:
        self.dim = int(dim)
        self.index_id = uuid.uuid4().hex
        self.generation = 0
        self._graph = new_graph(self.dim, self.expansion_search)
        self._key_of: dict[str, int] = {}
        self._chunk_of: dict[int, str] = {}
        self._doc_keys: dict[str, set[int]] = {}
        self._meta: dict[str, dict[str, Any]] = {}
        self._next_key = 0
        self._manifest: dict[str, Any] | None = None  # what the files hold now
        self._added: dict[str, tuple[np.ndarray, dict[str, Any]]] = {}  # since the commit
        self._removed: set[str] = set()
        self._dirty = True

    @_locked
    def _load(self, manifest: dict[str, Any]) -> None:
        """Load the base and replay the journal the manifest names (a reader kept open
        sees nothing half done: the lock is held throughout)."""
        files, generation = manifest.get("files", {}), manifest["generation"]
        paths = [self.path / files.get("graph", ""), self.path / files.get("keys", "")] + \
            [self.path / name for name in manifest.get("journal") or ()]
        if not all(path.is_file() for path in paths):
            raise VectorIndexBrokenError(
                f"{self.path}: generation {generation} names files that are missing: "
                "rebuild the vectors from the store")
        try:
            graph = new_graph(manifest["dim"], self.expansion_search)
            graph.load(str(paths[0]))
            graph.expansion_search = self.expansion_search
            keys, ids, next_key, meta = read_keys(paths[1])
            journal = [read_journal(path) for path in paths[2:]]
        except (OSError, ValueError, RuntimeError, KeyError) as error:
            raise VectorIndexBrokenError(f"{self.path}: cannot read generation {generation} "
                                         f"({error}): rebuild the vectors from the store"
                                         ) from error
        if len(keys) != len(graph):
            raise VectorIndexBrokenError(f"{self.path}: generation {generation} holds "
                                         "counts that disagree: rebuild from the store")
        self.dim, self.index_id = int(manifest["dim"]), manifest["index_id"]
        self.generation, self._graph, self._next_key = int(generation), graph, next_key
        self._key_of = dict(zip(ids, keys))
        self._meta = {chunk: meta[chunk] for chunk in self._key_of if chunk in meta}
        self._chunk_of = {key: chunk for chunk, key in self._key_of.items()}
        self._doc_keys = {}
        for chunk, key in self._key_of.items():
            self._doc_keys.setdefault(document_of(chunk), set()).add(key)
        self._added, self._removed = {}, set()
        for removed, added, vectors, added_meta in journal:
            self._remove_keys([self._key_of[c] for c in removed if c in self._key_of])
            self._insert(added, vectors, added_meta)
        if self.count != manifest["count"]:
            raise VectorIndexBrokenError(f"{self.path}: generation {generation} holds "
                                         "counts that disagree: rebuild from the store")
        self._manifest, self._added, self._removed = manifest, {}, set()
        self._dirty = False

    @property
    def count(self) -> int:
        """Chunk vectors in the index (including uncommitted changes)."""
        return len(self._key_of)

    @_locked
    def documents(self) -> set[str]:
        """The documents that have chunk vectors here."""
        return set(self._doc_keys)

    @_locked
    def meta_of(self, chunk_id: str) -> dict[str, Any]:
        """The ``meta`` a chunk was added with (empty: none)."""
        return self._meta.get(chunk_id, {})

    @_locked
    def chunks_of(self, doc_id: str) -> list[tuple[str, np.ndarray]]:
        """A document's chunk ids and (normalised) vectors, in id order."""
        chunks = sorted((self._chunk_of[key], key) for key in self._doc_keys.get(doc_id, ()))
        if not chunks:
            return []
        matrix = self._graph.get(np.asarray([key for _, key in chunks], dtype=np.uint64))
        return [(chunk, np.asarray(row, dtype=np.float32)) for (chunk, _), row in
                zip(chunks, np.atleast_2d(matrix))]

    # -- writes -----------------------------------------------------------------

    @_locked
    def add(self, ids: Sequence[str], vectors: np.ndarray,
            meta: Sequence[dict[str, Any]] | None = None) -> None:
        """Add chunk vectors (normalised here); an id that exists is replaced.

        ``meta``: a small JSON-able dict per chunk (its page and offsets), kept with it
        and given back by ``search`` (``meta_of``).

        A document re-indexed with fewer chunks keeps its old extra ones: replace a
        document's chunks with ``delete_documents([doc])`` then ``add``.
        """
        matrix = self._matrix(vectors)
        if len(ids) != len(matrix):
            raise VectorIndexError(f"{len(ids)} ids for {len(matrix)} vectors")
        if len(set(ids)) != len(ids):
            raise VectorIndexError("the same chunk id twice in one add")
        self._remove_keys([self._key_of[i] for i in ids if i in self._key_of])
        metas = [dict(m or {}) for m in meta] if meta is not None else [{} for _ in ids]
        self._insert(list(ids), matrix, metas)
        for chunk, row, chunk_meta in zip(ids, matrix, metas):
            self._added[chunk] = (row, chunk_meta)
        self._dirty = True

    def _insert(self, ids: list[str], matrix: np.ndarray, metas: list[dict[str, Any]]) -> None:
        keys = np.arange(self._next_key, self._next_key + len(ids), dtype=np.uint64)
        self._next_key += len(ids)
        if len(ids):
            self._graph.add(keys, matrix, threads=ADD_THREADS)
        for chunk, key, chunk_meta in zip(ids, keys.tolist(), metas):
            self._key_of[chunk], self._chunk_of[key] = key, chunk
            if chunk_meta:
                self._meta[chunk] = chunk_meta
            self._doc_keys.setdefault(document_of(chunk), set()).add(key)

    @_locked
    def delete_documents(self, doc_ids: Iterable[str]) -> int:
        """Remove every chunk of these documents; returns how many went."""
        keys = [key for doc in doc_ids for key in self._doc_keys.get(doc, ())]
        self._remove_keys(keys)
        return len(keys)

    def _remove_keys(self, keys: list[int]) -> None:
        if not keys:
            return
        self._graph.remove(np.asarray(keys, dtype=np.uint64))
        for key in keys:
            chunk = self._chunk_of.pop(key)
            del self._key_of[chunk]
            self._meta.pop(chunk, None)
            self._added.pop(chunk, None)
            self._removed.add(chunk)
            doc = document_of(chunk)
            self._doc_keys[doc].discard(key)
            if not self._doc_keys[doc]:
                del self._doc_keys[doc]
        self._dirty = True

    @_locked
    def commit(self) -> int:
        """Save atomically as the next generation (nothing to do: unchanged); returns it.
        A small change appends a journal file, a large one saves a new base (see
        :mod:`indexers.stores.vector_files`)."""
        if not self.write:
            raise VectorIndexError(f"{self.path} was opened for reading: nothing to commit")
        if not self._dirty:
            return self.generation
        self.path.mkdir(parents=True, exist_ok=True)
        _check_ours(self.path)
        generation = self.generation + 1
        journal = list((self._manifest or {}).get("journal") or ())
        entries = int((self._manifest or {}).get("journal_entries", 0))
        entries += len(self._added) + len(self._removed)
        if self._manifest and entries <= max(JOURNAL_MIN, JOURNAL_FRACTION * self.count):
            files = dict(self._manifest["files"])
            journal.append(f"journal-{generation}.npz")
            added = list(self._added)
            save_journal(self.path / journal[-1], sorted(self._removed), added,
                         np.asarray([self._added[c][0] for c in added], dtype=np.float32)
                         .reshape(len(added), self.dim), [self._added[c][1] for c in added])
        else:
            files = {"graph": f"vectors-{generation}.usearch", "keys": f"keys-{generation}.npz"}
            journal, entries = [], 0
            replace_atomic(self.path / files["graph"], lambda tmp: self._graph.save(str(tmp)),
                           sync=True)
            chunks = list(self._key_of)
            save_keys(self.path / files["keys"],
                      np.array([self._key_of[c] for c in chunks], dtype=np.uint64), chunks,
                      self._next_key, self._meta)
        manifest = {"library": LIBRARY, "format": FORMAT, "metric": METRIC, "dim": self.dim,
                    "count": self.count, "generation": generation, "index_id": self.index_id,
                    "files": files, "journal": journal, "journal_entries": entries}
        replace_atomic(self.path / MANIFEST, lambda tmp: tmp.write_text(json.dumps(manifest)),
                       sync=True)
        previous, self._manifest = self._manifest, manifest
        self.generation, self._dirty, self._added, self._removed = generation, False, {}, set()
        remove_unlisted(self.path, listed(manifest) | listed(previous))
        return generation

    @_locked
    def refresh(self) -> bool:
        """Load what a writer has committed since (a reader kept open); True if it changed."""
        manifest = _read_manifest(self.path)
        if manifest is None:
            raise IndexMissingError(f"the vector index in {self.path} is gone")
        if (manifest["generation"], manifest["index_id"]) == (self.generation, self.index_id):
            return False
        _check_layout(manifest, self.dim, self.path)
        self._load(manifest)
        return True

    # -- search -----------------------------------------------------------------

    @_locked
    def search(self, vector: np.ndarray, k: int = 10, *,
               documents: set[str] | None = None) -> list[tuple[str, float]]:
        """The ``k`` chunks most similar to ``vector`` (cosine, best first): exact in a
        space of at most ``EXACT_SEARCH_LIMIT`` vectors, through the HNSW graph above.

        ``documents`` keeps only chunks of those documents: when they hold at most
        ``EXACT_FILTER_LIMIT`` chunks, their vectors are scored exactly (one matrix
        product: exact and fast for a filter that keeps few); otherwise the graph is
        searched for more and more candidates (4k, 16k, ...) until k pass the filter.
        """
        query = self._matrix(vector)[0]
        if k <= 0 or not self._key_of:
            return []
        if documents is None:
            return self._graph_search(query, k, None)
        keys = [key for doc in documents for key in self._doc_keys.get(doc, ())]
        if len(keys) <= EXACT_FILTER_LIMIT:
            return self._exact(query, keys, k)
        return self._graph_search(query, k, set(keys))

    def _graph_search(self, query: np.ndarray, k: int, allowed: set[int] | None
                      ) -> list[tuple[str, float]]:
        fetch = k if allowed is None else 4 * k
        small = len(self._graph) <= EXACT_SEARCH_LIMIT
        while True:
            fetch = min(fetch, len(self._graph))
            exact = small or (allowed is not None and fetch >= len(self._graph) // 2)
            matches = self._graph.search(query, fetch, threads=1, exact=exact)
            found = [(self._chunk_of[key], 1.0 - float(distance))
                     for key, distance in zip(matches.keys.tolist(), matches.distances.tolist())
                     if key in self._chunk_of and (allowed is None or key in allowed)]
            if len(found) >= k or fetch >= len(self._graph):
                return found[:k]
            fetch *= 4

    def _exact(self, query: np.ndarray, keys: list[int], k: int) -> list[tuple[str, float]]:
        if not keys:
            return []
        matrix = np.vstack(self._graph.get(np.asarray(keys, dtype=np.uint64)))
        scores = matrix @ query
        top = np.argsort(-scores, kind="stable")[:k]
        return [(self._chunk_of[keys[i]], float(scores[i])) for i in top]

    def _matrix(self, vectors: np.ndarray) -> np.ndarray:
        """``vectors`` as normalised float32 rows, or a VectorDimensionError."""
        matrix = np.asarray(vectors, dtype=np.float32)
        if matrix.ndim == 1:
            matrix = matrix[None, :]
        if matrix.ndim != 2 or matrix.shape[1] != self.dim:
            raise VectorDimensionError(
                f"a vector of dimension {matrix.shape[-1] if matrix.ndim else 0} for the "
                f"vector index in {self.path}, which holds dimension {self.dim}: embed with "
                "the model the index was built with, or rebuild it")
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        return matrix / np.where(norms == 0, 1, norms)

    @_locked
    def close(self) -> None:
        """Drop uncommitted changes."""
        self._graph = new_graph(self.dim, self.expansion_search)
        self._key_of, self._chunk_of, self._doc_keys, self._meta = {}, {}, {}, {}


def new_graph(dim: int, expansion_search: int = EXPANSION_SEARCH) -> Any:
    """An empty usearch HNSW index with enrich's settings (the benchmark uses it too)."""
    from usearch.index import Index
    return Index(ndim=int(dim), metric=METRIC, dtype="f32", connectivity=CONNECTIVITY,
                 expansion_add=EXPANSION_ADD, expansion_search=expansion_search)


def _read_manifest(path: Path) -> dict[str, Any] | None:
    """The manifest in ``path`` (None: none there, and nothing else either)."""
    marker = path / MANIFEST
    if not marker.is_file():
        _check_ours(path)
        return None
    try:
        manifest = json.loads(marker.read_text(encoding="utf-8"))
        manifest["dim"], manifest["generation"], manifest["count"]
    except (ValueError, KeyError, TypeError) as error:
        raise ForeignIndexError(f"{marker} is not a manifest enrich wrote ({error})") from error
    return manifest


def _check_ours(path: Path) -> None:
    """A ForeignIndexError for a folder (or file) with neither manifest nor only our files."""
    if path.exists() and not path.is_dir():
        raise ForeignIndexError(f"{path} is a file, not a vector index folder")
    if path.is_dir() and not (path / MANIFEST).is_file():
        strangers = [p.name for p in path.iterdir()
                     if not FILES.match(p.name) and p.name != MANIFEST + ".tmp"]
        if strangers:
            raise ForeignIndexError(f"{path} is not a vector index enrich made (no {MANIFEST}, "
                                    f"and {strangers[0]} is there): give an empty folder")


def _check_layout(manifest: dict[str, Any], dim: int | None, path: Path) -> None:
    made = {key: manifest.get(key) for key in ("library", "format", "metric")}
    if made != {"library": LIBRARY, "format": FORMAT, "metric": METRIC}:
        raise VectorLayoutError(f"{path} holds a vector index made by {made}; this enrich "
                                f"reads {LIBRARY} format {FORMAT} ({METRIC}): rebuild it")
    if dim is not None and int(manifest["dim"]) != int(dim):
        raise VectorLayoutError(f"{path} holds vectors of dimension {manifest['dim']}, not "
                                f"{dim}: another embedding model made it; rebuild it")

"""The vector side of the embedded search index: one ``VectorIndex`` per model.

Vectors of different models live in different spaces (a MiniLM text vector and a CLIP
image vector cannot be compared), so the embedded index keeps one usearch folder per
model inside its own folder::

    index/                       the tantivy index (``TantivyIndex``)
        enrich-vector-spaces.json  what the last commit wrote: {slug: {model, generation}}
        vectors/<slug>/          a ``VectorIndex`` of one model's chunk vectors

Living inside the index folder, the vectors move with it: a rebuild fills a fresh
folder and swaps both in at once, and ``--index /elsewhere`` keeps its own vectors.

Order of a commit: every space commits (its own atomic generation), then the state file
is replaced, then tantivy commits. A crash in between leaves vectors ahead of the text
index, which the store's queue replays (an upsert replaces all of a document's chunks,
so replaying is harmless). Vectors *behind* the state file (a space deleted, restored
from an older copy, or unreadable) make a writer ``stale``: the index is rebuilt from
the store, which holds every vector in the documents' trees.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from .base import CHUNKS_KEY, IndexMissingError
from .files import write_atomic
from .vectors import MANIFEST, VectorIndex, VectorIndexError, document_of

__all__ = ["VectorSpaces", "STATE_FILE", "space_slug", "best_per_document"]

STATE_FILE = "enrich-vector-spaces.json"
SPACES_DIR = "vectors"
META_KEYS = ("page", "start", "end", "image")


def space_slug(model: str, sep: str = "-") -> str:
    """A name for ``model``'s space (a folder here, a field in Elasticsearch): readable,
    and unique by a hash."""
    readable = re.sub(r"[^a-z0-9]+", sep, model.lower()).strip(sep)[:40] or "model"
    return f"{readable}{sep}{hashlib.sha256(model.encode()).hexdigest()[:8]}"


def best_per_document(found: Iterable[tuple[str, float]], k: int,
                      exclude: Sequence[str] = ()) -> list[tuple[str, str, float]]:
    """``(doc, chunk, score)`` of the best chunk of each document, best first, ``k`` at most
    (``found``: chunks best first)."""
    seen, out = set(exclude), []
    for chunk, score in found:
        doc = document_of(chunk)
        if doc not in seen:
            seen.add(doc)
            out.append((doc, chunk, score))
            if len(out) >= k:
                break
    return out


class VectorSpaces:
    """The chunk vectors of an embedded index in ``root`` (the index folder), by model."""

    def __init__(self, root: Path, *, write: bool = False) -> None:
        self.root, self.write = Path(root), write
        self._spaces: dict[str, VectorIndex] = {}  # model -> its index
        self.behind: str | None = None  # why the vectors cannot be trusted (rebuild)
        self._load()

    @property
    def folder(self) -> Path:
        return self.root / SPACES_DIR

    def _state(self) -> dict[str, dict[str, Any]]:
        try:
            return json.loads((self.root / STATE_FILE).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except ValueError as error:
            self.behind = f"{self.root / STATE_FILE} cannot be read ({error})"
            return {}

    def _load(self) -> None:
        """Open every space: those the state file lists (one missing or behind makes the
        vectors ``behind``) and, for a writer, any other folder holding an index (a crash
        after its first commit, before the state file named it: its chunks must still be
        replaced and deleted with their documents). The spaces are swapped in at once."""
        spaces: dict[str, VectorIndex] = {}
        state = self._state()
        for slug, entry in state.items():
            try:
                space = VectorIndex(self.folder / slug, write=self.write)
            except (IndexMissingError, VectorIndexError) as error:
                self.behind = f"the vectors of {entry.get('model')} are missing ({error})"
                continue
            if space.stale or space.generation < int(entry.get("generation", 0)):
                self.behind = (f"the vectors of {entry.get('model')} in {space.path} are "
                               "behind the search index (a crash or an old copy)")
            spaces[entry["model"]] = space
        if self.write and self.folder.is_dir():
            for folder in sorted(self.folder.iterdir()):
                if folder.name not in state and (folder / MANIFEST).is_file():
                    self.behind = (f"{folder} holds vectors the search index does not list "
                                   "(a crash during a commit)")
        self._spaces = spaces

    # -- writes --------------------------------------------------------------------

    def upsert(self, documents: Sequence[dict[str, Any]]) -> None:
        """Replace the chunks of each document by those under its ``CHUNKS_KEY``."""
        self.delete([doc["id"] for doc in documents])
        by_model: dict[str, list[dict[str, Any]]] = {}
        for doc in documents:
            for chunk in doc.get(CHUNKS_KEY) or ():
                by_model.setdefault(chunk["model"], []).append(chunk)
        for model, chunks in by_model.items():
            space = self._space(model, len(chunks[0]["vector"]))
            space.add([c["id"] for c in chunks], np.asarray([c["vector"] for c in chunks]),
                      [{key: c.get(key) for key in META_KEYS} for c in chunks])

    def _space(self, model: str, dim: int) -> VectorIndex:
        if model not in self._spaces:
            self._spaces[model] = VectorIndex(self.folder / space_slug(model), dim, write=True)
        return self._spaces[model]

    def delete(self, ids: Iterable[str]) -> None:
        ids = list(ids)
        for space in self._spaces.values():
            space.delete_documents(ids)

    def commit(self) -> None:
        """Commit every space, then record their generations (see the module docstring)."""
        if not self._spaces:
            return
        state = {}
        for model, space in self._spaces.items():
            state[space.path.name] = {"model": model, "generation": space.commit(),
                                      "dim": space.dim}
        write_atomic(self.root / STATE_FILE, json.dumps(state, sort_keys=True))

    def refresh(self) -> None:
        """Load what a writer committed since (new spaces included)."""
        spaces = self._spaces
        if set(self._state()) != {space.path.name for space in spaces.values()}:
            self._load()
            return
        for space in spaces.values():
            space.refresh()

    def close(self) -> None:
        for space in self._spaces.values():
            space.close()
        self._spaces.clear()

    # -- reads ---------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        """The chunk vectors each model's space holds."""
        return {model: space.count for model, space in list(self._spaces.items())}

    def models(self) -> dict[str, int]:
        return {model: space.dim for model, space in list(self._spaces.items()) if space.count}

    def search(self, model: str, vector: Sequence[float], k: int,
               documents: set[str] | None = None, exclude: Sequence[str] = (), *,
               keep: Callable[[list[str]], set[str]] | None = None,
               max_fetch: int | None = None) -> list[dict[str, Any]]:
        """The ``k`` best documents by their best chunk (see ``SearchIndex.vector_search``):
        of ``documents`` only when given (scored exactly when few); ``keep`` post-filters
        the documents of each round of nearest chunks (those it returns stay), looking
        through ``max_fetch`` chunks at most."""
        space = self._spaces.get(model)
        if space is None or k <= 0:
            return []
        query = np.asarray(vector, dtype=np.float32)
        fetch = k + len(exclude)
        while True:  # several chunks of one document take several places: fetch more
            wanted = fetch * 4 if max_fetch is None else min(fetch * 4, max_fetch)
            found = space.search(query, wanted, documents=documents)
            if keep is not None:
                kept = keep(list(dict.fromkeys(document_of(chunk) for chunk, _ in found)))
                found_kept = [(c, score) for c, score in found if document_of(c) in kept]
            else:
                found_kept = found
            best = best_per_document(found_kept, k, exclude)
            if len(best) >= k or len(found) < wanted or wanted == max_fetch:
                break
            fetch *= 4
        return [{"id": doc, "score": score, "chunk": {"id": chunk, **space.meta_of(chunk)}}
                for doc, chunk, score in best]

    def document_vectors(self, doc_id: str) -> dict[str, list[list[float]]]:
        out = {}
        for model, space in list(self._spaces.items()):
            chunks = space.chunks_of(doc_id)
            if chunks:
                out[model] = [vector.tolist() for _, vector in chunks]
        return out

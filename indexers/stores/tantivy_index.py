"""The embedded full-text index: tantivy (BM25, phrases, boolean, fields, facets).

One folder (``DataDir.index`` by default). Fields (``INDEX_FIELDS``):

* ``id``: one exact, stored term; upserts delete by it, so an id is never twice;
* ``title``, ``content``: text, stored (for snippets), analysed by ``enrich_en_v1``
  (words, lowercased, accents folded, English stems) rather than tantivy's
  ``default`` (no stems: "player" misses "players") or ``en_stem`` (no folding:
  "Munoz" misses "Muñoz"). The corpora are mostly English; other languages keep
  exact-word search, since a stemmer only conflates endings;
* keyword fields: exact values (``raw``), multi-valued, stored and fast, so they
  filter (``people:"LeBron James"``, ``filters=``) and aggregate into facets;
* user fields (a skillset's typed ``fields:``, ``fields.FieldSpec``): ``text`` analysed
  like ``content`` (searched with it when ``searchable``), ``keyword`` raw, ``number`` f64,
  ``date`` and ``bool``; fast when facetable or sortable. The marker lists them: an
  index opened for writing with other user fields is ``stale`` (rebuilt, with the
  new ones), and a reader takes them from the marker.

A folder is enrich's index only when it holds enrich's marker, ``enrich-index.json``
(written first when the index is created: the layout version and the ``index_id``).
A folder without it that is not empty is a ``ForeignIndexError``, read or write, and
only marked folders are ever deleted. A marker of an older layout makes a writer
``stale`` (the indexer rebuilds it); one of a newer layout is refused.

Opened for reading, nothing is created: a folder without an index is an
``IndexMissingError``. Opened for writing (``write=True``), the folder is created if
missing and the writer taken at once; it holds tantivy's writer lock, an OS file
lock, so a second writer is refused before it writes anything and a killed process
never leaves the index locked. ``commit()`` makes writes visible and reloads the
reader; ``close()`` drops uncommitted writes. ``rebuild()`` fills a sibling folder
(``<folder>.rebuild``) and swaps it in by renaming: a reader kept open (the server)
sees the new contents at its next ``refresh()``.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Sequence

import tantivy

from .base import (INDEX_FIELDS, KEYWORD_FIELDS, TEXT_FIELDS, ForeignIndexError,
                   IndexLayoutError, IndexMissingError, QueryError, SearchResult, StoreError,
                   check_search)
from .fields import FieldSpec, from_json, to_json
from .files import write_atomic
from .tantivy_docs import count_facets, snippet_generator, to_document, to_hit
from .tantivy_fields import add_field, filter_query
from .tantivy_query import TEXT_TOKENIZER, text_analyzer
from .tantivy_vectors import TantivyVectorMethods
from .vector_spaces import STATE_FILE, VectorSpaces

__all__ = ["TantivyIndex"]

log = logging.getLogger(__name__)

MARKER = "enrich-index.json"  # written by enrich first: {**_LAYOUT, "id": index id}
SCHEMA = 2  # raise it when the index layout changes: older folders are rebuilt
# (2: chunk vectors in index/vectors/, which an index of layout 1 lacks)
_LAYOUT = {"schema": SCHEMA, "tokenizer": TEXT_TOKENIZER, "fields": list(INDEX_FIELDS)}


def _schema(fields: Sequence[FieldSpec] = ()) -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, tokenizer_name="raw")
    for name in TEXT_FIELDS:
        builder.add_text_field(name, stored=True, tokenizer_name=TEXT_TOKENIZER)
    for name in KEYWORD_FIELDS:
        builder.add_text_field(name, stored=True, fast=True, tokenizer_name="raw")
    for spec in fields:
        add_field(builder, spec)
    return builder.build()


def _exists(path: Path) -> bool:
    """Whether ``path`` holds a tantivy index."""
    return path.is_dir() and tantivy.Index.exists(str(path))


def read_marker(path: Path) -> dict[str, Any] | None:
    """What enrich's marker in ``path`` says (None: no marker); a marker that is not
    enrich's (not a JSON object) is a ForeignIndexError."""
    marker = path / MARKER
    if not marker.is_file():
        return None
    try:
        found = json.loads(marker.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        found = None
    if not isinstance(found, dict) or "schema" not in found:
        raise ForeignIndexError(f"{marker} is not a marker enrich wrote: {path} is not a "
                                "search index enrich made, so enrich neither writes into it "
                                "nor deletes it")
    return found


def check_folder(path: Path) -> dict[str, Any] | None:
    """``read_marker``, and a ForeignIndexError for a folder (or file) that has no
    marker and is not empty: enrich neither writes into it nor deletes it."""
    layout = read_marker(path)
    if layout is None and path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise ForeignIndexError(
            f"{path} is not a search index enrich made (no {MARKER} in it) and is not "
            "empty: enrich neither writes into it nor deletes it. Give a new or empty "
            "folder (or leave --index out for the data directory's own)")
    return layout


def _write_marker(path: Path, fields: Sequence[FieldSpec] = ()) -> str:
    """Mark ``path`` as enrich's index with a new id (atomically), listing its user
    fields; returns the id."""
    index_id = uuid.uuid4().hex
    write_atomic(path / MARKER, json.dumps({**_LAYOUT, "user_fields": to_json(fields),
                                            "id": index_id}))
    return index_id


def _folder(path: str | Path) -> Path:
    """``path`` resolved (``.`` has a name then); a root cannot hold an index."""
    folder = Path(path).expanduser().resolve()
    if not folder.name:
        raise ForeignIndexError(f"{folder} cannot be a search index folder: give a folder "
                                "of its own (its rebuild is made beside it)")
    return folder


def remove_index_folder(path: Path) -> None:
    """Delete ``path`` if it is an index folder enrich marked, or an empty folder;
    nothing there is fine, anything else a ForeignIndexError (it is never deleted)."""
    if not path.exists() and not path.is_symlink():
        return
    if path.is_dir() and not path.is_symlink():
        if read_marker(path) is not None:
            shutil.rmtree(path)
            return
        if not any(path.iterdir()):
            path.rmdir()
            return
    raise ForeignIndexError(f"{path} is in the way of the search index rebuild and is not "
                            f"a folder enrich made (no {MARKER} in it): move it away")


class TantivyIndex(TantivyVectorMethods):
    """The ``SearchIndex`` protocol over a tantivy index folder.

    ``fields``: the user fields a writer wants (None: those the index has); ``fields``
    after opening: the user fields of the index (those wanted, once rebuilt)."""

    def __init__(self, path: str | Path, *, write: bool = False,
                 heap_size: int = 128_000_000,
                 fields: Sequence[FieldSpec] | None = None) -> None:
        self.path = _folder(path)
        self.heap_size = heap_size
        self.fields: tuple[FieldSpec, ...] = tuple(fields or ())
        self._wanted = fields
        self.stale: str | None = None
        self.index_id: str | None = None
        self._writer: tantivy.IndexWriter | None = None
        self._index: tantivy.Index | None = self._open(write)
        self.vectors = VectorSpaces(self.path, write=write) if self._index is not None \
            else None
        if write and self.vectors is not None and self.vectors.behind:
            self.stale = f"{self.vectors.behind}: the search index is rebuilt from the store"
        if write and self._index is not None:
            self.writer  # one writer per folder: refuse a second one now, before any work

    def _open(self, write: bool) -> tantivy.Index | None:
        """The tantivy index in ``path`` (created when writing); None when ``stale``."""
        layout = check_folder(self.path)
        if layout is None:
            return self._create(write)
        if {key: layout.get(key) for key in _LAYOUT} != _LAYOUT:
            return self._older(layout, write)
        found = from_json(layout.get("user_fields"))
        if write and self._wanted is not None and set(found) != set(self._wanted):
            return self._other_fields(found)
        self.fields = found
        if not _exists(self.path):  # marked, then killed before tantivy made its files
            return self._create(write)
        self.index_id = layout.get("id") or (
            _write_marker(self.path, self.fields) if write else None)
        return self._loaded(tantivy.Index.open(str(self.path)))

    def _other_fields(self, found: tuple[FieldSpec, ...]) -> None:
        """Built with other user fields than a writer wants: stale (to rebuild)."""
        names = ", ".join(f"{s.name} ({s.type})" for s in found) or "none"
        wanted = ", ".join(f"{s.name} ({s.type})" for s in self.fields) or "none"
        self.stale = (f"the search index {self.path} has other user fields ({names}) than "
                      f"the skillset maps ({wanted}): it is rebuilt from the store")
        return None

    def _create(self, write: bool) -> tantivy.Index:
        """A new, empty index in ``path``: the marker first, so the folder is enrich's."""
        if not write:
            raise IndexMissingError(f"there is no search index in {self.path} yet: "
                                    "`enrich index SOURCE` creates it")
        self.path.mkdir(parents=True, exist_ok=True)
        self.index_id = _write_marker(self.path, self.fields)
        return self._loaded(tantivy.Index(_schema(self.fields), path=str(self.path)))

    def _older(self, layout: dict[str, Any], write: bool) -> None:
        """An index of another layout: stale (to rebuild) if an older enrich made it."""
        schema = layout.get("schema")
        if not isinstance(schema, int) or schema > SCHEMA:
            raise IndexLayoutError(f"the search index {self.path} was built by a newer enrich "
                                   f"(layout {schema}, this one knows {SCHEMA}): upgrade "
                                   "enrich, or give another --index")
        self.stale = (f"the search index {self.path} was built by another enrich version "
                      f"({layout}, expected {_LAYOUT}): rebuild it from the store with "
                      "`enrich index --rebuild-index`")
        if not write:
            raise IndexLayoutError(self.stale)
        return None

    @staticmethod
    def _loaded(index: tantivy.Index) -> tantivy.Index:
        index.register_tokenizer(TEXT_TOKENIZER, text_analyzer())
        return index

    @property
    def _live(self) -> tantivy.Index:
        """The tantivy index, or IndexLayoutError when it must be rebuilt first."""
        if self._index is None:
            raise IndexLayoutError(self.stale or f"the search index {self.path} is closed")
        return self._index

    def __enter__(self) -> TantivyIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writes -----------------------------------------------------------------------

    @property
    def writer(self) -> tantivy.IndexWriter:
        """The index writer, opened on first use (one per index folder at a time)."""
        if self._writer is None:
            try:
                self._writer = self._live.writer(heap_size=self.heap_size)
            except ValueError as error:
                raise StoreError(
                    f"cannot write to the search index {self.path}: {error}. Another "
                    "enrich process is indexing into this data directory; wait for it "
                    "to finish.") from None
        return self._writer

    def upsert(self, documents: Sequence[dict[str, Any]]) -> None:
        """Add or replace documents by ``id`` (visible after ``commit``)."""
        for fields in documents:
            doc = to_document(fields, self.fields)
            self.writer.delete_documents_by_term("id", doc.get_first("id"))
            self.writer.add_document(doc)
        self._spaces.upsert(documents)

    def delete(self, ids: Sequence[str]) -> None:
        for doc_id in ids:
            self.writer.delete_documents_by_term("id", str(doc_id))
        self._spaces.delete(ids)

    def commit(self) -> None:
        """Make the writes so far durable and visible to searches (the vectors first:
        see :mod:`indexers.stores.vector_spaces`)."""
        if self._writer is not None:
            self._spaces.commit()
            self._writer.commit()
            self._live.reload()

    @property
    def _spaces(self) -> VectorSpaces:
        if self.vectors is None:
            raise IndexLayoutError(self.stale or f"the search index {self.path} is closed")
        return self.vectors

    def close(self) -> None:
        """Drop uncommitted writes, wait for merges, release the writer lock."""
        if self.vectors is not None:
            self.vectors.close()
        if self._writer is not None:
            writer, self._writer = self._writer, None
            writer.rollback()
            writer.wait_merging_threads()

    @contextmanager
    def rebuild(self) -> Iterator[TantivyIndex]:
        """A fresh index (a new ``index_id``) in ``<folder>.rebuild``, renamed into
        place when the block ends without an error (and deleted after one). This
        index's writer is held meanwhile, so no indexing run writes to the folder being
        replaced. Only folders carrying enrich's marker are ever deleted: a foreign
        ``<folder>.rebuild`` or ``<folder>.old`` in the way is a ForeignIndexError."""
        fresh_path = self.path.with_name(self.path.name + ".rebuild")
        old = self.path.with_name(self.path.name + ".old")
        if self.stale is None:
            self.writer
        remove_index_folder(fresh_path)  # left by a killed rebuild (or refused: not ours)
        remove_index_folder(old)
        fresh = TantivyIndex(fresh_path, write=True, heap_size=self.heap_size,
                             fields=self.fields)
        try:
            yield fresh
            fresh.commit()
        except BaseException:
            fresh.close()
            remove_index_folder(fresh_path)
            raise
        fresh.close()
        self.close()  # the writer must go before its folder does
        self.path.rename(old)
        fresh_path.rename(self.path)
        remove_index_folder(old)
        self.stale, self.index_id = None, fresh.index_id
        self._index = self._loaded(tantivy.Index.open(str(self.path)))
        self.vectors = VectorSpaces(self.path, write=True)

    # -- reads ------------------------------------------------------------------------

    def count(self) -> int:
        return self._live.searcher().num_docs

    def refresh(self) -> None:
        """See what other processes have committed since (a reader kept open), the
        contents of a rebuild swapped in included (with its user fields, when a
        rebuild changed them: the index is opened again with its new schema)."""
        try:
            self._live.reload()
            if self._writer is None and self._other_schema():
                self._index = self._loaded(tantivy.Index.open(str(self.path)))
            self._spaces.refresh()
        except (ValueError, OSError) as error:
            if not _exists(self.path):
                raise IndexMissingError(f"the search index {self.path} is gone") from None
            raise StoreError(f"cannot reload the search index {self.path}: {error}") from None

    def generation(self) -> str | None:
        """A stamp of what is committed now: it changes with every commit (tantivy's
        opstamp and the vector spaces' state file) and rebuild (the index id), so a
        reader may cache answers under it. Read it before ``refresh()``: the reader then
        sees at least that much. None when it cannot be read."""
        try:
            opstamp = json.loads((self.path / "meta.json").read_text()).get("opstamp")
            state = self.path / STATE_FILE
            vectors = state.stat().st_mtime_ns if state.exists() else 0
        except (OSError, ValueError):
            return None
        return f"{self.index_id}:{opstamp}:{vectors}"

    def _other_schema(self) -> bool:
        """Whether the marker lists other user fields than this reader has (taken)."""
        found = from_json((read_marker(self.path) or {}).get("user_fields"))
        changed = set(found) != set(self.fields)
        self.fields = found
        return changed

    def search(self, query: str, *, top: int = 10, offset: int = 0,
               filters: dict[str, list[str]] | None = None,
               facets: Sequence[str] = (), facet_size: int = 10,
               sort: str | None = None, highlight: bool = True,
               syntax: str = "lenient") -> SearchResult:
        """BM25 search; see :mod:`indexers.stores.tantivy_query` for the syntax
        (``syntax``: ``lenient`` or ``strict``, see :mod:`indexers.stores.query_syntax`).

        ``filters`` keep documents having any of the values in each named keyword
        field (an empty list filters nothing); ``facets`` count keyword values over
        all matches. Each result has up to two highlighted content fragments (HTML:
        the text escaped, matches in ``<b>``). ``sort`` orders by a field of
        ``SORT_FIELDS`` (or a sortable user field) instead of relevance (``-field``
        descending); the results' ``score`` is then None. ``highlight=False`` skips the
        fragments (cheaper when only the ids of many matches are wanted). A filter on a
        user field takes values of its type (``"12.5"`` for a number), and for a number
        or date field ranges ``LOW..HIGH`` (an end may be left open: ``10..``).
        """
        check_search(filters, facets, sort, self.fields)
        order = _sort_order(sort)
        parsed = self._parsed(query, syntax)
        matched = self._filtered(parsed, filters or {})
        searcher = self._live.searcher()
        try:
            found = searcher.search(matched, limit=max(top, 1), offset=max(offset, 0),
                                    count=True, **order)
            facet_counts = count_facets(searcher, matched, facets, facet_size, self.fields)
        except ValueError as error:  # parsed, but tantivy cannot run it (``title:*``)
            raise _run_error(query, error) from None
        snippets = snippet_generator(searcher, parsed, self._live.schema)
        hits = [to_hit(searcher.doc(address), None if order else score,
                     snippets if highlight else None)
                for score, address in found.hits[:max(top, 0)]]
        return SearchResult(found.count, hits, facet_counts)

    def _filtered(self, query: tantivy.Query, filters: dict[str, list[str]]) -> tantivy.Query:
        """``query`` AND, for each field, any of its values (filters do not score)."""
        clauses = [(tantivy.Occur.Must, query)]
        specs = {spec.name: spec for spec in self.fields}
        for name, values in filters.items():
            values = [values] if isinstance(values, str) else list(values)
            if values:
                terms = filter_query(self._live.schema, name, specs.get(name), values)
                clauses.append((tantivy.Occur.Must, tantivy.Query.const_score_query(terms, 0.0)))
        return query if len(clauses) == 1 else tantivy.Query.boolean_query(clauses)


def _run_error(query: str, error: ValueError) -> QueryError:
    """A query that parsed but cannot run: ``field:*`` on a text field or a non-field."""
    star = re.search(r"(?<![\w.])([\w.]+):\*", query)
    hint = (f"{star.group(0)!r} asks for any value of {star.group(1)!r}, which only keyword "
            f"fields ({', '.join(KEYWORD_FIELDS)}) have; search words instead, or quote the "
            "colon" if star else "check the fields and values")
    return QueryError(f"cannot run query {query!r} ({error}): {hint}",
                      star.start() if star else None)


def _sort_order(sort: str | None) -> dict[str, Any]:
    """``searcher.search`` arguments for ``sort`` (none for relevance; checked already)."""
    if sort in (None, "", "relevance"):
        return {}
    return {"order_by_field": sort.lstrip("-"),
            "order": tantivy.Order.Desc if sort.startswith("-") else tantivy.Order.Asc}

"""The two store protocols: the store of record and the full-text search index.

``Store`` (SQLite by default) holds everything a run produces - documents, pages,
images, entity mentions, co-occurrence edges, corpus term statistics, indexer state,
runs and errors - and is the single source of truth. ``SearchIndex`` (tantivy by
default, or Elasticsearch) is derived from it: every document written to the
store is queued for the index in the same transaction and leaves the queue only
once the index has committed it, so a run killed between the two converges when
the next run replays the queue (``pending_index`` / ``mark_indexed``), and any
index can be rebuilt from the store (``SearchIndex.rebuild``, see ``sync.py``).
"""

from __future__ import annotations

from enrich.errors import EnrichError

from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Protocol, Sequence

from graph.reader import GraphReader
from skills.base import TermStats

__all__ = [
    "CHUNKS_KEY", "DocumentRecord", "SourceState", "Store", "SearchIndex", "SearchResult",
    "StoreError", "QueryError", "IndexLayoutError", "IndexMissingError", "ForeignIndexError",
    "INDEX_FIELDS",
    "KEYWORD_FIELDS", "TEXT_FIELDS", "SORT_FIELDS", "TRANSIENT_STAGES", "check_search",
]

# Fields of the search index. Text fields are tokenised for full-text search;
# keyword fields hold exact values (multi-valued), and are filterable and facetable.
TEXT_FIELDS = ("title", "content")
KEYWORD_FIELDS = ("uri", "file_type", "language", "people", "organizations",
                  "locations", "entities", "keyphrases", "tags", "labels")
INDEX_FIELDS = ("id",) + TEXT_FIELDS + KEYWORD_FIELDS
# The key of an upserted document that holds its chunk vectors (see ``SearchIndex``).
CHUNKS_KEY = "_chunks"
# Single-valued keyword fields results can be sorted by (besides relevance).
SORT_FIELDS = ("uri", "file_type")


class StoreError(EnrichError):
    """Base class of store and index errors."""

    code = "E400"


class IndexLayoutError(StoreError):
    """The search index was built with another layout (fields, analyzer): rebuild it
    from the store (``enrich index --rebuild-index``)."""

    code = "E401"


class IndexMissingError(StoreError):
    """There is no search index where one is to be read (nothing indexed there yet)."""

    code = "E402"


class ForeignIndexError(StoreError):
    """A place named as a search index that is not one enrich made (a folder without
    enrich's marker that is not empty, an Elasticsearch index or alias without enrich's
    ``_meta``), or one that overlaps the data directory: enrich neither writes into it
    nor deletes it."""

    code = "E404"


class QueryError(StoreError):
    """A search query could not be parsed; the message says what and where.

    ``position`` is the character of the query where the problem is, when known.
    """

    code = "E403"

    def __init__(self, message: str, position: int | None = None) -> None:
        super().__init__(message)
        self.position = position


def check_search(filters: Mapping[str, Any] | None = None, facets: Iterable[str] = (),
                 sort: str | None = None, fields: Sequence[Any] = ()) -> None:
    """Raise QueryError for a filter or facet on a field that is not a keyword field,
    or a sort on a field that is not a ``SORT_FIELDS`` name (``-name`` descending).

    ``fields`` are the index's user fields (``fields.FieldSpec``): each adds its name
    where its flags say (``filterable``, ``facetable``, ``sortable``).
    Every backend and every caller (CLI, HTTP API) checks search arguments here, so
    the same mistake gets the same message whichever index answers.
    """
    allowed = {flag: [s.name for s in fields if getattr(s, flag)]
               for flag in ("filterable", "facetable", "sortable")}
    for what, names, flag in (("filter", list(filters or {}), "filterable"),
                              ("facet", list(facets), "facetable")):
        unknown = [name for name in names if name not in KEYWORD_FIELDS + tuple(allowed[flag])]
        if unknown:
            user = (f", and this index's {flag} fields are {', '.join(allowed[flag])}"
                    if allowed[flag] else "")
            raise QueryError(f"cannot {what} on {', '.join(map(repr, unknown))}: the "
                             f"keyword fields are {', '.join(KEYWORD_FIELDS)}{user}")
    sortable = list(SORT_FIELDS) + allowed["sortable"]
    if sort not in (None, "", "relevance") and sort.lstrip("-") not in sortable:
        raise QueryError(f"cannot sort on {sort!r}: sort by relevance or by "
                         f"{', '.join(sortable)} (-FIELD for descending)")


# Stages whose failures may go away by themselves (I/O, a worker timing out or dying):
# the item keeps its previous documents and is tried again on the next run. Failures
# at other stages ("source", "size", "crack") are permanent until the item changes.
TRANSIENT_STAGES = ("read", "worker")


@dataclass
class SourceState:
    """What the indexer last saw of one source item (a file, a blob, a record)."""

    uri: str
    size: int
    mtime: float
    sha256: str
    status: str  # "ok" | "partial" | "failed"
    message: str = ""
    version: str = ""  # the source's version of the item (ETag, high-water mark), if any
    stage: str = ""  # where a failed item failed (see TRANSIENT_STAGES)

    @property
    def transient(self) -> bool:
        """A failure that the next run tries again."""
        return self.status == "failed" and self.stage in TRANSIENT_STAGES


@dataclass
class DocumentRecord:
    """One enriched document, flattened for the store.

    ``entities`` are mentions: ``{"key": "PERSON:lebron james", "type": "PERSON",
    "label": type the skill gave, "name": "LeBron James", "text": surface form,
    "page": 1 | None, "sentence": sentence number in the page | None, "start": int,
    "end": int (offsets in the page text, or in content when page is None; None
    for an image's labels), "image": image id | None (for entities found in an image),
    "confidence": float | None, "skill": str, "version": str, "model": str | None,
    "description": str | None (from a dictionary)}``.
    ``edges`` are this document's co-occurrence contributions
    ``(scope, key_a, key_b, count)`` with ``key_a < key_b``; the store keeps the
    aggregate ``edges`` table equal to the sum over documents.
    ``aliases`` are the ``(alias key, entity key)`` pairs the document defines
    (an acronym after its long form); the store applies them corpus-wide.
    ``fields`` are the search-index fields (see ``INDEX_FIELDS``).
    ``tree`` is the whole enrichment tree as JSON-able data (image bytes removed).
    """

    id: str
    uri: str
    source_uri: str
    status: str  # "ok" | "partial"
    title: str
    content: str
    metadata: dict[str, Any]
    pages: list[dict[str, Any]]
    images: list[dict[str, Any]]
    entities: list[dict[str, Any]]
    edges: list[tuple[str, str, str, int]]
    fields: dict[str, Any]
    tree: dict[str, Any]
    warnings: list[str] = field(default_factory=list)
    aliases: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class SearchResult:
    """What a search gives: ``count`` matches, a page of ``results`` and ``facets``.

    A result is ``{id, uri, title, score, highlights: [str]}``; a vector or hybrid
    search (``hybrid.py``) adds ``chunk`` (the document's best chunk: ``{id, page,
    start, end, image, score, text}``, or None) and ``ranks`` (``{list: rank}`` in each
    list fused). ``mode`` is how it was searched: keyword, vector or hybrid.
    """

    count: int
    results: list[dict[str, Any]]
    facets: dict[str, list[dict[str, Any]]]  # field -> [{value, count}]
    mode: str = "keyword"

    def to_dict(self) -> dict[str, Any]:
        return {"count": self.count, "mode": self.mode, "results": self.results,
                "facets": self.facets}


class Store(Protocol):
    """The store of record. Writes happen inside ``transaction()``; one writer.

    ``graph`` reads back the knowledge graph it keeps (entities, edges, evidence).
    """

    terms: TermStats
    graph: GraphReader

    def transaction(self) -> AbstractContextManager[None]:
        """Everything written inside commits atomically, or not at all."""

    def states(self) -> dict[str, SourceState]:
        """The last state of every source item, by source URI."""

    def put_source(self, state: SourceState, documents: Sequence[DocumentRecord]) -> None:
        """Replace everything derived from ``state.uri`` by ``documents`` and save the state.

        Documents of that source absent from ``documents`` are deleted (with their
        pages, images, mentions, edge contributions and term stats); the new ones are
        written and queued for the search index. Term stats already added for a new
        document's id (by a corpus skill in the same transaction) are kept.
        A failed source has ``documents == []`` and ``state.status == "failed"``.
        """

    def save_state(self, state: SourceState) -> None:
        """Save a source item's state alone, keeping its documents (a transient failure)."""

    def touch_source(self, uri: str, size: int, mtime: float, version: str = "") -> None:
        """Record a new size, mtime and version for an item whose bytes did not change."""

    def failed_sources(self, limit: int = 100) -> list[dict[str, Any]]:
        """Items that failed, transient first: ``{uri, stage, transient, message, updated_at}``."""

    def delete_source(self, uri: str) -> None:
        """Remove a source item that is gone, and everything derived from it."""

    def pending_index(self, limit: int = 500) -> tuple[list[dict[str, Any]], list[str]]:
        """Documents (``{"id": ..., **fields}``) to upsert and ids to delete in the index."""

    def mark_indexed(self, upserted: Iterable[str], deleted: Iterable[str]) -> None:
        """Take ids off the index queue once the index has committed them."""

    def reindex_all(self) -> int:
        """Queue every document for the search index (to rebuild it); returns the count."""

    @property
    def resolution(self) -> dict[str, bool]:
        """The entity resolution rules the store applies (``graph.resolution.RULES``)."""

    def set_resolution(self, rules: dict[str, bool]) -> bool:
        """Apply other resolution rules (a skillset's ``resolution:``): every name is
        decided again and the documents whose keys change are re-keyed; returns whether
        anything was to change."""

    def track_index(self, index_id: str) -> int:
        """Make the index queue feed the search index ``index_id`` (``SearchIndex.index_id``).

        When the queue last fed another index (or none: a new, recreated or rebuilt
        index, or another ``--index``), that index lacks documents the queue no longer
        holds, so every document is queued again in the same transaction. Returns the
        documents queued (0 when ``index_id`` is the one already fed).
        """

    def start_run(self, source: str, config: dict[str, Any]) -> str:
        """Record a new run; returns its id."""

    def record_error(self, run_id: str, uri: str, stage: str, message: str,
                     severity: str = "error") -> None:
        """Record one document's error ("error") or warning ("warning") in a run."""

    def finish_run(self, run_id: str, summary: dict[str, Any]) -> None:
        """Store the run's summary and mark it finished."""

    def runs(self, limit: int = 10) -> list[dict[str, Any]]:
        """The latest runs, newest first, with their summaries."""

    def get_document(self, doc_id: str) -> dict[str, Any] | None:
        """A document with its pages, images (no bytes) and entity mentions."""

    def document_count(self) -> int:
        """How many documents are stored (cheaply: health checks call it)."""

    def stats(self) -> dict[str, Any]:
        """Counts: documents, pages, images, entities, mentions, edges, sources by status."""

    def close(self) -> None: ...


class SearchIndex(Protocol):
    """A full-text index over the ``INDEX_FIELDS`` of documents.

    Opened by ``indexers.stores.open_index``: for reading (nothing is created; a
    missing index is an ``IndexMissingError``, another layout an ``IndexLayoutError``)
    or for writing (created if missing; one writer at a time). ``stale`` is None, or
    why an index opened for writing must be rebuilt before anything else (it was
    built with another layout: only ``rebuild()`` and ``close()`` work on it).

    ``index_id`` names this index's contents: a new id whenever the index is created
    or rebuilt (None while ``stale``, or when read from an index that has none). The
    store records which id its queue fed (``Store.track_index``), so an index that is
    new, recreated or another one is filled with every document, never left short.

    An index is enrich's only when it carries enrich's marker; a place without it is a
    ``ForeignIndexError``, and nothing there is written or deleted.
    """

    stale: str | None
    index_id: str | None

    def upsert(self, documents: Sequence[dict[str, Any]]) -> None:
        """Add or replace documents by ``id`` (visible after ``commit``)."""

    def delete(self, ids: Sequence[str]) -> None: ...

    def commit(self) -> None: ...

    def search(self, query: str, *, top: int = 10, offset: int = 0,
               filters: dict[str, list[str]] | None = None,
               facets: Sequence[str] = (), facet_size: int = 10,
               sort: str | None = None, highlight: bool = True,
               syntax: str = "lenient") -> SearchResult:
        """BM25 search with the engine's query syntax (phrases, boolean, ``field:value``).

        ``filters`` keep documents whose keyword field has any of the values (AND
        across fields); ``facets`` counts values of keyword fields over all matches.
        ``sort`` is relevance (None) or a ``SORT_FIELDS`` name, ``-name`` descending;
        ``highlight=False`` leaves each result's ``highlights`` empty.
        ``syntax`` (``query_syntax``): ``lenient`` searches a query that is not valid
        syntax as words, an unknown ``field:`` as words too; ``strict`` raises
        QueryError for either, with the position.
        """

    def count(self) -> int: ...

    # -- vectors (chunk and image vectors of documents; see ``hybrid.py``) -------------
    # An upserted document may carry ``CHUNKS_KEY``: its chunk vectors, a list of
    # ``{"id": "DOC#n", "model": model id, "page": int | None, "start": int | None,
    # "end": int | None, "image": image id | None, "vector": [float, ...]}``. The index
    # keeps them per model ("vector space": vectors of one model are compared only with
    # each other and with queries that model embedded); an upsert replaces all of a
    # document's chunks, a delete removes them.

    def vector_models(self) -> dict[str, int]:
        """The models whose vectors this index holds, with their dimension (empty: none)."""

    def vector_search(self, model: str, vector: Sequence[float], *, k: int = 10,
                      filters: dict[str, list[str]] | None = None,
                      exclude: Sequence[str] = ()) -> list[dict[str, Any]]:
        """The ``k`` documents whose best chunk of ``model`` is most similar to
        ``vector`` (cosine, best first), each ``{"id": doc id, "score": cosine,
        "chunk": {"id", "page", "start", "end", "image"}}`` for that best chunk. Only
        documents that ``filters`` keep (as in ``search``), never those in ``exclude``.
        A ``VectorDimensionError`` for a vector of another dimension than the
        model's; an empty list for a model the index does not hold."""

    def document_vectors(self, doc_id: str) -> dict[str, list[list[float]]]:
        """A document's chunk vectors by model (empty: none, or no such document)."""

    def facet_counts(self, ids: Sequence[str], facets: Sequence[str],
                     facet_size: int = 10) -> dict[str, list[dict[str, Any]]]:
        """Facet counts (as ``search`` gives them) over the documents ``ids``."""

    def lookup(self, ids: Sequence[str], query: str | None = None,
               syntax: str = "lenient") -> dict[str, dict[str, Any]]:
        """The documents ``ids`` that are here, by id, as hits without a score
        (``{id, uri, title, score: None, highlights}``); with a ``query``, the highlights
        of that query in each (none where it does not match), else none."""

    def matching(self, query: str, ids: Sequence[str], *, syntax: str = "lenient",
                 filters: dict[str, list[str]] | None = None) -> set[str]:
        """Which of the documents ``ids`` the query (and the filters) match."""

    def refresh(self) -> None:
        """See what other processes have committed since this index was opened (a
        reader kept open, as the server's); IndexMissingError if it is gone."""

    def rebuild(self) -> AbstractContextManager[SearchIndex]:
        """A fresh, empty index to fill, which replaces this one's contents at once
        when the ``with`` block ends without an error (searches of this index see the
        old contents until then); after an error it is discarded and nothing changes.
        Writes inside go to the index the block is given; it is committed at the end.
        """

    def close(self) -> None: ...

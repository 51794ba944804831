"""Searching an index from Python: ``search(data_dir, query, ...)`` and ``similar(data_dir,
doc_id)`` (``from enrich import search``)."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Sequence

from indexers.stores import (DataDir, IndexMissingError, SearchIndex, SearchResult, SqliteStore,
                             check_search, hybrid, open_index)
from indexers.stores.query_syntax import check_syntax

__all__ = ["search", "similar", "MODES"]

MODES = hybrid.MODES


def search(data_dir: str | Path, query: str, *, top: int = 10, offset: int = 0,
           facets: Sequence[str] = (), filters: dict[str, list[str]] | None = None,
           facet_size: int = 10, index_url: str | None = None,
           syntax: str = "lenient", sort: str | None = None,
           mode: str | None = None) -> SearchResult:
    """Run ``query`` against the index of ``data_dir``, or the one ``index_url`` names
    (see ``indexers.stores.open_index``); nothing is created.

    ``mode``: ``keyword``, ``vector`` or ``hybrid`` (reciprocal-rank fusion of both);
    None: hybrid when the index holds vectors, else keyword (see
    ``indexers.stores.hybrid``). A vector or hybrid result carries its best ``chunk``
    (page, offsets, text) and its ``ranks`` in the lists fused.
    ``syntax``: ``lenient`` searches what is not valid query syntax as words; ``strict``
    refuses it (see ``indexers.stores.query_syntax``). ``sort``: relevance (None), or a
    sortable field (``-name`` descending); ``offset`` skips that many results (paging).
    Filters, facets and sorts may name the index's user fields (a skillset's typed
    ``fields:``), which the index knows.
    Raises the store's errors as they are (each with its code): ``QueryError`` for a
    query that cannot be parsed (strict syntax) or a mode that cannot apply,
    ``IndexMissingError`` when nothing is indexed there, ``StoreError`` for an unknown
    field or an index that cannot be read."""
    check_syntax(syntax)
    with _opened(data_dir, index_url, filters, facets, sort) as (index, texts):
        return hybrid.search(index, query, mode=mode, texts=texts, top=top, offset=offset,
                             facets=facets, filters=filters, facet_size=facet_size,
                             syntax=syntax, sort=sort)


def similar(data_dir: str | Path, doc_id: str, *, top: int = 10, offset: int = 0,
            facets: Sequence[str] = (), filters: dict[str, list[str]] | None = None,
            facet_size: int = 10, index_url: str | None = None) -> SearchResult:
    """"More like this": the documents whose chunks are nearest ``doc_id``'s (its vectors
    averaged per model), the document itself left out; ``NoVectorsError`` when it has
    none."""
    with _opened(data_dir, index_url, filters, facets, None) as (index, texts):
        return hybrid.similar(index, doc_id, texts=texts, top=top, offset=offset,
                              filters=filters, facets=facets, facet_size=facet_size)


@contextmanager
def _opened(data_dir: str | Path, index_url: str | None, filters, facets, sort
            ) -> Iterator[tuple[SearchIndex, object]]:
    """The index to read, and the store's chunk texts (when the data directory has one)."""
    try:
        index = open_index(data_dir, index_url)
    except IndexMissingError:
        check_search(filters, facets, sort)  # a bad field says so even with no index
        raise
    data = DataDir(data_dir)
    store = SqliteStore(data.store, read_only=True) if data.exists() else None
    try:
        yield index, (store.chunk_texts if store else None)
    finally:
        index.close()
        if store is not None:
            store.close()

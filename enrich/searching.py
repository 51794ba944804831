"""Searching an index from Python: ``search(data_dir, query, ...)`` (``from enrich import search``)."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from indexers.stores import IndexMissingError, SearchResult, check_search, open_index
from indexers.stores.query_syntax import check_syntax

__all__ = ["search"]


def search(data_dir: str | Path, query: str, *, top: int = 10, offset: int = 0,
           facets: Sequence[str] = (), filters: dict[str, list[str]] | None = None,
           facet_size: int = 10, index_url: str | None = None,
           syntax: str = "lenient", sort: str | None = None) -> SearchResult:
    """Run ``query`` against the index of ``data_dir``, or the one ``index_url`` names
    (see ``indexers.stores.open_index``); nothing is created.

    ``syntax``: ``lenient`` searches what is not valid query syntax as words; ``strict``
    refuses it (see ``indexers.stores.query_syntax``). ``sort``: relevance (None), or a
    sortable field (``-name`` descending); ``offset`` skips that many results (paging).
    Filters, facets and sorts may name the index's user fields (a skillset's typed
    ``fields:``), which the index knows.
    Raises the store's errors as they are (each with its code): ``QueryError`` for a
    query that cannot be parsed (strict syntax), ``IndexMissingError`` when nothing is indexed there,
    ``StoreError`` for an unknown field or an index that cannot be read."""
    check_syntax(syntax)
    try:
        index = open_index(data_dir, index_url)
    except IndexMissingError:
        check_search(filters, facets, sort)  # a bad field says so even with no index
        raise
    try:
        return index.search(query, top=top, offset=offset, facets=facets, filters=filters,
                            facet_size=facet_size, syntax=syntax, sort=sort)
    finally:
        index.close()

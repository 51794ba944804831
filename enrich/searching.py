"""Searching an index from Python: ``search(data_dir, query, ...)``."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from indexers.stores import SearchResult, StoreError, check_search, open_index

from enrich.errors import EnrichError

__all__ = ["search", "SearchError"]


class SearchError(EnrichError):
    """A search could not run: bad query, unknown field, no index."""


def search(data_dir: str | Path, query: str, *, top: int = 10, offset: int = 0,
           facets: Sequence[str] = (), filters: dict[str, list[str]] | None = None,
           facet_size: int = 10, index_url: str | None = None) -> SearchResult:
    """Run ``query`` against the index of ``data_dir``, or the one ``index_url`` names
    (see ``indexers.stores.open_index``); nothing is created."""
    try:
        check_search(filters, facets)  # before opening: the same answer with no index
        index = open_index(data_dir, index_url)
    except StoreError as exc:
        raise SearchError(str(exc)) from exc
    try:
        return index.search(query, top=top, offset=offset, facets=facets, filters=filters,
                            facet_size=facet_size)
    except StoreError as exc:
        raise SearchError(str(exc)) from exc
    finally:
        index.close()

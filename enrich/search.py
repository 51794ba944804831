"""Searching an index from Python: ``search(data_dir, query, ...)``."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from indexers.stores import KEYWORD_FIELDS, QueryError, SearchResult, StoreError, open_index

from enrich.errors import EnrichError

__all__ = ["search", "SearchError"]


class SearchError(EnrichError):
    """A search could not run: bad query, unknown field, no index."""


def search(data_dir: str | Path, query: str, *, top: int = 10, offset: int = 0,
           facets: Sequence[str] = (), filters: dict[str, list[str]] | None = None,
           facet_size: int = 10, index_url: str | None = None) -> SearchResult:
    """Run ``query`` against the index in ``data_dir`` (or Elasticsearch at ``index_url``)."""
    unknown = [f for f in list(facets) + list(filters or {}) if f not in KEYWORD_FIELDS]
    if unknown:
        raise SearchError(f"cannot facet or filter on {unknown}; "
                          f"keyword fields are: {', '.join(KEYWORD_FIELDS)}")
    if index_url is None and not (Path(data_dir) / "index").exists():
        raise SearchError(f"no search index in {data_dir}: run `enrich index` first")
    try:
        index = open_index(data_dir, index_url)
    except StoreError as exc:
        raise SearchError(str(exc)) from exc
    try:
        return index.search(query, top=top, offset=offset, facets=facets, filters=filters,
                            facet_size=facet_size)
    except QueryError as exc:
        raise SearchError(str(exc)) from exc
    finally:
        index.close()

"""Stores: where enriched documents go.

``SqliteStore`` is the store of record (one SQLite file, schema in ``SCHEMA.md``);
``TantivyIndex`` is the full-text search index derived from it. ``open_store``
opens both in a data directory::

    store, index = open_store("enrich-data")
"""

from __future__ import annotations

import shutil
from pathlib import Path

from .base import (INDEX_FIELDS, KEYWORD_FIELDS, SORT_FIELDS, TEXT_FIELDS, TRANSIENT_STAGES,
                   DocumentRecord,
                   IndexLayoutError, QueryError, SearchIndex, SearchResult, SourceState, Store,
                   StoreError)
from .datadir import DataDir
from .sqlite import SqliteStore
from .tantivy_index import TantivyIndex

__all__ = [
    "DocumentRecord", "SourceState", "Store", "SearchIndex", "SearchResult",
    "StoreError", "QueryError", "IndexLayoutError", "INDEX_FIELDS", "KEYWORD_FIELDS", "TEXT_FIELDS",
    "SORT_FIELDS", "TRANSIENT_STAGES", "SqliteStore", "TantivyIndex", "open_store", "open_index", "DataDir",
]


def open_index(data_dir: str | Path, index_url: str | None = None) -> SearchIndex:
    """The search index: ``data_dir/index`` (tantivy), or the Elasticsearch index
    named by ``index_url`` (``es+https://host:9200/name``)."""
    if index_url:
        if not index_url.startswith(("es+http://", "es+https://")):
            raise StoreError(f"unknown search index {index_url!r}: leave it out for the "
                             "embedded index, or name an Elasticsearch index as "
                             "es+https://host:9200/name")
        from .elastic import ElasticIndex
        return ElasticIndex.from_url(index_url)
    return TantivyIndex(DataDir(data_dir).index)


def open_store(data_dir: str | Path, index_url: str | None = None
               ) -> tuple[SqliteStore, SearchIndex]:
    """The store (``data_dir/enrich.sqlite``) and the search index (``data_dir/index``,
    or Elasticsearch with ``index_url``)."""
    data_dir = DataDir(data_dir)
    store = SqliteStore(data_dir.store)
    try:
        return store, open_index(data_dir, index_url)
    except IndexLayoutError:
        # The index is derived from the store: rebuild it rather than fail.
        shutil.rmtree(data_dir.index)
        with store.transaction():
            store.reindex_all()
        return store, TantivyIndex(data_dir.index)
    except BaseException:
        store.close()
        raise

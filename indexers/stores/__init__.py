"""Stores: where enriched documents go.

``SqliteStore`` is the store of record (one SQLite file, schema in ``SCHEMA.md``);
the search index (``SearchIndex``: ``TantivyIndex`` embedded, or ``ElasticIndex``) is
derived from it. ``open_index`` is the one way to open a search index (the indexer,
``enrich search`` and the server all use it); ``open_store`` opens both for a run::

    index = open_index("enrich-data")                       # read: creates nothing
    store, index = open_store("enrich-data", "es+https://host:9200/corpus")
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from .base import (INDEX_FIELDS, KEYWORD_FIELDS, SORT_FIELDS, TEXT_FIELDS, TRANSIENT_STAGES,
                   DocumentRecord, IndexLayoutError, IndexMissingError, QueryError,
                   SearchIndex, SearchResult, SourceState, Store, StoreError, check_search)
from .datadir import DataDir
from .sqlite import SqliteStore
from .sqlite_graph_read import SqliteGraphReader
from .sync import rebuild_index, sync_index
from .tantivy_index import TantivyIndex

__all__ = [
    "DocumentRecord", "SourceState", "Store", "SearchIndex", "SearchResult",
    "StoreError", "QueryError", "IndexLayoutError", "IndexMissingError", "INDEX_FIELDS",
    "KEYWORD_FIELDS", "TEXT_FIELDS", "SORT_FIELDS", "TRANSIENT_STAGES", "SqliteStore",
    "TantivyIndex", "open_store", "open_index", "DataDir", "check_search", "sync_index",
    "rebuild_index", "index_location", "rebuild_search_index", "SqliteGraphReader",
]

ES_SCHEMES = ("es+http://", "es+https://")


def index_location(data_dir: str | Path | DataDir, url: str | None = None) -> str | Path:
    """Where the search index named by ``url`` is: an ``es+https://`` URL as given, or
    the folder of an embedded index (the data directory's, for no URL; a path or a
    ``file://`` URL names one elsewhere)."""
    if not url:
        return DataDir(data_dir).index
    if url.startswith(ES_SCHEMES):
        return url
    if url.startswith("file://"):
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost") or parts.query or parts.fragment:
            raise StoreError(f"cannot use {url!r} as a search index folder: write it as "
                             "file:///absolute/path (or a plain path)")
        return Path(unquote(parts.path))
    if "://" in url:
        raise StoreError(f"unknown search index {url!r}: leave it out for the embedded index "
                         "in the data directory, give a folder (a path or file:// URL) for "
                         "an embedded index elsewhere, or name an Elasticsearch index as "
                         "es+https://host:9200/name")
    return Path(url).expanduser()


def open_index(data_dir: str | Path | DataDir, url: str | None = None, *,
               write: bool = False) -> SearchIndex:
    """The search index of ``data_dir``, or the one ``url`` names (see ``index_location``).

    For reading (``write=False``) nothing is created: no index there is an
    ``IndexMissingError`` and one of another layout an ``IndexLayoutError`` (both say
    what to run). For writing, a missing index is created and one of another layout
    is opened with ``stale`` set, for ``rebuild_index`` to rebuild it.
    """
    where = index_location(data_dir, url)
    if isinstance(where, str):
        from .elastic import ElasticIndex
        return ElasticIndex.from_url(where, write=write)
    return TantivyIndex(where, write=write)


def open_store(data_dir: str | Path | DataDir, url: str | None = None
               ) -> tuple[SqliteStore, SearchIndex]:
    """The store (created if missing) and its search index, opened for writing."""
    data_dir = DataDir(data_dir)
    store = SqliteStore(data_dir.store)
    try:
        return store, open_index(data_dir, url, write=True)
    except BaseException:
        store.close()
        raise


def rebuild_search_index(data_dir: str | Path | DataDir, url: str | None = None) -> int:
    """Rebuild the search index of ``data_dir`` (or the one ``url`` names) from the
    store of record; returns the documents written. Searches go on meanwhile."""
    store, index = open_store(DataDir(data_dir).require(), url)
    try:
        return rebuild_index(store, index)
    finally:
        index.close()
        store.close()

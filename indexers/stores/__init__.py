"""Stores: where enriched documents go.

``SqliteStore`` is the store of record (one SQLite file, schema in ``SCHEMA.md``);
the search index (``SearchIndex``: ``TantivyIndex`` embedded, or ``ElasticIndex``) is
derived from it. ``open_index`` is the one way to open a search index (the indexer,
``enrich search`` and the server all use it); ``open_store`` opens both for a run::

    index = open_index("enrich-data")                       # read: creates nothing
    store, index = open_store("enrich-data", "es+https://host:9200/corpus")

An index is enrich's only when it carries enrich's marker (``enrich-index.json`` in a
tantivy folder, ``_meta.enrich_layout`` in Elasticsearch mappings): anything else -
a folder that is not empty, a foreign index or alias, a folder that is, holds or lies
inside the data directory (other than its own ``index/``) - is a ``ForeignIndexError``,
and enrich writes nothing there and deletes nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence
from urllib.parse import unquote, urlsplit

from .base import (CHUNKS_KEY, INDEX_FIELDS, KEYWORD_FIELDS, SORT_FIELDS, TEXT_FIELDS,
                   TRANSIENT_STAGES,
                   DocumentRecord, ForeignIndexError, IndexLayoutError, IndexMissingError,
                   QueryError, SearchIndex, SearchResult, SourceState, Store, StoreError,
                   check_search)
from .datadir import DataDir, DataDirBusyError
from . import hybrid
from .fields import FieldSpec
from .sqlite import SqliteStore
from .sqlite_graph_read import SqliteGraphReader
from .sync import rebuild_index, sync_index
from .tantivy_index import TantivyIndex, check_folder

__all__ = [
    "CHUNKS_KEY", "DocumentRecord", "SourceState", "Store", "SearchIndex", "SearchResult",
    "StoreError", "QueryError", "IndexLayoutError", "IndexMissingError", "ForeignIndexError",
    "INDEX_FIELDS", "KEYWORD_FIELDS", "TEXT_FIELDS", "SORT_FIELDS", "TRANSIENT_STAGES",
    "SqliteStore", "TantivyIndex", "open_store", "open_index", "DataDir", "DataDirBusyError",
    "check_search", "sync_index", "rebuild_index", "index_location", "check_index",
    "rebuild_search_index", "SqliteGraphReader", "FieldSpec", "hybrid",
]

ES_SCHEMES = ("es+http://", "es+https://")


def index_location(data_dir: str | Path | DataDir, url: str | None = None) -> str | Path:
    """Where the search index named by ``url`` is: an ``es+https://`` URL as given, or
    the folder of an embedded index (the data directory's, for no URL; a path or a
    ``file://`` URL names one elsewhere, resolved). A folder that is the data
    directory, lies inside it (but for its own ``index/``) or holds it is a
    ``ForeignIndexError``: the index would overwrite or delete the store."""
    if not url:
        return DataDir(data_dir).index
    if url.startswith(ES_SCHEMES):
        return url
    if url.startswith("file://"):
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost") or parts.query or parts.fragment:
            raise StoreError(f"cannot use {url!r} as a search index folder: write it as "
                             "file:///absolute/path (or a plain path)")
        folder = Path(unquote(parts.path))
    elif "://" in url:
        raise StoreError(f"unknown search index {url!r}: leave it out for the embedded index "
                         "in the data directory, give a folder (a path or file:// URL) for "
                         "an embedded index elsewhere, or name an Elasticsearch index as "
                         "es+https://host:9200/name")
    else:
        folder = Path(url).expanduser()
    return _outside_data(DataDir(data_dir), folder.resolve())


def _outside_data(data_dir: DataDir, folder: Path) -> Path:
    """``folder``, unless it overlaps the data directory (its own index is fine)."""
    root = data_dir.root.expanduser().resolve()
    if folder == DataDir(root).index:
        return folder
    if folder.is_relative_to(root) or root.is_relative_to(folder):
        raise ForeignIndexError(
            f"the search index folder {folder} is the data directory {root}, lies inside "
            "it or holds it: the index would overwrite or delete the store and cache. Give "
            "a folder outside the data directory, or leave --index out for its own index")
    return folder


def check_index(data_dir: str | Path | DataDir, url: str | None = None) -> str | Path:
    """``index_location``, once the index's backend is known to be installed (a
    ``MissingPackage`` naming the extra otherwise): what a long-running reader (``enrich
    serve``) checks before it starts, with that a folder there is enrich's (or
    empty, or not made yet). Opens and creates nothing."""
    where = index_location(data_dir, url)
    if isinstance(where, str):
        from .elastic import client_module
        client_module()
    else:
        check_folder(where)
    return where


def open_index(data_dir: str | Path | DataDir, url: str | None = None, *,
               write: bool = False, fields: Sequence[FieldSpec] | None = None) -> SearchIndex:
    """The search index of ``data_dir``, or the one ``url`` names (see ``index_location``).

    For reading (``write=False``) nothing is created: no index there is an
    ``IndexMissingError`` and one of another layout an ``IndexLayoutError`` (both say
    what to run). For writing, a missing index is created and one of an older enrich
    layout is opened with ``stale`` set, for ``rebuild_index`` to rebuild it. A place
    without enrich's marker is a ``ForeignIndexError`` either way.

    ``fields``: the user fields (``fields.FieldSpec``, a skillset's typed ``fields:``) a
    writer wants; an index with others is opened ``stale`` (to rebuild). None: those
    the index has (a reader always takes those).
    """
    where = index_location(data_dir, url)
    if isinstance(where, str):
        from .elastic import ElasticIndex
        return ElasticIndex.from_url(where, write=write, fields=fields)
    return TantivyIndex(where, write=write, fields=fields)


def open_store(data_dir: str | Path | DataDir, url: str | None = None,
               fields: Sequence[FieldSpec] | None = None) -> tuple[SqliteStore, SearchIndex]:
    """The store (created if missing) and its search index, opened for writing (with
    the user ``fields`` given, see ``open_index``)."""
    data_dir = DataDir(data_dir)
    store = SqliteStore(data_dir.store)
    try:
        return store, open_index(data_dir, url, write=True, fields=fields)
    except BaseException:
        store.close()
        raise


def rebuild_search_index(data_dir: str | Path | DataDir, url: str | None = None) -> int:
    """Rebuild the search index of ``data_dir`` (or the one ``url`` names) from the
    store of record; returns the documents written. Searches go on meanwhile; the data
    directory's lock is held throughout (``DataDirBusyError`` during a run)."""
    with DataDir(data_dir).require().locked() as locked:
        store, index = open_store(locked, url)
        try:
            return rebuild_index(store, index)
        finally:
            index.close()
            store.close()

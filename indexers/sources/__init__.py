"""Sources: where documents come from, chosen by URI scheme.

* a local path or ``file://`` (:class:`LocalSource`);
* ``az://container/prefix`` (Azure Blob Storage), ``s3://bucket/prefix`` (S3 and
  S3-compatible stores), ``gs://bucket/prefix`` (Google Cloud Storage);
* a SQLAlchemy URL (``sqlite:///corpus.db``, ``postgresql://...``) with ``table`` or
  ``query`` and a ``key`` column: each row is an item (:mod:`.sql`).

``parsing_mode="csv" | "jsonl" | "json"`` turns any file source into a record source:
each row or object of its files is an item of its own, named by its ``key`` column or,
without one, its position (:mod:`.records`; the id rule and the documents are those of
``indexers.crackers.rows``, so a CSV gets the same ids as when cracked into rows). Each
source takes only the options that concern it, and says so when given another.
"""

from __future__ import annotations

from typing import Any

from indexers.sources.base import (Source, SourceError, SourceItem, TooLarge, TransientSourceError,
                                   check_size, close_source)
from indexers.sources.local import LocalSource

__all__ = ["Source", "SourceError", "SourceItem", "TransientSourceError", "TooLarge", "check_size",
           "close_source",
           "LocalSource", "open_source", "SCHEMES", "SQL_SCHEMES", "PARSING_MODES",
           "RECORD_OPTIONS"]

# scheme -> "module:Class", imported on use (each cloud SDK is optional to load)
SCHEMES = {"": "indexers.sources.local:LocalSource", "file": "indexers.sources.local:LocalSource",
           "az": "indexers.sources.azure:AzureBlobSource",
           "s3": "indexers.sources.s3:S3Source",
           "gs": "indexers.sources.gcs:GcsSource", "gcs": "indexers.sources.gcs:GcsSource"}
SQL_SCHEMES = ("sqlite", "postgresql", "postgres", "mysql", "mariadb", "mssql", "oracle")
PARSING_MODES = ("default", "csv", "jsonl", "json", "xlsx")
# options of record sources (files parsed into records, and SQL tables)
RECORD_OPTIONS = ("key", "text_columns", "table", "query", "high_water_mark")


def _scheme(uri: str) -> str:
    return uri.split("://", 1)[0].lower() if "://" in uri else ""


def _load(target: str) -> Any:
    import importlib
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


def open_source(uri: str, *, parsing_mode: str | None = None, **options: Any) -> Source:
    """The source for ``uri`` (see the module docstring); ``options`` go to it.

    ``exclude`` (paths never listed: the data directory) concerns local sources only
    and is dropped for the others.
    """
    scheme = _scheme(uri)
    mode = parsing_mode or "default"
    if mode not in PARSING_MODES:
        raise SourceError(f"unknown parsing mode {mode!r}; choose one of {', '.join(PARSING_MODES)}")
    if scheme.split("+")[0] in SQL_SCHEMES:
        if mode != "default":
            raise SourceError(f"--parsing-mode {mode} is for files; a SQL source's rows "
                              "are records already (give --table or --query and --key)")
        options.pop("exclude", None)
        return _make(_load("indexers.sources.sql:SqlSource"), uri, options)
    if scheme not in SCHEMES:
        raise SourceError(f"unknown source scheme {scheme!r} in {uri!r}; supported: a local "
                          "path or file://, az://, s3://, gs://, or a SQLAlchemy URL "
                          f"({', '.join(SQL_SCHEMES)})")
    record = {name: options.pop(name) for name in RECORD_OPTIONS if name in options}
    if scheme not in ("", "file"):
        options.pop("exclude", None)
    source = _make(_load(SCHEMES[scheme]), uri, options)
    if mode == "default":
        if record:
            raise SourceError(f"{', '.join(record)} only apply to records: add a parsing mode "
                              "(csv, jsonl, json or xlsx) or use a SQL source")
        return source
    return _load("indexers.sources.records:RecordSource")(source, mode, **record)


def _make(cls: Any, uri: str, options: dict[str, Any]) -> Source:
    """``cls(uri, **options)``, refusing options it does not take by name."""
    import inspect
    accepted = inspect.signature(cls).parameters
    unknown = [name for name in options if name not in accepted]
    if unknown:
        takes = [n for n, p in accepted.items() if p.kind is p.KEYWORD_ONLY or n != "uri"]
        raise SourceError(f"{uri}: {', '.join(unknown)} do not apply to this source "
                          f"({cls.__name__} takes {', '.join(takes) or 'no options'})")
    return cls(uri, **options)

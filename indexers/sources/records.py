"""Record sources: every row of a CSV, line of a JSON Lines file or object of a JSON
array is an item of its own (``--parsing-mode csv | jsonl | json``), and every row of an
XLSX worksheet under its header row (``--parsing-mode xlsx``; with ``--key``, every
worksheet's header must have the key column).

:class:`RecordSource` wraps any file source (a folder, one file, a bucket). Files of
another type are skipped with a logged note (a folder may hold a README); a source
that is one file is parsed in the mode given, whatever its extension. A file is read
once while listing; its records are never collected in a list: CSV rows and JSON
lines are streamed, and only where each record starts and ends in the text is kept.

Item URIs and change detection
------------------------------
``{file_uri}#{key}={value}`` with the ``key`` column's value URL-quoted
(``notes.csv#id=7``). Without a key column a record is named by its position -
``#row={n}`` (CSV data rows from 1, blank rows skipped), ``#line={n}`` (JSON Lines,
physical lines from 1) or ``#item={n}`` (JSON arrays, from 1) - and updates follow
positions: deleting row 2 changes rows 3, 4, ... and deletes the last one. This is the
id rule of ``indexers.crackers.rows``, which also reads the files and makes the
documents: a CSV file indexed without a parsing mode gets the same ids and documents
as with ``--parsing-mode csv`` and no ``--key``.

``version`` is the SHA-256 of the record JSON that :meth:`RecordSource.read`
returns, with its keys sorted (:func:`payload_version`; the options are in it): a
record whose values changed gets a new version, an unchanged one keeps it and is
not read again, even when another row of the same file changed. ``size`` is the
payload's length, ``mtime`` the file's, ``content_type`` :data:`RECORD_TYPE` (cracked by
``indexers.crackers.record``).

Problems
--------
* No such ``key`` (or text) column: :class:`SourceError` naming the columns there
  are, raised while listing, so that the run stops before anything is deleted (a
  mistyped ``--key`` would otherwise take every record indexed so far for deleted).
* A key value that repeats in a file: the value is listed once and reading it fails
  (``id=7 repeats: rows 3 and 9; keys must be unique``). Neither row is more right
  than the other, so the record's document is removed until the file is fixed; the
  repeat is part of the listed version, so adding or removing a repeat makes the
  record be read (and reported, or indexed) again.
* Records that cannot be parsed (a bad JSON line, an object without the key, a file
  that is not JSON at all, a CSV error) are left out and reported by one more item,
  ``{file_uri}#file``, whose read fails with the list of problems.
* A file that cannot be read while listing: a transient error (``OSError``,
  :class:`TransientSourceError`) stops the listing - its records would otherwise be
  deleted; a permanent one (``TooLarge``...) is reported by ``{file_uri}#file``, and
  the file's URI goes into ``unreadable``, so the indexer keeps its records as they
  were instead of taking them for deleted.

Reading works in a fresh process (a worker that never listed): the file is read
from the inner source again, parsed once, and kept in a small LRU cache.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from typing import Any, Iterator, Sequence
from urllib.parse import unquote

from indexers.crackers.rows import (POSITIONS, RECORD_TYPE, Problems, Rows, encode_payload,
                                    record_payload, row_fragment, row_name, row_uri)
from indexers.crackers.sniff import XLSX
from indexers.sources.base import Source, SourceError, SourceItem, TransientSourceError

__all__ = ["RecordSource", "MODES", "payload_version", "text_columns_option"]

log = logging.getLogger(__name__)

# mode -> (file extensions, content types) of the files it parses
MODES = {"csv": (("csv", "tsv"), ("text/csv", "text/tab-separated-values")),
         "jsonl": (("jsonl", "ndjson"), ("application/x-ndjson", "application/jsonl",
                                         "application/x-jsonlines")),
         "json": (("json",), ("application/json",)),
         "xlsx": (("xlsx", "xlsm"), (XLSX,))}
FILE_FRAGMENT = "file"  # {file_uri}#file: the item that reports a file's problems
CACHE_FILES = 8  # parsed files kept for read()
CACHE_CHARS = 256 * 1024 * 1024  # ... and at most this much text among them


def text_columns_option(value: Sequence[str] | str | None) -> list[str] | None:
    """``text_columns`` as a list: a string is split at commas; empty means None."""
    if isinstance(value, str):
        value = value.split(",")
    names = [name.strip() for name in value or () if name and name.strip()]
    return names or None


_SORTED = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str,
                           sort_keys=True)


def payload_version(payload: dict[str, Any]) -> tuple[str, int]:
    """The version and size of a payload: the SHA-256 of its JSON with every key sorted
    (a record whose values change gets a new version, one whose columns were only
    reordered keeps it), and the length of its bytes (the same, in any order)."""
    data = _SORTED.encode(payload).encode("utf-8")
    return hashlib.sha256(data).hexdigest(), len(data)


@dataclass
class _Parsed:
    """One parsed file: its rows, where each keyed record is, and what went wrong."""

    rows: Rows | None = None  # None: the file could not be read
    index: dict[str, tuple[int, Any]] = field(default_factory=dict)  # fragment -> (n, where)
    repeats: dict[str, list[int]] = field(default_factory=dict)  # fragment -> positions
    problems: Problems = field(default_factory=Problems)

    @property
    def chars(self) -> int:
        """The length of the decoded file (what the cache holds, roughly)."""
        return self.rows.chars if self.rows else 0


class RecordSource:
    """The records of the files of ``source`` (see the module docstring)."""

    def __init__(self, source: Source, mode: str, *, key: str | None = None,
                 text_columns: Sequence[str] | str | None = None) -> None:
        if mode not in MODES:
            raise SourceError(f"unknown record parsing mode {mode!r}; choose one of "
                              f"{', '.join(MODES)}")
        self.source, self.mode = source, mode
        self.key = (key or "").strip() or None
        self.text_columns = text_columns_option(text_columns)
        self.uri = source.uri
        self._files: dict[str, SourceItem] = {}  # file items seen while listing
        # Files that could not be read while listing: the indexer keeps their records
        # rather than taking them for deleted (see ``Source.unreadable``).
        self.unreadable: set[str] = set()
        self._cache: OrderedDict[str, _Parsed] = OrderedDict()

    # -- listing ----------------------------------------------------------------------

    def list(self) -> Iterator[SourceItem]:
        parsed = 0
        for file in self.source.list():
            if not self._fits(file):
                log.info("%s: not a %s file, skipped (parsing mode %s)", file.name,
                         self.mode, self.mode)
                continue
            parsed += 1
            self._files[file.uri] = file
            yield from self._list_file(file)
        if not parsed:
            log.warning("%s holds no %s file (extensions: %s)", self.uri, self.mode,
                        ", ".join(MODES[self.mode][0]))

    def _fits(self, file: SourceItem) -> bool:
        extensions, types = MODES[self.mode]
        if file.uri == self.uri:  # the source is this one file: parse it as told
            return True
        dot = file.name.rfind(".")
        content_type = (file.content_type or "").split(";")[0].strip().lower()
        return (dot >= 0 and file.name[dot + 1:].lower() in extensions) or content_type in types

    def _list_file(self, file: SourceItem) -> Iterator[SourceItem]:
        entry = _Parsed()
        items = {fragment: self._item(file, n, record)
                 for fragment, n, record in self._records(file, entry)}
        for fragment, positions in entry.repeats.items():
            # A repeated key fails its record; the repeat is part of the version, so
            # the record is read (and reported) again when a row is added or fixed.
            item = items[fragment]
            items[fragment] = replace(item, version=f"{item.version}|repeats "
                                                    f"{','.join(map(str, positions))}")
        yield from items.values()
        self._remember(file.uri, entry)
        if entry.problems:
            yield SourceItem(uri=f"{file.uri}#{FILE_FRAGMENT}", name=file.name,
                             size=file.size, mtime=file.mtime)

    def _item(self, file: SourceItem, n: int, record: dict[str, Any]) -> SourceItem:
        column, value = self._key_of(n, record)
        version, size = payload_version(record_payload(self.mode, file.uri, column, value,
                                                       record, self.text_columns))
        return SourceItem(uri=row_uri(file.uri, column, value),
                          name=row_name(file.name, column, value), size=size,
                          mtime=file.mtime, version=version, content_type=RECORD_TYPE)

    def _key_of(self, n: int, record: dict[str, Any]) -> tuple[str, Any]:
        if self.key:
            return self.key, record[self.key]
        return POSITIONS[self.mode], n

    # -- parsing ----------------------------------------------------------------------

    def _records(self, file: SourceItem, entry: _Parsed
                 ) -> Iterator[tuple[str, int, dict[str, Any]]]:
        """The file's records (see :meth:`_parse`). A transient read error (``OSError``,
        :class:`TransientSourceError`) propagates: taken for an empty file, the file's
        records would be deleted. A permanent one is a problem of the file."""
        try:
            data = self.source.read(file)
        except TransientSourceError:
            raise
        except SourceError as exc:  # too large, gone, refused: its records stay as they are
            entry.problems.add(str(exc))
            self.unreadable.add(file.uri)
            return
        yield from self._parse(entry, data, file.name)

    def _parse(self, entry: _Parsed, data: bytes, name: str
               ) -> Iterator[tuple[str, int, dict[str, Any]]]:
        """(fragment, position, record) of each record with a usable, first-seen key;
        fills ``entry.index``, ``repeats`` and ``problems`` on the way."""
        rows = entry.rows = Rows(self.mode, data, _extension(name), entry.problems)
        for warning in rows.warnings:
            log.warning("%s: %s", name, warning)
        found = keyed = 0
        fields: set[str] = set()
        for n, where, record in rows.records(lambda header: self._check_header(name, header)):
            found += 1
            if len(fields) < 200:
                fields.update(record)
            fragment = self._fragment(entry, n, record)
            if fragment is None:
                continue
            keyed += 1
            if fragment in entry.index:
                entry.repeats.setdefault(fragment, [entry.index[fragment][0]]).append(n)
                continue
            entry.index[fragment] = (n, where)
            yield fragment, n, record
        self._check_columns(name, found, keyed, fields)

    def _fragment(self, entry: _Parsed, n: int, record: dict[str, Any]) -> str | None:
        if not self.key:
            return row_fragment(POSITIONS[self.mode], n)
        value = record.get(self.key)
        if isinstance(value, bool) or not isinstance(value, (str, int, float)) \
                or not str(value).strip():
            entry.problems.add(f"{POSITIONS[self.mode]} {n} has no {self.key!r} value")
            return None
        return row_fragment(self.key, value)

    def _check_columns(self, name: str, found: int, keyed: int, fields: set[str]) -> None:
        """JSON has no header: a key or text column that no record has is a mistake."""
        if self.mode in ("csv", "xlsx") or not found:  # their headers were checked
            return
        missing = [c for c in [self.key] * (not keyed) + (self.text_columns or [])
                   if c and c not in fields]
        if missing:
            raise SourceError(_missing(name, missing, sorted(fields)))

    def _check_header(self, name: str, header: list[str]) -> None:
        missing = [c for c in [self.key] + (self.text_columns or []) if c and c not in header]
        if missing:
            raise SourceError(_missing(name, missing, header))

    # -- reading ----------------------------------------------------------------------

    def read(self, item: SourceItem) -> bytes:
        file_uri, _, fragment = item.uri.rpartition("#")
        if not file_uri or "=" not in fragment and fragment != FILE_FRAGMENT:
            raise SourceError(f"{item.uri} is not a record URI of {self.uri}")
        entry = self._entry(file_uri, item)
        if fragment == FILE_FRAGMENT:
            if entry.problems:
                raise SourceError(f"records left out: {entry.problems.report()}")
            raise TransientSourceError("the file changed since it was listed; listed again "
                                       "on the next run")
        if fragment in entry.repeats:
            column, value = (unquote(part) for part in fragment.split("=", 1))
            positions = " and ".join(map(str, entry.repeats[fragment]))
            raise SourceError(f"{column}={value} repeats: {POSITIONS[self.mode]}s "
                              f"{positions}; keys must be unique")
        if fragment not in entry.index:
            raise TransientSourceError(f"{item.name} is no longer in the file: it changed "
                                       "since it was listed")
        n, where = entry.index[fragment]
        record = entry.rows.at(where)
        column, value = self._key_of(n, record)
        return encode_payload(record_payload(self.mode, file_uri, column, value, record,
                                             self.text_columns))

    def _entry(self, file_uri: str, item: SourceItem) -> _Parsed:
        """The parsed file, from the cache or read again (a fresh worker process)."""
        entry = self._cache.get(file_uri)
        if entry is not None:
            self._cache.move_to_end(file_uri)
            return entry
        file = self._files.get(file_uri) or SourceItem(
            uri=file_uri, name=unquote(file_uri.rstrip("/").rsplit("/", 1)[-1]),
            size=0, mtime=item.mtime)
        entry = _Parsed()
        for _ in self._records(file, entry):
            pass
        self._remember(file_uri, entry)
        return entry

    def _remember(self, file_uri: str, entry: _Parsed) -> None:
        self._cache[file_uri] = entry
        self._cache.move_to_end(file_uri)
        while len(self._cache) > 1 and (
                len(self._cache) > CACHE_FILES
                or sum(e.chars for e in self._cache.values()) > CACHE_CHARS):
            self._cache.popitem(last=False)


# ---------------------------------------------------------------------- helpers


def _extension(name: str) -> str:
    dot = name.rfind(".")
    return name[dot + 1:].lower() if dot >= 0 else ""


def _missing(name: str, missing: list[str], columns: Sequence[str]) -> str:
    there = ", ".join(repr(c) for c in columns) or "none"
    return (f"{name}: no column {' or '.join(repr(c) for c in missing)}; its columns are "
            f"{there} (check --key and --text-column)")

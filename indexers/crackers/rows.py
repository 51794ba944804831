"""Rows: CSV, JSON Lines and JSON arrays read as records, and a record made a document.

Rows become documents by two routes, and both go through this module, so that a row
is read, named and shaped the same way whichever route it takes:

* a file cracked into one document per row: ``CsvCracker`` and ``JsonLinesCracker``
  (:mod:`.tabular`), the default for ``.csv``/``.tsv`` and ``.jsonl``/``.ndjson`` files;
* a record item, whose bytes are a record payload (:func:`encode_payload`):
  ``--parsing-mode csv | jsonl | json`` (``indexers.sources.records``) and SQL rows
  (``indexers.sources.sql``), cracked by ``RecordCracker`` (:mod:`.record`).

Sources use this module; crackers never import sources (a record payload's format is
declared here, next to the cracker that reads it).

Reading (:class:`Rows`)
-----------------------
Bytes are decoded as the text crackers decode them (:func:`~.text.decode_text`) and
split into lines once (:class:`Lines`: no copy; ``\\r``-only files too).

* CSV: the dialect is sniffed (:func:`csv_dialect`). The first non-blank row is the
  header (blank or repeated names made unique: ``column_3``, ``id_4``); every later
  non-blank row is a record of every header column (a missing cell is ``""``, cells
  past the header are ``column_{n}``), values stripped. Rows count from 1, blank rows
  skipped. A cell may be 64 MB long.
* JSON Lines: every non-blank line holding a JSON object; rows are physical line
  numbers from 1.
* JSON: an array of objects, or an object that holds one list (of objects); rows count
  items from 1.
* XLSX (``--parsing-mode xlsx``): each worksheet's first non-blank row is its header,
  the later rows its records (cells as text, see ``.xlsx.cell_text``); rows count from 1
  through all the worksheets.

What cannot be read (a bad JSON line, an item that is not an object, a CSV error, which
ends the file) is left out and listed in :class:`Problems`.

The id rule
-----------
A row's document is ``{file}#{column}={value}`` (a SQL row: ``{table}/{column}={value}``),
both URL-quoted (:func:`row_uri`): the key column and its value when a key column is
given (``--key id``: ``notes.csv#id=7``), else the row's position: ``#row={n}`` (CSV),
``#line={n}`` (JSON Lines), ``#item={n}`` (JSON). A file cracked in the default mode has
no key column, so its rows are ``notes.csv#row=3`` exactly as ``--parsing-mode csv``
without ``--key`` names them: the same file gets the same ids by both routes.

The document (:func:`row_document`)
------------------------------------
One page. ``content``: the ``text_columns`` values in that order, separated by blank
lines; without text columns, every value as a ``column: value`` line (nested objects
as dotted keys, lists flattened, empty values left out). ``metadata``:

* ``title``: a ``title`` or ``name`` column (any case) with text, else the row's name
  (``notes.csv#row=3``);
* ``file_name`` (the file, or the table), ``key`` and ``key_column`` (as in the id),
  ``origin`` (the file's or table's URI), ``format`` (csv, jsonl, json, xlsx or sql) and
  ``content_type`` of that format, so that the ``file_type`` facet says csv, jsonl,
  json or sql;
* ``record``: the columns that are not the content, as they are (all of them without
  ``text_columns``), which a skillset maps as ``/document/metadata/record/team``.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache
from typing import Any, NamedTuple
from urllib.parse import quote

from .base import Blob, new_document
from .sniff import XLSX
from .text import decode_text

__all__ = ["Rows", "Row", "Lines", "Problems", "csv_dialect", "unique_names", "row_fragment",
           "row_uri", "row_name", "row_document", "record_payload", "encode_payload",
           "RECORD_TYPE", "RECORD_MAGIC", "FORMAT_TYPES", "POSITIONS"]

RECORD_TYPE = "application/x-enrich-record+json"
RECORD_MAGIC = b'{"enrich_record":1,'  # how every payload starts (its keys are sorted)
FORMAT_TYPES = {"csv": "text/csv", "jsonl": "application/x-ndjson",
                "json": "application/json", "sql": "application/sql", "xlsx": XLSX}
# key columns when none is given
POSITIONS = {"csv": "row", "jsonl": "line", "json": "item", "xlsx": "row"}
SNIFF_SAMPLE = 16 * 1024  # characters given to csv.Sniffer
MAX_FIELD = 64 * 1024 * 1024  # longest CSV cell (the csv module's default is 128 KiB)
MAX_PROBLEMS = 20  # problems of a file listed one by one, then counted
MAX_DEPTH = 20  # nesting followed when a JSON record becomes lines
_TITLE_COLUMNS = ("title", "name")


class Problems:
    """What could not be read, in order: :data:`MAX_PROBLEMS` one by one, then a count."""

    def __init__(self) -> None:
        self.listed: list[str] = []
        self.dropped = 0

    def add(self, message: str) -> None:
        if len(self.listed) < MAX_PROBLEMS:
            self.listed.append(message)
        else:
            self.dropped += 1

    def __bool__(self) -> bool:
        return bool(self.listed)

    def lines(self) -> list[str]:
        return self.listed + ([f"... and {self.dropped} more"] if self.dropped else [])

    def report(self) -> str:
        return "; ".join(self.lines())


class Lines:
    """Lines of ``text`` with their endings; ``offset`` is where the next one starts."""

    def __init__(self, text: str) -> None:
        self.text, self.offset = text, 0
        self.sep = "\n" if "\n" in text or "\r" not in text else "\r"

    def __iter__(self) -> Lines:
        return self

    def __next__(self) -> str:
        if self.offset >= len(self.text):
            raise StopIteration
        end = self.text.find(self.sep, self.offset)
        end = len(self.text) if end < 0 else end + 1
        line, self.offset = self.text[self.offset:end], end
        return line


class Row(NamedTuple):
    """One record: its position (from 1), where it is (for :meth:`Rows.at`), its values."""

    n: int
    where: Any
    record: dict[str, Any]


class Rows:
    """The records of one file in ``fmt`` (csv, jsonl, json or xlsx; see the module docstring).

    Iterate :meth:`records` once; :meth:`at` reads one record again from where it was,
    so a caller may keep positions instead of records. ``problems`` may be shared with
    the caller, which adds its own (a record without its key) in file order."""

    def __init__(self, fmt: str, data: bytes, extension: str = "",
                 problems: Problems | None = None) -> None:
        if fmt not in POSITIONS:
            raise ValueError(f"unknown row format {fmt!r}; one of {', '.join(POSITIONS)}")
        self.fmt, self.data = fmt, data if fmt == "xlsx" else b""
        self.text, self.warnings = decode_text(data) if fmt != "xlsx" else ("", [])
        self.chars = len(self.text) or len(self.data)
        self.problems = problems if problems is not None else Problems()
        self.header: list[str] | None = None  # csv: once read
        self.dialect: Any = csv_dialect(self.text, extension) if fmt == "csv" else None
        self.items: list[Any] = []  # json: the array (its text is let go)

    def records(self, on_header: Callable[[list[str]], None] | None = None) -> Iterator[Row]:
        """Every readable record; ``on_header`` sees a CSV header before any row."""
        if self.fmt in ("csv", "xlsx"):
            return self._csv(on_header) if self.fmt == "csv" else self._xlsx(on_header)
        return self._jsonl() if self.fmt == "jsonl" else self._json()

    def at(self, where: Any) -> dict[str, Any]:
        """The record a :class:`Row` of these rows found at ``where``."""
        if self.fmt in ("json", "xlsx"):
            return self.items[where]
        start, end = where
        if self.fmt == "jsonl":
            return json.loads(self.text[start:end])
        return self._record(next(csv.reader(Lines(self.text[start:end]), self.dialect)))

    def _csv(self, on_header: Callable[[list[str]], None] | None) -> Iterator[Row]:
        csv.field_size_limit(max(csv.field_size_limit(), MAX_FIELD))  # long text columns
        lines = Lines(self.text)
        reader, n = csv.reader(lines, self.dialect), 0
        try:
            for start, row in _nonblank(reader, lines):
                if self.header is None:
                    self.header = unique_names([cell.strip() for cell in row])
                    if on_header:
                        on_header(self.header)
                    continue
                n += 1
                yield Row(n, (start, lines.offset), self._record(row))
        except csv.Error as exc:
            where = "header" if self.header is None else f"after data row {n}"
            self.problems.add(f"unreadable CSV {where}: {exc}")

    def _record(self, row: list[str]) -> dict[str, str]:
        """Every header column (missing cells are ""), cells past it as ``column_{n}``."""
        header = self.header or []
        names = header + [f"column_{i}" for i in range(len(header) + 1, len(row) + 1)]
        cells = [cell.strip() for cell in row] + [""] * (len(names) - len(row))
        return dict(zip(names, cells))

    def _xlsx(self, on_header: Callable[[list[str]], None] | None) -> Iterator[Row]:
        """Each worksheet's first non-blank row is its header (as in CSV); data rows
        count from 1 through all the sheets (``.xlsx.worksheet_rows``)."""
        from .xlsx import worksheet_rows

        n, sheet_now = 0, None
        for sheet, cells in worksheet_rows(self.data, self.problems):
            if sheet != sheet_now:
                sheet_now, self.header = sheet, unique_names(cells)
                if on_header:
                    on_header(self.header)
                continue
            n += 1
            self.items.append(self._record(cells))
            yield Row(n, n - 1, self.items[-1])

    def _jsonl(self) -> Iterator[Row]:
        lines = Lines(self.text)
        for n, line in enumerate(lines, 1):
            if line.strip():
                record = self._object(line, n)
                if record is not None:
                    yield Row(n, (lines.offset - len(line), lines.offset), record)

    def _object(self, line: str, n: int) -> dict[str, Any] | None:
        try:
            record = json.loads(line)
        except (ValueError, RecursionError) as exc:
            self.problems.add(f"line {n}: invalid JSON: {exc}")
            return None
        if not isinstance(record, dict):
            self.problems.add(f"line {n}: not a JSON object ({type(record).__name__})")
            return None
        return record

    def _json(self) -> Iterator[Row]:
        try:
            data = json.loads(self.text)
        except (ValueError, RecursionError) as exc:
            self.problems.add(f"invalid JSON: {exc}")
            return
        finally:
            self.text = ""  # the parsed items are kept instead
        self.items = self._array(data)
        for n, item in enumerate(self.items, 1):
            if isinstance(item, dict):
                yield Row(n, n - 1, item)
            else:
                self.problems.add(f"item {n} is not a JSON object ({type(item).__name__})")

    def _array(self, data: Any) -> list[Any]:
        """The records of a JSON file: an array, or the one list an object holds."""
        if isinstance(data, list):
            return data
        if isinstance(data, dict):
            lists = {k: v for k, v in data.items() if isinstance(v, list)}
            objects = [v for v in lists.values() if v and all(isinstance(i, dict) for i in v)]
            if len(objects) == 1:
                return objects[0]
            if len(lists) == 1:
                return next(iter(lists.values()))
            found = f"lists {', '.join(map(repr, lists))}" if lists else "no list"
        else:
            found = type(data).__name__
        self.problems.add(f"expected an array of objects, or an object holding one list "
                          f"of objects; found {found}")
        return []


def _nonblank(reader: Any, lines: Lines) -> Iterator[tuple[int, list[str]]]:
    """(where the row starts, row) for each non-blank row; the reader pulls exactly
    the lines of one row at a time, so ``lines.offset`` is then where it ends."""
    while True:
        start = lines.offset
        try:
            row = next(reader)
        except StopIteration:
            return
        if any(cell.strip() for cell in row):
            yield start, row


def csv_dialect(text: str, extension: str) -> Any:
    """The dialect of CSV ``text``: sniffed among ``, ; tab |`` from the first 16 KB,
    else excel (excel-tab for ``.tsv``).

    Quotes inside quoted cells count as doubled unless an escape character was found:
    csv.Sniffer misses ``""`` when lines end in CRLF, and without either a quote could
    not be written inside a cell at all."""
    sample = text[:SNIFF_SAMPLE]
    if len(text) > SNIFF_SAMPLE and "\n" in sample:
        sample = sample[: sample.rindex("\n")]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        return csv.excel_tab if extension.lower() == "tsv" else csv.excel
    if dialect.doublequote or dialect.escapechar:
        return dialect
    return type("Doubled", (dialect,), {"doublequote": True})


def unique_names(names: list[str]) -> list[str]:
    """Header names with blank or repeated ones made unique (``column_3``, ``id_4``)."""
    out: list[str] = []
    for i, name in enumerate(names, 1):
        name = name or f"column_{i}"
        out.append(name if name not in out else f"{name}_{i}")
    return out


# ------------------------------------------------------------------ the id rule


def row_fragment(column: str, value: Any) -> str:
    """``column=value``, both URL-quoted: no ``#``, ``/`` or ``=`` of their own."""
    text = str(value) if isinstance(value, int) else quote(str(value), safe="")  # n: digits
    return f"{_quoted(column)}={text}"


@lru_cache(maxsize=64)
def _quoted(column: str) -> str:
    return quote(column, safe="")


def row_uri(origin: str, column: str, value: Any, sep: str = "#") -> str:
    """A row's document URI: the file's (or with ``sep="/"`` the table's) URI and the
    key column and value, or the position name and number (see the module docstring)."""
    if sep == "#" and "#" in origin:  # a file inside a container: one fragment, chained
        sep = "&"
    return f"{origin}{sep}{row_fragment(column, value)}"


def row_name(name: str, column: str, value: Any) -> str:
    """A row's readable name, ``notes.csv#id=7``: its item name and default title."""
    return f"{name}#{column}={value}"


# ------------------------------------------------------------------ the document


def row_document(blob: Blob, record: dict[str, Any], *, fmt: str, origin: str,
                 key: tuple[str, Any], text_columns: Sequence[str] | None = None,
                 uri: str | None = None, file_name: str | None = None) -> dict[str, Any]:
    """The document of one record (see the module docstring): ``key`` is (key column,
    value) or (position name, n); ``uri`` defaults to :func:`row_uri` of ``origin``."""
    column, value = key
    name = file_name or blob.name
    text, used = _content(record, text_columns)
    doc = new_document(blob, uri=uri or row_uri(origin, column, value), file_name=name,
                       content_type=FORMAT_TYPES.get(fmt, RECORD_TYPE),
                       title=_title(record) or row_name(name, column, value),
                       key=value, key_column=column, origin=origin, format=fmt,
                       record={k: v for k, v in record.items() if k not in used}
                       if used else record)
    doc["pages"] = [{"number": 1, "text": text, "needs_ocr": False}]
    return doc


def _content(record: dict[str, Any], chosen: Sequence[str] | None) -> tuple[str, set[str]]:
    """The document's text, and the columns whose values it holds as they are."""
    if chosen:
        values = [_text(record.get(name)) for name in chosen]
        return "\n\n".join(v for v in values if v), set(chosen)
    lines = []
    for name, value in record.items():
        if isinstance(value, str):  # the common case (every CSV cell), without recursion
            if value.strip():
                lines.append(f"{name}: {value.strip()}")
        else:
            lines.extend(f"{key}: {text}" for key, text in _scalars(value, str(name), 1))
    return "\n".join(lines), set()


def _text(value: Any) -> str:
    if value is None or isinstance(value, (dict, list)):
        return "" if value is None else json.dumps(value, ensure_ascii=False)
    return str(value).strip()


def _scalars(value: Any, prefix: str = "", depth: int = 0) -> Iterator[tuple[str, str]]:
    """(dotted key, text) of every non-empty scalar; lists flattened, 20 levels at most."""
    if isinstance(value, dict) and depth < MAX_DEPTH:
        for key, inner in value.items():
            yield from _scalars(inner, f"{prefix}.{key}" if prefix else str(key), depth + 1)
    elif isinstance(value, list) and depth < MAX_DEPTH:
        for inner in value:
            yield from _scalars(inner, prefix, depth + 1)
    elif isinstance(value, bool):
        yield prefix, json.dumps(value)
    elif isinstance(value, (str, int, float)) and str(value).strip():
        yield prefix, str(value).strip()


def _title(record: dict[str, Any]) -> str | None:
    """The first ``title`` column with text, else the first ``name`` one (any case)."""
    found: dict[str, str] = {}
    for name, value in record.items():
        low = str(name).lower()
        if low in _TITLE_COLUMNS and low not in found and isinstance(value, str) \
                and value.strip():
            found[low] = value.strip()
    return found.get("title") or found.get("name")


# ------------------------------------------------------------------ record payloads


def record_payload(fmt: str, origin: str, key_column: str, key_value: Any,
                   record: dict[str, Any], text_columns: Sequence[str] | None
                   ) -> dict[str, Any]:
    """What a record item holds: the record, where it comes from (``origin``: the file
    or table) and how to make it a document; :func:`encode_payload` gives its bytes."""
    return {"enrich_record": 1, "format": fmt, "origin": origin,
            "key": {"column": key_column, "value": key_value}, "record": record,
            "text_columns": list(text_columns) if text_columns else None}


_ORDERED = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str)


def encode_payload(payload: dict[str, Any]) -> bytes:
    """Compact JSON starting with :data:`RECORD_MAGIC`, the record's columns in the
    source's order (the document keeps that order)."""
    return _ORDERED.encode(payload).encode("utf-8")

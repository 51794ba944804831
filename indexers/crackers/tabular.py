"""Row-per-document crackers: CSV/TSV and JSON Lines.

CSV (:class:`CsvCracker`): the delimiter is sniffed from a sample
(``csv.Sniffer``; tab for ``.tsv``, else comma, when that fails); the first row
is the header. Each data row becomes a document ``{uri}#row={n}`` (n counts data
rows from 1, blank lines skipped) whose one page holds ``column: value`` lines
(empty values left out); ``metadata["row"]`` and ``metadata["columns"]`` say
where it came from. Rows are read one by one from the decoded text; nothing
but the row documents themselves is built.

JSON Lines (:class:`JsonLinesCracker`): each non-empty line, a JSON object,
becomes ``{uri}#line={n}`` (n = physical line number from 1). Its content is
the ``text``/``content``/``body`` field when there is one (title from
``title``/``name``), else every scalar value as ``key: value`` lines (nested
keys dotted). Bad lines cannot carry their own warning, so they are reported
on the first good document (``"line 7: invalid JSON: ..."``); a file with no
good line raises :class:`CrackError`.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import Any

from .base import Blob, Cracker, CrackError, new_document
from .sniff import NDJSON
from .text import decode_text

__all__ = ["CsvCracker", "JsonLinesCracker", "csv_dialect", "unique_names"]

SNIFF_SAMPLE = 16 * 1024  # characters given to csv.Sniffer
MAX_LINE_WARNINGS = 20  # bad JSON lines reported one by one, then counted


def _lines(text: str) -> Iterator[str]:
    """Lines of ``text`` with their endings, without copying it into a list."""
    sep = "\n" if "\n" in text or "\r" not in text else "\r"
    start = 0
    while start < len(text):
        end = text.find(sep, start)
        end = len(text) if end < 0 else end + 1
        yield text[start:end]
        start = end


class CsvCracker(Cracker):
    """text/csv: one document per data row."""

    name = "csv"
    mime_types = ("text/csv", "text/tab-separated-values")
    extensions = ("csv", "tsv")

    def crack(self, blob: Blob) -> list[dict[str, Any]]:
        text, warnings = decode_text(blob.data)
        reader = csv.reader(_lines(text), dialect=csv_dialect(text, blob.extension))
        header = _header(reader)
        docs = []
        try:
            for row in reader:
                if any(cell.strip() for cell in row):
                    docs.append(_row_document(blob, header, row, len(docs) + 1))
        except csv.Error as error:
            raise CrackError(f"unreadable CSV after data row {len(docs)}: {error}") from error
        if not docs:
            raise CrackError("CSV has a header row but no data rows")
        docs[0]["warnings"].extend(warnings)
        return docs


def csv_dialect(text: str, extension: str) -> type[csv.Dialect] | csv.Dialect:
    """The dialect of CSV ``text``: sniffed, else excel (excel-tab for ``.tsv``).

    Quotes inside quoted cells count as doubled unless an escape character was found:
    csv.Sniffer misses ``""`` when lines end in CRLF, and without either a quote could
    not be written inside a cell at all."""
    sample = text[:SNIFF_SAMPLE]
    if len(text) > SNIFF_SAMPLE and "\n" in sample:
        sample = sample[: sample.rindex("\n")]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        return csv.excel_tab if extension == "tsv" else csv.excel
    if dialect.doublequote or dialect.escapechar:
        return dialect
    return type("Doubled", (dialect,), {"doublequote": True})


def _header(reader) -> list[str]:
    """The first non-blank row, with blank or repeated names made unique."""
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                return unique_names([cell.strip() for cell in row])
    except csv.Error as error:
        raise CrackError(f"unreadable CSV header: {error}") from error
    raise CrackError("CSV has no header row")


def unique_names(names: list[str]) -> list[str]:
    """Header names with blank or repeated ones made unique (``column_3``, ``id_4``)."""
    out: list[str] = []
    for i, name in enumerate(names, 1):
        name = name or f"column_{i}"
        out.append(name if name not in out else f"{name}_{i}")
    return out


def _row_document(blob: Blob, header: list[str], row: list[str], n: int) -> dict[str, Any]:
    names = header + [f"column_{i}" for i in range(len(header) + 1, len(row) + 1)]
    pairs = zip(names, row, strict=False)  # a short row simply lacks the last columns
    text = "\n".join(f"{name}: {value.strip()}" for name, value in pairs if value.strip())
    doc = new_document(blob, uri=f"{blob.uri}#row={n}", row=n, columns=header)
    doc["pages"] = [{"number": 1, "text": text, "needs_ocr": False}]
    return doc


class JsonLinesCracker(Cracker):
    """application/x-ndjson: one document per JSON object line."""

    name = "jsonl"
    mime_types = (NDJSON, "application/jsonl", "application/x-jsonlines")
    extensions = ("jsonl", "ndjson")

    def crack(self, blob: Blob) -> list[dict[str, Any]]:
        text, warnings = decode_text(blob.data)
        docs, problems = [], []
        for n, line in enumerate(_lines(text), 1):
            if not line.strip():
                continue
            record, problem = _parse(line, n)
            if problem:
                problems.append(problem)
            else:
                docs.append(_line_document(blob, record, n))
        if not docs:
            raise CrackError(f"no valid JSON lines: {problems[0] if problems else 'file is blank'}")
        docs[0]["warnings"].extend(warnings + _summarise(problems))
        return docs


def _parse(line: str, n: int) -> tuple[dict[str, Any] | None, str | None]:
    try:
        record = json.loads(line)
    except (ValueError, RecursionError) as error:
        return None, f"line {n}: invalid JSON: {error}"
    if not isinstance(record, dict):
        return None, f"line {n}: not a JSON object ({type(record).__name__})"
    return record, None


def _summarise(problems: list[str]) -> list[str]:
    if len(problems) <= MAX_LINE_WARNINGS:
        return problems
    more = len(problems) - MAX_LINE_WARNINGS
    return problems[:MAX_LINE_WARNINGS] + [f"... and {more} more bad lines"]


_TEXT_KEYS = ("text", "content", "body")
_TITLE_KEYS = ("title", "name")


def _line_document(blob: Blob, record: dict[str, Any], n: int) -> dict[str, Any]:
    text = next((record[k] for k in _TEXT_KEYS if isinstance(record.get(k), str)), None)
    title = next((record[k] for k in _TITLE_KEYS if isinstance(record.get(k), str)), None)
    if text is None:
        text, title = "\n".join(f"{key}: {value}" for key, value in _flatten(record)), None
    doc = new_document(blob, uri=f"{blob.uri}#line={n}", line=n)
    if title:
        doc["metadata"]["title"] = title
    doc["pages"] = [{"number": 1, "text": text, "needs_ocr": False}]
    return doc


def _flatten(value: Any, prefix: str = "", depth: int = 0) -> Iterator[tuple[str, Any]]:
    """(dotted key, scalar) pairs; strings and numbers only, 20 levels at most."""
    if isinstance(value, dict) and depth < 20:
        for key, inner in value.items():
            yield from _flatten(inner, f"{prefix}.{key}" if prefix else str(key), depth + 1)
    elif isinstance(value, list) and depth < 20:
        for inner in value:
            yield from _flatten(inner, prefix, depth + 1)
    elif isinstance(value, (str, int, float)) and not isinstance(value, bool) and str(value).strip():
        yield prefix, value

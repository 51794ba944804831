"""Files cracked into one document per row: CSV/TSV and JSON Lines.

:class:`CsvCracker` and :class:`JsonLinesCracker` read the file with
:class:`~.rows.Rows` and make each record a document with
:func:`~.rows.row_document`, named by its position (``{uri}#row={n}``: CSV data rows
from 1, blank rows skipped; ``{uri}#line={n}``: physical JSON Lines from 1): the
documents that ``--parsing-mode csv`` / ``jsonl`` without ``--key`` gives for the
same file (see :mod:`.rows` for the id rule and the document's shape).

Records that cannot be read cannot carry their own warning, so they are reported on
the first document (``"line 7: invalid JSON: ..."``, ``"unreadable CSV after data
row 9: ..."``); a file with no readable record raises :class:`CrackError`.
"""

from __future__ import annotations

from typing import Any, ClassVar

from .base import Blob, Cracker, CrackError
from .rows import POSITIONS, Rows, row_document
from .sniff import NDJSON

__all__ = ["CsvCracker", "JsonLinesCracker"]


class _RowsCracker(Cracker):
    """A file of records: one document per record."""

    row_format: ClassVar[str] = ""

    def crack(self, blob: Blob) -> list[dict[str, Any]]:
        rows = Rows(self.row_format, blob.data, blob.extension)
        position = POSITIONS[self.row_format]
        docs = [row_document(blob, row.record, fmt=self.row_format, origin=blob.uri,
                             key=(position, row.n)) for row in rows.records()]
        if not docs:
            raise CrackError(self.nothing(rows))
        docs[0]["warnings"].extend(rows.warnings + rows.problems.lines())
        return docs

    def nothing(self, rows: Rows) -> str:
        """Why a file gave no document."""
        raise NotImplementedError


class CsvCracker(_RowsCracker):
    """text/csv: one document per data row."""

    name = "csv"
    row_format = "csv"
    mime_types = ("text/csv", "text/tab-separated-values")
    extensions = ("csv", "tsv")

    def nothing(self, rows: Rows) -> str:
        if rows.problems:
            return rows.problems.listed[0]
        if rows.header is None:
            return "CSV has no header row"
        return "CSV has a header row but no data rows"


class JsonLinesCracker(_RowsCracker):
    """application/x-ndjson: one document per JSON object line."""

    name = "jsonl"
    row_format = "jsonl"
    mime_types = (NDJSON, "application/jsonl", "application/x-jsonlines")
    extensions = ("jsonl", "ndjson")

    def nothing(self, rows: Rows) -> str:
        first = rows.problems.listed[0] if rows.problems else "file is blank"
        return f"no valid JSON lines: {first}"

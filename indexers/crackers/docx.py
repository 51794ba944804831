"""DOCX cracker (python-docx): body text in reading order, core properties.

Paragraphs and tables come in document order; a table row becomes one line of
its cells joined by tabs (a merged cell counts once; nested tables are read
through the cell's text). Headers, footers, comments and embedded pictures are
left out. Everything lands on one page, since DOCX has no fixed pagination.
Title, author, created and modified come from the core properties.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from typing import Any

from .base import Blob, Cracker, CrackError, new_document
from .sniff import DOCX

__all__ = ["DocxCracker"]


class DocxCracker(Cracker):
    """Word 2007+ documents."""

    name = "docx"
    mime_types = (DOCX,)
    extensions = ("docx",)

    def crack(self, blob: Blob) -> list[dict[str, Any]]:
        document = _open(blob.data)
        doc = new_document(blob, **_properties(document))
        text = "\n".join(line for line in _lines(document) if line.strip())
        doc["pages"] = [{"number": 1, "text": text, "needs_ocr": False}]
        return [doc]


def _open(data: bytes):
    import docx  # python-docx; imported on first DOCX only
    from docx.opc.exceptions import OpcError
    from lxml.etree import LxmlError

    try:
        return docx.Document(io.BytesIO(data))
    except (OpcError, zipfile.BadZipFile, KeyError, ValueError, LxmlError, zlib.error,
            EOFError, NotImplementedError) as error:  # zlib: a damaged member; zipfile
        # says NotImplementedError of a damaged member's version or compression method
        raise CrackError(f"unreadable DOCX: {error or type(error).__name__}") from error


def _lines(document) -> list[str]:
    """Paragraph texts and table rows, in the order they appear in the body."""
    from docx.table import Table

    lines = []
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            lines.extend(_table_rows(block))
        else:
            lines.append(block.text)
    return lines


def _table_rows(table) -> list[str]:
    rows = []
    for row in table.rows:
        cells, seen = [], set()
        for cell in row.cells:
            if id(cell._tc) not in seen:  # merged cells repeat the same element
                seen.add(id(cell._tc))
                cells.append(cell.text.strip())
        rows.append("\t".join(cells))
    return rows


def _properties(document) -> dict[str, Any]:
    """title/author/created/modified, empty ones left out (ISO 8601 dates)."""
    props = document.core_properties
    found = {"title": props.title, "author": props.author,
             "created": props.created, "modified": props.modified}
    return {key: value.isoformat() if hasattr(value, "isoformat") else value
            for key, value in found.items() if value}

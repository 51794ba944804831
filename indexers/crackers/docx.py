"""DOCX cracker (python-docx): body text in reading order, core properties.

Paragraphs and tables come in document order; a table row becomes one line of
its cells joined by tabs (a merged cell counts once; nested tables are read
through the cell's text). Headers, footers and comments are left out. Everything
lands on one page, since DOCX has no fixed pagination. Title, author, created and
modified come from the core properties.

Pictures of the body (inline or floating, in tables too: every ``a:blip`` that
embeds an image part) become ``embedded`` images of page 1 for the image skills
(:func:`~.embedded.add_picture`: ``p1-i{n}`` in document order, normalised, tiny ones
skipped, an undecodable one - EMF/WMF, damaged - a warning); ``offset`` is where the
paragraph or table holding the picture starts in the text. Linked (not embedded)
pictures and pictures in headers and footers are left out.
"""

from __future__ import annotations

import io
from functools import lru_cache
from typing import Any

from .base import Blob, Cracker, CrackError, new_document
from .embedded import add_picture, core_properties, package_errors
from .limits import check_package, limits_of
from .sniff import DOCX

__all__ = ["DocxCracker"]


class DocxCracker(Cracker):
    """Word 2007+ documents."""

    name = "docx"
    mime_types = (DOCX,)
    extensions = ("docx",)

    def crack(self, blob: Blob) -> list[dict[str, Any]]:
        import docx  # python-docx; imported on first DOCX only

        check_package(blob.data, "DOCX", limits_of(blob))
        try:
            return [_crack(blob, docx.Document(io.BytesIO(blob.data)))]
        except _read_errors() as error:
            raise CrackError(f"unreadable DOCX: {error or type(error).__name__}") from error


def _crack(blob: Blob, document) -> dict[str, Any]:
    """The document: the body's text on one page and its pictures."""
    doc = new_document(blob, **core_properties(document.core_properties))
    lines, pictures, offset = [], [], 0  # offset: where the next line starts
    for block_lines, block_pictures in _blocks(document):
        pictures.extend((offset, r_id) for r_id in block_pictures)
        kept = [line for line in block_lines if line.strip()]
        lines.extend(kept)
        offset += sum(len(line) + 1 for line in kept)
    text = "\n".join(lines)
    doc["pages"] = [{"number": 1, "text": text, "needs_ocr": False}]
    for n, (offset, r_id) in enumerate(pictures):
        _add_picture(doc, document, r_id, n, min(offset, len(text)))
    return doc


@lru_cache(maxsize=1)
def _read_errors() -> tuple[type[BaseException], ...]:
    """What python-docx may raise on a damaged file (:func:`~.embedded.package_errors`)."""
    from docx.opc.exceptions import OpcError

    return (*package_errors(), OpcError)


def _blocks(document):
    """(lines, picture relationship ids) of each paragraph and table, in body order."""
    from docx.table import Table

    for block in document.iter_inner_content():
        lines = _table_rows(block) if isinstance(block, Table) else [block.text]
        yield lines, _picture_ids(block._element)


_BLIP = "{http://schemas.openxmlformats.org/drawingml/2006/main}blip"
_EMBED = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}embed"


def _picture_ids(element) -> list[str]:
    """Relationship ids of the images embedded under ``element`` (``a:blip r:embed``)."""
    return [blip.get(_EMBED) for blip in element.iter(_BLIP) if blip.get(_EMBED)]


def _add_picture(doc: dict[str, Any], document, r_id: str, n: int, offset: int) -> None:
    label = f"image {n}"
    part = document.part.related_parts.get(r_id)
    data = getattr(part, "blob", None)
    if not data:
        doc["warnings"].append(f"{label}: missing picture data (relationship {r_id}); skipped")
        return
    add_picture(doc, data, 1, n, label, offset)


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



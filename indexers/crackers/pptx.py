"""PPTX cracker (python-pptx): one page per slide, its pictures for the image skills.

Every slide becomes a page (``number`` from 1 in presentation order, hidden slides
included; ``name`` the slide's title when it has one). Its ``text`` is the slide's
shapes in their stored order (the title placeholder usually first), group shapes
read through (at most :data:`MAX_GROUP_DEPTH` deep): a text frame's paragraphs as
lines (line breaks kept), a table as one line per row with the cells joined by tabs
(a merged cell once), then the speaker notes after a blank line. Charts, SmartArt and
text inside a picture are not read (OCR reads pictures).

Pictures (picture shapes and picture placeholders) become ``embedded`` images of
their slide (:func:`~.embedded.add_picture`: ``p{slide}-i{n}``, normalised, tiny ones
skipped, ``offset`` the length of the slide's text read before the picture, so the
``merge`` skill puts OCR text where the picture sits in the reading order). A picture
that cannot be decoded (a vector EMF/WMF, damaged bytes) is left out with a warning.

A slide whose parts cannot be read (damaged XML) becomes an empty page with a warning
(``"slide 3: unreadable (...); its text is left out"``); the other slides are kept.

``metadata``: title, author, created, modified from the core properties and
``page_count`` (slides). A file python-pptx cannot open raises :class:`CrackError`
(``"unreadable PPTX: ..."``); a password-protected one is an OLE2 file, not a zip,
and goes to :mod:`.legacy`.
"""

from __future__ import annotations

import io
from functools import lru_cache
from typing import Any

from .base import Blob, Cracker, CrackError, new_document
from .embedded import add_picture, core_properties, package_errors
from .limits import check_package, limits_of
from .sniff import PPTX

__all__ = ["PptxCracker", "MAX_GROUP_DEPTH"]

MAX_GROUP_DEPTH = 16  # nested group shapes read through


class PptxCracker(Cracker):
    """PowerPoint 2007+ presentations (.pptx, .pptm)."""

    name = "pptx"
    mime_types = (PPTX, "application/vnd.ms-powerpoint.presentation.macroEnabled.12")
    extensions = ("pptx", "pptm")

    def crack(self, blob: Blob) -> list[dict[str, Any]]:
        check_package(blob.data, "PPTX", limits_of(blob))
        try:
            presentation = _open(blob.data)
            doc = new_document(blob, **core_properties(presentation.core_properties))
            for number, slide in enumerate(presentation.slides, 1):
                doc["pages"].append(_slide_or_warning(doc, slide, number))
        except _read_errors() as error:
            raise CrackError(f"unreadable PPTX: {error or type(error).__name__}") from error
        doc["metadata"]["page_count"] = len(doc["pages"])
        return [doc]


@lru_cache(maxsize=1)
def _read_errors() -> tuple[type[BaseException], ...]:
    """What python-pptx may raise on a damaged file (imported on first use)."""
    from pptx.exc import PythonPptxError

    return (*package_errors(), PythonPptxError)


def _open(data: bytes):
    import pptx  # python-pptx; imported on the first presentation only

    return pptx.Presentation(io.BytesIO(data))


def _slide_or_warning(doc: dict[str, Any], slide, number: int) -> dict[str, Any]:
    """The slide's page; a slide that cannot be read is an empty page and a warning."""
    try:
        return _slide(doc, slide, number)
    except _read_errors() as error:
        doc["warnings"].append(f"slide {number}: unreadable ({error or type(error).__name__})"
                               "; its text is left out")
        return {"number": number, "text": "", "needs_ocr": False}


def _slide(doc: dict[str, Any], slide, number: int) -> dict[str, Any]:
    """The slide's page; its pictures are appended to ``doc["images"]``."""
    lines: list[str] = []
    pictures = 0
    for shape in _shapes(slide.shapes, 0):
        if _is_picture(shape):
            offset = sum(len(line) + 1 for line in lines)
            label = f"slide {number} image {pictures}"
            try:
                data = shape.image.blob
            except (KeyError, ValueError, AttributeError) as error:
                doc["warnings"].append(f"{label}: missing picture data ({error}); skipped")
            else:
                add_picture(doc, data, number, pictures, label, offset)
            pictures += 1
        elif getattr(shape, "has_table", False) and shape.has_table:
            lines.extend(_table_rows(shape.table))
        elif getattr(shape, "has_text_frame", False) and shape.has_text_frame:
            lines.append(_clean(shape.text_frame.text))
    text = "\n".join(line for line in lines if line.strip())
    notes = _notes(slide)
    page = {"number": number, "text": f"{text}\n\n{notes}".strip() if notes else text,
            "needs_ocr": False}
    title = _title(slide)
    if title:
        page["name"] = title
    return page


def _shapes(shapes, depth: int):
    """The shapes in stored order, group shapes read through."""
    from pptx.shapes.group import GroupShape

    for shape in shapes:
        if isinstance(shape, GroupShape):
            if depth < MAX_GROUP_DEPTH:
                yield from _shapes(shape.shapes, depth + 1)
        else:
            yield shape


def _is_picture(shape) -> bool:
    from pptx.shapes.picture import Picture

    return isinstance(shape, Picture)


def _table_rows(table) -> list[str]:
    rows = []
    for row in table.rows:
        cells = [_clean(cell.text).replace("\n", " ") for cell in row.cells
                 if not cell.is_spanned]
        rows.append("\t".join(cells))
    return rows


def _clean(text: str) -> str:
    """python-pptx writes a line break inside a paragraph as a vertical tab."""
    return text.replace("\v", "\n").strip()


def _notes(slide) -> str:
    if not slide.has_notes_slide:
        return ""
    frame = slide.notes_slide.notes_text_frame
    return _clean(frame.text) if frame is not None else ""


def _title(slide) -> str:
    title = slide.shapes.title
    return _clean(title.text_frame.text) if title is not None and title.has_text_frame else ""



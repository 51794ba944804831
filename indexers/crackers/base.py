"""The cracker contract: bytes in, enrichment-tree documents out.

A cracker declares what it accepts (MIME types and extensions) and scores a blob;
the best score wins, and the MIME type comes from the content (magic bytes, see
``indexers.crackers.sniff``), never from the extension alone.

``crack(blob)`` returns a list of documents (usually one; a CSV gives one per row).
Each document is a plain, picklable dict - the root of the enrichment tree, which
skills address as ``/document/...``::

    {
      "uri": "file:///data/notes.pdf",          # CSV rows: "...csv#row=3"
      "content": "full text, pages joined by \\n\\n",
      "metadata": {"file_name", "content_type", "size", "modified", "title",
                   "author", "created", "page_count", ... e.g. "exif": {...}},
      "pages": [{"number": 1, "text": "...", "offset": 0, "needs_ocr": False,
                 "width": 612.0, "height": 792.0}],
      "images": [{"id": "p1-i0", "page": 1, "bbox": [x0, y0, x1, y1] | None,
                  "width": 640, "height": 480, "format": "png",
                  "data": b"...encoded image bytes..." | None,
                  "kind": "embedded" | "page_render" | "file",
                  "needs_ocr": False}],
      "warnings": ["text recovered from a damaged cross-reference table", ...],
    }

``offset`` is where the page's text starts in ``content``. Page numbers start at 1.
Bounding boxes are in PDF points, origin top-left. A page without a text layer is
rendered into ``images`` with ``kind="page_render"`` and ``needs_ocr=True`` (the
page also gets ``needs_ocr=True``); OCR arrives with the image skills.

A document that can be partly recovered comes back with ``warnings``; a blob that
cannot be read at all raises :class:`CrackError` with a message that says why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

__all__ = ["Blob", "Cracker", "CrackError", "new_document", "join_pages"]

PAGE_SEPARATOR = "\n\n"


class CrackError(Exception):
    """A blob could not be turned into a document; the message says why."""


@dataclass
class Blob:
    """The bytes of one source item and what the source knows about it."""

    uri: str
    name: str
    data: bytes
    size: int | None = None
    modified: str | None = None  # ISO 8601
    mime_type: str | None = None  # filled in by sniffing
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def extension(self) -> str:
        dot = self.name.rfind(".")
        return self.name[dot + 1 :].lower() if dot >= 0 else ""


class Cracker:
    """Base class: declare ``name``, ``mime_types``, ``extensions``; implement ``crack``."""

    name: ClassVar[str] = ""
    mime_types: ClassVar[tuple[str, ...]] = ()
    extensions: ClassVar[tuple[str, ...]] = ()

    def score(self, blob: Blob) -> int:
        """How well this cracker fits: 10 for a MIME match, 1 for an extension match, 0 none."""
        if blob.mime_type in self.mime_types:
            return 10
        return 1 if blob.extension in self.extensions else 0

    def crack(self, blob: Blob) -> list[dict[str, Any]]:
        raise NotImplementedError


def new_document(blob: Blob, uri: str | None = None, **metadata: Any) -> dict[str, Any]:
    """An empty document tree for ``blob`` with the common metadata filled in."""
    meta = {
        "file_name": blob.name,
        "content_type": blob.mime_type,
        "size": blob.size if blob.size is not None else len(blob.data),
        "modified": blob.modified,
    }
    meta.update(metadata)
    return {"uri": uri or blob.uri, "content": "", "metadata": meta,
            "pages": [], "images": [], "warnings": []}


def join_pages(document: dict[str, Any]) -> dict[str, Any]:
    """Set each page's ``offset`` and the document's ``content`` from its pages."""
    parts, offset = [], 0
    for page in document["pages"]:
        page["offset"] = offset
        parts.append(page["text"])
        offset += len(page["text"]) + len(PAGE_SEPARATOR)
    document["content"] = PAGE_SEPARATOR.join(parts)
    return document

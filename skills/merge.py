"""``merge``: what the image skills found, merged into searchable page text.

For each page, the images on it (``/document/images/*`` whose ``page`` is the
page's number) are inserted at their place in the text (``offset``, from the
cracker): the OCR text as plain text - a scanned page's merged text is its OCR text
- and, where they exist, a line with the caption, tags and labels::

    [image p1-i0: a man holding a basketball | tags: basketball, shoe | labels: LeBron James]

The result, ``merged_text``, is what the default skillset runs entity recognition
on and what the store keeps as the page text, so OCR text, captions, tags and labels
are searchable and their names enter the graph. Images without any of these leave
the text unchanged.
"""

from __future__ import annotations

from typing import Any, Sequence

from skills.base import Skill

__all__ = ["MergeSkill", "JoinSkill", "image_text"]


def _names(values: Any, key: str) -> list[str]:
    return [v[key] for v in values or [] if isinstance(v, dict) and v.get(key)]


def image_text(image: dict[str, Any]) -> str:
    """The text an image contributes: OCR text, then a bracketed description line."""
    ocr = ((image.get("ocr") or {}).get("text") or "").strip()
    parts = []
    caption = ((image.get("caption") or {}).get("text") or "").strip()
    if caption:
        parts.append(caption)
    for label, names in (("tags", _names(image.get("tags"), "name")),
                         ("labels", _names(image.get("labels"), "name"))):
        if names:
            parts.append(f"{label}: {', '.join(names)}")
    line = f"[image {image.get('id', '')}: {' | '.join(parts)}]" if parts else ""
    return "\n".join(p for p in (ocr, line) if p)


class MergeSkill(Skill):
    """Insert OCR text, captions, tags and labels into each page's text."""

    name = "merge"
    version = "1"
    context = "/document/pages/*"
    inputs = {"text": "/document/pages/*/text", "number": "/document/pages/*/number",
              "images": "/document/images/*"}
    outputs = ("merged_text",)
    description = "OCR text, captions, tags and labels merged into page text"

    def run(self, records: Sequence[dict[str, Any]], **kwargs: Any) -> list[dict[str, Any]]:
        return [{"merged_text": self._merge(r.get("text") or "", r.get("number"),
                                            r.get("images") or [])} for r in records]

    @staticmethod
    def _merge(text: str, number: Any, images: list[dict[str, Any]]) -> str:
        here = [i for i in images if isinstance(i, dict) and i.get("page") == number]
        # Insert from the end so earlier offsets stay valid; ties keep image order.
        for image in sorted(here, key=lambda i: i.get("offset") or 0, reverse=True):
            insert = image_text(image)
            if not insert:
                continue
            at = min(max(int(image.get("offset") or 0), 0), len(text))
            before, after = text[:at].rstrip("\n"), text[at:].lstrip("\n")
            text = "\n".join(p for p in (before, insert, after) if p)
        return text


class JoinSkill(Skill):
    """Join the merged page texts into the document's merged content."""

    name = "join"
    version = "1"
    context = "/document"
    inputs = {"pages": "/document/pages/*/merged_text"}
    outputs = ("merged_content",)
    description = "merged page texts joined into one text for document-level skills"

    def run(self, records: Sequence[dict[str, Any]], **kwargs: Any) -> list[dict[str, Any]]:
        return [{"merged_content": "\n\n".join(t or "" for t in r.get("pages") or [])}
                for r in records]

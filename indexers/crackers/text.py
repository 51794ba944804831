"""Plain text, Markdown and HTML crackers, and the text decoding they share.

Decoding (:func:`decode_text`), in order:

1. strict UTF-8 (a BOM is dropped), and UTF-16 when a UTF-16 BOM says so;
2. *damaged UTF-8*: the bytes are UTF-8 with valid multi-byte characters in
   them and fewer bad bytes than good non-ASCII characters. A legacy-charset
   guess would turn every accent into mojibake, so the bad bytes become U+FFFD
   and the document gets the warning
   ``"invalid UTF-8: N undecodable bytes replaced"``;
3. a few 8-bit bytes in ASCII (at most one byte in 20): Windows-1252, a Western text
   with some accents (a guess from so few bytes picks odd code pages: "café" became
   "caf" and an Arabic letter);
4. charset-normalizer's best guess (cp1252, Shift-JIS, ...);
5. nothing fits: UTF-8 with replacement characters, and the same warning.

Every text document has one page holding the whole text.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

from .base import ESCAPED_BYTE, Blob, Cracker, new_document

__all__ = ["TextCracker", "HtmlCracker", "decode_text"]

_GOOD_NON_ASCII = re.compile("[^\x00-\x7f\udc80-\udcff]")
_NOT_TEXT = ("application/octet-stream", "application/x-empty")


def decode_text(data: bytes) -> tuple[str, list[str]]:
    """``data`` as text, plus warnings when bytes had to be replaced."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16", errors="replace"), []
    text = data.decode("utf-8-sig", errors="surrogateescape")
    bad = len(ESCAPED_BYTE.findall(text))
    if not bad:
        return text, []
    if len(_GOOD_NON_ASCII.findall(text)) < bad:
        if bad <= len(data) // 20:
            return data.decode("cp1252", errors="replace"), []
        guess = _guess_charset(data)
        if guess is not None:
            return guess, []
    return ESCAPED_BYTE.sub("\ufffd", text), [f"invalid UTF-8: {bad} undecodable bytes replaced"]


def _guess_charset(data: bytes) -> str | None:
    """charset-normalizer's best decoding of ``data``, or None."""
    from charset_normalizer import from_bytes  # import cost only for non-UTF-8 input

    best = from_bytes(data).best()
    return str(best) if best is not None else None


class _TextBase(Cracker):
    """Text crackers never take content that sniffing found to be binary."""

    def score(self, blob: Blob) -> int:
        return 0 if blob.mime_type in _NOT_TEXT else super().score(blob)


class TextCracker(_TextBase):
    """text/plain and text/markdown: one page; title = first heading or short first line."""

    name = "text"
    mime_types = ("text/plain", "text/markdown")
    extensions = ("txt", "text", "md", "markdown", "log")

    def crack(self, blob: Blob) -> list[dict[str, Any]]:
        text, warnings = decode_text(blob.data)
        text = text.replace("\r\n", "\n")
        doc = new_document(blob, title=_text_title(text))
        doc["pages"] = [{"number": 1, "text": text, "needs_ocr": False}]
        doc["warnings"] = warnings
        return [doc]


_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$", re.M)
_TITLE_MAX = 120


def _text_title(text: str) -> str | None:
    """The first Markdown heading, else the first non-empty line if it is short."""
    heading = _HEADING.search(text)
    if heading:
        return heading.group(1)
    for line in text.splitlines():
        if line.strip():
            line = line.strip()
            return line if len(line) <= _TITLE_MAX else None
    return None


class HtmlCracker(_TextBase):
    """text/html via the stdlib parser: no script/style, blocks become lines."""

    name = "html"
    mime_types = ("text/html",)
    extensions = ("html", "htm", "xhtml")

    def crack(self, blob: Blob) -> list[dict[str, Any]]:
        text, warnings = decode_text(blob.data)
        parser = _HtmlText()
        parser.feed(text)
        parser.close()
        doc = new_document(blob, title=parser.title, author=parser.author)
        doc["pages"] = [{"number": 1, "text": parser.text(), "needs_ocr": False}]
        doc["warnings"] = warnings
        return [doc]


_SKIP = {"script", "style", "noscript", "template", "svg"}
_BLOCKS = {
    "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt",
    "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6",
    "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table",
    "td", "th", "tr", "ul", "body", "html",
}


class _HtmlText(HTMLParser):
    """Collects visible text; block elements break lines, whitespace collapses."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title: str | None = None
        self.author: str | None = None
        self._skip = 0  # depth inside elements whose text is not content
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "meta":
            self._meta(dict(attrs))
        elif tag == "title" and not self._skip and self.title is None:
            self._in_title = True  # the document's <title>, not an SVG's
        elif tag in _SKIP:
            self._skip += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag in _SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title = ((self.title or "") + data).strip() or None
        elif not self._skip:
            self.parts.append(data)

    def _meta(self, attrs: dict[str, str | None]) -> None:
        if (attrs.get("name") or "").lower() == "author" and attrs.get("content"):
            self.author = attrs["content"]

    def text(self) -> str:
        """Lines with collapsed inner whitespace, no blank runs."""
        lines = (" ".join(line.split()) for line in "".join(self.parts).split("\n"))
        return "\n".join(line for line in lines if line)

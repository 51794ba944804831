"""Gold documents: the text the pipeline reads, and the mentions it should find.

Every gold format becomes a list of :class:`GoldDoc`. Token formats (CoNLL, DocRED)
build the text from their tokens - tokens joined by one space, sentences by a line
break - and keep each token's character offsets, so a found span (characters) is
compared in tokens (:meth:`GoldDoc.units`); character formats (spaCy JSONL) keep
their text and compare characters. Mentions are ``(start, end)`` in those units,
``end`` exclusive.
"""

from __future__ import annotations

import bisect
import unicodedata
from dataclasses import dataclass, field
from typing import Iterable

__all__ = ["GoldMention", "GoldDoc", "from_tokens", "clean_text"]

@dataclass(frozen=True)
class GoldMention:
    """One gold mention: its span (tokens, or characters), type and cluster."""

    start: int
    end: int
    type: str
    cluster: int | None = None  # the entity it belongs to (DocRED's vertexSet index)


@dataclass
class GoldDoc:
    """One gold document: its text, token offsets (or None) and mentions."""

    name: str  # where it comes from: a title, or "line N"
    text: str
    tokens: list[tuple[int, int]] | None
    mentions: list[GoldMention] = field(default_factory=list)
    relations: list[tuple[int, int]] = field(default_factory=list)  # related cluster pairs

    def __post_init__(self) -> None:
        self._ends = [end for _, end in self.tokens] if self.tokens is not None else None

    def units(self, start: int, end: int) -> tuple[int, int] | None:
        """A character span as a span of the gold's units: for tokens, the tokens it
        overlaps (a span ending inside a token takes the whole token); None when it
        covers no token."""
        if self.tokens is None:
            return (start, end) if 0 <= start < end <= len(self.text) else None
        first = bisect.bisect_right(self._ends, start)  # first token ending after start
        last = first
        while last < len(self.tokens) and self.tokens[last][0] < end:
            last += 1
        return (first, last) if last > first else None

    def aligned(self, start: int, end: int) -> bool:
        """Whether a character span starts and ends on token boundaries."""
        span = self.units(start, end)
        if span is None or self.tokens is None:
            return span is not None
        return self.tokens[span[0]][0] == start and self.tokens[span[1] - 1][1] == end


def clean_text(text: str) -> str:
    """``text`` with every character a text file would not keep as it is (carriage
    returns, control and format characters other than line breaks and tabs, a byte-
    order mark) replaced by a space: same length, so offsets stay valid."""
    return "".join(ch if ch in "\n\t" or not (ch == "\r" or unicodedata.category(ch) in ("Cc", "Cf")
                                               or ch in "\u2028\u2029\x85") else " "
                   for ch in text)


def from_tokens(name: str, sentences: Iterable[list[str]]) -> tuple[str, list[tuple[int, int]]]:
    """The text of tokenised sentences (tokens joined by a space, sentences by a line
    break; whitespace inside a token becomes a space) and each token's offsets."""
    parts: list[str] = []
    offsets: list[tuple[int, int]] = []
    at = 0
    for s, sentence in enumerate(sentences):
        for t, token in enumerate(sentence):
            if s or t:
                parts.append("\n" if t == 0 else " ")
                at += 1
            token = "".join(" " if ch.isspace() else ch for ch in clean_text(token))
            parts.append(token)
            offsets.append((at, at + len(token)))
            at += len(token)
    return "".join(parts), offsets

"""Text evidence for corpus-level resolution: span boundaries, word case, sentence starts.

Pure functions: no I/O, no models. This docstring is the contract.

**Boundaries** (rule ``boundaries``). ``clean_span(mention, text)`` trims a
recogniser's span: edge punctuation (an unbalanced bracket, quotes, commas, dashes; a
final dot only after a short or dotted word such as ``Jr.`` or ``U.S.``), a trailing
possessive (``'s``, ``s'``), everything from a standalone list separator on (``+``,
``|``, ``/``, ``•``: "Kim Lee + Acme" keeps "Kim Lee"), leading and trailing function
words written in lower case
(conjunctions, prepositions, determiners: ``and``, ``of``, ``the``...), "versus" tokens
(``vs``, ``v.``, ``versus``) in any case, trailing generic words written in lower case
that follow a name (``hours``, ``tickets``, ``schedule``, ``today``... a closed list of
general nouns and time words; capitalised, they may be the name's own: "... News"),
and social-text marks: web addresses at either end, a leading retweet mark (``RT``
before an @handle), the ``@`` and ``#`` of handles and hashtags and symbols such as
emoji at the edges. The mention's ``start``/``end``/``text`` become the cleaned
span, and ``name`` too when it was the surface text; None when nothing is left.

**Word case** (rule ``common_words``). ``word_cases(text)`` counts, per casefolded
word, its lower-case occurrences and its capitalised occurrences that do not start a
sentence (a word after ``.!?``, a line break, a field's ``:`` or the start of the text,
past quotes, brackets and heading or list marks ``#*>-``, starts one). Words of web
and e-mail addresses, @handles and #hashtags are not counted. ``starts_sentence(text, start)`` says whether a span starts one.

>>> m = {"text": "and the Hartwell Rovers vs", "name": "and the Hartwell Rovers vs",
...      "start": 4, "end": 30}
>>> out = clean_span(m, "Kim and the Hartwell Rovers vs Dunmore")
>>> out["text"], out["start"], out["end"]
('Hartwell Rovers', 12, 27)
>>> sorted(word_cases("Next game. The next one, next week, Next Inc.").items())
[('game', (1, 0)), ('inc', (0, 1)), ('next', (2, 1)), ('one', (1, 0)), ('week', (1, 0))]
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from typing import Any

__all__ = ["clean_span", "word_cases", "starts_sentence", "FUNCTION_WORDS", "GENERIC_WORDS",
           "VERSUS"]

FUNCTION_WORDS = frozenset(
    "a an the this that these those and or but nor so yet of in on at to for from by with "
    "about against between into through during before after above below over under near "
    "via per as than like vs versus v".split())
VERSUS = frozenset({"vs", "v", "versus"})
# General nouns and time words that follow a name in headings and listings
# ("... Street hours", "... Arena tickets"); never part of a name's own words here.
GENERIC_WORDS = frozenset(
    "hours hour schedule schedules tickets ticket notes note report reports recap preview "
    "highlights stats statistics roster rosters today tonight yesterday tomorrow "
    "morning afternoon evening weekend update updates news info information details "
    "page pages section sections summary".split())
_WEB = re.compile(r"(?i)(?:https?://|www\.)")  # a web address
_WORD = re.compile(r"[^\W\d_]+(?:['\u2019-][^\W\d_]+)*")
_OPENERS, _CLOSERS = "([{", ")]}"
_EDGE_PUNCT = "\"'\u2018\u2019\u201c\u201d,;:!?-\u2013\u2014*|/\\+\u2022\u00b7@#\u2026"
_SEPARATOR = re.compile(r"\s[+|/\u2022\u00b7]+\s")
# Not prose: web addresses, e-mail addresses, @handles and #hashtags (their words say
# nothing about how a word is written in running text).
_NOT_PROSE = re.compile(r"(?:https?://|www\.)\S*|\S+@\S+\.\S+|(?<![\w@#])(?:@ ?|#)\w+")
_START_CONTEXT = re.compile(r"(?:^|[.!?:\n])[\s\"'\u201c\u2018(\[#*>\u2022-]*$")


def starts_sentence(text: str, start: int) -> bool:
    """Whether the span at ``start`` is the first word of a sentence.

    >>> starts_sentence("He left. Then Kim came.", 9), starts_sentence("He met Kim.", 7)
    (True, False)
    """
    return bool(_START_CONTEXT.search(text, max(0, start - 8), start))


def word_cases(text: str) -> dict[str, tuple[int, int]]:
    """``{word: (lower-case occurrences, capitalised ones not starting a sentence)}``."""
    lower: Counter[str] = Counter()
    upper: Counter[str] = Counter()
    if "@" in text or "#" in text or "/" in text or "www." in text:
        text = _NOT_PROSE.sub(lambda m: " " * len(m.group()), text)
    for match in _WORD.finditer(text):
        word = match.group()
        if word[0].islower():
            lower[word.casefold()] += 1
        elif not starts_sentence(text, match.start()):
            upper[word.casefold()] += 1
    return {w: (lower[w], upper[w]) for w in lower.keys() | upper.keys()}


def _clean(span: str) -> bool:
    """Whether a span needs no cleaning (the common case, checked quickly)."""
    if not (span[:1].isalnum() and span[-1:].isalnum()) or span[-2:-1] in ("'", "\u2019") \
            or _SEPARATOR.search(span):
        return False
    words = span.split()
    return not (_droppable(words[0], leading=True, after=words[1] if len(words) > 1 else "")
                or _droppable(words[-1], leading=False))


def _symbol(char: str) -> bool:
    """A symbol (emoji, arrows, currency and math signs): never a name's edge."""
    return unicodedata.category(char)[0] == "S" or char in _EDGE_PUNCT


def _strip_edges(text: str, start: int, end: int) -> tuple[int, int]:
    """Edge punctuation, unbalanced brackets and a trailing possessive off ``[start, end)``."""
    while start < end:
        span = text[start:end]
        if span[0] in _OPENERS and span[-1] == _CLOSERS[_OPENERS.index(span[0])]:
            start, end = start + 1, end - 1
        elif _symbol(span[-1]) or (span[-1] in _CLOSERS and
                                       _OPENERS[_CLOSERS.index(span[-1])] not in span):
            end -= 1
        elif _symbol(span[0]) or span[0] == "." or (
                span[0] in _OPENERS and _CLOSERS[_OPENERS.index(span[0])] not in span):
            start += 1
        elif span[-1] == "." and not _keeps_dot(span):
            end -= 1
        elif re.search(r"['\u2019][sS]$", span) and end - start > 2:
            end -= 2
        else:
            break
    return start, end


_ABBREVIATED = frozenset("jr sr inc corp co ltd bros st mr mrs ms dr prof gen col sen rep".split())


def _keeps_dot(span: str) -> bool:
    """A final dot of an abbreviation (``Jr.``, ``Inc.``, ``U.S.``, an initial) stays."""
    last = span.split()[-1][:-1] if span.split() else ""
    return "." in last or len(last) == 1 or last.casefold() in _ABBREVIATED


def _words(text: str, start: int, end: int) -> list[tuple[int, int]]:
    return [(start + m.start(), start + m.end()) for m in re.finditer(r"\S+", text[start:end])]


def _droppable(word: str, *, leading: bool, after: str = "") -> bool:
    """Whether an edge word goes (``after``: the word after a leading one)."""
    bare = word.rstrip(".").casefold()
    if bare in VERSUS or _WEB.match(word):
        return True
    if bare in FUNCTION_WORDS and word[:1].islower():
        return True
    if leading:  # a retweet mark: "RT @kim"
        return bare == "rt" and after[:1] == "@"
    return bare in GENERIC_WORDS and word[:1].islower()


def _trim_words(text: str, start: int, end: int) -> tuple[int, int]:
    """Function words at both ends, versus tokens and trailing generic words."""
    words = _words(text, start, end)
    while len(words) > 1 and _droppable(text[words[0][0]:words[0][1]], leading=True,
                                        after=text[words[1][0]:words[1][1]]):
        words.pop(0)
    while len(words) > 1 and _droppable(text[words[-1][0]:words[-1][1]], leading=False):
        words.pop()
    if len(words) == 1 and _droppable(text[words[0][0]:words[0][1]], leading=True):
        words.pop()  # nothing but a function word
    return (words[0][0], words[-1][1]) if words else (start, start)


def clean_span(mention: dict[str, Any], text: str | None) -> dict[str, Any] | None:
    """A copy of ``mention`` with its span cleaned (see the module doc); None when
    nothing is left. Mentions without offsets into ``text`` are returned unchanged."""
    start, end = mention.get("start"), mention.get("end")
    if text is None or start is None or end is None or text[start:end] != mention.get("text"):
        return dict(mention)
    if _clean(text[start:end]):
        return dict(mention)
    new_start, new_end = start, end
    cut = _SEPARATOR.search(text, start, end)
    if cut:
        new_end = cut.start()
    while True:  # punctuation uncovers words and words uncover punctuation
        was = new_start, new_end
        new_start, new_end = _strip_edges(text, new_start, new_end)
        new_start, new_end = _trim_words(text, new_start, new_end)
        if (new_start, new_end) == was:
            break
    if new_end <= new_start or not any(c.isalnum() for c in text[new_start:new_end]):
        return None
    out = dict(mention)
    if (new_start, new_end) != (start, end):
        out["start"], out["end"], out["text"] = new_start, new_end, text[new_start:new_end]
        if mention.get("name") in (None, "", mention.get("text")):
            out["name"] = out["text"]
    return out

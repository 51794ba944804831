"""Entities from a user dictionary: names, aliases, fuzzy matching.

``EntityLookupSkill`` adds ``/document/pages/*/lookup_entities``: every place where
a page mentions a name or an alias of the user's dictionary (code names, products,
people...), in the same shape as the ``entities`` skill plus the dictionary's
``description``, ``id`` and the alias that ``matched``. It does what Azure AI
Search's Custom Entity Lookup skill does, and reads its JSON format. The default
skillset does not include it; add it with a dictionary::

    skills:
      - entities
      - skill: entity_lookup
        params: {dictionary: codenames.csv, default_type: CRYPTONYM}
    entities: [/document/pages/*/entities, /document/pages/*/lookup_entities]

Dictionary files
----------------
CSV (with or without a header row) or JSON in Azure's Custom Entity Lookup format;
:mod:`skills.lookup_dictionary` reads them and says what each may hold. A dictionary
that cannot be used disables the skill with a message naming the file, the line or
entry and what is wrong; the run goes on without it.


Matching
--------
* Text and names are split into tokens: runs of word characters (letters, digits,
  ``_``, combining accents) and single other characters. A match starts and ends at
  token boundaries, so it never starts or ends inside a word: ``AMTRUNK`` is not
  found in ``AMTRUNKS`` (exactly), ``AM/TRUNK`` is found in ``(AM/TRUNK)``.
* Where a name has whitespace, the text may have any whitespace, line breaks
  included; where a name has none (``AM/TRUNK``), the text must have none.
* Case-insensitive (Unicode case folding) unless ``caseSensitive``;
  accent-insensitive unless ``accentSensitive``: accents are stripped and ł, ø, đ,
  æ, œ, ß, þ folded, so ``Jose`` finds ``José`` (``start``/``end`` always index the
  original text; NFC and NFD text match alike). Scripts written without spaces
  (Chinese, Japanese, Thai) form one token per run of letters, so a name matches
  only a whole run there.
* Fuzzy: a name with ``fuzzyEditDistance`` d (0-5) also matches a run of text with
  the same number of words within d Levenshtein edits (insert, delete, substitute a
  character) of it, after the same folding; punctuation before the first and after
  the last word of the name is left out of the comparison. Names shorter than 4
  characters never match fuzzily (too many false hits). ``confidence`` is
  ``1 - d / len(name)`` (at least 0), 1.0 for exact matches.
* Overlaps: the longest match wins (in characters of text), then the more
  confident (exact before fuzzy), then the earliest, then the entry earlier in the
  dictionary; the results never overlap. Two entries with the same alias: the
  first in the dictionary wins.

Speed. Exact matching is one pass over the tokens with a hash lookup per token
(extended only while the tokens so far begin some name), so it does not depend on
the dictionary's size. Fuzzy matching collects the distinct n-word windows of the
whole batch, keeps those whose length is within d of some name, and compares them
with rapidfuzz's ``cdist`` (C, bit-parallel Levenshtein with a cutoff), grouped by
name length, at most 4 million scores at a time. Measured on one core (Python 3.11,
rapidfuzz 3.14): a JSON dictionary of 5,000 entries of 1-3 words, each with one
alias, 1,000 of them fuzzy (names at distance 1-2, their aliases at 1: 2,000 fuzzy
terms), over 100 pages of ~3,000 characters (300,000 in all) in one batch: 0.04 s
exact only, 0.55 s with fuzzy matching (rapidfuzz compares ~20 million window-name
pairs); reading and compiling the dictionary 0.22 s.
"""

from __future__ import annotations

import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar, NamedTuple

from skills.base import Record, RunContext, Skill, SkillUnavailable
from skills.lookup_dictionary import (MAX_FUZZY, TOKEN, Defaults, DictionaryError, Entry,
                                      Matching, Term, read_dictionary)

__all__ = ["MAX_FUZZY", "MIN_FUZZY_CHARS", "Defaults", "DictionaryError", "EntityLookupSkill",
           "Entry", "Matcher", "Matching", "Term", "read_dictionary"]

MIN_FUZZY_CHARS = 4
CDIST_CELLS = 1 << 22
_BASE_LETTERS = str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D",
                               "ħ": "h", "Ħ": "H", "ı": "i", "æ": "ae", "Æ": "AE",
                               "œ": "oe", "Œ": "OE", "ß": "ss", "þ": "th", "Þ": "TH"})

# Compiled dictionaries, one per process and (file, size, mtime, defaults).
_MATCHERS: dict[tuple[Any, ...], tuple[Matcher, str]] = {}


class Hit(NamedTuple):
    start: int
    end: int
    term: Term
    confidence: float
    exact: bool


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.translate(_BASE_LETTERS))
    return unicodedata.normalize("NFC", "".join(c for c in decomposed
                                                if not unicodedata.combining(c)))


@lru_cache(maxsize=1 << 16)
def _fold_unicode(token: str, case_sensitive: bool, accent_sensitive: bool) -> str:
    token = unicodedata.normalize("NFC", token)
    token = token if accent_sensitive else _strip_accents(token)
    return token if case_sensitive else token.casefold()


def fold(token: str, mode: tuple[bool, bool]) -> str:
    """``token`` as compared under ``mode`` = (case_sensitive, accent_sensitive)."""
    if token.isascii():
        return token if mode[0] else token.lower()
    return _fold_unicode(token, *mode)


class Tokens:
    """The tokens of one text: spans, which are words, and folded forms per mode."""

    def __init__(self, text: str) -> None:
        self.spans: list[tuple[int, int]] = []
        self.words: list[int] = []
        self.glued: list[bool] = []
        for m in TOKEN.finditer(text):
            if m.group(1):
                self.words.append(len(self.spans))
            self.glued.append(bool(self.spans) and self.spans[-1][1] == m.start())
            self.spans.append(m.span())
        self.text = text
        self._folded: dict[tuple[bool, bool], tuple[list[str], list[str]]] = {}

    def folded(self, mode: tuple[bool, bool]) -> tuple[list[str], list[str]]:
        """Folded tokens, bare and with a leading space where whitespace precedes them."""
        if mode not in self._folded:
            bare = [fold(self.text[s:e], mode) for s, e in self.spans]
            self._folded[mode] = (bare, [b if g else " " + b for b, g in zip(bare, self.glued)])
        return self._folded[mode]

    def key(self, mode: tuple[bool, bool], i: int, j: int) -> str:
        """The folded text of tokens ``i..j``, whitespace runs as one space."""
        bare, gapped = self.folded(mode)
        return bare[i] + "".join(gapped[i + 1:j + 1])


@dataclass
class _FuzzyGroup:
    """Fuzzy terms of one mode and word count, bucketed by folded length."""

    by_length: dict[int, list[tuple[str, Term]]] = field(default_factory=dict)

    def add(self, text: str, term: Term) -> None:
        self.by_length.setdefault(len(text), []).append((text, term))

    def bounds(self) -> tuple[int, int]:
        """The shortest and longest window that can match some term."""
        spans = [(n - t.matching.fuzzy, n + t.matching.fuzzy)
                 for n, items in self.by_length.items() for _, t in items]
        return min(a for a, _ in spans), max(b for _, b in spans)


class Matcher:
    """A compiled dictionary: exact lookup tables and fuzzy groups per matching mode."""

    def __init__(self, terms: Sequence[Term]) -> None:
        self.exact: dict[tuple[bool, bool], dict[str, list[Term]]] = {}
        self.prefixes: dict[tuple[bool, bool], set[str]] = {}
        self.fuzzy: dict[tuple[tuple[bool, bool], int], _FuzzyGroup] = {}
        for term in terms:
            self._add(term)

    def _add(self, term: Term) -> None:
        mode = (term.matching.case_sensitive, term.matching.accent_sensitive)
        tokens = Tokens(term.text)
        table, prefixes = self.exact.setdefault(mode, {}), self.prefixes.setdefault(mode, set())
        for j in range(len(tokens.spans)):
            prefixes.add(tokens.key(mode, 0, j))
        table.setdefault(tokens.key(mode, 0, len(tokens.spans) - 1), []).append(term)
        words = tokens.words
        if term.matching.fuzzy and words:
            text = tokens.key(mode, words[0], words[-1])
            if len(text) >= MIN_FUZZY_CHARS:
                self.fuzzy.setdefault((mode, len(words)), _FuzzyGroup()).add(text, term)

    def find(self, texts: Sequence[str]) -> list[list[Hit]]:
        """The non-overlapping matches in each text, in text order."""
        docs = [Tokens(t) for t in texts]
        hits: list[list[Hit]] = [[] for _ in texts]
        for k, doc in enumerate(docs):
            for mode in self.exact:
                hits[k].extend(self._exact(doc, mode))
        for (mode, n), group in self.fuzzy.items():
            self._fuzzy(docs, mode, n, group, hits)
        return [resolve(h) for h in hits]

    def _exact(self, doc: Tokens, mode: tuple[bool, bool]) -> Iterator[Hit]:
        bare, gapped = doc.folded(mode)
        table, prefixes = self.exact[mode], self.prefixes[mode]
        for i, key in enumerate(bare):
            j = i
            while key in prefixes:
                for term in table.get(key, ()):
                    yield Hit(doc.spans[i][0], doc.spans[j][1], term, 1.0, True)
                j += 1
                if j == len(bare):
                    break
                key += gapped[j]

    def _fuzzy(self, docs: list[Tokens], mode: tuple[bool, bool], n: int, group: _FuzzyGroup,
               hits: list[list[Hit]]) -> None:
        windows = _windows(docs, mode, n, *group.bounds())
        for window, term, distance, size in _close(group, windows):
            confidence = max(0.0, round(1 - distance / size, 3))  # d may exceed a short name
            for k, start, end in windows[window]:
                hits[k].append(Hit(start, end, term, confidence, False))


def _windows(docs: list[Tokens], mode: tuple[bool, bool], n: int, shortest: int,
             longest: int) -> dict[str, list[tuple[int, int, int]]]:
    """Every run of ``n`` words of a usable length: folded text -> (doc, start, end)."""
    found: dict[str, list[tuple[int, int, int]]] = {}
    for k, doc in enumerate(docs):
        (bare, gapped), words, spans = doc.folded(mode), doc.words, doc.spans
        for a in range(len(words) - n + 1):
            i, j = words[a], words[a + n - 1]
            text = bare[i] if i == j else bare[i] + "".join(gapped[i + 1:j + 1])
            if shortest <= len(text) <= longest:
                found.setdefault(text, []).append((k, spans[i][0], spans[j][1]))
    return found


def _close(group: _FuzzyGroup, windows: dict[str, Any]) -> Iterator[tuple[str, Term, int, int]]:
    """(window, term, distance, term length) for each window close enough to a term."""
    import numpy as np
    from rapidfuzz.distance import Levenshtein
    from rapidfuzz.process import cdist

    choices = sorted(windows, key=len)
    lengths = [len(c) for c in choices]
    for size, items in group.by_length.items():
        limits = np.array([t.matching.fuzzy for _, t in items])
        most, step = int(limits.max()), max(1, CDIST_CELLS // len(items))
        lo, hi = bisect_left(lengths, size - most), bisect_right(lengths, size + most)
        for start in range(lo, hi, step):  # bounded memory: at most CDIST_CELLS scores
            part = choices[start:min(hi, start + step)]
            scores = cdist([s for s, _ in items], part, scorer=Levenshtein.distance,
                           score_cutoff=most, dtype=np.uint8)
            for row, col in zip(*np.nonzero(scores <= limits[:, None])):
                yield part[col], items[row][1], int(scores[row, col]), size


def resolve(hits: list[Hit]) -> list[Hit]:
    """Drop overlapping hits: longest, then most confident, exact, earliest, first entry."""
    starts: list[int] = []
    kept: list[Hit] = []
    for hit in sorted(hits, key=lambda h: (h.start - h.end, -h.confidence, not h.exact,
                                           h.start, h.term.order)):
        at = bisect_right(starts, hit.start)
        if (at and kept[at - 1].end > hit.start) or (at < len(kept) and kept[at].start < hit.end):
            continue
        starts.insert(at, hit.start)
        kept.insert(at, hit)
    return kept


def _entity(text: str, hit: Hit) -> dict[str, Any]:
    entry = hit.term.entry
    return {"text": text[hit.start:hit.end], "type": entry.type, "name": entry.name,
            "key": entry.key, "start": hit.start, "end": hit.end,
            "confidence": hit.confidence, "description": entry.description, "id": entry.id,
            "matched": hit.term.text}


class EntityLookupSkill(Skill):
    """Mentions of a user dictionary's names and aliases in each page.

    One pass over all pages of the batch (fuzzy candidates are shared across
    pages). Each entity is ``{"text": surface form as found, "type": the entry's
    type, "name": the entry's name, "key": ``entity_key(type, name)``, "start",
    "end" (offsets in the page text), "confidence": 1.0 exact, ``1 - d/len`` fuzzy,
    "description", "id" (the entry's, or None), "matched": the name or alias
    matched}``, in text order, never overlapping (see the module docstring).

    Parameters: ``dictionary`` (a CSV or JSON file, required), ``default_type``
    ("MISC"), ``default_case_sensitive`` (False), ``default_accent_sensitive``
    (False) and ``default_fuzzy`` (0, at most 5): what entries that do not say get.
    ``warm_up`` reads and compiles the dictionary (once per process and file
    version); a dictionary that cannot be used disables the skill with a message
    naming the file and the bad entries. ``model`` is the dictionary file, with
    the first 12 hex digits of its SHA-256 once read.
    """

    name: ClassVar[str] = "entity_lookup"
    version: ClassVar[str] = "1"
    context: ClassVar[str] = "/document/pages/*"
    inputs: ClassVar[dict[str, str]] = {"text": "/document/pages/*/text"}
    outputs: ClassVar[tuple[str, ...]] = ("lookup_entities",)
    description: ClassVar[str] = "Mentions of a user dictionary's names and aliases (fuzzy)."

    def __init__(self, dictionary: str | None = None, default_type: str = "MISC",
                 default_case_sensitive: bool = False, default_accent_sensitive: bool = False,
                 default_fuzzy: int = 0, **params: Any) -> None:
        super().__init__(dictionary=None if dictionary is None else str(dictionary),
                         default_type=default_type,
                         default_case_sensitive=default_case_sensitive,
                         default_accent_sensitive=default_accent_sensitive,
                         default_fuzzy=default_fuzzy, **params)
        self.dictionary = self.params["dictionary"]
        self._matcher: Matcher | None = None
        self._digest: str | None = None

    @property
    def model(self) -> str | None:
        """The dictionary file (``codenames.csv@sha256:1f2e3d4c5b6a`` once read)."""
        if self._digest is None:
            return self.dictionary
        return f"{self.dictionary}@sha256:{self._digest[:12]}"

    def defaults(self) -> Defaults:
        """The skill-wide defaults; SkillUnavailable when a parameter is invalid."""
        kind = self.params["default_type"]
        if not isinstance(kind, str) or not kind.strip():
            raise SkillUnavailable(f"entity_lookup: parameter default_type must be a "
                                   f"non-empty string, got {kind!r}")
        try:
            matching = Matching().override(self.params, "default_")
        except ValueError as exc:
            raise SkillUnavailable(f"entity_lookup: parameter {exc}") from exc
        return Defaults(kind.strip(), matching)

    def warm_up(self, context: RunContext = RunContext()) -> None:
        """Read and compile the dictionary (cached per process and file version)."""
        if self._matcher is not None:
            return
        if not self.dictionary:
            raise SkillUnavailable("entity_lookup: no dictionary given; set params: "
                                   "{dictionary: FILE} (a CSV or JSON file)")
        self._matcher, self._digest = compile_dictionary(self.dictionary, self.defaults())

    def run(self, records: Sequence[Record], **kwargs: Any) -> list[Any]:
        """Return ``{"lookup_entities": [...]}`` per record, in order."""
        self.warm_up()
        assert self._matcher is not None
        texts = [r.get("text") if isinstance(r.get("text"), str) else "" for r in records]
        found = self._matcher.find(texts)
        return [{"lookup_entities": [_entity(t, h) for h in hits]}
                for t, hits in zip(texts, found, strict=True)]


def compile_dictionary(path: str, defaults: Defaults) -> tuple[Matcher, str]:
    """The compiled dictionary and its SHA-256, once per process and file version."""
    try:
        stat = Path(path).stat()
        key: tuple[Any, ...] = (str(Path(path).resolve()), stat.st_size, stat.st_mtime_ns,
                                defaults)
    except OSError:
        key = ()  # unreadable: read_dictionary says why
    if key not in _MATCHERS:
        terms, digest = read_dictionary(path, defaults)
        _MATCHERS[key] = (Matcher(terms), digest)
    return _MATCHERS[key]

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
A ``.json`` file is JSON and a ``.csv`` file is CSV; any other name is JSON when it
starts with ``[`` or ``{``. Files are UTF-8 (a byte-order mark is fine). A relative
path is relative to the current directory.

JSON: a list of entries, or ``{"entities": [...]}``, shaped like Azure's (camelCase
or snake_case keys)::

    [{"name": "AMTRUNK", "type": "CRYPTONYM", "id": "cia-001",
      "description": "CIA operation against the Castro government",
      "caseSensitive": true, "fuzzyEditDistance": 1,
      "aliases": [{"text": "AM/TRUNK", "caseSensitive": false},
                  "Operation Amtrunk"]},
     {"name": "Lee Harvey Oswald", "type": "PERSON", "aliases": ["Oswald"]}]

Only ``name`` is required. ``caseSensitive``, ``accentSensitive`` and
``fuzzyEditDistance`` apply to the name; an alias (a string, or an object with
``text`` and the same three keys) takes its own value, else the entry's
``defaultCaseSensitive`` / ``defaultAccentSensitive`` / ``defaultFuzzyEditDistance``,
else the skill's default, as in Azure. ``subtype`` is accepted and ignored; any
other key is an error (it is probably a typo).

CSV with a header row: ``name`` is required; ``type``, ``description``, ``aliases``
(separated by ``|`` or ``;``), ``case_sensitive`` and ``accent_sensitive``
(true/false/1/0/yes/no), ``fuzzy`` (0-5) and ``id`` are optional, in any order.
A row's settings apply to its name and all its aliases; an empty cell takes the
skill's default::

    name,type,aliases,fuzzy,description
    AMTRUNK,CRYPTONYM,AM/TRUNK|Operation Amtrunk,1,CIA operation against Castro
    Lee Harvey Oswald,PERSON,Oswald,,

A first row that names any of these columns is the header. Without one (Azure's
CSV), each line is a name followed by its aliases, with the skill's defaults::

    AMTRUNK,AM/TRUNK
    Lee Harvey Oswald,Oswald

A dictionary that cannot be read (missing file, invalid JSON or CSV, an entry with
no name, an unknown key or column, a flag that is not true/false, a fuzzy distance
outside 0-5) raises :class:`DictionaryError`, a ``SkillUnavailable`` whose message
names the file, the line (CSV) or entry (JSON) and what is wrong (up to ten
problems at once): the run reports the skill disabled and goes on without it.

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
  ``1 - d / len(name)``, 1.0 for exact matches.
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

import csv
import hashlib
import io
import json
import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar, NamedTuple

from graph.normalize import entity_key
from skills.base import Record, Skill, SkillUnavailable

__all__ = ["MAX_FUZZY", "MIN_FUZZY_CHARS", "Defaults", "DictionaryError", "EntityLookupSkill",
           "Entry", "Matcher", "Matching", "Term", "read_dictionary"]

MAX_FUZZY = 5
MIN_FUZZY_CHARS = 4
MAX_REPORTED = 10
CDIST_CELLS = 1 << 22
FORMATS = ("expected a CSV file with a header row 'name,type,description,aliases,"
           "case_sensitive,accent_sensitive,fuzzy,id' (only name required; aliases "
           "separated by | or ;), a CSV file with a name and its aliases per line, or a "
           "JSON list of entries like [{\"name\": \"AMTRUNK\", \"type\": \"CRYPTONYM\", "
           "\"aliases\": [\"AM/TRUNK\"]}]")
_MARKS = "\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
_TOKEN = re.compile(rf"([\w{_MARKS}]+)|[^\w\s]")
_BASE_LETTERS = str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D",
                               "ħ": "h", "Ħ": "H", "ı": "i", "æ": "ae", "Æ": "AE",
                               "œ": "oe", "Œ": "OE", "ß": "ss", "þ": "th", "Þ": "TH"})
_TRUE, _FALSE = {"true", "1", "yes", "y"}, {"false", "0", "no", "n"}
_SETTINGS = ("case_sensitive", "accent_sensitive", "fuzzy")
_SYNONYMS = {"fuzzy_edit_distance": "fuzzy", "default_fuzzy_edit_distance": "default_fuzzy"}
_ENTRY_KEYS = {"name", "type", "subtype", "description", "id", "aliases", *_SETTINGS,
               *(f"default_{s}" for s in _SETTINGS)}
_ALIAS_KEYS = {"text", *_SETTINGS}
_CSV_COLUMNS = {"name", "type", "description", "aliases", "id", *_SETTINGS}

# Compiled dictionaries, one per process and (file, size, mtime, defaults).
_MATCHERS: dict[tuple[Any, ...], tuple[Matcher, str]] = {}


class DictionaryError(SkillUnavailable):
    """A dictionary that cannot be used; the message names the file, the entry and the fix."""


@dataclass(frozen=True)
class Matching:
    """How a name or alias matches: case and accent sensitivity, fuzzy edit distance."""

    case_sensitive: bool = False
    accent_sensitive: bool = False
    fuzzy: int = 0

    def override(self, fields: dict[str, Any], prefix: str = "") -> Matching:
        """These settings with those given in ``fields`` (keys ``prefix + setting``)."""
        given = {s: fields[prefix + s] for s in _SETTINGS if fields.get(prefix + s) is not None}
        return replace(self, **{s: (_distance(v, prefix + s) if s == "fuzzy" else
                                    _flag(v, prefix + s)) for s, v in given.items()})


@dataclass(frozen=True)
class Entry:
    """One dictionary entry: its canonical name, type, description, id and graph key."""

    name: str
    type: str
    description: str | None = None
    id: str | None = None
    key: str = field(default="", compare=False)


@dataclass(frozen=True)
class Term:
    """A name or alias to look for, with its entry and how it matches."""

    text: str
    entry: Entry
    matching: Matching
    order: int = 0


@dataclass(frozen=True)
class Defaults:
    """The skill-wide defaults: entity type and matching."""

    type: str = "MISC"
    matching: Matching = Matching()


class Hit(NamedTuple):
    start: int
    end: int
    term: Term
    confidence: float
    exact: bool


def _flag(value: Any, what: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    raise ValueError(f"{what} must be true or false, got {value!r}")


def _distance(value: Any, what: str) -> int:
    try:
        found = int(str(value).strip()) if not isinstance(value, (bool, float)) else None
    except ValueError:
        found = None
    if found is None or not 0 <= found <= MAX_FUZZY:
        raise ValueError(f"{what} must be a whole number from 0 to {MAX_FUZZY}, got {value!r}")
    return found


def _text(value: Any, what: str) -> str | None:
    if isinstance(value, str):
        return value.strip() or None
    if value is None:
        return None
    if what == "id" and isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise ValueError(f"{what} must be a string, got {value!r}")


def _entry(fields: dict[str, Any], defaults: Defaults) -> Entry:
    name = _text(fields.get("name"), "name")
    if not name or not _TOKEN.search(name):
        raise ValueError("the name is missing or empty")
    name, kind = " ".join(name.split()), _text(fields.get("type"), "type") or defaults.type
    return Entry(name, kind, _text(fields.get("description"), "description"),
                 _text(fields.get("id"), "id"), entity_key(kind, name))


def _terms(entry: Entry, matching: Matching, aliases: Iterable[tuple[str, Matching]]) -> list[Term]:
    seen, terms = set(), []
    for text, how in [(entry.name, matching), *aliases]:
        if (text, how) not in seen:
            seen.add((text, how))
            terms.append(Term(text, entry, how))
    return terms


def _snake(key: str) -> str:
    key = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", str(key).strip())
    key = re.sub(r"[\s-]+", "_", key).lower()
    return _SYNONYMS.get(key, key)


def _fields(raw: dict[str, Any], allowed: set[str]) -> dict[str, Any]:
    fields = {_snake(k): v for k, v in raw.items()}
    unknown = sorted(k for k in raw if _snake(k) not in allowed)
    if unknown:
        raise ValueError(f"unknown key(s) {unknown}; allowed: {', '.join(sorted(allowed))}")
    return fields


def _json_alias(raw: Any, base: Matching) -> tuple[str, Matching]:
    fields = _fields(raw, _ALIAS_KEYS) if isinstance(raw, dict) else {"text": raw}
    text = fields.get("text")
    if not isinstance(text, str) or not _TOKEN.search(text):
        raise ValueError(f"an alias must be a non-empty string or an object with a 'text', "
                         f"got {raw!r}")
    return " ".join(text.split()), base.override(fields)


def _json_terms(raw: Any, defaults: Defaults) -> list[Term]:
    if not isinstance(raw, dict):
        raise ValueError(f"an entry must be an object with a 'name', got {raw!r}")
    fields = _fields(raw, _ENTRY_KEYS)
    entry = _entry(fields, defaults)
    aliases = fields.get("aliases") or []
    if not isinstance(aliases, list):
        raise ValueError(f"'aliases' must be a list, got {aliases!r}")
    alias_base = defaults.matching.override(fields, "default_")
    return _terms(entry, defaults.matching.override(fields),
                  [_json_alias(a, alias_base) for a in aliases])


def _csv_terms(fields: dict[str, str], defaults: Defaults) -> list[Term]:
    fields = {k: v.strip() for k, v in fields.items() if v and v.strip()}
    entry = _entry(fields, defaults)
    how = defaults.matching.override(fields)
    aliases = [" ".join(a.split()) for a in re.split(r"[|;]", fields.get("aliases", ""))]
    return _terms(entry, how, [(a, how) for a in aliases if _TOKEN.search(a)])


def _collect(path: str, items: Iterable[tuple[str, Any]], parse: Any) -> list[Term]:
    """Parse every entry; DictionaryError listing the bad ones, else the numbered terms."""
    terms, errors = [], []
    for where, raw in items:
        try:
            terms.extend(parse(raw))
        except ValueError as exc:
            errors.append(f"{where}: {exc}")
    if errors:
        more = f" (and {len(errors) - MAX_REPORTED} more)" if len(errors) > MAX_REPORTED else ""
        raise DictionaryError(f"entity_lookup: dictionary {path!r}: "
                              f"{'; '.join(errors[:MAX_REPORTED])}{more}")
    return [replace(t, order=i) for i, t in enumerate(terms)]


def _json_where(index: int, raw: Any) -> str:
    name = raw.get("name") if isinstance(raw, dict) else None
    return f"entry {index}" + (f" ({name!r})" if isinstance(name, str) and name.strip() else "")


def read_json(path: str, text: str, defaults: Defaults) -> list[Term]:
    """The terms of a JSON dictionary (see the module docstring)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DictionaryError(f"entity_lookup: dictionary {path!r} is not valid JSON: line "
                              f"{exc.lineno}, column {exc.colno}: {exc.msg}") from exc
    entries = data.get("entities") if isinstance(data, dict) else data
    if not isinstance(entries, list):
        raise DictionaryError(f"entity_lookup: dictionary {path!r} holds no list of entries; "
                              f"{FORMATS}")
    return _collect(path, ((_json_where(i, raw), raw) for i, raw in enumerate(entries, 1)),
                    lambda raw: _json_terms(raw, defaults))


def _csv_rows(path: str, text: str) -> list[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        return [(reader.line_num, row) for row in reader if any(c.strip() for c in row)]
    except csv.Error as exc:
        raise DictionaryError(f"entity_lookup: dictionary {path!r} is not valid CSV: line "
                              f"{reader.line_num}: {exc}") from exc


def _header(path: str, line: int, row: list[str]) -> list[str] | None:
    """The column names when ``row`` is a header, else None."""
    columns = [_snake(c) for c in row]
    if not any(c in _CSV_COLUMNS for c in columns):
        return None
    unknown = [c for c in row if _snake(c) not in _CSV_COLUMNS]
    problem = (f"unknown column(s) {unknown}" if unknown else
               "no 'name' column" if "name" not in columns else "")
    if problem:
        raise DictionaryError(f"entity_lookup: dictionary {path!r}: line {line}: the header "
                              f"row has {problem}; {FORMATS}")
    return columns


def _csv_record(row: list[str], columns: list[str] | None) -> dict[str, str]:
    if columns is None:  # Azure's headerless CSV: a name, then its aliases
        return {"name": row[0], "aliases": "|".join(row[1:])}
    if len(row) > len(columns):
        raise ValueError(f"{len(row)} cells but the header has {len(columns)} columns "
                         "(quote cells that contain commas)")
    return dict(zip(columns, row))


def read_csv(path: str, text: str, defaults: Defaults) -> list[Term]:
    """The terms of a CSV dictionary, with or without a header row."""
    rows = _csv_rows(path, text)
    columns = _header(path, *rows[0]) if rows else None
    body = rows[1:] if columns is not None else rows
    return _collect(path, ((f"line {n}", row) for n, row in body),
                    lambda row: _csv_terms(_csv_record(row, columns), defaults))


def read_dictionary(path: str | Path, defaults: Defaults = Defaults()) -> tuple[list[Term], str]:
    """The terms of a dictionary file and its SHA-256; DictionaryError when unusable."""
    path = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise DictionaryError(f"entity_lookup: cannot read dictionary {path!r}: "
                              f"{exc.strerror or exc}; set params: {{dictionary: FILE}}") from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DictionaryError(f"entity_lookup: dictionary {path!r} is not UTF-8 (byte "
                              f"{exc.start}); save it as UTF-8") from exc
    suffix = Path(path).suffix.lower()
    is_json = suffix == ".json" or (suffix != ".csv" and text.lstrip()[:1] in ("[", "{"))
    terms = (read_json if is_json else read_csv)(path, text, defaults)
    return terms, hashlib.sha256(data).hexdigest()


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
        for m in _TOKEN.finditer(text):
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
            confidence = round(1 - distance / size, 3)
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

    def warm_up(self) -> None:
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

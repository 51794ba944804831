"""Entity normalisation: canonical keys, in-document resolution, sentences.

Pure functions: no I/O, no models. This docstring is the contract.

**Keys.** ``entity_key(type, name)`` is ``TYPE:`` + ``normalize_name(name, type)``:
Unicode NFKC; curly quotes, apostrophes and dashes made ASCII; soft hyphens and
zero-width marks dropped; whitespace collapsed; casefolded. Each word loses edge
punctuation (quotes, brackets, commas, ``;:!?``), a possessive ``'s``/``s'`` and
abbreviation dots (``F.B.I.`` -> ``fbi``, ``Jr.`` -> ``jr``, ``John F. Kennedy`` ->
``john f kennedy``). PERSON: up to two leading honorifics go
(``Mr.``, ``Dr.``, ``President``, ``Sen.``...; not ``St.``, which starts surnames);
generational suffixes stay (``jr``, ``iii``). Other types: a leading ``the`` goes.
ORG: up to two trailing corporate suffixes go (``inc``, ``corp``, ``co``, ``company``,
``ltd``, ``llc``, ``plc``, ``gmbh``, ``ag``, ``sa``...; ``company`` too, so that
``Ford Motor Co.`` and ``Ford Motor Company`` meet). A name never empties: if the rules
strip everything, the casefolded collapsed original is kept.

**Resolution.** ``resolve(mentions, texts, rules)`` canonicalises one document's
mentions and returns new dicts (inputs untouched, order kept) plus the aliases the
document defines. ``rules`` are the skillset's resolution switches
(:data:`graph.resolution.RULES`; missing ones are on): ``acronyms`` and
``short_forms`` switch steps 2 and 3 off. Steps, in order:

1. *Majority type*: mentions whose type-independent form ``normalize_name(name, "")``
   is equal take the type most of them were given; ties go to PERSON, ORG, GPE, LOC,
   FAC, NORP, PRODUCT, EVENT, WORK_OF_ART, LAW, then alphabetical. ``label`` keeps the
   skill's type.
2. *Acronyms defined in the text*: a mention followed by ``(ACR)``, or preceded by
   ``ACR (`` and followed by ``)``, where ACR (2-10 characters, at least two capitals,
   mostly capitals, dots and ``&`` allowed) spells the initials of the mention's words.
   Function words (of, the, and, for, ...) may give their initial or not, hyphenated
   words may give one initial per part. Every mention, of any type, whose
   type-independent form equals the acronym's then takes the long form's type and
   name, and ``(TYPE:acr, TYPE:long form)`` is returned as an alias. The first
   definition of an acronym in the document wins. A mention written as an acronym
   that the text does not define stands for the one multi-word name of the document
   whose initials it spells, if there is exactly one (an alias too).
3. *Short forms*: a mention, of any type, that abbreviates one longer PERSON, ORG or
   place name of the document (:func:`graph.resolution_forms.abbreviates` with
   ``document``: leading or trailing words of a PERSON, trailing words of an ORG...)
   takes its type and name. Of several such names, those that are themselves short
   forms of one name count as it; then the only one of the mention's own type wins,
   and of several PERSON names the one named first; other ambiguous ones, a lone
   honorific and one-character names stay as they are.
4. ``name`` is the long form's display name for merged mentions, else the mention's
   own; ``key`` is ``entity_key(type, name)``; ``text`` is untouched; ``sentence`` is
   the index of the sentence holding ``start`` in ``texts[page]`` (``texts[None]``
   when the page has no text of its own), None without offsets (image labels), and
   ``initial`` whether the mention starts that sentence (with offsets only).
5. *Identifying aliases*: a mention with an ``alias`` (an e-mail address: a name that
   identifies the entity whatever it is called) is keyed ``TYPE:alias``, and
   ``(TYPE:alias, TYPE:name)`` is returned as an alias (unless equal), so the corpus
   resolves every mention of the alias to the name most documents give it.

**Sentences.** ``sentence_spans(text)`` splits after ``.!?`` (and closing quotes or
brackets) before whitespace and a capital, digit or opening quote, and at blank lines;
not after common abbreviations (``Mr.``, ``e.g.``, ``U.S.``, ``Inc.``...) or single
initials. The spans are contiguous and cover the text; each holds its trailing space.

>>> entity_key("ORG", "Nike, Inc.")
'ORG:nike'
>>> entity_key("PERSON", "Mr. LeBron  James's")
'PERSON:lebron james'
>>> text = "The Federal Bureau of Investigation (FBI) called. Later the FBI left."
>>> ms = [{"type": "ORG", "name": "Federal Bureau of Investigation", "start": 4, "end": 35},
...       {"type": "ORG", "name": "FBI", "start": 59, "end": 62}]
>>> out, aliases = resolve(ms, {None: text})
>>> [(m["key"], m["sentence"]) for m in out]
[('ORG:federal bureau of investigation', 0), ('ORG:federal bureau of investigation', 1)]
>>> aliases
[('ORG:fbi', 'ORG:federal bureau of investigation')]
"""

from __future__ import annotations

import functools
import re
import unicodedata
from bisect import bisect_right
from collections import Counter
from collections.abc import Mapping
from typing import Any

from graph.resolution_forms import PLACE_TYPES, abbreviates
from graph.resolution_text import starts_sentence

__all__ = ["TYPE_PREFERENCE", "entity_key", "normalize_name", "resolve", "sentence_of",
           "sentence_spans", "type_rank"]

TYPE_PREFERENCE = ("PERSON", "ORG", "GPE", "LOC", "FAC", "NORP", "PRODUCT", "EVENT",
                   "WORK_OF_ART", "LAW")

_PUNCT = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "`": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u00ab": '"', "\u00bb": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-",
    "\u2015": "-", "\u2212": "-",
    "\u00ad": None, "\u200b": None, "\u200c": None, "\u200d": None, "\ufeff": None,
})
_EDGE = "\"'()[]{}<>,;:!?*|/\\"
_DOTTED = re.compile(r"^(?:[^\W\d_]\.)+[^\W\d_]?\.?$")
_HONORIFICS = frozenset(
    "mr mrs ms miss mx dr prof sir dame lord lady president senator sen rep gov governor "
    "gen general col capt lt sgt rev father coach judge justice king queen prince "
    "princess".split())
_CORPORATE = frozenset(
    "inc incorporated corp corporation co company ltd llc plc gmbh ag sa".split())


def _clean(name: str) -> str:
    """NFKC, ASCII quotes and dashes, no zero-width marks, single spaces, casefolded."""
    text = unicodedata.normalize("NFKC", name).translate(_PUNCT)
    return " ".join(text.split()).casefold()


def _token(token: str) -> str:
    """One word without edge punctuation, possessive or abbreviation dots.

    >>> [_token(t) for t in ["f.b.i.", "u.s.", "jr.", "james's", "celtics'", "(nike),"]]
    ['fbi', 'us', 'jr', 'james', 'celtics', 'nike']
    """
    token = token.strip(_EDGE)
    token = token.removesuffix("'s").strip(_EDGE)
    if _DOTTED.match(token):
        return token.replace(".", "")
    if token.endswith(".") and "." not in token[:-1]:
        return token[:-1]
    return token


def _drop_titles(words: list[str]) -> list[str]:
    """Up to two leading honorifics, keeping at least one word."""
    for _ in range(2):
        if len(words) > 1 and words[0] in _HONORIFICS:
            words = words[1:]
    return words


def _drop_suffixes(words: list[str]) -> list[str]:
    """Up to two trailing corporate suffixes, keeping at least one word."""
    for _ in range(2):
        if len(words) > 1 and words[-1] in _CORPORATE:
            words = words[:-1]
    return words


@functools.lru_cache(maxsize=65536)
def normalize_name(name: str, type: str) -> str:
    """The name part of an entity's canonical key (cached: names repeat).

    >>> normalize_name("  Dr.  Martin  Luther King, Jr. ", "PERSON")
    'martin luther king jr'
    >>> normalize_name("F.B.I.", "ORG"), normalize_name("the U.S.", "GPE")
    ('fbi', 'us')
    >>> normalize_name("Nike, Inc.", "ORG"), normalize_name("The Boston Celtics\u2019", "ORG")
    ('nike', 'boston celtics')
    >>> normalize_name("Prince", "PERSON"), normalize_name("( ) ", "ORG")
    ('prince', '( )')
    """
    words = [w for w in map(_token, _clean(name).split()) if w]
    if type == "PERSON":
        words = _drop_titles(words)
    elif len(words) > 1 and words[0] == "the":
        words = words[1:]
    if type == "ORG":
        words = _drop_suffixes(words)
    return " ".join(words) or _clean(name)


def entity_key(type: str, name: str) -> str:
    """The canonical key ``TYPE:normalised name``.

    >>> entity_key("PERSON", "Mr. John F. Kennedy")
    'PERSON:john f kennedy'
    """
    return f"{type}:{normalize_name(name, type)}"


# --- sentences -----------------------------------------------------------------------

_ABBREVIATIONS = (  # e.g., i.e., U.S. end in a one-letter word: initials cover them
    "mr mrs ms dr prof st jr sr vs etc inc corp co ltd gen col sen rep gov capt lt sgt "
    "rev fig approx dept est".split())
_NOT_ABBREVIATION = "".join(  # one fixed-width lookbehind per length
    rf"(?<!\b(?i:{'|'.join(a for a in _ABBREVIATIONS if len(a) == n)})\.)"
    for n in sorted({len(a) for a in _ABBREVIATIONS})) + r"(?<!\b[^\W\d_]\.)" + \
    r"(?!(?<=\b[Nn]o\.)\s+\d)"  # nor an initial, nor "No. 5" (but "said no. Then")
_BOUNDARY = re.compile(  # a leading class first is three times faster than alternatives
    r"[.!?\n](?:(?:(?<=[!?])|(?<=\.)" + _NOT_ABBREVIATION + r")"
    r"[.!?]*[\"'\u201d\u2019)\]]*(\s+)(?=[\"'\u201c\u2018(\[]?(\w))"
    r"|(?<=\n)[ \t]*\n\s*)")
_PARAGRAPH = re.compile(r"\n[ \t]*\n")


def _is_cut(match: re.Match) -> bool:
    """Whether a boundary candidate ends a sentence: a capital follows, or a blank line."""
    space, first = match.group(1, 2)
    if space is None or first.isupper() or first.isdigit():
        return True
    return bool(_PARAGRAPH.search(space))


def sentence_spans(text: str) -> list[tuple[int, int]]:
    r"""Contiguous ``(start, end)`` sentence spans covering ``text``.

    >>> t = "Mr. Smith met John F. Kennedy in the U.S. capital. He left!\n\nnew part"
    >>> [t[a:b] for a, b in sentence_spans(t)]
    ['Mr. Smith met John F. Kennedy in the U.S. capital. ', 'He left!\n\n', 'new part']
    """
    cuts = [m.end() for m in _BOUNDARY.finditer(text) if _is_cut(m)]
    starts = [0] + [c for c in cuts if 0 < c < len(text)]
    ends = starts[1:] + [len(text)]
    return list(zip(starts, ends))


def sentence_of(spans: list[tuple[int, int]], offset: int) -> int:
    """Index of the span holding ``offset`` (clamped to the first and last).

    >>> sentence_of([(0, 5), (5, 9)], 5), sentence_of([(0, 5), (5, 9)], 99)
    (1, 1)
    """
    return max(0, bisect_right(spans, offset, key=lambda span: span[0]) - 1)


# --- acronyms ------------------------------------------------------------------------

_FUNCTION_WORDS = frozenset("of the and for in on at to de du des la le & s".split())
_ACRONYM = r"[A-Za-z][A-Za-z.&]{1,9}"
_ACRONYM_AFTER = re.compile(r"\s*\(\s*(" + _ACRONYM + r")\s*\)")
_ACRONYM_BEFORE = re.compile(r"(?<![\w.&])(" + _ACRONYM + r")\s*\(\s*$")
_CLOSE = re.compile(r"\s*\)")


def _is_acronym(candidate: str) -> bool:
    """At least two capitals, and more capitals than lowercase letters."""
    upper = sum(c.isupper() for c in candidate)
    return upper >= 2 and upper > sum(c.islower() for c in candidate)


def _spells(letters: str, words: list[str]) -> bool:
    """Whether ``letters`` are the initials of ``words``.

    >>> _spells("fbi", ["federal", "bureau", "of", "investigation"])
    True
    >>> _spells("doj", ["department", "of", "justice"]), _spells("xy", ["x-ray", "yankee"])
    (True, True)
    """
    if not words:
        return not letters
    word, rest = words[0], words[1:]
    options = {word[:1]} | {"".join(p[:1] for p in word.split("-") if p)}
    if word in _FUNCTION_WORDS:
        options.add("")
    return any(letters.startswith(o) and _spells(letters[len(o):], rest) for o in options)


def _defines(name: str, acronym: str) -> bool:
    """Whether ``acronym`` abbreviates ``name``.

    >>> _defines("the Central Intelligence Agency", "CIA"), _defines("Nike", "NBA")
    (True, False)
    """
    letters = "".join(c for c in acronym if c.isalpha()).casefold()
    words = [w for w in map(_token, _clean(name).replace("&", " & ").split()) if w]
    return _is_acronym(acronym) and len(words) > 1 and _spells(letters, words)


def _acronym_at(text: str, start: int, end: int, name: str) -> str | None:
    """The acronym a long form at ``text[start:end]`` defines, if any."""
    after = _ACRONYM_AFTER.match(text, end)
    if after and _defines(name, after.group(1)):
        return after.group(1)
    before = _ACRONYM_BEFORE.search(text, max(0, start - 16), start)
    if before and _CLOSE.match(text, end) and _defines(name, before.group(1)):
        return before.group(1)
    return None


# --- resolution ----------------------------------------------------------------------

def type_rank(type: str) -> tuple[int, str]:
    """Sort key: preferred types first, then alphabetical."""
    order = TYPE_PREFERENCE.index(type) if type in TYPE_PREFERENCE else len(TYPE_PREFERENCE)
    return order, type


def _majority_types(out: list[dict]) -> None:
    """Give mentions of one type-independent name their most frequent type."""
    votes: dict[str, Counter] = {}
    for m in out:
        votes.setdefault(normalize_name(m["name"], ""), Counter())[m["type"]] += 1
    for m in out:
        counts = votes[normalize_name(m["name"], "")]
        m["type"] = min(counts, key=lambda t: (-counts[t], type_rank(t)))


def _text_for(m: dict, texts: Mapping[Any, str]) -> str | None:
    """The text a mention's offsets index, or None without offsets."""
    if m.get("start") is None:
        return None
    page = m.get("page")
    return texts.get(page) if page in texts else texts.get(None)


_INLINE_ACRONYM = re.compile(r"^(?P<long>.*?\S)\s*\((?P<acronym>[A-Za-z.&]{2,10})\)?$")


def _inline_acronym(m: dict) -> str | None:
    """The acronym a recogniser swallowed into the name ("Federal Bureau of Investigation
    (FBI"), which is then cut off the name; None when there is none.

    >>> m = {"name": "Federal Bureau of Investigation (FBI"}
    >>> _inline_acronym(m), m["name"]
    ('FBI', 'Federal Bureau of Investigation')
    """
    found = _INLINE_ACRONYM.match(m["name"])
    if not found or not _defines(found["long"], found["acronym"]):
        return None
    m["name"] = found["long"]
    return found["acronym"]


def _link_acronyms(out: list[dict], texts: Mapping[Any, str]) -> list[tuple[str, int]]:
    """Merge acronym mentions into the long forms the text defines them by."""
    defined: dict[str, int] = {}
    for i, m in enumerate(out):
        text = _text_for(m, texts) if m.get("end") is not None else None
        acronym = _inline_acronym(m) or (
            text and _acronym_at(text, m["start"], m["end"], m["name"]))
        if acronym and normalize_name(acronym, "") not in defined:
            defined[normalize_name(acronym, "")] = i
    _infer_acronyms(out, defined)
    for m in out:
        long = defined.get(normalize_name(m["name"], ""))
        if long is not None:
            m["type"], m["name"] = out[long]["type"], out[long]["name"]
    return [(acr, i) for acr, i in defined.items()]


def _infer_acronyms(out: list[dict], defined: dict[str, int]) -> None:
    """Acronyms the text uses without defining them ("EU" beside "European Union"): a
    mention written as an acronym whose letters are the initials of exactly one
    multi-word name of the document stands for it (added to ``defined``)."""
    acronyms = {normalize_name(m["name"], ""): m["name"] for m in out
                if _is_acronym(m["name"]) and " " not in m["name"].strip()
                and 2 <= len(m["name"].strip()) <= 12}
    acronyms = {a: text for a, text in acronyms.items() if a not in defined}
    if not acronyms:
        return
    longs: dict[str, int] = {}
    for i, m in enumerate(out):
        longs.setdefault(normalize_name(m["name"], m["type"]), i)
    for acronym, text in sorted(acronyms.items()):
        hits = {name: i for name, i in longs.items()
                if name[:1] == acronym[:1] and " " in name and _defines(name, text)}
        if len(hits) == 1:
            defined[acronym] = next(iter(hits.values()))


def _join_short_forms(out: list[dict]) -> None:
    """Merge short forms into the one longer PERSON or ORG name of the document they
    abbreviate (:func:`graph.resolution_forms.abbreviates`), whatever their type."""
    longs: dict[str, dict] = {}
    by_word: dict[str, set[str]] = {}
    for m in out:
        if m["type"] in ("PERSON", "ORG") or m["type"] in PLACE_TYPES:
            name = normalize_name(m["name"], m["type"])
            if name not in longs and " " in name:
                longs[name] = m
                for word in name.split():
                    by_word.setdefault(word, set()).add(name)
    if not longs:
        return
    targets = {name: _target(name, m["type"], longs, by_word) for name, m in longs.items()}
    for m in out:
        hit = _target(normalize_name(m["name"], m["type"]), m["type"], longs, by_word)
        hit = targets.get(hit) or hit
        if hit is not None:
            m["type"], m["name"] = longs[hit]["type"], longs[hit]["name"]


def _target(short: str, type: str, longs: dict[str, dict],
            by_word: dict[str, set[str]]) -> str | None:
    """The one longer name of the document ``short`` abbreviates, or None. Several
    that are themselves short forms of one name count as that name; among several,
    the only one of the short name's own type wins, and among several PERSON names,
    the one the document names first (namesakes: the surname is the first's)."""
    words = short.split()
    near = by_word.get(words[0], set()) | by_word.get(words[-1], set()) if words else ()
    hits = sorted(n for n in near if abbreviates(short, type, n, longs[n]["type"], True))
    if len(hits) > 1:
        hits = sorted({_target(n, longs[n]["type"], longs, by_word) or n for n in hits})
    if len(hits) > 1:
        hits = [n for n in hits if longs[n]["type"] == type]
    if len(hits) > 1 and type == "PERSON":
        order = list(longs)  # namesakes ("Kim Lee ... his son Ann Lee ... Lee"): Kim Lee
        hits = [min(hits, key=order.index)]
    return hits[0] if len(hits) == 1 else None


def _start(m: Mapping[str, Any]) -> dict:
    """A copy with ``label`` and a ``type``/``name`` to work on."""
    out = dict(m)
    out["type"] = out["label"] = m.get("type") or str(m.get("key", "")).split(":")[0]
    out["name"] = m.get("name") or m.get("text") or ""
    return out


def _finish(m: dict, texts: Mapping[Any, str], spans: dict) -> dict:
    """Set ``key`` and ``sentence``."""
    m["key"] = entity_key(m["type"], m["name"])
    text = _text_for(m, texts)
    if text is None:
        m["sentence"] = None
        return m
    m["initial"] = starts_sentence(text, m["start"])
    page = m.get("page") if m.get("page") in texts else None
    if page not in spans:
        spans[page] = sentence_spans(text)
    m["sentence"] = sentence_of(spans[page], m["start"])
    return m


def _identified(out: list[dict]) -> list[tuple[str, str]]:
    """Key the mentions that carry an ``alias`` by it; ``(alias key, name key)`` pairs."""
    pairs = []
    for m in out:
        if m.get("alias"):
            named, m["key"] = m["key"], entity_key(m["type"], str(m["alias"]))
            pairs.append((m["key"], named))
    return pairs


def resolve(mentions: list[Mapping[str, Any]], texts: Mapping[Any, str],
            rules: Mapping[str, bool] | None = None,
            ) -> tuple[list[dict], list[tuple[str, str]]]:
    """Canonical mentions of one document and the aliases it defines (see module doc).

    >>> ms = [{"type": "PERSON", "name": "LeBron James", "start": 0, "end": 12},
    ...       {"type": "ORG", "name": "James", "start": 21, "end": 26},
    ...       {"type": "PERSON", "name": "James", "start": 50, "end": 55}]
    >>> text = "LeBron James scored. James again. The coach praised James."
    >>> out, _ = resolve(ms, {None: text})
    >>> [(m["label"], m["key"], m["sentence"]) for m in out]  # doctest: +NORMALIZE_WHITESPACE
    [('PERSON', 'PERSON:lebron james', 0), ('ORG', 'PERSON:lebron james', 1),
     ('PERSON', 'PERSON:lebron james', 2)]
    """
    rules = rules or {}
    out = [_start(m) for m in mentions]
    _majority_types(out)
    defined = _link_acronyms(out, texts) if rules.get("acronyms", True) else []
    if rules.get("short_forms", True):
        _join_short_forms(out)
    spans: dict = {}
    out = [_finish(m, texts, spans) for m in out]
    aliases = [(f"{out[i]['type']}:{normalize_name(acr, out[i]['type'])}", out[i]["key"])
               for acr, i in defined] + _identified(out)
    return out, [(a, k) for a, k in aliases if a != k]

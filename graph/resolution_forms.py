"""Short forms: when a name abbreviates a longer one (the ``short_forms`` rule).

Pure functions, shared by the per-document resolution (:mod:`graph.normalize`) and
the corpus-level one (:mod:`graph.resolution`). Names are normalised names (words
separated by one space).

A short name *abbreviates* a longer name of type PERSON when its words are the
leading or trailing words of it (a first name, a surname); of type ORG when they are
the trailing words (not right after a function word: "hartwell" does not abbreviate
"bank of hartwell") or two or more leading words and the short name is itself an ORG. A
PERSON's surname may come before a generational suffix ("park" of "kim park jr"), and
a PERSON name of two or more words also abbreviates a longer PERSON name with the same
last word and the other words in order, each the same or its initial (middle names
left out or given as initials: "kim park", "k l park" of "kim lee park"). Within one
document only (``document``), a one-word name also abbreviates a PERSON name of three
or more words holding it in the middle (a double surname, a name used as the known
one: "lee" of "kim lee park"), a one-word ORG also abbreviates an ORG it begins that
ends with an institution's head word (:data:`INSTITUTION_WORDS`: "yale" of "yale
college"), and a place the longer place name that adds generic
administrative words (:data:`PLACE_WORDS`: "hubei province", "republic of karelia").
A short name typed as a place (GPE, LOC, FAC), or a PERSON name of two or more words,
abbreviates only a PERSON. A lone honorific, generational suffix, function word or
one-letter word abbreviates nothing, and a name with a digit or a word without a
letter (other than ``&`` and ``-``) is no long form (it is a recogniser's run-on span: "kim lee
37", "kim lee + acme").

>>> abbreviates("varga", "GPE", "kell varga", "PERSON")
True
>>> abbreviates("rovers", "NORP", "hartwell rovers", "ORG")
True
>>> abbreviates("hartwell", "GPE", "bank of hartwell", "ORG")
False
"""

from __future__ import annotations

from graph.resolution_text import FUNCTION_WORDS

__all__ = ["abbreviates", "affixes", "PLACE_TYPES", "PLACE_WORDS",
           "INSTITUTION_WORDS"]

PLACE_TYPES = frozenset({"GPE", "LOC", "FAC"})
_SUFFIXES = frozenset("jr sr ii iii iv".split())
_NOT_SHORT = _SUFFIXES | frozenset("mr mrs ms dr st".split()) | FUNCTION_WORDS
# The head words of institutions named after a place or person ("Yale College").
INSTITUTION_WORDS = frozenset(
    "school college university academy institute seminary hospital conservatory "
    "polytechnic".split())
# Generic administrative words of a place name ("Hubei Province", "Republic of
# Karelia"); not "city": a city is not its country or state.
PLACE_WORDS = frozenset(
    "province provinces island islands county prefecture oblast region district state "
    "territory kingdom republic governorate municipality canton department".split())


def abbreviates(short: str, short_type: str | None, long: str, long_type: str | None,
                document: bool = False) -> bool:
    """Whether ``short`` may stand for ``long`` (see the module doc); ``document``:
    both are names of one document, which allows the joins noted there as such."""
    words, long_words = short.split(), long.split()
    n = len(words)
    if not n or n >= len(long_words) or (n == 1 and (len(short) < 2 or short in _NOT_SHORT)):
        return False
    if any(c.isdigit() for c in long) or \
            any(w not in "&-" and not any(c.isalpha() for c in w) for w in long_words):
        return False
    first, last = long_words[:n] == words, long_words[-n:] == words
    if long_type == "PERSON":
        bare = _without_suffix(long_words)
        return first or last or bare[-n:] == words and len(bare) > n or \
            (n > 1 and short_type == "PERSON" and _without_middle(words, bare)) or \
            (document and n == 1 and len(bare) > 2 and short in bare[1:-1])
    if long_type in PLACE_TYPES:
        return document and short_type in PLACE_TYPES and _place_of(words, long_words)
    if long_type != "ORG" or short_type in PLACE_TYPES or (short_type == "PERSON" and n > 1):
        return False
    after_function_word = long_words[-n - 1] in FUNCTION_WORDS
    return (last and not after_function_word) or (first and short_type == "ORG" and (
        n >= 2 or (document and long_words[-1] in INSTITUTION_WORDS)))


def _without_suffix(words: list[str]) -> list[str]:
    """A PERSON name's words without a trailing generational suffix (``jr``, ``iii``)."""
    return words[:-1] if len(words) > 2 and words[-1] in _SUFFIXES else words


def _without_middle(words: list[str], long_words: list[str]) -> bool:
    """Whether ``words`` are ``long_words`` without some middle words ("kim park" of
    "kim lee park"), or with initials for some words before the last ("k l park",
    "kim l park"): same last word, the others in order, each the same word or its
    initial, the first one standing for the first."""
    if words[-1] != long_words[-1] or not _same_or_initial(words[0], long_words[0]):
        return False
    rest = iter(long_words[1:-1])
    return all(any(_same_or_initial(word, other) for other in rest) for word in words[1:-1])


def _same_or_initial(word: str, other: str) -> bool:
    return word == other or (len(word) == 1 and other.startswith(word))


def _place_of(words: list[str], long_words: list[str]) -> bool:
    """Whether a place name is the longer one with generic administrative words
    ("hubei province", "republic of karelia"), in one document."""
    n = len(words)
    if long_words[:n] == words:
        rest = long_words[n:]
    elif long_words[-n:] == words and long_words[-n - 1] == "of":
        rest = long_words[:-n - 1]
    else:
        return False
    return bool(rest) and all(w in PLACE_WORDS for w in rest)


def affixes(name: str) -> list[tuple[str, str]]:
    """``(part, "first" | "last")`` for each proper run of leading and trailing words.

    >>> affixes("kim lee park")
    [('kim', 'first'), ('kim lee', 'first'), ('park', 'last'), ('lee park', 'last')]
    """
    words = name.split()
    first = [(" ".join(words[:n]), "first") for n in range(1, len(words))]
    last = [(" ".join(words[-n:]), "last") for n in range(1, len(words))]
    return first + last

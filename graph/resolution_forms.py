"""Short forms: when a name abbreviates a longer one (the ``short_forms`` rule).

Pure functions, shared by the per-document resolution (:mod:`graph.normalize`) and
the corpus-level one (:mod:`graph.resolution`). Names are normalised names (words
separated by one space).

A short name *abbreviates* a longer name of type PERSON when its words are the
leading or trailing words of it (a first name, a surname); of type ORG when they are
the trailing words (not right after a function word: "boston" does not abbreviate
"bank of boston") or two or more leading words and the short name is itself an ORG. A
PERSON name of two or more words also abbreviates a longer PERSON name with the same
first and last words (middle names left out: "kim park" of "kim lee park").
A short name typed as a place (GPE, LOC, FAC), or a PERSON name of two or more words,
abbreviates only a PERSON. A lone honorific, generational suffix, function word or
one-letter word abbreviates nothing, and a name with a digit or a word without a
letter (other than ``&``) is no long form (it is a recogniser's run-on span: "kim lee
37", "kim lee + acme").

>>> abbreviates("tatum", "GPE", "kim tatum", "PERSON")
True
>>> abbreviates("celtics", "NORP", "boston celtics", "ORG")
True
>>> abbreviates("boston", "GPE", "bank of boston", "ORG")
False
"""

from __future__ import annotations

from graph.resolution_text import FUNCTION_WORDS

__all__ = ["abbreviates", "affixes", "PLACE_TYPES"]

PLACE_TYPES = frozenset({"GPE", "LOC", "FAC"})
_NOT_SHORT = frozenset("jr sr ii iii iv mr mrs ms dr st".split()) | FUNCTION_WORDS


def abbreviates(short: str, short_type: str | None, long: str, long_type: str | None) -> bool:
    """Whether ``short`` may stand for ``long`` (see the module doc)."""
    words, long_words = short.split(), long.split()
    n = len(words)
    if not n or n >= len(long_words) or (n == 1 and (len(short) < 2 or short in _NOT_SHORT)):
        return False
    if any(c.isdigit() for c in long) or \
            any(w != "&" and not any(c.isalpha() for c in w) for w in long_words):
        return False
    first, last = long_words[:n] == words, long_words[-n:] == words
    if long_type == "PERSON":
        return first or last or (n > 1 and short_type == "PERSON" and
                                 _without_middle(words, long_words))
    if long_type != "ORG" or short_type in PLACE_TYPES or (short_type == "PERSON" and n > 1):
        return False
    after_function_word = long_words[-n - 1] in FUNCTION_WORDS
    return (last and not after_function_word) or (first and n >= 2 and short_type == "ORG")


def _without_middle(words: list[str], long_words: list[str]) -> bool:
    """Whether ``words`` are ``long_words`` without some middle words ("kim park" of
    "kim lee park"): same first and last word, the rest in order."""
    if words[0] != long_words[0] or words[-1] != long_words[-1]:
        return False
    rest = iter(long_words[1:-1])
    return all(word in rest for word in words[1:-1])


def affixes(name: str) -> list[tuple[str, str]]:
    """``(part, "first" | "last")`` for each proper run of leading and trailing words.

    >>> affixes("kim lee park")
    [('kim', 'first'), ('kim lee', 'first'), ('park', 'last'), ('lee park', 'last')]
    """
    words = name.split()
    first = [(" ".join(words[:n]), "first") for n in range(1, len(words))]
    last = [(" ".join(words[-n:]), "last") for n in range(1, len(words))]
    return first + last

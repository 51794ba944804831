"""The two query syntaxes, the same for every backend: ``lenient`` (the default) and ``strict``.

Both read the full syntax (words, ``"phrases"``, ``AND``/``OR``/``NOT``, ``-word``,
``prefix*``, ``field:value``; ``*`` for everything). They differ on a query that is not
valid syntax:

* ``strict`` refuses it with a QueryError (E403) that says where the problem is;
* ``lenient`` never fails, like Elasticsearch's ``simple_query_string`` and Azure's
  simple query type: a prefix that is not an index field (``foo:bar``, ``10:30``) is read
  as words, and a query that still does not parse (an apostrophe, an unclosed quote or
  parenthesis, an operator with nothing after it: ``kids' TV``, ``a AND``, ``C++ (``)
  is searched as its words (``words``), any of them matching, as in the full syntax.

Pure text functions: each backend parses and falls back on its own (``tantivy_query``,
``elastic_body``), so the same query finds the same documents on both.
"""

from __future__ import annotations

import re
from typing import Sequence

from .base import INDEX_FIELDS, KEYWORD_FIELDS, QueryError

__all__ = ["SYNTAXES", "check_syntax", "runs_nowhere", "unknown_fields_as_words", "uses_syntax",
           "words"]

SYNTAXES = ("lenient", "strict")
# A word as the index's analyzer cuts text (tantivy's simple tokenizer: letters and digits).
_WORD = re.compile(r"[^\W_]+")
_OPERATORS = {"AND", "OR", "NOT"}
_FIELD = re.compile(r"(?<![\w.\\])([\w.]+):")
_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"?|\\.')
_STAR = re.compile(r"(?<![\w.\\])([\w.]+):\*")


def check_syntax(syntax: str) -> None:
    """Raise QueryError for a syntax that is not one of ``SYNTAXES``."""
    if syntax not in SYNTAXES:
        raise QueryError(f"unknown query syntax {syntax!r}: use {' or '.join(SYNTAXES)} "
                         "(lenient searches what is not valid syntax as words; strict "
                         "refuses it and says where)")


def words(query: str) -> list[str]:
    """The words of ``query``, lowercased, without operators, quotes or punctuation."""
    return [word.lower() for word in _WORD.findall(query) if word not in _OPERATORS]


def _masked(query: str) -> str:
    """``query`` with quoted text and escapes blanked (positions kept)."""
    return _QUOTED.sub(lambda match: " " * len(match.group()), query)


def unknown_fields_as_words(query: str, user: Sequence[str] = ()) -> str:
    """``foo:bar`` to ``foo bar`` where ``foo`` is not an index field (outside quotes):
    neither a built-in one nor one of the index's ``user`` fields."""
    known = set(INDEX_FIELDS) | set(user)
    out = list(query)
    for match in _FIELD.finditer(_masked(query)):
        if match.group(1) not in known:
            out[match.end() - 1] = " "
    return "".join(out)


def runs_nowhere(query: str) -> bool:
    """Whether ``query`` asks for any value (``field:*``) of a field that is not a keyword
    field: it parses, but no backend answers it alike (tantivy cannot run it)."""
    return any(match.group(1) not in KEYWORD_FIELDS
               for match in _STAR.finditer(_masked(query)))


_SYNTAX_MARKS = re.compile(r'["*()~^\\\[\]{}]|\w\?\w|(?:^|\s)[+-]\S|(?:^|\s)(?:AND|OR|NOT)(?:\s|$)'
                           r'|&&|\|\||(?<![\w.\\])[A-Za-z_][\w.]*:\S')


def uses_syntax(query: str) -> bool:
    """Whether ``query`` asks for more than its words: a phrase, a wildcard, a group, an
    operator (``AND``/``OR``/``NOT``, ``+``/``-`` before a word) or a ``field:value``. Such
    a query is meant for the keyword search as written (a vector has no syntax). A
    question mark ending a word is a question, and ``10:30`` a time, not syntax."""
    return bool(_SYNTAX_MARKS.search(query))

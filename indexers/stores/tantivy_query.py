"""Turning a search box query into a tantivy query, with clear errors.

The syntax is tantivy's (Lucene-like): words, ``"phrases"``, ``AND``/``OR``, ``+must``
and ``-must_not``, ``field:value``, ``field:"a phrase"``, ``(groups)``, ``word^2``.
Some gaps of tantivy's parser are filled by rewriting the query text first
(outside quotes and ``/regexes/``):

* an apostrophe inside a word (``O'Brien``, ``LeBron's``) is escaped: tantivy
  reads ``'`` as the start of a single-quoted phrase;
* ``NOT x`` becomes ``-x``: tantivy reads ``a AND NOT b`` as "a, and a group that
  only excludes b", which matches nothing;
* ``word*`` becomes a prefix query (``title:/word.*/ OR content:/word.*/``, folded
  like the index folds text): tantivy only knows prefixes at the end of a phrase.
  Text is stemmed, so a prefix matches stems (``play*`` finds "players");
* a query that only excludes (``-draft``) matches every document but those.

An empty query or ``*`` matches every document. In the ``lenient`` syntax (the
default, see ``query_syntax``) a query that does not parse is searched as its words;
``strict`` raises the QueryError.
"""

from __future__ import annotations

import functools
import re
from typing import Callable, Sequence

import tantivy

from .base import KEYWORD_FIELDS, TEXT_FIELDS, QueryError
from .query_syntax import check_syntax, runs_nowhere, unknown_fields_as_words, words

__all__ = ["parse_query", "text_analyzer", "locate", "TEXT_TOKENIZER"]

# Registered on every opened index; the version is in the name so that an index
# built with another analyzer is detected (see ``tantivy_index``).
TEXT_TOKENIZER = "enrich_en_v1"

_PROTECTED = re.compile(r'"(?:[^"\\]|\\.)*"|/(?:[^/\\]|\\.)*/')
_NOT = re.compile(r"(^|[\s(])NOT\s+")
_APOSTROPHE = re.compile(r"(?<=\w)'(?=\w)")
_PREFIX = re.compile(r"(?<![^\s(+\-])(?:(\w+):)?(\w+)\*(?![\w*])")
_UNKNOWN_FIELD = re.compile(r"Field does not exist: '([^']*)'")


def text_analyzer(stem: bool = True) -> tantivy.TextAnalyzer:
    """Words, lowercased, accents folded (Muñoz = munoz), English stems (players = player)."""
    builder = (tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
               .filter(tantivy.Filter.remove_long(40))
               .filter(tantivy.Filter.lowercase())
               .filter(tantivy.Filter.ascii_fold()))
    if stem:
        builder = builder.filter(tantivy.Filter.stemmer("english"))
    return builder.build()


_FOLD = text_analyzer(stem=False)


def parse_query(index: tantivy.Index, query: str, syntax: str = "lenient",
                fields: Sequence[str] = TEXT_FIELDS, user: Sequence[str] = ()) -> tantivy.Query:
    """The tantivy query for ``query``; ``strict``: raises QueryError naming the problem,
    ``lenient``: what does not parse is searched as words (never an error). Words
    without a field are searched in ``fields`` (the text fields, and the searchable
    user text fields); ``user`` names the index's user fields, which ``field:value``
    may name as the built-in ones."""
    check_syntax(syntax)
    parse = functools.partial(index.parse_query, default_field_names=list(fields),
                              allow_regexes=True)
    text = query.strip()
    if text in ("", "*"):
        return tantivy.Query.all_query()
    if syntax == "strict":
        return _strict(parse, text, query)
    lenient = unknown_fields_as_words(text, user)
    try:
        if not runs_nowhere(lenient):
            return _strict(parse, lenient, query)
    except QueryError:
        pass
    found = words(query)  # any of them; none: nothing matches
    return parse(" ".join(found)) if found else tantivy.Query.empty_query()


Parser = Callable[[str], tantivy.Query]  # tantivy's parse_query with its defaults bound


def _strict(parse: Parser, text: str, query: str) -> tantivy.Query:
    rewritten = rewrite(text)
    try:
        return parse(rewritten)
    except ValueError as error:
        if "Only excluding terms" in str(error):
            return _parse_or_raise(parse, "* " + rewritten, query)
        raise _query_error(query, error) from None


def _parse_or_raise(parse: Parser, text: str, query: str) -> tantivy.Query:
    try:
        return parse(text)
    except ValueError as error:
        raise _query_error(query, error) from None


def _query_error(query: str, error: ValueError) -> QueryError:
    unknown = _UNKNOWN_FIELD.search(str(error))
    if unknown:
        at = re.search(rf"(?<![\w.]){re.escape(unknown.group(1))}:", query)
        return QueryError(
            f"unknown field {unknown.group(1)!r} in query {query!r}; the fields are "
            f"{', '.join(('id',) + TEXT_FIELDS + KEYWORD_FIELDS)} (put a colon that is "
            'not a field in quotes, or escape it: "10:30", 10\\:30)',
            at.start() if at else None)
    position, problem = locate(query)
    where = f" at character {position + 1}: {problem}" if position is not None else ""
    return QueryError(
        f"cannot parse query {query!r}{where} ({error}); close quotes and parentheses, "
        "put AND/OR between two terms, and escape special characters with a "
        "backslash (\\( \\: \\\")", position)


_TOKEN = re.compile(r'\\.|"|\(|\)|\b(?:AND|OR|NOT)\b|[\w.]+:(?=\s|$|\))|\S')


def locate(query: str) -> tuple[int | None, str]:
    """Where a query that does not parse goes wrong: ``(index, what)``, or ``(None, "")``.

    Finds an unclosed quote or parenthesis, a stray ``)``, an operator with nothing
    after it, and a ``field:`` with no value.
    """
    opened: list[int] = []
    quote: int | None = None
    last: tuple[int, str] | None = None
    for match in _TOKEN.finditer(query):
        token, at = match.group(), match.start()
        if quote is not None:
            if token == '"':
                quote = None
            continue
        if token == '"':
            quote = at
        elif token == "(":
            opened.append(at)
        elif token == ")":
            if not opened:
                return at, "a ')' closes nothing"
            opened.pop()
        elif token.endswith(":") and len(token) > 1:
            return at, f"{token!r} has no value after it"
        last = (at, token)
    if quote is not None:
        return quote, "this quote is never closed"
    if opened:
        return opened[-1], "this '(' is never closed"
    if last and last[1] in ("AND", "OR", "NOT"):
        return last[0], f"{last[1]} has nothing after it"
    return None, ""


def rewrite(query: str) -> str:
    """``NOT x`` to ``-x``, ``O'Brien`` to ``O\\'Brien``, ``word*`` to a prefix query.

    Text in double quotes and ``/regexes/`` is left alone.
    """
    parts, start = [], 0
    for match in _PROTECTED.finditer(query):
        parts += [_rewrite_plain(query[start:match.start()]), match.group()]
        start = match.end()
    parts.append(_rewrite_plain(query[start:]))
    return "".join(parts)


def _rewrite_plain(text: str) -> str:
    text = _APOSTROPHE.sub(r"\\'", _NOT.sub(r"\1-", text))
    return _PREFIX.sub(_prefix_query, text)


def _prefix_query(match: re.Match[str]) -> str:
    field, word = match.group(1), match.group(2)
    if field in KEYWORD_FIELDS or field == "id":
        return f"{field}:/{word}.*/"
    folded = _FOLD.analyze(word)
    if len(folded) != 1 or (field and field not in TEXT_FIELDS):
        return match.group()
    fields: Sequence[str] = (field,) if field else TEXT_FIELDS
    return "(" + " OR ".join(f"{name}:/{folded[0]}.*/" for name in fields) + ")"

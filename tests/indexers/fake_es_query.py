"""The search side of the fake Elasticsearch (``fake_elasticsearch.py``): the query DSL
enrich sends, evaluated over documents in memory as the Elasticsearch reference says.

* ``match_all``, ``bool`` (``must``, ``filter``, ``must_not``, ``should``), ``terms``,
  ``term``, ``ids``, ``nested`` (``path``, ``query`` over the nested objects' fields,
  named by their full path);
* ``query_string`` over ``fields`` with ``default_operator`` OR, parsed like Lucene's
  classic query parser: words, ``"phrases"``, ``AND``/``OR``/``NOT``/``&&``/``||``/``!``,
  ``+``/``-``, ``field:value``, ``(groups)``, ``word*``, ``word^2``; a query that only
  excludes matches everything else (as Elasticsearch rewrites it). Regular expressions
  and fuzzy or range queries are not implemented: they are refused with a 400;
* ``simple_query_string`` with ``flags`` ``WHITESPACE`` (whitespace splits the query
  into terms, no operator is read), each term analysed and searched on every field of
  ``fields``, combined by ``default_operator`` (OR: any, AND: all); other flags are
  refused with a 400. ``match_none`` matches nothing;
* text fields analysed as the ``enrich_en`` analyzer does (standard words, lowercase,
  ASCII folding, Porter2 stems; the same Snowball stemmer tantivy runs), keyword
  fields exact;
* highlights with the ``html`` encoder (text escaped, matches in the tags), fragments
  of about ``fragment_size`` characters, at most ``number_of_fragments``.
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass, field
from typing import Any

from indexers.stores.tantivy_query import text_analyzer

TEXT = ("title", "content")  # the text fields of enrich's mappings; others are keyword
_STEM, _FOLD = text_analyzer(), text_analyzer(stem=False)
_WORD = re.compile(r"\w+")
_TOKEN = re.compile(r'\s+|\(|\)|"(?:[^"\\]|\\.)*"(?:~\d+)?|&&|\|\||[+\-!](?=\S)|'
                    r'(?:[^\s()"\\:+\-!]|\\.)(?:[^\s()"\\:]|\\.)*:?|\S')


class BadQuery(ValueError):
    """A query the fake cannot run (``query_shard_exception`` / ``parsing_exception``)."""


def analyze(text: str, stem: bool = True) -> list[tuple[str, int, int]]:
    """``(term, start, end)`` of each token of ``text`` (words over 40 characters dropped)."""
    out = []
    for match in _WORD.finditer(text):
        terms = (_STEM if stem else _FOLD).analyze(match.group()) if len(match.group()) <= 40 \
            else []
        if terms:
            out.append((terms[0], match.start(), match.end()))
    return out


def _values(source: dict[str, Any], name: str) -> list[str]:
    value = source.get(name)
    return [] if value is None else [str(v) for v in value] if isinstance(value, list) \
        else [str(value)]


@dataclass
class Leaf:
    """A term, phrase or prefix on one field (None: the query's default fields)."""

    field: str | None
    text: str
    kind: str  # "term" | "phrase" | "prefix" | "exists" | "all"

    def score(self, source: dict[str, Any], fields: list[str], stats: Stats) -> float:
        if self.kind == "all":
            return 1.0
        best = 0.0
        for name in ([self.field] if self.field else fields):
            best = max(best, self._field_score(source, name, stats))
        return best

    def _field_score(self, source: dict[str, Any], name: str, stats: Stats) -> float:
        values = _values(source, name)
        if self.kind == "exists":
            return 1.0 if values else 0.0
        if name not in TEXT:
            if self.kind == "prefix":
                return 1.0 if any(v.startswith(self.text) for v in values) else 0.0
            return 1.0 if self.text in values else 0.0
        tokens = [t for value in values for t, _, _ in analyze(value)]
        if self.kind == "prefix":
            prefix = "".join(t for t, _, _ in analyze(self.text, stem=False))
            hits = sum(t.startswith(prefix) for t in tokens)
            return stats.weight(hits, 1)
        wanted = [t for t, _, _ in analyze(self.text)]
        if not wanted:
            return 0.0
        if len(wanted) == 1:
            return stats.weight(tokens.count(wanted[0]), stats.df(name, wanted[0]))
        n = len(wanted)
        hits = sum(tokens[i:i + n] == wanted for i in range(len(tokens) - n + 1))
        return stats.weight(hits, 1)

    def highlights(self, token: str) -> bool:
        """Whether a content token (analysed) is one this leaf matches."""
        if self.kind == "prefix":
            return token.startswith("".join(t for t, _, _ in analyze(self.text, stem=False)))
        return self.kind in ("term", "phrase") and token in {t for t, _, _ in analyze(self.text)}


@dataclass
class Bool:
    """Lucene's boolean query: ``clauses`` are ``[occur, node]`` with occur must,
    should or must_not."""

    clauses: list[list[Any]] = field(default_factory=list)

    def score(self, source: dict[str, Any], fields: list[str], stats: Stats) -> float:
        total, should, matched_should = 0.0, False, False
        for occur, node in self.clauses:
            got = node.score(source, fields, stats)
            if occur == "must_not":
                if got:
                    return 0.0
            elif occur == "must":
                if not got:
                    return 0.0
                total += got
            else:
                should, matched_should = True, matched_should or bool(got)
                total += got
        if any(o == "must" for o, _ in self.clauses) or not should:
            return max(total, 1.0 if self.clauses else 0.0)
        return total if matched_should else 0.0

    def leaves(self) -> list[Leaf]:
        """The leaves that can match (not under must_not): what highlights show."""
        out = []
        for occur, node in self.clauses:
            if occur != "must_not":
                out += node.leaves() if isinstance(node, Bool) else [node]
        return out


class Stats:
    """Document frequencies for a simple TF-IDF score (positive for every match)."""

    def __init__(self, sources: list[dict[str, Any]]) -> None:
        self.sources, self._df = sources, {}

    def df(self, name: str, term: str) -> int:
        key = (name, term)
        if key not in self._df:
            self._df[key] = sum(term in {t for v in _values(s, name) for t, _, _ in analyze(v)}
                                for s in self.sources)
        return self._df[key]

    def weight(self, tf: int, df: int) -> float:
        if not tf:
            return 0.0
        return tf / (tf + 1.0) * math.log(1 + (len(self.sources) + 1) / (df + 0.5))


def parse_query_string(text: str) -> Bool:
    """The boolean query of a query string (Lucene classic parser, default OR)."""
    tokens = [t for t in _TOKEN.findall(text) if not t.isspace()]
    node, rest = _parse(tokens, 0, None)
    if rest != len(tokens):
        raise BadQuery(f"Cannot parse '{text}': Encountered \")\"")
    if node.clauses and all(o == "must_not" for o, _ in node.clauses):
        node.clauses.insert(0, ["must", Leaf(None, "", "all")])
    return node


def _parse(tokens: list[str], at: int, field_name: str | None) -> tuple[Bool, int]:
    query, conj = Bool(), None
    while at < len(tokens) and tokens[at] != ")":
        token = tokens[at]
        if token in ("AND", "&&", "OR", "||"):
            conj, at = ("and" if token in ("AND", "&&") else "or"), at + 1
            continue
        mod = None
        if token in ("NOT", "!", "-", "+"):
            mod, at = ("req" if token == "+" else "not"), at + 1
        node, at = _clause(tokens, at, field_name)
        _add(query, conj, mod, node)
        conj = None
    return query, at


def _add(query: Bool, conj: str | None, mod: str | None, node: Any) -> None:
    if query.clauses and conj == "and" and query.clauses[-1][0] != "must_not":
        query.clauses[-1][0] = "must"
    prohibited, required = mod == "not", mod == "req" or (conj == "and" and mod != "not")
    query.clauses.append(["must_not" if prohibited else "must" if required else "should", node])


def _clause(tokens: list[str], at: int, field_name: str | None) -> tuple[Any, int]:
    if at >= len(tokens):
        raise BadQuery("Cannot parse: Encountered \"<EOF>\"")
    token = tokens[at]
    if token.endswith(":") and not token.endswith("\\:"):
        return _clause(tokens, at + 1, token[:-1])
    if token == "(":
        node, at = _parse(tokens, at + 1, field_name)
        if at >= len(tokens):
            raise BadQuery("Cannot parse: Encountered \"<EOF>\", expected \")\"")
        return node, at + 1
    token = re.sub(r"\^\d+(\.\d+)?$", "", token)
    if token.startswith('"'):
        return Leaf(field_name, _unescape(re.sub(r'"(~\d+)?$', "", token[1:])), "phrase"), at + 1
    if token.startswith("/") or "~" in token or token.startswith(("[", "{")):
        raise BadQuery(f"the fake Elasticsearch does not run {token!r} (regex, fuzzy, range)")
    if token == "*":
        return Leaf(field_name, "", "exists"), at + 1
    if token.endswith("*") and not token.endswith("\\*"):
        return Leaf(field_name, _unescape(token[:-1]), "prefix"), at + 1
    return Leaf(field_name, _unescape(token), "term"), at + 1


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def matches(query: dict[str, Any], source: dict[str, Any], stats: Stats) -> float:
    """The score of ``source`` for a query DSL object (0.0: no match)."""
    ((kind, spec),) = query.items()
    if kind == "match_all":
        return 1.0
    if kind == "match_none":
        return 0.0
    if kind == "simple_query_string":
        return spec["_parsed"].score(source, spec["fields"], stats)
    if kind == "query_string":
        if spec.get("default_operator", "OR").upper() != "OR":
            raise BadQuery("the fake Elasticsearch runs default_operator OR only")
        return spec["_parsed"].score(source, spec["fields"], stats)
    if kind in ("terms", "term"):
        ((name, wanted),) = spec.items()
        wanted = wanted if kind == "terms" else [wanted]
        return 1.0 if set(map(str, wanted)) & set(_values(source, name)) else 0.0
    if kind == "nested":
        items = source.get(spec["path"]) or []
        return max((matches(spec["query"], {f"{spec['path']}.{k}": v for k, v in item.items()},
                            stats) for item in (items if isinstance(items, list) else [items])),
                   default=0.0)
    if kind == "ids":
        return 1.0 if str(source.get("_id")) in set(map(str, spec.get("values", []))) else 0.0
    if kind == "range":
        ((name, ends),) = spec.items()
        low, high = ends.get("gte"), ends.get("lte")
        return 1.0 if any((low is None or v >= low) and (high is None or v <= high)
                          for v in _raw(source, name)) else 0.0
    if kind == "bool":
        total = 0.0
        should = spec.get("should", [])
        # as Elasticsearch: one should clause must match only when there is no must or
        # filter clause (minimum_should_match's default), else they only add to the score
        required = int(spec.get("minimum_should_match",
                                0 if spec.get("must") or spec.get("filter") else 1))
        scores = [matches(clause, source, stats) for clause in should]
        if should and sum(1 for got in scores if got) < required:
            return 0.0
        for clause in spec.get("must", []):
            got = matches(clause, source, stats)
            if not got:
                return 0.0
            total += got
        if not all(matches(clause, source, stats) for clause in spec.get("filter", [])):
            return 0.0
        if any(matches(clause, source, stats) for clause in spec.get("must_not", [])):
            return 0.0
        return total if spec.get("must") else 1.0
    raise BadQuery(f"the fake Elasticsearch does not run [{kind}] queries")


def _raw(source: dict[str, Any], name: str) -> list[Any]:
    """A field's values as stored (numbers as numbers, dates as ISO strings in UTC)."""
    values = source.get(name)
    return [v for v in (values if isinstance(values, list) else [values]) if v is not None]


def prepare(query: dict[str, Any]) -> list[Leaf]:
    """Parse every query string in ``query`` (in place); returns the highlight leaves."""
    ((kind, spec),) = query.items()
    if kind == "query_string":
        spec["_parsed"] = parse_query_string(spec["query"])
        return [leaf for leaf in spec["_parsed"].leaves() if leaf.field in (None, "content")]
    if kind == "simple_query_string":
        spec["_parsed"] = parse_simple_query_string(spec)
        return spec["_parsed"].leaves()
    if kind == "bool":  # every clause is parsed; scoring clauses give the highlights
        leaves = {occur: [leaf for clause in spec.get(occur, []) for leaf in prepare(clause)]
                  for occur in ("must", "should", "filter", "must_not")}
        return leaves["must"] + leaves["should"]
    return []


def parse_simple_query_string(spec: dict[str, Any]) -> Bool:
    """The boolean query of a ``simple_query_string`` with only whitespace splitting
    (``flags: WHITESPACE``): each analysed term, combined by ``default_operator``."""
    if str(spec.get("flags", "ALL")).upper() != "WHITESPACE":
        raise BadQuery("the fake Elasticsearch runs simple_query_string with flags "
                       "WHITESPACE only")
    occur = "must" if str(spec.get("default_operator", "OR")).upper() == "AND" else "should"
    terms = [term for chunk in spec["query"].split() for term, _, _ in analyze(chunk, False)]
    return Bool([[occur, Leaf(None, term, "term")] for term in terms])


def highlight(text: str, leaves: list[Leaf], config: dict[str, Any]) -> list[str]:
    """Fragments of ``text`` with the tokens ``leaves`` match wrapped in the tags."""
    spec = config["fields"]["content"]
    size, wanted = spec.get("fragment_size", 100), spec.get("number_of_fragments", 5)
    pre, post = config.get("pre_tags", ["<em>"])[0], config.get("post_tags", ["</em>"])[0]
    escape = html.escape if config.get("encoder") == "html" else (lambda s: s)
    hits = [(s, e) for t, s, e in analyze(text) if any(leaf.highlights(t) for leaf in leaves)]
    fragments: list[list[tuple[int, int]]] = []
    for start, end in hits:
        if fragments and end <= _window(text, fragments[-1][0][0], size)[1]:
            fragments[-1].append((start, end))
        else:
            fragments.append([(start, end)])
    best = sorted(fragments, key=lambda f: -len(f))[:wanted]
    out = []
    for fragment in sorted(best, key=lambda f: f[0][0]):
        begin, finish = _window(text, fragment[0][0], size)
        parts, at = [], begin
        for start, end in fragment:
            parts += [escape(text[at:start]), pre, escape(text[start:end]), post]
            at = end
        out.append("".join(parts) + escape(text[at:finish]))
    return out


def _window(text: str, first: int, size: int) -> tuple[int, int]:
    """About ``size`` characters around a match at ``first``, cut at word boundaries."""
    begin = max(0, first - size // 4)
    while 0 < begin < first and text[begin - 1].isalnum():
        begin += 1
    finish = min(len(text), begin + size)
    while finish < len(text) and finish > first and text[finish].isalnum():
        finish -= 1
    return begin, finish

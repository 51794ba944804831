"""Elasticsearch request bodies and answers, as pure functions (no client, no I/O).

What ``ElasticIndex`` (``elastic.py``) sends and how it reads the answers, kept apart
so that each body is unit-tested against the shape the Elasticsearch reference
documents: the index settings (the ``enrich_en`` analyzer: standard words,
lowercased, accents folded, English Porter2 stems, like tantivy's ``enrich_en_v1``),
explicit mappings (``title``/``content`` text, the other fields keyword, a skillset's
user fields by their type: text, keyword, double, date, boolean, listed in
``_meta.enrich_fields``) in an index template, bulk actions, the search body (query string, terms filters and
aggregations, HTML-escaped highlights, paging, sort), the alias swap, the client
options an ``es+https://host:9200/name`` URL and the environment give, and the
query check that makes errors say where, as the embedded index's do.
"""

from __future__ import annotations

import os
import re
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping, Sequence
from urllib.parse import urlsplit

from .base import INDEX_FIELDS, KEYWORD_FIELDS, TEXT_FIELDS, QueryError, SearchResult, StoreError
from .fields import FieldSpec, convert, facet_value, filter_range, filter_value, to_json
from .query_syntax import runs_nowhere, unknown_fields_as_words, words
from .tantivy_query import locate

__all__ = ["LAYOUT", "settings", "mappings", "user_mapping", "index_template", "to_source", "bulk_actions",
           "search_body", "filter_clauses", "facet_aggs", "text_query",
           "alias_swap_actions", "concrete_name", "client_options",
           "check_query", "to_result", "failures", "reason", "missing_delete"]

LAYOUT = 2  # in the mappings' _meta; another value means another enrich built the index
# (2: chunk vectors, ``elastic_vectors``: an index of layout 1 holds none, so it is rebuilt)
ANALYZER = "enrich_en"
SNIPPET_CHARS = 200
_FIELD = re.compile(r"(?<![\w.\\])([\w.]+):")
_ESCAPED = re.compile(r"\\.")
_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"?|/(?:[^/\\]|\\.)*/')


# -- request bodies -----------------------------------------------------------------------

def settings() -> dict[str, Any]:
    """Index settings: the ``enrich_en`` analyzer (ES docs: "Create a custom analyzer")."""
    return {"analysis": {
        "filter": {
            "enrich_long": {"type": "length", "max": 40},
            "enrich_stem": {"type": "stemmer", "language": "porter2"},
        },
        "analyzer": {ANALYZER: {
            "type": "custom", "tokenizer": "standard",
            "filter": ["enrich_long", "lowercase", "asciifolding", "enrich_stem"],
        }},
    }}


_USER_TYPES = {"keyword": {"type": "keyword"}, "number": {"type": "double"},
               "date": {"type": "date"}, "bool": {"type": "boolean"}}


def user_mapping(spec: FieldSpec) -> dict[str, Any]:
    """The mapping of a user field: text (analysed), keyword, double, date, boolean."""
    if spec.type == "text":
        return {"type": "text", "analyzer": ANALYZER}
    return dict(_USER_TYPES[spec.type])


def mappings(fields: Sequence[FieldSpec] = ()) -> dict[str, Any]:
    """Explicit mappings: ``id`` and keyword fields exact, text fields analysed, the
    user ``fields`` by their type (listed in ``_meta.enrich_fields``)."""
    properties: dict[str, Any] = {"id": {"type": "keyword"}}
    properties |= {name: {"type": "text", "analyzer": ANALYZER} for name in TEXT_FIELDS}
    properties |= {name: {"type": "keyword"} for name in KEYWORD_FIELDS}
    properties |= {spec.name: user_mapping(spec) for spec in fields}
    meta: dict[str, Any] = {"enrich_layout": LAYOUT}
    if fields:
        meta["enrich_fields"] = to_json(fields)
    return {"dynamic": "strict", "_meta": meta, "properties": properties}


def index_template(name: str, fields: Sequence[FieldSpec] = ()) -> dict[str, Any]:
    """The composable index template for the concrete indices behind alias ``name``."""
    return {"index_patterns": [f"{name}.v*"], "priority": 200,
            "template": {"settings": settings(), "mappings": mappings(fields)},
            "_meta": {"description": f"enrich search index {name}", "enrich_layout": LAYOUT}}


def to_source(fields: Mapping[str, Any], user: Sequence[FieldSpec] = ()) -> dict[str, Any]:
    """The document ``_source``: index fields only, text lists joined, keywords listed,
    user fields converted to their type (what does not convert is left out)."""
    if not fields.get("id"):
        raise StoreError(f"an index document needs an 'id'; got the fields {sorted(fields)}")
    source: dict[str, Any] = {"id": str(fields["id"])}
    for name in TEXT_FIELDS:
        value = fields.get(name)
        if isinstance(value, (list, tuple)):
            value = "\n\n".join(str(v) for v in value if v)
        if value:
            source[name] = str(value)
    for name in KEYWORD_FIELDS:
        value = fields.get(name)
        values = value if isinstance(value, (list, tuple, set)) else [value]
        kept = list(dict.fromkeys(str(v) for v in values if v not in (None, "")))
        if kept:
            source[name] = kept
    for spec in user:
        value = fields.get(spec.name)
        found, _ = convert(spec, value if isinstance(value, (list, tuple, set)) else [value])
        if found:
            source[spec.name] = found
    return source


def bulk_actions(upserts: Iterable[Mapping[str, Any]], deletes: Iterable[str],
                 index: str, user: Sequence[FieldSpec] = ()) -> list[dict[str, Any]]:
    """Bulk API actions: deletes first, then ``index`` (create or replace) by ``_id``."""
    actions = [{"_op_type": "delete", "_index": index, "_id": str(i)} for i in deletes]
    for fields in upserts:
        source = to_source(fields, user)
        actions.append({"_op_type": "index", "_index": index, "_id": source["id"],
                        "_source": source})
    return actions


def search_body(query: str, *, filters: Mapping[str, Sequence[str]] | None = None,
                facets: Sequence[str] = (), facet_size: int = 10, top: int = 10,
                offset: int = 0, sort: str | None = None, highlight: bool = True,
                syntax: str = "lenient", as_words: bool = False,
                user: Sequence[FieldSpec] = ()) -> dict[str, Any]:
    """The search request body (``text_query``, terms filters and aggregations);
    ``as_words``: the query's words only (a lenient query Elasticsearch refused);
    ``user``: the index's user fields (searchable text ones are searched, filter
    values are converted to their types)."""
    searched = list(TEXT_FIELDS) + [s.name for s in user if s.searchable]
    matched = _words_query(query, searched) if as_words and query.strip() not in ("", "*") \
        else text_query(query, syntax, searched, [s.name for s in user])
    clauses = filter_clauses(filters, user)
    body: dict[str, Any] = {
        "query": {"bool": {"must": [matched], "filter": clauses}} if clauses else matched,
        "from": max(offset, 0), "size": max(top, 0), "track_total_hits": True,
        "_source": ["id", "uri", "title"]}
    if facets and facet_size > 0:
        body["aggs"] = facet_aggs(facets, facet_size)
    if sort not in (None, "", "relevance"):
        body["sort"] = [{sort.lstrip("-"): {"order": "desc" if sort.startswith("-") else "asc"}}]
    if highlight:
        body["highlight"] = {"pre_tags": ["<b>"], "post_tags": ["</b>"], "encoder": "html",
                             "fields": {"content": {"fragment_size": SNIPPET_CHARS,
                                                    "number_of_fragments": 2}}}
    return body


def filter_clauses(filters: Mapping[str, Sequence[str]] | None,
                   user: Sequence[FieldSpec] = ()) -> list[dict[str, Any]]:
    """The filter clauses of ``filters`` (AND across fields, any value within one)."""
    specs = {spec.name: spec for spec in user}
    return [_filter(name, specs.get(name), _values(values))
            for name, values in (filters or {}).items() if _values(values)]


def facet_aggs(facets: Sequence[str], facet_size: int) -> dict[str, Any]:
    """The terms aggregations that count ``facets``."""
    return {name: {"terms": {"field": name, "size": facet_size}} for name in facets}


def _filter(name: str, spec: FieldSpec | None, values: list[Any]) -> dict[str, Any]:
    """Any of ``values`` in field ``name``: terms (a user field's in its type) and, for
    a number or date field, ranges ``LOW..HIGH`` (ends included, an empty one open)."""
    ranges = [(v, filter_range(spec, v)) for v in values]
    exact = [str(v) if spec is None else filter_value(spec, v) for v, r in ranges if r is None]
    queries = [{"terms": {name: exact}}] if exact else []
    for _, bounds in ranges:
        if bounds is not None:
            ends = {op: end for op, end in zip(("gte", "lte"), bounds) if end is not None}
            queries.append({"range": {name: ends}})
    if len(queries) == 1:
        return queries[0]
    return {"bool": {"should": queries, "minimum_should_match": 1}}


def text_query(query: str, syntax: str = "lenient", fields: Sequence[str] = TEXT_FIELDS,
               user: Sequence[str] = ()) -> dict[str, Any]:
    """The query for ``query`` (see ``query_syntax``): ``match_all`` for ``""``/``*``, a
    ``query_string`` (Lucene syntax); in the ``lenient`` syntax an unknown ``field:`` is
    read as words first, and a query that does not pass ``check_query`` is searched as
    its words (``simple_query_string``), as tantivy does."""
    text = query.strip()
    if text in ("", "*"):
        return {"match_all": {}}
    if syntax != "strict":
        text = unknown_fields_as_words(text, user)
        try:
            check_query(text, user)
        except QueryError:
            return _words_query(query, fields)
        if runs_nowhere(text):
            return _words_query(query, fields)
    return {"query_string": {"query": text, "fields": list(fields),
                             "default_operator": "OR"}}


def _words_query(query: str, fields: Sequence[str] = TEXT_FIELDS) -> dict[str, Any]:
    """Any of the query's words (``simple_query_string``: whitespace splits, no
    operators); ``match_none`` when it has none (``-``, ``()``)."""
    found = words(query)
    if not found:
        return {"match_none": {}}
    return {"simple_query_string": {"query": " ".join(found), "fields": list(fields),
                                    "default_operator": "OR", "flags": "WHITESPACE"}}


def alias_swap_actions(alias: str, old: Sequence[str], new: str) -> list[dict[str, Any]]:
    """Aliases API actions moving ``alias`` from the ``old`` indices to ``new`` at once."""
    return ([{"remove": {"index": index, "alias": alias}} for index in old if index != new]
            + [{"add": {"index": new, "alias": alias}}])


def concrete_name(name: str) -> str:
    """A new concrete index name behind alias ``name`` (matches the template)."""
    return f"{name}.v{datetime.now(timezone.utc).strftime('%Y%m%d%H%M%S%f')}"


def client_options(url: str, env: Mapping[str, str] | None = None
                   ) -> tuple[str, dict[str, Any]]:
    """``(index name, Elasticsearch(...) keyword arguments)`` for an ``es+https://`` URL."""
    env = os.environ if env is None else env
    parts = urlsplit(url)
    scheme = parts.scheme.removeprefix("es+")
    if scheme not in ("http", "https") or not parts.hostname:
        raise StoreError(f"cannot use {url!r} as an Elasticsearch index: write it as "
                         "es+https://host:9200/name (or es+http:// without TLS)")
    if parts.query or parts.fragment:
        raise StoreError(f"the index URL {url.split('?')[0].split('#')[0]!r} has a query or "
                         "fragment, which is not used (and may hold a secret): credentials go "
                         "in ENRICH_ES_API_KEY, or ENRICH_ES_USERNAME and ENRICH_ES_PASSWORD")
    if parts.username or parts.password:
        raise StoreError("put Elasticsearch credentials in ENRICH_ES_API_KEY or "
                         "ENRICH_ES_USERNAME and ENRICH_ES_PASSWORD, not in the index URL")
    name = parts.path.strip("/")
    if not re.fullmatch(r"[a-z0-9][a-z0-9_.\-]*", name):
        raise StoreError(f"the index URL {url!r} names no usable index: add one in lowercase "
                         "letters, digits, '-', '_' or '.' (es+https://host:9200/enrich)")
    port = parts.port or 9200
    options: dict[str, Any] = {"hosts": [f"{scheme}://{parts.hostname}:{port}"]}
    if env.get("ENRICH_ES_API_KEY"):
        options["api_key"] = env["ENRICH_ES_API_KEY"]
    elif env.get("ENRICH_ES_USERNAME"):
        options["basic_auth"] = (env["ENRICH_ES_USERNAME"], env.get("ENRICH_ES_PASSWORD", ""))
    if scheme == "https":
        if env.get("ENRICH_ES_CA_CERTS"):
            options["ca_certs"] = env["ENRICH_ES_CA_CERTS"]
        verify = env.get("ENRICH_ES_VERIFY_CERTS", "true").strip().lower()
        options["verify_certs"] = verify not in ("0", "false", "no", "off")
    return name, options


def _values(values: Any) -> list[Any]:
    return [values] if isinstance(values, str) else list(values or [])



# -- answers and checks --------------------------------------------------------------

def check_query(query: str, user: Sequence[str] | None = ()) -> None:
    """Raise QueryError for a query with a syntax problem or a field that is neither a
    built-in one nor one of the index's ``user`` fields, saying where (``user=None``:
    the syntax alone, before the index's fields are known)."""
    position, problem = locate(_ESCAPED.sub("__", query))  # positions kept
    if position is not None:
        raise QueryError(
            f"cannot parse query {query!r} at character {position + 1}: {problem}; close "
            "quotes and parentheses, put AND/OR between two terms, and escape special "
            "characters with a backslash (\\( \\: \\\")", position)
    if user is None:
        return
    masked = _QUOTED.sub(lambda m: " " * len(m.group()), _ESCAPED.sub("__", query))
    for match in _FIELD.finditer(masked):
        if match.group(1) not in INDEX_FIELDS + tuple(user):
            raise QueryError(
                f"unknown field {match.group(1)!r} in query {query!r}; the fields are "
                f"{', '.join(INDEX_FIELDS + tuple(user))} (put a colon that is not a field in quotes, or "
                'escape it: "10:30", 10\\:30)', match.start())


def to_result(response: Mapping[str, Any], facets: Sequence[str],
              sorted_: bool = False, user: Sequence[FieldSpec] = ()) -> SearchResult:
    """A SearchResult from a search response (facets most frequent first, then by value;
    a user field's values in its type)."""
    specs = {spec.name: spec for spec in user}
    hits = []
    for hit in response["hits"]["hits"]:
        source = hit.get("_source", {})
        hits.append({"id": source.get("id", hit.get("_id")), "uri": _single(source.get("uri")),
                     "title": source.get("title") or "",
                     "score": None if sorted_ else hit.get("_score"),
                     "highlights": list(hit.get("highlight", {}).get("content", []))})
    aggregations = response.get("aggregations", {})
    facet_counts = {name: sorted(({"value": facet_value(specs[name], b) if name in specs
                                   else b["key"], "count": b["doc_count"]}
                                  for b in aggregations.get(name, {}).get("buckets", [])),
                                 key=lambda b: (-b["count"], b["value"]))
                    for name in facets}
    return SearchResult(response["hits"]["total"]["value"], hits, facet_counts)


def _single(value: Any) -> Any:
    """A single-valued keyword field, stored as a one-item list like every keyword."""
    return value[0] if isinstance(value, list) and len(value) == 1 else value


def missing_delete(item: Mapping[str, Any]) -> bool:
    """A delete of a document that is not there (404): nothing to do, not a failure."""
    result = item.get("delete")
    return bool(result) and result.get("status") == 404


def failures(items: Sequence[Mapping[str, Any]], shown: int = 5) -> str:
    """``id (reason); ...`` for the first failed bulk items."""
    parts = []
    for item in items[:shown]:
        ((op, result),) = item.items()
        error = result.get("error") or result.get("exception") or f"status {result.get('status')}"
        if isinstance(error, Mapping):
            error = f"{error.get('type')}: {error.get('reason')}"
        parts.append(f"{op} {result.get('_id')} ({error})")
    more = f"; and {len(items) - shown} more" if len(items) > shown else ""
    return "; ".join(parts) + more


def reason(error: Any) -> str:
    """The root cause of an Elasticsearch API error, as ``type: reason``."""
    body = getattr(error, "body", None)
    if isinstance(body, Mapping) and isinstance(body.get("error"), Mapping):
        cause = body["error"]
        causes = cause.get("root_cause") or []
        if causes and isinstance(causes[0], Mapping):
            cause = causes[0]
        return f"{cause.get('type')}: {cause.get('reason')}"
    return str(error)

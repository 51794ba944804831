"""The search index on an Elasticsearch cluster (the official ``elasticsearch`` client).

The same protocol and query features as the embedded ``TantivyIndex``: Lucene's
query string syntax (words, ``"phrases"``, ``AND``/``OR``/``NOT``, ``+``/``-``,
``field:value``, ``word*``), filters, facets (terms aggregations), highlights (HTML,
the text escaped, matches in ``<b>``), paging and sorting. Queries are checked here
first (unclosed quotes and parentheses, unknown fields) so that errors say where,
as the embedded index's do.

Layout: an index template (``<name>-template``) gives every concrete index
``<name>.v<timestamp>`` the settings (the ``enrich_en`` analyzer: standard words,
lowercased, accents folded, English Porter2 stems, like tantivy's ``enrich_en_v1``)
and explicit mappings (``title``/``content`` text, the other fields keyword). The
alias ``<name>`` points at the concrete index searches use; ``start_rebuild()`` /
``finish_rebuild()`` fill a new one and swap the alias atomically (zero downtime).

Writes are queued by ``upsert``/``delete`` and sent by ``commit`` with
``helpers.streaming_bulk``; ``refresh`` says when they become visible:
``"wait_for"`` (default: ``commit`` returns once searches see them, as the protocol
says, without forcing a refresh per request), ``True`` (refresh now: costly under
load) or ``False`` (within the index's refresh interval, 1s: fastest bulk loads).

``ElasticIndex.from_url("es+https://host:9200/name")`` reads credentials and TLS
settings from the environment (never logged): ``ENRICH_ES_API_KEY`` or
``ENRICH_ES_USERNAME``/``ENRICH_ES_PASSWORD``, ``ENRICH_ES_CA_CERTS``,
``ENRICH_ES_VERIFY_CERTS`` (default true), ``ENRICH_ES_REFRESH``.
"""

from __future__ import annotations

import logging
import os
import re
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any, Iterable, Iterator, Mapping, Sequence
from urllib.parse import urlsplit

from .base import (INDEX_FIELDS, KEYWORD_FIELDS, SORT_FIELDS, TEXT_FIELDS, IndexLayoutError,
                   QueryError, SearchResult, StoreError)
from .tantivy_query import locate

__all__ = ["ElasticIndex", "ENTITY_FIELDS", "index_template", "settings", "mappings",
           "bulk_actions", "search_body", "cooccurrence_body", "alias_swap_actions",
           "client_options"]

log = logging.getLogger(__name__)

LAYOUT = 1  # in the mappings' _meta; another value means another enrich built the index
ANALYZER = "enrich_en"
SNIPPET_CHARS = 200
# Keyword fields that hold entity values: what co-occurrence aggregations look at.
ENTITY_FIELDS = ("people", "organizations", "locations", "entities", "keyphrases")
REFRESH_CHOICES = {"false": False, "true": True, "wait_for": "wait_for"}
_FIELD = re.compile(r"(?<![\w.\\])([\w.]+):")
_ESCAPED = re.compile(r"\\.")
_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"?|/(?:[^/\\]|\\.)*/')


# -- request bodies (pure) ---------------------------------------------------------------

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


def mappings() -> dict[str, Any]:
    """Explicit mappings: ``id`` and keyword fields exact, text fields analysed."""
    properties: dict[str, Any] = {"id": {"type": "keyword"}}
    properties |= {name: {"type": "text", "analyzer": ANALYZER} for name in TEXT_FIELDS}
    properties |= {name: {"type": "keyword"} for name in KEYWORD_FIELDS}
    return {"dynamic": "strict", "_meta": {"enrich_layout": LAYOUT}, "properties": properties}


def index_template(name: str) -> dict[str, Any]:
    """The composable index template for the concrete indices behind alias ``name``."""
    return {"index_patterns": [f"{name}.v*"], "priority": 200,
            "template": {"settings": settings(), "mappings": mappings()},
            "_meta": {"description": f"enrich search index {name}", "enrich_layout": LAYOUT}}


def to_source(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The document ``_source``: index fields only, text lists joined, keywords listed."""
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
    return source


def bulk_actions(upserts: Iterable[Mapping[str, Any]], deletes: Iterable[str],
                 index: str) -> list[dict[str, Any]]:
    """Bulk API actions: deletes first, then ``index`` (create or replace) by ``_id``."""
    actions = [{"_op_type": "delete", "_index": index, "_id": str(i)} for i in deletes]
    for fields in upserts:
        source = to_source(fields)
        actions.append({"_op_type": "index", "_index": index, "_id": source["id"],
                        "_source": source})
    return actions


def search_body(query: str, *, filters: Mapping[str, Sequence[str]] | None = None,
                facets: Sequence[str] = (), facet_size: int = 10, top: int = 10,
                offset: int = 0, sort: str | None = None,
                highlight: bool = True) -> dict[str, Any]:
    """The search request body (query string query, terms filters and aggregations)."""
    text = query.strip()
    matched: dict[str, Any] = ({"match_all": {}} if text in ("", "*") else
                               {"query_string": {"query": text, "fields": list(TEXT_FIELDS),
                                                 "default_operator": "OR"}})
    clauses = [{"terms": {name: [str(v) for v in _values(values)]}}
               for name, values in (filters or {}).items() if _values(values)]
    body: dict[str, Any] = {
        "query": {"bool": {"must": [matched], "filter": clauses}} if clauses else matched,
        "from": max(offset, 0), "size": max(top, 0), "track_total_hits": True,
        "_source": ["id", "uri", "title"]}
    if facets and facet_size > 0:
        body["aggs"] = {name: {"terms": {"field": name, "size": facet_size}} for name in facets}
    if sort not in (None, "", "relevance"):
        body["sort"] = [{sort.lstrip("-"): {"order": "desc" if sort.startswith("-") else "asc"}}]
    if highlight:
        body["highlight"] = {"pre_tags": ["<b>"], "post_tags": ["</b>"], "encoder": "html",
                             "fields": {"content": {"fragment_size": SNIPPET_CHARS,
                                                    "number_of_fragments": 2}}}
    return body


def cooccurrence_body(field: str, value: str, others: Sequence[str] = ENTITY_FIELDS,
                      size: int = 10, significant: bool = True) -> dict[str, Any]:
    """Documents with ``field: value``, aggregated on the other entity fields.

    ``significant`` uses ``significant_terms`` (values unusually frequent with this
    entity, compared with the whole index) rather than plain ``terms`` (most frequent).
    """
    kind = "significant_terms" if significant else "terms"
    aggs = {}
    for other in others:
        agg: dict[str, Any] = {"field": other, "size": size}
        if other == field:
            agg["exclude"] = [value]
        aggs[other] = {kind: agg}
    return {"size": 0, "track_total_hits": True,
            "query": {"bool": {"filter": [{"term": {field: value}}]}}, "aggs": aggs}


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


# -- the index -----------------------------------------------------------------------------

class ElasticIndex:
    """The ``SearchIndex`` protocol over the Elasticsearch alias ``name``.

    ``client`` is an ``elasticsearch.Elasticsearch``; the template, a concrete index
    and the alias are created on first use (``ensure``) if missing.
    """

    def __init__(self, client: Any, name: str, *, refresh: bool | str = "wait_for",
                 owns_client: bool = False) -> None:
        if refresh not in (True, False, "wait_for"):
            raise StoreError(f"refresh must be true, false or wait_for, not {refresh!r}")
        self.client, self.name, self.refresh = client, name, refresh
        self._owns_client = owns_client
        self._actions: list[dict[str, Any]] = []
        self._ready = False
        self._exists = False  # known to exist (reads check once; writes ensure())
        self._target: str | None = None  # the new index while rebuilding

    @classmethod
    def from_url(cls, url: str, env: Mapping[str, str] | None = None) -> ElasticIndex:
        """The index named by ``es+https://host:9200/name``, auth and TLS from ``env``."""
        from elasticsearch import Elasticsearch

        env = os.environ if env is None else env
        name, options = client_options(url, env)
        refresh = env.get("ENRICH_ES_REFRESH", "wait_for").strip().lower()
        if refresh not in REFRESH_CHOICES:
            raise StoreError(f"ENRICH_ES_REFRESH={refresh!r}: use false, true or wait_for")
        return cls(Elasticsearch(**options), name, refresh=REFRESH_CHOICES[refresh],
                   owns_client=True)

    def __enter__(self) -> ElasticIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        """Client errors as StoreError saying what failed and what to check."""
        import elasticsearch as es

        try:
            yield
        except es.TransportError as error:  # connection refused, TLS, timeout
            raise StoreError(f"cannot reach Elasticsearch to {doing} {self.name!r}: "
                             f"{error}; check the URL, the network and the TLS settings "
                             "(ENRICH_ES_CA_CERTS, ENRICH_ES_VERIFY_CERTS)") from None
        except es.AuthenticationException:
            raise StoreError(f"Elasticsearch refused the credentials to {doing} "
                             f"{self.name!r}: set ENRICH_ES_API_KEY, or ENRICH_ES_USERNAME "
                             "and ENRICH_ES_PASSWORD") from None
        except es.AuthorizationException as error:
            raise StoreError(f"the Elasticsearch user may not {doing} {self.name!r}: "
                             f"{_reason(error)}") from None
        except es.ApiError as error:
            raise StoreError(f"Elasticsearch could not {doing} {self.name!r}: "
                             f"{_reason(error)}") from None

    # -- layout ---------------------------------------------------------------------------

    def ensure(self) -> None:
        """Create the template, and a concrete index with the alias, if missing."""
        if self._ready:
            return
        with self._errors("prepare the index"):
            self.client.indices.put_index_template(name=f"{self.name}-template",
                                                   **index_template(self.name))
            if self.client.indices.exists(index=self.name):
                self._check_layout()
            else:
                self.client.indices.create(index=concrete_name(self.name),
                                           aliases={self.name: {}})
        self._ready = True

    def readable(self) -> None:
        """Reads need the index to exist (no template or index is created for them, so
        a read-only key works and a mistyped name is an error, not an empty index)."""
        if self._ready or self._exists:
            return
        with self._errors("find"):
            self._exists = bool(self.client.indices.exists(index=self.name))
        if not self._exists:
            raise StoreError(f"there is no Elasticsearch index {self.name!r}: index into it "
                             f"first (enrich index SOURCE --index es+...//{self.name})")

    def _check_layout(self) -> None:
        found = self.client.indices.get_mapping(index=self.name)
        for index, mapping in dict(found).items():
            layout = mapping.get("mappings", {}).get("_meta", {}).get("enrich_layout")
            if layout != LAYOUT:
                raise IndexLayoutError(
                    f"the Elasticsearch index {index!r} behind {self.name!r} has layout "
                    f"{layout} (expected {LAYOUT}): rebuild it (start_rebuild, re-queue "
                    "every document with SqliteStore.reindex_all(), sync, finish_rebuild)")

    def start_rebuild(self) -> str:
        """Create a new concrete index; writes go there, searches stay on the alias."""
        self.ensure()
        new = concrete_name(self.name)
        with self._errors("create a new index for"):
            self.client.indices.create(index=new)
        self._target = new
        return new

    def finish_rebuild(self) -> None:
        """Commit, point the alias at the new index atomically, delete the old ones."""
        if self._target is None:
            raise StoreError("finish_rebuild() without start_rebuild()")
        self.commit()
        with self._errors("swap the alias of"):
            old = list(dict(self.client.indices.get_alias(name=self.name)))
            self.client.indices.update_aliases(
                actions=alias_swap_actions(self.name, old, self._target))
            for index in old:
                if index != self._target:
                    self.client.indices.delete(index=index)
        self._target = None

    def drop(self) -> None:
        """Delete the indices behind the alias and the template (tests, teardown)."""
        import elasticsearch as es

        with self._errors("delete"):
            try:
                indices = set(dict(self.client.indices.get_alias(name=self.name)))
            except es.NotFoundError:
                indices = set()
            for index in indices | ({self._target} if self._target else set()):
                self.client.indices.delete(index=index, ignore_unavailable=True)
            self.client.indices.delete_index_template(name=f"{self.name}-template")
        self._ready = False

    # -- writes ---------------------------------------------------------------------------

    def upsert(self, documents: Sequence[dict[str, Any]]) -> None:
        """Queue documents to add or replace by ``id`` (sent and visible at ``commit``)."""
        self._actions += bulk_actions(documents, (), self._target or self.name)

    def delete(self, ids: Sequence[str]) -> None:
        self._actions += bulk_actions((), ids, self._target or self.name)

    def commit(self) -> None:
        """Send the queued writes; raises StoreError naming the documents that failed.

        The queue is emptied either way: the store keeps its own queue until a
        commit succeeds, so failed documents are sent again by the next sync.
        """
        if not self._actions:
            return
        from elasticsearch import helpers

        self.ensure()
        actions, self._actions = self._actions, []
        failed = []
        with self._errors("write to"):
            for ok, item in helpers.streaming_bulk(
                    self.client, actions, raise_on_error=False, raise_on_exception=False,
                    max_retries=3, refresh=self.refresh):
                if not ok and not _missing_delete(item):
                    failed.append(item)
        if failed:
            raise StoreError(f"Elasticsearch did not write {len(failed)} of {len(actions)} "
                             f"documents to {self.name!r}: {_failures(failed)}")

    def close(self) -> None:
        """Drop uncommitted writes; close the client if this index made it."""
        self._actions = []
        if self._owns_client:
            self.client.close()

    # -- reads ----------------------------------------------------------------------------

    def count(self) -> int:
        self.readable()
        with self._errors("count the documents of"):
            return int(self.client.count(index=self.name)["count"])

    def search(self, query: str, *, top: int = 10, offset: int = 0,
               filters: dict[str, list[str]] | None = None,
               facets: Sequence[str] = (), facet_size: int = 10,
               sort: str | None = None, highlight: bool = True) -> SearchResult:
        """Query string search; see the module docstring and ``search_body``."""
        check_query(query)
        _check_fields("filter", filters or {})
        _check_fields("facet", facets)
        if sort not in (None, "", "relevance") and sort.lstrip("-") not in SORT_FIELDS:
            raise QueryError(f"cannot sort on {sort!r}: sort by relevance or by "
                             f"{', '.join(SORT_FIELDS)} (-FIELD for descending)")
        body = search_body(query, filters=filters, facets=facets, facet_size=facet_size,
                           top=top, offset=offset, sort=sort, highlight=highlight)
        self.readable()
        return to_result(self._search(query, body), facets, sorted_=bool(body.get("sort")))

    def _search(self, query: str, body: dict[str, Any]) -> Mapping[str, Any]:
        from elasticsearch import BadRequestError

        with self._errors("search"):
            try:
                return self.client.search(index=self.name, body=body)
            except BadRequestError as error:  # parsed here, refused there
                position, _ = locate(query)
                raise QueryError(f"cannot run query {query!r}: {_reason(error)}",
                                 position) from None

    def cooccurrences(self, field: str, value: str, others: Sequence[str] = ENTITY_FIELDS,
                      size: int = 10, significant: bool = True) -> dict[str, Any]:
        """Entity values found with ``field: value``: ``{count, fields: {other: [...]}}``.

        Each other field lists ``{value, count}`` (documents with both), plus ``score``
        and ``background`` (documents with the value in the whole index) when
        ``significant``.
        """
        _check_fields("aggregate", [field, *others])
        self.readable()
        with self._errors("aggregate"):
            found = self.client.search(index=self.name, body=cooccurrence_body(
                field, value, others, size, significant))
        fields = {name: [_bucket(b) for b in found["aggregations"][name]["buckets"]]
                  for name in others}
        return {"count": found["hits"]["total"]["value"], "fields": fields}


# -- helpers ---------------------------------------------------------------------------------

def check_query(query: str) -> None:
    """Raise QueryError for a query with a syntax problem or an unknown field, saying where."""
    position, problem = locate(_ESCAPED.sub("__", query))  # positions kept
    if position is not None:
        raise QueryError(
            f"cannot parse query {query!r} at character {position + 1}: {problem}; close "
            "quotes and parentheses, put AND/OR between two terms, and escape special "
            "characters with a backslash (\\( \\: \\\")", position)
    masked = _QUOTED.sub(lambda m: " " * len(m.group()), _ESCAPED.sub("__", query))
    for match in _FIELD.finditer(masked):
        if match.group(1) not in INDEX_FIELDS:
            raise QueryError(
                f"unknown field {match.group(1)!r} in query {query!r}; the fields are "
                f"{', '.join(INDEX_FIELDS)} (put a colon that is not a field in quotes, or "
                'escape it: "10:30", 10\\:30)', match.start())


def _check_fields(what: str, names: Iterable[str]) -> None:
    unknown = [name for name in names if name not in KEYWORD_FIELDS]
    if unknown:
        raise QueryError(f"cannot {what} on {', '.join(map(repr, unknown))}: the "
                         f"keyword fields are {', '.join(KEYWORD_FIELDS)}")


def to_result(response: Mapping[str, Any], facets: Sequence[str],
              sorted_: bool = False) -> SearchResult:
    """A SearchResult from a search response (facets most frequent first, then by value)."""
    hits = []
    for hit in response["hits"]["hits"]:
        source = hit.get("_source", {})
        hits.append({"id": source.get("id", hit.get("_id")), "uri": _single(source.get("uri")),
                     "title": source.get("title") or "",
                     "score": None if sorted_ else hit.get("_score"),
                     "highlights": list(hit.get("highlight", {}).get("content", []))})
    aggregations = response.get("aggregations", {})
    facet_counts = {name: sorted(({"value": b["key"], "count": b["doc_count"]}
                                  for b in aggregations.get(name, {}).get("buckets", [])),
                                 key=lambda b: (-b["count"], b["value"]))
                    for name in facets}
    return SearchResult(response["hits"]["total"]["value"], hits, facet_counts)


def _single(value: Any) -> Any:
    """A single-valued keyword field, stored as a one-item list like every keyword."""
    return value[0] if isinstance(value, list) and len(value) == 1 else value


def _bucket(bucket: Mapping[str, Any]) -> dict[str, Any]:
    found = {"value": bucket["key"], "count": bucket["doc_count"]}
    if "score" in bucket:
        found |= {"score": bucket["score"], "background": bucket.get("bg_count")}
    return found


def _missing_delete(item: Mapping[str, Any]) -> bool:
    """A delete of a document that is not there (404): nothing to do, not a failure."""
    result = item.get("delete")
    return bool(result) and result.get("status") == 404


def _failures(items: Sequence[Mapping[str, Any]], shown: int = 5) -> str:
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


def _reason(error: Any) -> str:
    """The root cause of an Elasticsearch API error, as ``type: reason``."""
    body = getattr(error, "body", None)
    if isinstance(body, Mapping) and isinstance(body.get("error"), Mapping):
        cause = body["error"]
        causes = cause.get("root_cause") or []
        if causes and isinstance(causes[0], Mapping):
            cause = causes[0]
        return f"{cause.get('type')}: {cause.get('reason')}"
    return str(error)

"""The Elasticsearch search index: request bodies, error handling, and the contract.

No Elasticsearch server runs here, so the bodies are checked against the shapes the
Elasticsearch reference documents (page names in the comments), and ``ElasticIndex``
against a recording client (which requests, in which order, and how errors read).
The protocol contract suite (``test_search_index_contract.py``) runs against the
fake cluster of ``fake_elasticsearch.py``, and a live one with ``ENRICH_TEST_ES_URL``.
"""

from __future__ import annotations

import fnmatch
import json
from typing import Any

import elasticsearch
import elasticsearch.helpers
import pytest
from elastic_transport import ApiResponseMeta, HttpHeaders, NodeConfig, TransportApiResponse

from indexers.stores import (INDEX_FIELDS, KEYWORD_FIELDS, IndexLayoutError, IndexMissingError,
                             QueryError, StoreError)
from indexers.stores import elastic_body as elastic
from indexers.stores.elastic import ElasticIndex
from indexers.stores.elastic_body import (alias_swap_actions, bulk_actions, client_options,
                                          concrete_name, index_template, mappings,
                                          search_body, settings, to_result, to_source)

from .test_search_index_contract import DOCS


# -- bodies ------------------------------------------------------------------------------

def test_analyzer_mirrors_enrich_en_v1():
    # "Create a custom analyzer": tokenizer + ordered token filters; "Stemmer token
    # filter": language porter2 is the Snowball English stemmer tantivy uses.
    analysis = settings()["analysis"]
    analyzer = analysis["analyzer"]["enrich_en"]
    assert analyzer["type"] == "custom" and analyzer["tokenizer"] == "standard"
    assert analyzer["filter"] == ["enrich_long", "lowercase", "asciifolding", "enrich_stem"]
    assert analysis["filter"]["enrich_stem"] == {"type": "stemmer", "language": "porter2"}
    assert analysis["filter"]["enrich_long"] == {"type": "length", "max": 40}


def test_mappings_are_explicit():
    # "Explicit mapping": properties with types; "dynamic": strict refuses unknown fields.
    body = mappings()
    assert body["dynamic"] == "strict" and body["_meta"] == {"enrich_layout": elastic.LAYOUT}
    props = body["properties"]
    assert set(props) == set(INDEX_FIELDS)
    assert props["title"] == props["content"] == {"type": "text", "analyzer": "enrich_en"}
    assert all(props[name] == {"type": "keyword"} for name in ("id",) + KEYWORD_FIELDS)


def test_index_template_covers_the_concrete_indices_only():
    # "Index templates" (composable, PUT _index_template): index_patterns, priority,
    # template.{settings, mappings}, _meta.
    body = index_template("enrich")
    assert set(body) == {"index_patterns", "priority", "template", "_meta"}
    assert body["template"] == {"settings": settings(), "mappings": mappings()}
    (pattern,) = body["index_patterns"]
    assert fnmatch.fnmatch(concrete_name("enrich"), pattern)
    assert not fnmatch.fnmatch("enrich", pattern)  # the alias
    assert not fnmatch.fnmatch(concrete_name("enrich-test"), pattern)  # no overlap
    assert concrete_name("enrich") != concrete_name("enrich")


def test_bulk_actions():
    # "Bulk API" via helpers: _op_type index (create or replace) / delete, _index, _id.
    actions = bulk_actions(
        [{"id": 7, "title": "T", "content": ["a", "", "b"], "people": ["X", "X", None],
          "file_type": "pdf", "language": "", "extra": "dropped"}], ["gone"], "enrich")
    assert actions == [
        {"_op_type": "delete", "_index": "enrich", "_id": "gone"},
        {"_op_type": "index", "_index": "enrich", "_id": "7",
         "_source": {"id": "7", "title": "T", "content": "a\n\nb", "people": ["X"],
                     "file_type": ["pdf"]}}]
    with pytest.raises(StoreError, match="needs an 'id'"):
        bulk_actions([{"title": "no id"}], [], "enrich")


def test_search_body_for_a_query_with_filters_facets_highlights():
    body = search_body("LeBron AND title:nike", filters={"people": ["LeBron James"],
                                                         "tags": [], "file_type": "pdf"},
                       facets=["organizations"], facet_size=5, top=20, offset=40)
    # "Query string query": query, fields, default_operator (OR, tantivy's default).
    query = {"query_string": {"query": "LeBron AND title:nike", "fields": ["title", "content"],
                              "default_operator": "OR"}}
    # "Boolean query" filter clauses of "Terms query" (any of the values; AND across).
    assert body["query"] == {"bool": {"must": [query], "filter": [
        {"terms": {"people": ["LeBron James"]}}, {"terms": {"file_type": ["pdf"]}}]}}
    # "Paginate search results": from/size; "Track total hits": true counts them all.
    assert (body["from"], body["size"], body["track_total_hits"]) == (40, 20, True)
    assert body["_source"] == ["id", "uri", "title"]
    # "Terms aggregation": field and size.
    assert body["aggs"] == {"organizations": {"terms": {"field": "organizations", "size": 5}}}
    # "Highlighting": pre/post tags, encoder html escapes the text, fragments per field.
    assert body["highlight"] == {
        "pre_tags": ["<b>"], "post_tags": ["</b>"], "encoder": "html",
        "fields": {"content": {"fragment_size": 200, "number_of_fragments": 2}}}
    assert "sort" not in body


@pytest.mark.parametrize("query", ["", "  ", "*"])
def test_search_body_matches_everything(query):
    body = search_body(query, highlight=False, facets=["tags"], facet_size=0)
    assert body["query"] == {"match_all": {}}
    assert "highlight" not in body and "aggs" not in body


def test_search_body_sorts():
    # "Sort search results": [{field: {order}}].
    assert search_body("*", sort="uri")["sort"] == [{"uri": {"order": "asc"}}]
    assert search_body("*", sort="-file_type")["sort"] == [{"file_type": {"order": "desc"}}]
    assert "sort" not in search_body("*", sort="relevance")
    assert search_body("*", top=-1, offset=-3)["from"] == 0


def test_alias_swap_is_one_atomic_request():
    # "Aliases API" (POST _aliases): remove and add actions applied atomically.
    assert alias_swap_actions("enrich", ["enrich.v1", "enrich.v2"], "enrich.v2") == [
        {"remove": {"index": "enrich.v1", "alias": "enrich"}},
        {"add": {"index": "enrich.v2", "alias": "enrich"}}]


# -- connection settings -----------------------------------------------------------------

def test_client_options_with_an_api_key_and_tls():
    env = {"ENRICH_ES_API_KEY": "a2V5", "ENRICH_ES_USERNAME": "ignored",
           "ENRICH_ES_CA_CERTS": "/ca.pem", "ENRICH_ES_VERIFY_CERTS": "false"}
    name, options = client_options("es+https://search.example:9243/enrich", env)
    assert name == "enrich"
    assert options == {"hosts": ["https://search.example:9243"], "api_key": "a2V5",
                       "ca_certs": "/ca.pem", "verify_certs": False}


def test_client_options_with_basic_auth_and_defaults():
    name, options = client_options("es+http://localhost/docs/",
                                   {"ENRICH_ES_USERNAME": "u", "ENRICH_ES_PASSWORD": "p"})
    assert name == "docs"
    assert options == {"hosts": ["http://localhost:9200"], "basic_auth": ("u", "p")}
    _, secure = client_options("es+https://h/x", {})
    assert secure == {"hosts": ["https://h:9200"], "verify_certs": True}


@pytest.mark.parametrize("url, message", [
    ("es+https://host:9200", "names no usable index"),
    ("es+https://host:9200/Upper", "names no usable index"),
    ("es+ftp://host/x", "es\\+https://host:9200/name"),
    ("es+https://user:secret@host/x", "not in the index URL"),
])
def test_bad_urls(url, message):
    with pytest.raises(StoreError, match=message) as error:
        client_options(url, {})
    assert "secret" not in str(error.value)


def test_from_url_makes_a_client_without_connecting():
    env = {"ENRICH_ES_USERNAME": "u", "ENRICH_ES_PASSWORD": "hunter2",
           "ENRICH_ES_REFRESH": "false"}
    index = ElasticIndex.from_url("es+https://localhost:9200/enrich", env)
    assert isinstance(index.client, elasticsearch.Elasticsearch)
    assert (index.name, index.refresh_policy) == ("enrich", False)
    assert "hunter2" not in repr(index.client)
    index.close()
    with pytest.raises(StoreError, match="ENRICH_ES_REFRESH"):
        ElasticIndex.from_url("es+https://localhost:9200/enrich", {"ENRICH_ES_REFRESH": "x"})


# -- ElasticIndex over a fake client -----------------------------------------------------

def api_error(cls, status: int, kind: str, reason: str):
    meta = ApiResponseMeta(status=status, http_version="1.1", headers=HttpHeaders(),
                           duration=0.0, node=NodeConfig("http", "localhost", 9200))
    body = {"error": {"root_cause": [{"type": kind, "reason": reason}], "type": kind,
                      "reason": reason}, "status": status}
    return cls(reason, meta, body)


class FakeIndices:
    def __init__(self, client: FakeClient) -> None:
        self.client = client

    def __getattr__(self, method: str):
        def call(**kwargs):
            self.client.calls.append((f"indices.{method}", kwargs))
            answer = self.client.answers.get(f"indices.{method}", {})
            if isinstance(answer, Exception):
                raise answer
            return answer
        return call


class FakeClient:
    """Records calls; answers from ``answers`` (an exception is raised)."""

    def __init__(self, **answers: Any) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.answers = {k.replace("__", "."): v for k, v in answers.items()}
        self.indices = FakeIndices(self)

    def _answer(self, method: str, kwargs: dict[str, Any]) -> Any:
        self.calls.append((method, kwargs))
        answer = self.answers.get(method)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def search(self, **kwargs):
        return self._answer("search", kwargs)

    def count(self, **kwargs):
        return self._answer("count", kwargs)

    def close(self):
        self.calls.append(("close", {}))

    def names(self) -> list[str]:
        return [name for name, _ in self.calls]


def test_ensure_creates_the_template_index_and_alias_once():
    client = FakeClient(indices__exists=False, count={"count": 0})
    index = ElasticIndex(client, "enrich")
    index.ensure()
    index.ensure()
    assert index.count() == 0 and index.count() == 0
    assert client.names() == ["indices.exists", "indices.get_index_template",
                              "indices.put_index_template", "indices.create", "count", "count"]
    template = client.calls[2][1]
    assert template["name"] == "enrich-template"
    assert template["index_patterns"] == ["enrich.v*"]
    create = client.calls[3][1]
    assert create["aliases"] == {"enrich": {}} and create["index"].startswith("enrich.v")
    assert index.index_id == create["index"]


def test_an_existing_index_of_another_layout_is_refused():
    client = FakeClient(indices__exists=True, indices__get_mapping={
        "enrich.v1": {"mappings": {"_meta": {"enrich_layout": 0}}}})
    with pytest.raises(IndexLayoutError, match="enrich.v1"):
        ElasticIndex(client, "enrich").ensure()
    ok = FakeClient(indices__exists=True, indices__get_mapping={"enrich.v1": {
        "mappings": mappings()}})
    ElasticIndex(ok, "enrich").ensure()
    assert "indices.create" not in ok.names()


@pytest.fixture
def bulk(monkeypatch):
    """Replace helpers.streaming_bulk: records its arguments, yields canned items."""
    sent: dict[str, Any] = {"items": []}

    def streaming_bulk(client, actions, **kwargs):
        sent.update(actions=list(actions), kwargs=kwargs)
        yield from sent["items"]

    monkeypatch.setattr(elasticsearch.helpers, "streaming_bulk", streaming_bulk)
    return sent


def test_commit_sends_the_queue_with_the_refresh_policy(bulk):
    client = FakeClient(indices__exists=False)
    index = ElasticIndex(client, "enrich")
    index.commit()  # nothing queued: no request at all
    assert client.calls == [] and "actions" not in bulk
    index.delete(["d9"])
    index.upsert(DOCS[:1])
    bulk["items"] = [(False, {"delete": {"_id": "d9", "status": 404, "result": "not_found"}}),
                     (True, {"index": {"_id": "d1", "status": 201}})]
    index.commit()
    assert [a["_op_type"] for a in bulk["actions"]] == ["delete", "index"]
    assert bulk["kwargs"] == {"raise_on_error": False, "raise_on_exception": False,
                              "max_retries": 3, "refresh": "wait_for"}
    assert index._actions == []


def test_commit_names_the_documents_that_failed(bulk):
    index = ElasticIndex(FakeClient(indices__exists=False), "enrich", refresh=False)
    index.upsert(DOCS)
    bulk["items"] = [
        (True, {"index": {"_id": "d1", "status": 200}}),
        (False, {"index": {"_id": "d2", "status": 400, "error": {
            "type": "document_parsing_exception", "reason": "failed to parse field [uri]"}}}),
        (False, {"index": {"_id": "d3", "status": 500, "exception": "ConnectionTimeout()"}}),
        (True, {"index": {"_id": "d4", "status": 200}})]
    with pytest.raises(StoreError) as error:
        index.commit()
    message = str(error.value)
    assert "2 of 4" in message and "d2 (document_parsing_exception: failed to parse" in message
    assert "d3 (ConnectionTimeout()" in message and "d1" not in message
    assert bulk["kwargs"]["refresh"] is False and index._actions == []


def test_refresh_must_be_a_known_policy():
    with pytest.raises(StoreError, match="wait_for"):
        ElasticIndex(FakeClient(), "enrich", refresh="sometimes")


RESPONSE = {
    "hits": {"total": {"value": 3, "relation": "eq"}, "hits": [
        {"_id": "d1", "_score": 1.5, "_source": {"id": "d1", "uri": "file:///d1", "title": "T"},
         "highlight": {"content": ["a <b>rare</b> &lt;b&gt;", "<b>rare</b> again"]}},
        {"_id": "d2", "_score": 0.5, "_source": {"id": "d2", "uri": "file:///d2"}}]},
    "aggregations": {"organizations": {"buckets": [
        {"key": "Nike", "doc_count": 1}, {"key": "Celtics", "doc_count": 2},
        {"key": "Lakers", "doc_count": 1}]}}}


def test_a_response_becomes_a_search_result():
    client = FakeClient(indices__exists=True, search=RESPONSE)
    result = ElasticIndex(client, "enrich").search("rare", facets=["organizations"], top=2)
    assert result.count == 3
    assert result.results == [
        {"id": "d1", "uri": "file:///d1", "title": "T", "score": 1.5,
         "highlights": ["a <b>rare</b> &lt;b&gt;", "<b>rare</b> again"]},
        {"id": "d2", "uri": "file:///d2", "title": "", "score": 0.5, "highlights": []}]
    assert result.facets == {"organizations": [{"value": "Celtics", "count": 2},
                                               {"value": "Lakers", "count": 1},
                                               {"value": "Nike", "count": 1}]}
    (_, kwargs), = [c for c in client.calls if c[0] == "search"]
    assert kwargs["index"] == "enrich" and kwargs["body"]["size"] == 2


def test_sorted_results_have_no_score():
    client = FakeClient(indices__exists=True, search=RESPONSE)
    result = ElasticIndex(client, "enrich").search("*", sort="-uri", facets=["tags"])
    assert all(hit["score"] is None for hit in result.results)
    assert result.facets == {"tags": []}


@pytest.mark.parametrize("query,position", [
    ('nike "unclosed', 5), ("(LeBron OR Nike", 0), ("LeBron) Nike", 6),
    ("LeBron AND", 7), ("nike title:", 5), ("nike foo:bar", 5), ("title:(", 6)])
def test_bad_queries_are_refused_before_sending(query, position):
    client = FakeClient()
    with pytest.raises(QueryError) as error:
        ElasticIndex(client, "enrich").search(query, syntax="strict")
    assert error.value.position == position and query in str(error.value)
    # nothing is searched; an unknown field is known to be one once the mapping (the
    # index's user fields) is read
    assert [name for name, _ in client.calls] in ([], ["indices.get_mapping"])


@pytest.mark.parametrize("query", ['people:"a:b"', "10\\:30", 'title:x AND "foo:bar"',
                                   "/a:b/", 'uri:"file:///d1.pdf"'])
def test_colons_that_are_not_fields_pass(query):
    elastic.check_query(query)


@pytest.mark.parametrize("kwargs, message", [
    ({"filters": {"colour": ["red"]}}, "cannot filter on 'colour'.*people"),
    ({"facets": ["content"]}, "cannot facet on 'content'.*people"),
    ({"sort": "title"}, "cannot sort on 'title'"),
])
def test_unknown_fields_are_refused(kwargs, message):
    with pytest.raises(QueryError, match=message):
        ElasticIndex(FakeClient(), "enrich").search("*", **kwargs)


def test_a_query_elasticsearch_refuses_is_a_query_error():
    refused = api_error(elasticsearch.BadRequestError, 400, "query_shard_exception",
                        "Failed to parse query [a~~]")
    client = FakeClient(indices__exists=True, search=refused)
    with pytest.raises(QueryError, match=r"'a~~'.*query_shard_exception: Failed to parse"):
        ElasticIndex(client, "enrich").search("a~~")


@pytest.mark.parametrize("error, message", [
    (elasticsearch.ConnectionError("Connection refused"), "cannot reach Elasticsearch"),
    (api_error(elasticsearch.AuthenticationException, 401, "security_exception",
               "missing authentication credentials"), "ENRICH_ES_API_KEY"),
    (api_error(elasticsearch.AuthorizationException, 403, "security_exception",
               "action [indices:data/read/search] is unauthorized"), "may not search"),
    (api_error(elasticsearch.NotFoundError, 404, "index_not_found_exception",
               "no such index"), "could not search 'enrich': index_not_found"),
])
def test_client_errors_are_store_errors(error, message):
    client = FakeClient(indices__exists=True, indices__get_mapping={}, search=error)
    with pytest.raises(StoreError, match=message) as raised:
        ElasticIndex(client, "enrich").search("x")
    assert not isinstance(raised.value, QueryError)


def test_rebuild_writes_to_a_new_index_then_swaps_the_alias(bulk):
    client = FakeClient(indices__exists=False, indices__get_alias={"enrich.v1": {}})
    index = ElasticIndex(client, "enrich")
    with index.rebuild() as fresh:
        fresh.upsert(DOCS[:1])
    ((new, create),) = [(kw["index"], kw) for name, kw in client.calls
                        if name == "indices.create"]
    assert "aliases" not in create  # created beside the alias, not behind it
    assert {a["_index"] for a in bulk["actions"]} == {new}
    (swap,) = [kw for name, kw in client.calls if name == "indices.update_aliases"]
    assert swap == {"actions": [{"remove": {"index": "enrich.v1", "alias": "enrich"}},
                                {"add": {"index": new, "alias": "enrich"}}]}
    assert ("indices.delete", {"index": "enrich.v1"}) in client.calls
    index.upsert(DOCS[:1])
    assert index._actions[-1]["_index"] == "enrich"


# -- the real client over a fake transport: what goes on the wire -------------------------

def test_the_real_client_sends_ndjson_bulk_and_the_search_body():
    client = elasticsearch.Elasticsearch("http://localhost:9200")
    sent: list[tuple[str, str, Any]] = []

    def perform_request(method, target, headers=None, body=None, **kwargs):
        sent.append((method, target, body))
        if "_bulk" in target:
            answer = {"errors": False, "items": [{"index": {"_id": "d1", "status": 201}}]}
        else:
            answer = {"hits": {"total": {"value": 0}, "hits": []}}
        meta = ApiResponseMeta(status=200, http_version="1.1",
                               headers=HttpHeaders({"x-elastic-product": "Elasticsearch"}),
                               duration=0.0, node=NodeConfig("http", "localhost", 9200))
        return TransportApiResponse(meta, answer)

    client.transport.perform_request = perform_request
    index = ElasticIndex(client, "enrich")
    index._ready = True  # skip the template calls
    index.upsert(DOCS[:1])
    index.commit()
    method, target, body = sent[0]
    assert (method, target) == ("PUT", "/_bulk?refresh=wait_for")
    body = [json.loads(line) for line in body]  # the NDJSON lines, serialised by helpers
    assert body[0] == {"index": {"_index": "enrich", "_id": "d1"}}
    assert body[1]["id"] == "d1" and body[1]["people"] == ["LeBron James"]
    index.search("aardvark", top=3, offset=1)
    method, target, body = sent[1]
    assert (method, target) == ("POST", "/enrich/_search")
    assert body["from"] == 1 and body["size"] == 3 and "query_string" in body["query"]


def test_open_index_picks_elasticsearch_by_url_without_connecting(tmp_path):
    from indexers.stores import TantivyIndex, open_index
    found = open_index(tmp_path, "es+https://search.example:9200/corpus")
    assert isinstance(found, ElasticIndex) and found.name == "corpus"
    assert isinstance(open_index(tmp_path, write=True), TantivyIndex)
    (tmp_path / "index").rename(tmp_path / "elsewhere")
    for url in (str(tmp_path / "elsewhere"), (tmp_path / "elsewhere").as_uri()):
        assert open_index(tmp_path / "nothing-here", url).path == tmp_path / "elsewhere"
    with pytest.raises(StoreError, match="es\\+https://host:9200/name"):
        open_index(tmp_path / "x", "https://search.example:9200/corpus")
    assert not (tmp_path / "x").exists()


def test_reads_create_nothing_and_a_missing_index_is_an_error():
    missing = FakeClient(indices__get_mapping=api_error(
        elasticsearch.NotFoundError, 404, "index_not_found_exception", "no such index"))
    with pytest.raises(IndexMissingError, match="no Elasticsearch index 'enrich'"):
        ElasticIndex(missing, "enrich").search("rare")
    assert missing.names() == ["indices.get_mapping"]  # nothing created: a read-only key works
    there = FakeClient(count={"count": 4})
    index = ElasticIndex(there, "enrich")
    assert index.count() == 4 and index.count() == 4
    assert there.names() == ["indices.get_mapping", "count", "count"]  # checked once


def test_opening_for_writing_prepares_the_index_at_once():
    client = FakeClient(indices__exists=False)
    ElasticIndex(client, "enrich", write=True)
    assert client.names() == ["indices.exists", "indices.get_index_template",
                              "indices.put_index_template", "indices.create"]
    stale = FakeClient(indices__exists=True, indices__get_mapping={
        "enrich.v1": {"mappings": {"_meta": {"enrich_layout": 0}}}})
    index = ElasticIndex(stale, "enrich", write=True)
    assert "enrich.v1" in index.stale and "--rebuild-index" in index.stale
    with pytest.raises(IndexLayoutError):
        index.count()


def test_a_stored_uri_comes_back_as_a_string():
    source = to_source({"id": "d1", "uri": "file:///d1.pdf", "title": "T", "content": "c"})
    response = {"hits": {"total": {"value": 1},
                         "hits": [{"_id": "d1", "_score": 1.0, "_source": source}]}}
    assert to_result(response, []).results[0]["uri"] == "file:///d1.pdf"


def test_an_index_url_with_a_query_is_refused():
    with pytest.raises(StoreError, match="query or fragment"):
        client_options("es+https://h:9200/enrich?api_key=secret", env={})

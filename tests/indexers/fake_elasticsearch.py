"""A faithful fake Elasticsearch: the REST API enrich uses, answered from memory.

It listens on loopback, so the official client runs whole (its transport, the product
check, NDJSON bulk bodies) and anything that takes an index URL - ``open_index``,
``enrich serve --index es+http://127.0.0.1:PORT/name`` - points at it as at a cluster.
Each endpoint answers as the Elasticsearch reference documents it:

* index templates (``GET/PUT/DELETE _index_template/NAME``): a new index takes the
  mappings of the matching template of highest priority;
* indices and aliases: ``HEAD/PUT/DELETE /INDEX``, ``GET /NAME/_mapping``,
  ``GET /_alias/NAME``, ``POST /_aliases`` (all actions at once); deleting through an
  alias is refused, as Elasticsearch refuses it;
* ``_bulk`` (index, delete; an index that does not exist is created, as
  ``action.auto_create_index`` does by default; ``dynamic: strict`` mappings refuse
  unknown fields per item), ``_count``, ``_search`` and ``_refresh``;
* the search DSL of ``fake_es_query``; hits, totals, terms aggregations and
  highlights in the response shapes of the reference;
* ``PUT /INDEX/_mapping``, ``dense_vector`` and ``nested`` fields and the ``knn``
  search option of ``fake_es_knn``.

Errors have Elasticsearch's shape (``{"error": {"root_cause": [...], "type",
"reason"}, "status"}``), so the client raises its own exception classes.
"""

from __future__ import annotations

import fnmatch
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from .fake_es_knn import check_document, knn_search, put_mapping
from .fake_es_query import BadQuery, Stats, highlight, matches, prepare


class EsError(Exception):
    def __init__(self, status: int, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.status, self.kind, self.reason = status, kind, reason

    def body(self) -> dict[str, Any]:
        cause = {"type": self.kind, "reason": self.reason}
        return {"error": {"root_cause": [cause], **cause}, "status": self.status}


def _missing(name: str) -> EsError:
    return EsError(404, "index_not_found_exception", f"no such index [{name}]")


class Cluster:
    """The cluster's state: templates, indices (mappings, aliases, documents)."""

    def __init__(self) -> None:
        self.templates: dict[str, dict[str, Any]] = {}
        self.indices: dict[str, dict[str, Any]] = {}  # name -> {mappings, aliases, docs}
        self.lock = threading.Lock()

    def resolve(self, name: str) -> list[str]:
        """The concrete indices a name (an index or an alias) means; 404 if none."""
        if name in self.indices:
            return [name]
        found = [i for i, index in self.indices.items() if name in index["aliases"]]
        if not found:
            raise _missing(name)
        return found

    def create(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        if name in self.indices or any(name in i["aliases"] for i in self.indices.values()):
            raise EsError(400, "resource_already_exists_exception",
                          f"index [{name}] already exists")
        fitting = [t for t in self.templates.values()
                   if any(fnmatch.fnmatchcase(name, p) for p in t["index_patterns"])]
        template = max(fitting, key=lambda t: t.get("priority", 0), default={})
        mappings = body.get("mappings") or template.get("template", {}).get("mappings", {})
        self.indices[name] = {"mappings": mappings, "aliases": set(body.get("aliases", {})),
                              "docs": {}}
        return {"acknowledged": True, "shards_acknowledged": True, "index": name}

    def delete(self, name: str, params: dict[str, str]) -> dict[str, Any]:
        if name not in self.indices:
            if any(name in i["aliases"] for i in self.indices.values()):
                raise EsError(400, "illegal_argument_exception", f"The provided expression "
                              f"[{name}] matches an alias, specify the corresponding "
                              "concrete indices instead.")
            if params.get("ignore_unavailable") != "true":
                raise _missing(name)
        self.indices.pop(name, None)
        return {"acknowledged": True}

    def aliases(self, name: str) -> dict[str, Any]:
        found = {i: {"aliases": {name: {}}} for i, index in self.indices.items()
                 if name in index["aliases"]}
        if not found:
            raise EsError(404, "aliases_not_found_exception", f"alias [{name}] missing")
        return found

    def update_aliases(self, actions: list[dict[str, Any]]) -> dict[str, Any]:
        for action in actions:  # all checked before any is applied: atomic
            ((_, spec),) = action.items()
            self.resolve(spec["index"])
        for action in actions:
            ((kind, spec),) = action.items()
            aliases = self.indices[spec["index"]]["aliases"]
            aliases.add(spec["alias"]) if kind == "add" else aliases.discard(spec["alias"])
        return {"acknowledged": True}

    def bulk(self, lines: list[dict[str, Any]]) -> dict[str, Any]:
        items, at = [], 0
        while at < len(lines):
            ((op, meta),) = lines[at].items()
            source = lines[at + 1] if op == "index" else None
            at += 2 if op == "index" else 1
            items.append({op: self._bulk_item(op, meta, source)})
        return {"took": 1, "errors": any(i[next(iter(i))]["status"] >= 300 for i in items),
                "items": items}

    def _bulk_item(self, op: str, meta: dict[str, Any], source: Any) -> dict[str, Any]:
        name, doc_id = meta["_index"], meta["_id"]
        try:
            (target,) = self.resolve(name)
        except EsError:
            if op == "delete":
                return {"_index": name, "_id": doc_id, "status": 404, "result": "not_found"}
            self.create(name, {})
            target = name
        docs = self.indices[target]["docs"]
        if op == "delete":
            found = docs.pop(doc_id, None) is not None
            return {"_index": target, "_id": doc_id, "status": 200 if found else 404,
                    "result": "deleted" if found else "not_found"}
        mappings = self.indices[target]["mappings"]
        unknown = set(source) - set(mappings.get("properties", {}))
        if mappings.get("dynamic") == "strict" and unknown:
            error = EsError(400, "strict_dynamic_mapping_exception", "mapping set to strict, "
                            f"dynamic introduction of [{sorted(unknown)[0]}] is not allowed")
            return {"_index": target, "_id": doc_id, "status": 400, "error": error.body()["error"]}
        try:
            check_document(mappings, source, doc_id, EsError)
        except EsError as error:
            return {"_index": target, "_id": doc_id, "status": error.status,
                    "error": error.body()["error"]}
        created = doc_id not in docs
        docs.pop(doc_id, None)  # a new version is a new Lucene document: it goes last
        docs[doc_id] = source
        return {"_index": target, "_id": doc_id, "status": 201 if created else 200,
                "result": "created" if created else "updated"}

    def sources(self, name: str) -> list[dict[str, Any]]:
        return [dict(s, _id=i) for index in self.resolve(name)
                for i, s in self.indices[index]["docs"].items()]

    def count(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        sources = self.sources(name)
        query = body.get("query", {"match_all": {}})
        prepare(query)
        stats = Stats(sources)
        return {"count": sum(bool(matches(query, s, stats)) for s in sources)}

    def search(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        sources = self.sources(name)
        if "knn" in body:
            (index, *_) = self.resolve(name)
            stats = Stats(sources)  # filters are term-level queries: nothing to prepare
            return knn_search(self.indices[index]["mappings"], index, sources, body,
                              lambda query, source: bool(matches(query, source, stats)),
                              EsError)
        query = body.get("query", {"match_all": {}})
        leaves, stats = prepare(query), Stats(sources)
        scored = [(matches(query, s, stats), n, s) for n, s in enumerate(sources)]
        found = [hit for hit in scored if hit[0]]
        found.sort(key=_sort_key(body.get("sort")))
        start = body.get("from", 0)
        return {"took": 1, "timed_out": False,
                "hits": {"total": {"value": len(found), "relation": "eq"},
                         "max_score": max((h[0] for h in found), default=None),
                         "hits": [self._hit(h, body, leaves)
                                  for h in found[start:start + body.get("size", 10)]]},
                "aggregations": _aggregations(body.get("aggs", {}), [h[2] for h in found])}

    @staticmethod
    def _hit(hit: tuple, body: dict[str, Any], leaves: list) -> dict[str, Any]:
        score, _, source = hit
        wanted = body.get("_source", True)
        shown = {k: v for k, v in source.items() if k != "_id"
                 and (wanted is True or k in wanted)}
        out = {"_index": "x", "_id": source["_id"], "_source": shown,
               "_score": None if body.get("sort") else score}
        if "highlight" in body and source.get("content"):
            fragments = highlight(source["content"], leaves, body["highlight"])
            if fragments:
                out["highlight"] = {"content": fragments}
        return out


def _sort_key(sort: list[dict[str, Any]] | None):
    if not sort:
        return lambda hit: (-hit[0], hit[1])
    ((name, spec),) = sort[0].items()
    down = spec.get("order") == "desc"

    def key(hit):  # a multi-valued field sorts by its min (asc) or max (desc); missing last
        values = hit[2].get(name) or []
        values = values if isinstance(values, list) else [values]
        if not values:
            return (1, "", hit[1])
        value = max(values) if down else min(values)
        return (0, _Reversed(value) if down else value, hit[1])
    return key


class _Reversed:
    """A value that sorts in reverse (strings, numbers, booleans alike)."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Reversed) and self.value == other.value

    def __lt__(self, other: "_Reversed") -> bool:
        return self.value > other.value


def _aggregations(aggs: dict[str, Any], sources: list[dict[str, Any]]) -> dict[str, Any]:
    out = {}
    for name, spec in aggs.items():
        ((kind, terms),) = spec.items()
        if kind != "terms":
            raise EsError(400, "parsing_exception", f"the fake runs terms aggregations, not {kind}")
        counts: dict[str, int] = {}
        for source in sources:
            values = source.get(terms["field"]) or []
            for value in set(values if isinstance(values, list) else [values]):
                counts[value] = counts.get(value, 0) + 1
        buckets = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        size = terms.get("size", 10)
        out[name] = {"doc_count_error_upper_bound": 0,
                     "sum_other_doc_count": sum(c for _, c in buckets[size:]),
                     "buckets": [{"key": k, "doc_count": c} for k, c in buckets[:size]]}
    return out


def route(cluster: Cluster, method: str, path: str, params: dict[str, str],
          body: Any) -> Any:
    """The answer to one request (a JSON-able value, or True/False for HEAD)."""
    parts = [unquote(p) for p in path.strip("/").split("/") if p]
    if parts[:1] == ["_index_template"]:
        if method == "GET":
            if parts[1] not in cluster.templates:
                raise EsError(404, "resource_not_found_exception",
                              f"index template matching [{parts[1]}] not found")
            return {"index_templates": [{"name": parts[1],
                                         "index_template": cluster.templates[parts[1]]}]}
        if method == "PUT":
            cluster.templates[parts[1]] = body
        elif cluster.templates.pop(parts[1], None) is None:
            raise EsError(404, "resource_not_found_exception",
                          f"index template [{parts[1]}] missing")
        return {"acknowledged": True}
    if parts == ["_bulk"]:
        return cluster.bulk(body)
    if parts == ["_aliases"]:
        return cluster.update_aliases(body["actions"])
    if parts[:1] == ["_alias"]:
        return cluster.aliases(parts[1])
    if len(parts) == 1:
        if method == "HEAD":
            try:
                return bool(cluster.resolve(parts[0]))
            except EsError:
                return False
        return cluster.create(parts[0], body or {}) if method == "PUT" else \
            cluster.delete(parts[0], params)
    name, action = parts[0], parts[1]
    if action == "_mapping" and method == "PUT":
        for index in cluster.resolve(name):
            put_mapping(cluster.indices[index]["mappings"], body or {}, EsError)
        return {"acknowledged": True}
    if action == "_mapping":
        return {i: {"mappings": cluster.indices[i]["mappings"]} for i in cluster.resolve(name)}
    if action == "_count":
        return cluster.count(name, body or {})
    if action == "_search":
        return cluster.search(name, body or {})
    if action == "_refresh":
        cluster.resolve(name)
        return {"_shards": {"total": 1, "successful": 1, "failed": 0}}
    raise EsError(400, "illegal_argument_exception", f"the fake does not serve {method} {path}")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    cluster: Cluster

    def _answer(self) -> None:
        url = urlsplit(self.path)
        params = {k: v[-1] for k, v in parse_qs(url.query).items()}
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        lines = [json.loads(line) for line in raw.splitlines() if line.strip()]
        body = lines if url.path.endswith("_bulk") else (lines[0] if lines else None)
        try:
            with self.cluster.lock:
                answer = route(self.cluster, self.command, url.path, params, body)
            status = 200 if answer is not False else 404
        except BadQuery as error:
            answer, status = EsError(400, "query_shard_exception", str(error)).body(), 400
        except EsError as error:
            answer, status = error.body(), error.status
        data = b"" if self.command == "HEAD" else json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("X-Elastic-Product", "Elasticsearch")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _answer

    def log_message(self, *args: Any) -> None:  # quiet
        pass


class FakeElasticsearch:
    """A fake cluster served on ``127.0.0.1:port`` until ``close()``."""

    def __init__(self) -> None:
        self.cluster = Cluster()
        handler = type("Handler", (_Handler,), {"cluster": self.cluster})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, name: str) -> str:
        """An index URL for ``open_index`` / ``--index``."""
        return f"es+http://127.0.0.1:{self.server.server_port}/{name}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="session")
def fake_es():
    """One fake cluster per test session (tests use their own index names)."""
    cluster = FakeElasticsearch()
    yield cluster
    cluster.close()

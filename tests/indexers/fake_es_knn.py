"""The vector side of the fake Elasticsearch (``fake_elasticsearch.py``), as the
Elasticsearch 8.x reference documents it:

* ``PUT /INDEX/_mapping`` (update mapping): new ``properties`` are added, one that
  exists must be the same (else the 400 ``illegal_argument_exception`` of a mapper
  conflict), ``_meta`` is replaced as a whole;
* ``dense_vector`` fields (top level or in a ``nested`` field): a document whose
  vector has another number of dimensions than ``dims``, or a zero vector under
  ``cosine`` similarity, is refused with a 400 ``document_parsing_exception``; a
  ``nested`` field with ``dynamic: strict`` refuses unknown keys;
* the top-level ``knn`` search option over a dense_vector, nested or not: ``k``,
  ``num_candidates`` (k <= num_candidates <= 10,000), ``filter`` (a query or a list,
  on the top-level documents: a pre-filter), ``similarity`` scores (cosine:
  ``(1 + cos) / 2``; dot_product; l2_norm: ``1 / (1 + d^2)``), a nested field
  diversified over the top-level documents (each scored by its best nested vector),
  and ``inner_hits`` (``size``, ``_source``, ``fields``) naming the best nested objects
  with ``_nested.{field, offset}``. The search is exact (Elasticsearch's HNSW is
  approximate: an exact answer is one it may give).
"""

from __future__ import annotations

import math
from typing import Any, Callable

Error = Callable[[int, str, str], Exception]


def put_mapping(mappings: dict[str, Any], body: dict[str, Any], error: Error) -> None:
    """Merge an update-mapping body into ``mappings`` (checked first, then applied)."""
    properties = mappings.setdefault("properties", {})
    for name, spec in (body.get("properties") or {}).items():
        if name in properties and properties[name] != spec:
            raise error(400, "illegal_argument_exception",
                        f"Mapper for [{name}] conflicts with existing mapper")
    properties.update(body.get("properties") or {})
    if "_meta" in body:
        mappings["_meta"] = body["_meta"]


def _vectors(properties: dict[str, Any], source: dict[str, Any], path: str = ""):
    """``(full field name, spec, value)`` of every dense_vector value in ``source``."""
    for name, value in source.items():
        spec = properties.get(name) or {}
        if spec.get("type") == "dense_vector" and value is not None:
            yield path + name, spec, value
        elif spec.get("type") == "nested" and value is not None:
            for item in value if isinstance(value, list) else [value]:
                yield from _vectors(spec.get("properties", {}), item, f"{path}{name}.")


def check_document(mappings: dict[str, Any], source: dict[str, Any], doc_id: str,
                   error: Error) -> None:
    """Refuse a document as Elasticsearch does: nested objects with unknown keys under
    ``dynamic: strict``, vectors of the wrong dimension, zero vectors under cosine."""
    for name, spec in mappings.get("properties", {}).items():
        if spec.get("type") == "nested" and source.get(name) is not None:
            items = source[name] if isinstance(source[name], list) else [source[name]]
            strict = spec.get("dynamic", mappings.get("dynamic")) == "strict"
            for item in items:
                unknown = set(item) - set(spec.get("properties", {}))
                if strict and unknown:
                    raise error(400, "strict_dynamic_mapping_exception",
                                "mapping set to strict, dynamic introduction of "
                                f"[{sorted(unknown)[0]}] within [{name}] is not allowed")
    for name, spec, value in _vectors(mappings.get("properties", {}), source):
        if not isinstance(value, list) or len(value) != spec["dims"]:
            raise error(400, "document_parsing_exception",
                        f"The [dense_vector] field [{name}] in doc [document with id "
                        f"'{doc_id}'] has a different number of dimensions "
                        f"[{len(value) if isinstance(value, list) else 1}] than defined in "
                        f"the mapping [{spec['dims']}]")
        if spec.get("similarity", "cosine") == "cosine" and not any(value):
            raise error(400, "document_parsing_exception", f"The [cosine] similarity does "
                        f"not support vectors with zero magnitude. Preview of invalid "
                        f"vector: {value[:5]}")


def _field(mappings: dict[str, Any], path: str) -> tuple[str | None, dict[str, Any] | None]:
    """``(nested parent or None, dense_vector spec)`` of a field path."""
    properties, parent, parts = mappings.get("properties", {}), None, path.split(".")
    for at, part in enumerate(parts[:-1]):
        spec = properties.get(part) or {}
        if spec.get("type") == "nested":
            parent = ".".join(parts[:at + 1])
        properties = spec.get("properties", {})
    spec = properties.get(parts[-1])
    return parent, spec if spec and spec.get("type") == "dense_vector" else None


def similarity(kind: str, query: list[float], vector: list[float]) -> float:
    """The ``_score`` of a vector (the dense_vector docs: "similarity")."""
    dot = sum(a * b for a, b in zip(query, vector))
    if kind == "cosine":
        norm = math.sqrt(sum(a * a for a in query)) * math.sqrt(sum(b * b for b in vector))
        return (1 + dot / norm) / 2
    if kind == "dot_product":
        return (1 + dot) / 2
    return 1 / (1 + sum((a - b) ** 2 for a, b in zip(query, vector)))


def knn_search(mappings: dict[str, Any], index: str, sources: list[dict[str, Any]],
               body: dict[str, Any], keep: Callable[[Any, dict[str, Any]], bool],
               error: Error) -> dict[str, Any]:
    """The response to a search with a top-level ``knn`` (``keep(query, source)``: whether
    a document matches a filter query)."""
    knn = body["knn"]
    if "query" in body or isinstance(knn, list):
        raise error(400, "illegal_argument_exception",
                    "the fake Elasticsearch runs one knn search without a query")
    k = knn.get("k", body.get("size", 10))
    candidates = knn.get("num_candidates", max(int(1.5 * k), 100))
    if candidates < k:
        raise error(400, "illegal_argument_exception", "[num_candidates] cannot be less than [k]")
    if candidates > 10_000:
        raise error(400, "illegal_argument_exception", "[num_candidates] cannot exceed [10000]")
    parent, spec = _field(mappings, knn["field"])
    if spec is None or not spec.get("index", True):
        raise error(400, "illegal_argument_exception", f"[knn] queries are only supported on "
                    f"[dense_vector] fields that are indexed; [{knn['field']}] is not")
    query = knn["query_vector"]
    if len(query) != spec["dims"]:
        raise error(400, "illegal_argument_exception", f"The query vector has a different "
                    f"number of dimensions [{len(query)}] than the document vectors "
                    f"[{spec['dims']}].")
    kind = spec.get("similarity", "cosine")
    if kind == "cosine" and not any(query):
        raise error(400, "illegal_argument_exception",
                    "The [cosine] similarity does not support vectors with zero magnitude.")
    filters = knn.get("filter") or []
    filters = filters if isinstance(filters, list) else [filters]
    leaf = knn["field"].rsplit(".", 1)[-1]
    scored = []
    for order, source in enumerate(sources):
        if not all(keep(f, source) for f in filters):
            continue
        items = source.get(parent) or [] if parent else [source]
        items = items if isinstance(items, list) else [items]
        nested = sorted(((similarity(kind, query, item[leaf]), offset, item)
                         for offset, item in enumerate(items) if item.get(leaf) is not None),
                        key=lambda n: (-n[0], n[1]))
        if nested:
            scored.append((nested[0][0], order, source, nested))
    scored.sort(key=lambda s: (-s[0], s[1]))
    found = scored[:k]
    hits = [_hit(index, body, knn, parent, *item) for item in
            found[body.get("from", 0):body.get("from", 0) + body.get("size", 10)]]
    out: dict[str, Any] = {"max_score": found[0][0] if found else None, "hits": hits}
    if body.get("track_total_hits", True) is not False:
        out = {"total": {"value": len(found), "relation": "eq"}, **out}
    return {"took": 1, "timed_out": False, "hits": out}


def _hit(index: str, body: dict[str, Any], knn: dict[str, Any], parent: str | None,
         score: float, _order: int, source: dict[str, Any], nested: list) -> dict[str, Any]:
    wanted = body.get("_source", True)
    shown = {k: v for k, v in source.items() if k != "_id" and (wanted is True or
                                                                  (wanted and k in wanted))}
    hit: dict[str, Any] = {"_index": index, "_id": source["_id"], "_score": score}
    if wanted is not False:
        hit["_source"] = shown
    inner = knn.get("inner_hits")
    if inner is not None and parent:
        size = inner.get("size", 3)
        hit["inner_hits"] = {parent: {"hits": {
            "total": {"value": len(nested), "relation": "eq"}, "max_score": nested[0][0],
            "hits": [_inner(index, source["_id"], parent, inner, *n)
                     for n in nested[inner.get("from", 0):inner.get("from", 0) + size]]}}}
    return hit


def _inner(index: str, doc_id: str, parent: str, spec: dict[str, Any], score: float,
           offset: int, item: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"_index": index, "_id": doc_id,
                           "_nested": {"field": parent, "offset": offset}, "_score": score}
    if spec.get("_source", True) is not False:
        out["_source"] = item
    names = [f[len(parent) + 1:] for f in spec.get("fields", []) if f.startswith(parent + ".")]
    if any(n == "*" for n in names):
        names = list(item)
    values = {n: [item[n]] for n in names if item.get(n) is not None}
    if values:
        out["fields"] = {parent: [values]}
    return out

"""The vector side of the Elasticsearch index: chunk vectors as ``nested`` dense_vectors.

Layout: one ``nested`` field per model ("vector space"), named by ``space_field``
(``chunks_<readable slug>_<hash>``: the slug alone could make two model ids one
field, and a dot would make an object path). Each nested object is one chunk::

    {"id": "DOC#n", "page": int, "start": int, "end": int, "image": keyword,
     "vector": dense_vector(dims, index: true, similarity: cosine)}

Why nested rather than one Elasticsearch document per chunk: a top-level ``knn`` over a
nested vector field ranks *documents* by their best chunk (Elasticsearch diversifies
the k results over the top-level documents), ``inner_hits`` names that chunk, the
keyword ``filter`` applies to the documents' own fields (no copy of them per chunk),
and an upsert or delete of the document replaces or removes its chunks in the same
bulk action, so chunks can never outlive their document.

The fields are not in the index template: a model's field is added with
``put_mapping`` the first time a commit carries its vectors, and recorded in the
mappings' ``_meta.enrich_vectors`` (``[{model, field, dims}]``; ``_meta`` is replaced
as a whole by ``put_mapping``, so the rest of it is sent again). Vectors stay in
``_source`` (Elasticsearch 8.x keeps them there), which ``document_vectors`` reads;
``search`` asks for ``id``, ``uri`` and ``title`` only, so hits never carry them.
Elasticsearch's cosine ``_score`` is ``(1 + cos) / 2``: it is turned back into the
cosine. A zero vector has no direction (Elasticsearch refuses it for cosine): such a
chunk is not indexed, and such a query finds nothing.
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

from .base import CHUNKS_KEY, check_search
from .elastic_body import search_body, facet_aggs, filter_clauses, to_result
from .vector_spaces import META_KEYS, space_slug
from .vectors import VectorDimensionError

__all__ = ["VectorMethods", "space_field", "space_mapping", "chunk_sources", "knn_body",
           "knn_hits", "spaces_of", "with_space", "MAX_CANDIDATES"]

MAX_CANDIDATES = 10_000  # Elasticsearch's limit on num_candidates (and k)
CHUNK_FIELDS = ("id",) + META_KEYS


def space_field(model: str) -> str:
    """The nested field of ``model``'s chunks: readable, and unique by a hash."""
    return "chunks_" + space_slug(model, "_")


def space_mapping(dims: int) -> dict[str, Any]:
    """The mapping of one model's nested chunk field (ES docs: "Nested kNN search")."""
    return {"type": "nested", "dynamic": "strict", "properties": {
        "id": {"type": "keyword"}, "page": {"type": "integer"},
        "start": {"type": "integer"}, "end": {"type": "integer"},
        "image": {"type": "keyword"},
        "vector": {"type": "dense_vector", "dims": dims, "index": True,
                   "similarity": "cosine"}}}


def spaces_of(meta: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
    """``{model: {"field", "dims"}}`` from a mappings' ``_meta``."""
    return {entry["model"]: {"field": entry["field"], "dims": int(entry["dims"])}
            for entry in (meta or {}).get("enrich_vectors") or []
            if isinstance(entry, Mapping) and {"model", "field", "dims"} <= set(entry)}


def with_space(meta: Mapping[str, Any] | None, model: str, dims: int) -> dict[str, Any]:
    """``meta`` with ``model``'s space added (the whole ``_meta``, as put_mapping wants it)."""
    out = dict(meta or {})
    out["enrich_vectors"] = [e for e in out.get("enrich_vectors") or []
                             if e.get("model") != model] + [
        {"model": model, "field": space_field(model), "dims": dims}]
    return out


def _zero(vector: Sequence[float]) -> bool:
    return not any(vector)


def chunk_sources(document: Mapping[str, Any], dims: dict[str, int]) -> dict[str, list]:
    """The nested chunk fields of a document's ``_source`` (``{field: [chunk, ...]}``);
    ``dims`` collects each model's dimension. VectorDimensionError for a model whose
    vectors differ in dimension (in this document or earlier ones of ``dims``)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for chunk in document.get(CHUNKS_KEY) or ():
        vector = [float(x) for x in chunk["vector"]]
        if any(not math.isfinite(x) for x in vector):
            raise VectorDimensionError(f"chunk {chunk.get('id')!r} of {document.get('id')!r} "
                                       "has a vector with NaN or infinite values")
        model = str(chunk["model"])
        if dims.setdefault(model, len(vector)) != len(vector):
            raise VectorDimensionError(
                f"chunk {chunk.get('id')!r} of {document.get('id')!r} has a {len(vector)}-"
                f"dimension vector of {model!r}, whose vectors have {dims[model]}")
        if _zero(vector):
            continue
        item = {key: chunk.get(key) for key in CHUNK_FIELDS if chunk.get(key) is not None}
        out.setdefault(space_field(model), []).append({**item, "vector": vector})
    return out


def knn_body(field: str, vector: Sequence[float], k: int, *,
             filters: Mapping[str, Sequence[str]] | None = None, exclude: Sequence[str] = (),
             user: Sequence[Any] = ()) -> dict[str, Any]:
    """A top-level ``knn`` search over a nested vector field: the ``k`` documents with the
    best chunks, the best one in ``inner_hits``, keyword ``filters`` as ``search`` builds
    them and ``exclude`` as a ``must_not`` on ids (both pre-filters of the kNN search)."""
    k = max(1, min(k, MAX_CANDIDATES))
    knn: dict[str, Any] = {
        "field": f"{field}.vector", "query_vector": [float(x) for x in vector], "k": k,
        "num_candidates": min(MAX_CANDIDATES, max(100, 2 * k)),
        "inner_hits": {"size": 1, "_source": False,
                       "fields": [f"{field}.{name}" for name in CHUNK_FIELDS]}}
    clauses = filter_clauses(filters, user)
    if clauses or exclude:
        knn["filter"] = {"bool": {"filter": clauses, "must_not": [
            {"ids": {"values": [str(i) for i in exclude]}}] if exclude else []}}
    return {"knn": knn, "size": k, "_source": ["id"], "track_total_hits": False}


def knn_hits(response: Mapping[str, Any], field: str) -> list[dict[str, Any]]:
    """``[{"id", "score" (cosine), "chunk"}]`` from a nested kNN response."""
    out = []
    for hit in response["hits"]["hits"]:
        inner = hit.get("inner_hits", {}).get(field, {}).get("hits", {}).get("hits") or []
        best = inner[0] if inner else {}
        values = (best.get("fields", {}).get(field) or [{}])[0]
        chunk = {name: (values.get(name) or [None])[0] for name in CHUNK_FIELDS}
        score = best.get("_score", hit.get("_score")) or 0.0
        out.append({"id": hit.get("_source", {}).get("id", hit.get("_id")),
                    "score": 2.0 * float(score) - 1.0, "chunk": chunk})
    return out


class VectorMethods:
    """The ``SearchIndex`` vector methods of ``ElasticIndex`` (mixed into it)."""

    _spaces: dict[str, dict[str, Any]] | None = None  # model -> {field, dims}; None: unread
    _held: dict[str, int] | None = None  # vector_models(); None: not counted since
    _queued_dims: dict[str, int]

    def _with_chunks(self, documents: Sequence[Mapping[str, Any]],
                     actions: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The ``index`` actions with each document's chunk fields added (one action per
        document, in order); the models' dimensions are queued for ``_prepare_spaces``."""
        dims = dict(self._queued_dims)
        for document, action in zip(documents, actions):
            action["_source"].update(chunk_sources(document, dims))
        self._queued_dims = dims
        return actions

    def _mappings(self) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
        """The mappings of the indices behind the index, and the models they record."""
        with self._errors("read the vector fields of"):
            found = dict(self.client.indices.get_mapping(index=self._using))
        spaces: dict[str, dict[str, Any]] = {}
        for mapping in found.values():
            spaces |= spaces_of(mapping.get("mappings", {}).get("_meta"))
        return found, spaces

    def _read_spaces(self) -> dict[str, dict[str, Any]]:
        """The models of the indices behind the index (read again, and kept)."""
        self._spaces, self._held = self._mappings()[1], None
        return self._spaces

    def _prepare_spaces(self) -> None:
        """Before a commit sends its writes: the field of every queued model that the index
        lacks is added (put_mapping, with ``_meta``); VectorDimensionError for a model the
        index holds with another dimension (nothing is sent). The models held are
        counted again after any commit (its deletes may empty a model)."""
        queued, self._queued_dims, self._held = self._queued_dims, {}, None
        if not queued:
            return
        found, known = self._mappings()
        for model, dims in queued.items():
            if model in known and known[model]["dims"] != dims:
                raise VectorDimensionError(
                    f"the vectors of {model!r} have {dims} dimensions, but the index "
                    f"{self.name!r} holds {known[model]['dims']}-dimension ones: rebuild "
                    "it from the store (`enrich index --rebuild-index`)")
        new = {model: dims for model, dims in queued.items() if model not in known}
        if not new:
            return
        with self._errors("add vector fields to"):
            for index, mapping in found.items():
                meta = mapping.get("mappings", {}).get("_meta") or {}
                for model, dims in new.items():
                    meta = with_space(meta, model, dims)
                self.client.indices.put_mapping(
                    index=index, meta=meta,
                    properties={space_field(m): space_mapping(d) for m, d in new.items()})
        self._spaces = None

    def vector_models(self) -> dict[str, int]:
        """The models mapped in the index that some document has vectors of (one ``_count``
        of a ``nested`` query each; kept until ``refresh`` or the next commit)."""
        self.readable()
        if self._held is None:
            spaces = self._read_spaces()
            with self._errors("count the vectors of"):
                self._held = {model: space["dims"] for model, space in spaces.items()
                              if self.client.count(index=self._using, query={"nested": {
                                  "path": space["field"], "query": {"match_all": {}}}})["count"]}
        return dict(self._held)

    def _space(self, model: str) -> dict[str, Any] | None:
        self.readable()
        spaces = self._spaces if self._spaces is not None else self._read_spaces()
        if model not in spaces:  # a writer may have added it since: ask once more
            spaces = self._read_spaces()
        return spaces.get(model)

    def vector_search(self, model: str, vector: Sequence[float], *, k: int = 10,
                      filters: dict[str, list[str]] | None = None,
                      exclude: Sequence[str] = ()) -> list[dict[str, Any]]:
        """See ``SearchIndex.vector_search`` and ``knn_body``."""
        check_search(filters, (), None, self.fields)
        space = self._space(model)
        if space is None:
            return []
        if len(vector) != space["dims"]:
            raise VectorDimensionError(
                f"the query vector has {len(vector)} dimensions, but the vectors of "
                f"{model!r} in {self.name!r} have {space['dims']}")
        if k <= 0 or _zero(vector):
            return []
        body = knn_body(space["field"], vector, k, filters=filters, exclude=exclude,
                        user=self.fields)
        with self._errors("search the vectors of"):
            found = self.client.search(index=self._using, body=body)
        return knn_hits(found, space["field"])

    def document_vectors(self, doc_id: str) -> dict[str, list[list[float]]]:
        self.readable()
        spaces = self._read_spaces()
        if not spaces:
            return {}
        fields = {space["field"]: model for model, space in spaces.items()}
        body = {"query": {"ids": {"values": [str(doc_id)]}}, "size": 1,
                "_source": sorted(fields)}
        with self._errors("read the vectors of a document in"):
            hits = self.client.search(index=self._using, body=body)["hits"]["hits"]
        source = hits[0].get("_source", {}) if hits else {}
        return {fields[name]: [list(chunk["vector"]) for chunk in chunks]
                for name, chunks in source.items() if name in fields and chunks}

    def facet_counts(self, ids: Sequence[str], facets: Sequence[str],
                     facet_size: int = 10) -> dict[str, list[dict[str, Any]]]:
        """The aggregations of ``search`` over an ``ids`` query."""
        self.readable()
        check_search(None, facets, None, self.fields)
        if not ids or not facets or facet_size <= 0:
            return {name: [] for name in facets}
        body = {"query": {"ids": {"values": [str(i) for i in ids]}}, "size": 0,
                "track_total_hits": True, "aggs": facet_aggs(facets, facet_size)}
        with self._errors("count the facets of"):
            found = self.client.search(index=self._using, body=body)
        return to_result(found, facets, user=self.fields).facets

    def lookup(self, ids: Sequence[str], query: str | None = None,
               syntax: str = "lenient") -> dict[str, dict[str, Any]]:
        """The hits (no score) of the documents ``ids`` that are here; with a ``query``,
        each with the highlights of that query (an ``ids`` filter, the query as a
        ``should`` clause that only highlights)."""
        self.readable()
        if not ids:
            return {}
        words = query and query.strip() not in ("", "*")
        body = search_body(query if words else "*", top=len(ids), highlight=bool(words),
                           syntax=syntax, user=self.fields)
        body["query"] = {"bool": {"filter": [{"ids": {"values": [str(i) for i in ids]}}],
                                  **({"should": [body["query"]]} if words else {})}}
        with self._errors("read documents of"):
            found = self.client.search(index=self._using, body=body)
        return {hit["id"]: {**hit, "score": None}
                for hit in to_result(found, (), user=self.fields).results}

    def matching(self, query: str, ids: Sequence[str], *, syntax: str = "lenient",
                 filters: dict[str, list[str]] | None = None) -> set[str]:
        """Which of the documents ``ids`` the query (and the filters) match."""
        self.readable()
        if not ids:
            return set()
        body = search_body(query, filters=filters, top=len(ids), highlight=False,
                           syntax=syntax, user=self.fields)
        clauses = [{"ids": {"values": [str(i) for i in ids]}}]
        inner = body["query"]
        if "bool" in inner and "filter" in inner["bool"]:
            inner["bool"]["filter"] = list(inner["bool"]["filter"]) + clauses
        else:
            body["query"] = {"bool": {"must": [inner], "filter": clauses}}
        body["_source"] = ["id"]
        with self._errors("match documents of"):
            found = self.client.search(index=self._using, body=body)
        return {hit["id"] for hit in to_result(found, (), user=self.fields).results}

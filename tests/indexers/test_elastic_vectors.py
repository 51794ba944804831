"""The Elasticsearch vector layout (``elastic_vectors``): request bodies checked against
the shapes the reference documents ("Nested kNN search", "dense_vector", "Update mapping
API", "Retrieve inner hits"), the requests ``ElasticIndex`` sends (a recording client),
and what the faithful fake cluster refuses as Elasticsearch does. The behaviour every
backend shares is in ``test_vector_contract.py``.
"""

from __future__ import annotations

import elasticsearch
import elasticsearch.helpers
import pytest

from indexers.stores import open_index
from indexers.stores.base import CHUNKS_KEY
from indexers.stores.elastic import ElasticIndex
from indexers.stores.elastic_body import LAYOUT, search_body
from indexers.stores.elastic_vectors import (MAX_CANDIDATES, chunk_sources, knn_body, knn_hits,
                                             space_field, space_mapping, spaces_of, with_space)
from indexers.stores.vectors import VectorDimensionError

from .fake_elasticsearch import fake_es  # noqa: F401 - a fixture
from .test_elastic import FakeClient
from .test_search_index_contract import DOCS
from .test_vector_contract import IMAGE, TEXT, chunk, with_chunks


def test_a_field_per_model_readable_and_unique():
    field = space_field("sentence-transformers/all-MiniLM-L6-v2")
    assert field.startswith("chunks_sentence_transformers_all_minilm_l6_v2_")
    assert "." not in field and field == field.lower()
    assert space_field("a/b") != space_field("a-b") != space_field("A/B")
    assert space_field("x" * 300) != space_field("x" * 301) and len(space_field("x" * 300)) < 64


def test_the_nested_mapping_of_a_model():
    # "Nested kNN search": a nested field holding a dense_vector with index: true.
    mapping = space_mapping(4)
    assert mapping["type"] == "nested" and mapping["dynamic"] == "strict"
    assert mapping["properties"]["vector"] == {"type": "dense_vector", "dims": 4,
                                               "index": True, "similarity": "cosine"}
    assert set(mapping["properties"]) == {"id", "page", "start", "end", "image", "vector"}


def test_meta_keeps_the_layout_and_fields_when_a_model_is_added():
    # "Update mapping API": _meta is replaced as a whole, so all of it is sent.
    meta = with_space({"enrich_layout": LAYOUT, "enrich_fields": [{"name": "x"}]}, TEXT, 4)
    meta = with_space(meta, IMAGE, 3)
    assert meta["enrich_layout"] == LAYOUT and meta["enrich_fields"] == [{"name": "x"}]
    assert spaces_of(meta) == {TEXT: {"field": space_field(TEXT), "dims": 4},
                               IMAGE: {"field": space_field(IMAGE), "dims": 3}}
    assert spaces_of(with_space(meta, TEXT, 8))[TEXT]["dims"] == 8
    assert spaces_of({"enrich_layout": LAYOUT}) == {} == spaces_of(None)


def test_chunk_sources_group_by_model():
    dims: dict[str, int] = {}
    doc = with_chunks()[0]
    sources = chunk_sources(doc, dims)
    assert dims == {TEXT: 4, IMAGE: 3}
    assert sources[space_field(TEXT)] == [
        {"id": "d1#0", "page": 1, "start": 0, "end": 50, "vector": [1.0, 0.0, 0.0, 0.0]},
        {"id": "d1#1", "page": 2, "start": 100, "end": 150, "vector": [0.0, 1.0, 0.0, 0.0]}]
    assert sources[space_field(IMAGE)] == [{"id": "d1#2", "page": 2, "image": "d1-img-0",
                                            "vector": [0.0, 1.0, 0.0]}]
    zero = {"id": "z", CHUNKS_KEY: [chunk("z", 0, TEXT, [0, 0, 0, 0])]}
    assert chunk_sources(zero, dims) == {}  # no direction: ES refuses it for cosine
    with pytest.raises(VectorDimensionError, match="3-dimension"):
        chunk_sources({"id": "w", CHUNKS_KEY: [chunk("w", 0, TEXT, [1, 0, 0])]}, dims)
    with pytest.raises(VectorDimensionError, match="NaN"):
        chunk_sources({"id": "n", CHUNKS_KEY: [chunk("n", 0, TEXT, [1, 0, 0, "nan"])]}, {})


def test_the_knn_body():
    # "Nested kNN search": top-level knn on the nested vector, inner_hits for the chunk,
    # filter as a pre-filter on the top-level documents.
    field = space_field(TEXT)
    body = knn_body(field, [1, 0, 0, 0], 5, filters={"file_type": ["pdf"]}, exclude=["d9"])
    knn = body["knn"]
    assert knn["field"] == f"{field}.vector" and knn["query_vector"] == [1.0, 0.0, 0.0, 0.0]
    assert knn["k"] == 5 <= knn["num_candidates"] <= MAX_CANDIDATES
    assert knn["inner_hits"] == {"size": 1, "_source": False, "fields": [
        f"{field}.{name}" for name in ("id", "page", "start", "end", "image")]}
    same = search_body("x", filters={"file_type": ["pdf"]})["query"]["bool"]["filter"]
    assert knn["filter"] == {"bool": {"filter": same,
                                      "must_not": [{"ids": {"values": ["d9"]}}]}}
    assert body["size"] == 5 and body["_source"] == ["id"]
    assert "filter" not in knn_body(field, [1, 0, 0, 0], 5)["knn"]
    big = knn_body(field, [1, 0, 0, 0], 10**6)["knn"]
    assert big["k"] == big["num_candidates"] == MAX_CANDIDATES


def test_knn_hits_give_the_cosine_and_the_best_chunk():
    field = space_field(TEXT)
    inner = {"_id": "d1", "_nested": {"field": field, "offset": 1}, "_score": 0.75,
             "fields": {field: [{"id": ["d1#1"], "page": [2], "start": [100], "end": [150]}]}}
    response = {"hits": {"hits": [{"_id": "d1", "_score": 0.75, "_source": {"id": "d1"},
                                   "inner_hits": {field: {"hits": {"hits": [inner]}}}}]}}
    assert knn_hits(response, field) == [{"id": "d1", "score": 0.5, "chunk": {
        "id": "d1#1", "page": 2, "start": 100, "end": 150, "image": None}}]


def test_a_wrong_dimension_is_refused_before_asking_the_cluster():
    meta = with_space({"enrich_layout": LAYOUT}, TEXT, 4)
    client = FakeClient(indices__get_mapping={"enrich.v1": {"mappings": {"_meta": meta}}})
    index = ElasticIndex(client, "enrich")
    with pytest.raises(VectorDimensionError):
        index.vector_search(TEXT, [1, 0, 0], k=3)
    assert index.vector_search("other", [1, 0, 0], k=3) == []
    assert "search" not in client.names()


def test_a_new_model_is_mapped_before_its_documents_are_sent(fake_es):  # noqa: F811
    with open_index(None, fake_es.url("vec-mapping"), write=True) as index:
        index.upsert(with_chunks(DOCS[:1]))
        index.commit()
        (concrete,) = fake_es.cluster.resolve("vec-mapping")
        mappings = fake_es.cluster.indices[concrete]["mappings"]
        assert mappings["_meta"]["enrich_layout"] == LAYOUT
        assert spaces_of(mappings["_meta"]) == {TEXT: {"field": space_field(TEXT), "dims": 4},
                                                IMAGE: {"field": space_field(IMAGE), "dims": 3}}
        assert mappings["properties"][space_field(TEXT)] == space_mapping(4)
        # the same model with another dimension: refused, nothing sent
        index.upsert([{**DOCS[1], CHUNKS_KEY: [chunk("d2", 0, TEXT, [1, 0])]}])
        with pytest.raises(VectorDimensionError, match="rebuild"):
            index.commit()
        assert index.count() == 1
    with open_index(None, fake_es.url("vec-mapping")) as reader:  # layout still enrich's
        assert reader.vector_models() == {TEXT: 4, IMAGE: 3}


def test_a_rebuild_maps_the_models_in_the_new_index(fake_es):  # noqa: F811
    with open_index(None, fake_es.url("vec-rebuild"), write=True) as index:
        index.upsert(with_chunks())
        index.commit()
        with index.rebuild() as fresh:
            fresh.upsert(with_chunks(DOCS[2:3]))
        assert index.vector_models() == {TEXT: 4}
        assert [h["id"] for h in index.vector_search(TEXT, [0, 1, 0, 0])] == ["d3"]


@pytest.mark.parametrize("source, kind", [
    ({"id": "x", "FIELD": [{"id": "x#0", "vector": [1, 0]}]}, "document_parsing_exception"),
    ({"id": "x", "FIELD": [{"id": "x#0", "vector": [0, 0, 0, 0]}]},
     "document_parsing_exception"),
    ({"id": "x", "FIELD": [{"id": "x#0", "other": 1, "vector": [1, 0, 0, 0]}]},
     "strict_dynamic_mapping_exception"),
])
def test_the_fake_refuses_documents_as_elasticsearch_does(fake_es, source, kind):  # noqa: F811
    name = f"vec-refused-{kind[:6]}-{len(str(source))}"
    with open_index(None, fake_es.url(name), write=True) as index:
        index.upsert(with_chunks(DOCS[:1]))
        index.commit()
        field = space_field(TEXT)
        source = {(field if k == "FIELD" else k): v for k, v in source.items()}
        ok, item = elasticsearch.helpers.bulk(index.client, [{
            "_op_type": "index", "_index": name, "_id": "x", "_source": source}],
            raise_on_error=False)
        assert ok == 0 and item[0]["index"]["error"]["type"] == kind


def test_the_fake_refuses_a_knn_search_as_elasticsearch_does(fake_es):  # noqa: F811
    with open_index(None, fake_es.url("vec-knn-refused"), write=True) as index:
        index.upsert(with_chunks())
        index.commit()
        field = space_field(TEXT)
        for knn, says in [({"query_vector": [1, 0, 0]}, "number of dimensions"),
                          ({"query_vector": [0, 0, 0, 0]}, "zero magnitude"),
                          ({"num_candidates": 2}, "cannot be less than"),
                          ({"field": "title"}, "dense_vector")]:
            body = {"knn": {"field": f"{field}.vector", "query_vector": [1, 0, 0, 0],
                            "k": 3, "num_candidates": 10, **knn}}
            with pytest.raises(elasticsearch.BadRequestError, match=says):
                index.client.search(index="vec-knn-refused", body=body)
        with pytest.raises(elasticsearch.BadRequestError, match="conflicts"):
            index.client.indices.put_mapping(index="vec-knn-refused",
                                             properties={field: space_mapping(8)})

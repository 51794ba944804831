"""The vector contract of ``SearchIndex`` (``vector_models``, ``vector_search``,
``document_vectors``, ``facet_counts``): every case runs on every backend of
``test_search_index_contract`` (tantivy, the fake Elasticsearch cluster, a live one).

Two invented vector spaces: ``text`` (4 dimensions) and ``image`` (3), small enough
that the expected order can be worked out by hand.
"""

from __future__ import annotations

import json
import math

import pytest

from indexers.stores.base import CHUNKS_KEY
from indexers.stores.vectors import VectorDimensionError

from .fake_elasticsearch import fake_es  # noqa: F401 - a fixture
from .test_search_index_contract import DOCS, backend, index  # noqa: F401 - fixtures

TEXT, IMAGE = "test/text-model", "test/image-model"


def chunk(doc: str, n: int, model: str, vector: list[float], page: int | None = None,
          image: str | None = None) -> dict:
    start = None if image else 100 * n
    return {"id": f"{doc}#{n}", "model": model, "page": page, "start": start,
            "end": None if image else start + 50, "image": image, "vector": vector}


CHUNKS = {
    "d1": [chunk("d1", 0, TEXT, [1, 0, 0, 0], 1), chunk("d1", 1, TEXT, [0, 1, 0, 0], 2),
           chunk("d1", 2, IMAGE, [0, 1, 0], 2, image="d1-img-0")],
    "d2": [chunk("d2", 0, TEXT, [0.9, 0.1, 0, 0], 1), chunk("d2", 1, TEXT, [0, 0, 1, 0], 3)],
    "d3": [chunk("d3", 0, TEXT, [0, 0.2, 0, 1], 1)],
    "d4": [chunk("d4", 0, IMAGE, [1, 0, 0], 1, image="d4-img-0")],
}


def with_chunks(docs=DOCS, chunks=CHUNKS) -> list[dict]:
    return [{**doc, CHUNKS_KEY: chunks.get(doc["id"], [])} for doc in docs]


@pytest.fixture
def vectors(index):
    index.upsert(with_chunks())
    index.commit()
    return index


def found(hits) -> list[str]:
    return [hit["id"] for hit in hits]


def test_the_models_and_their_dimensions(vectors):
    assert vectors.vector_models() == {TEXT: 4, IMAGE: 3}


def test_an_index_without_vectors_has_no_models(index):
    index.upsert(DOCS)
    index.commit()
    assert index.vector_models() == {}
    assert index.vector_search(TEXT, [1, 0, 0, 0]) == []


def test_documents_come_best_first_with_their_best_chunk(vectors):
    hits = vectors.vector_search(TEXT, [0, 1, 0, 0], k=3)
    assert found(hits) == ["d1", "d3", "d2"]
    best = hits[0]
    assert best["score"] == pytest.approx(1.0, abs=1e-3)  # a cosine, not a distance
    assert best["chunk"] == {"id": "d1#1", "page": 2, "start": 100, "end": 150, "image": None}
    assert hits[1]["chunk"]["id"] == "d3#0"
    assert hits[1]["score"] == pytest.approx(0.2 / (1.04 ** 0.5), abs=1e-3)
    assert hits[0]["score"] >= hits[1]["score"] >= hits[2]["score"]


def test_k_documents_at_most_one_result_each(vectors):
    hits = vectors.vector_search(TEXT, [1, 0.5, 0, 0], k=2)
    assert found(hits) == ["d2", "d1"]  # d2's first chunk beats d1's best
    assert len(vectors.vector_search(TEXT, [1, 0.5, 0, 0], k=10)) == 3


def test_image_vectors_answer_in_their_own_space(vectors):
    hits = vectors.vector_search(IMAGE, [1, 0, 0], k=5)
    assert found(hits) == ["d4", "d1"]
    assert hits[0]["chunk"] == {"id": "d4#0", "page": 1, "start": None, "end": None,
                                "image": "d4-img-0"}


def test_filters_keep_only_matching_documents(vectors):
    hits = vectors.vector_search(TEXT, [0, 1, 0, 0], k=5, filters={"file_type": ["pdf"]})
    assert found(hits) == ["d1", "d2"]
    hits = vectors.vector_search(TEXT, [0, 1, 0, 0], k=5,
                                 filters={"file_type": ["pdf", "docx"],
                                          "organizations": ["Celtics"]})
    assert found(hits) == ["d1", "d3"]


def test_excluded_documents_never_come_back(vectors):
    hits = vectors.vector_search(TEXT, [0, 1, 0, 0], k=2, exclude=["d1"])
    assert found(hits) == ["d3", "d2"]


def test_a_new_upsert_replaces_all_of_a_documents_chunks(vectors):
    (d1,) = [doc for doc in DOCS if doc["id"] == "d1"]
    vectors.upsert(with_chunks([d1], {"d1": [chunk("d1", 0, TEXT, [1, 0, 0, 0], 1)]}))
    vectors.commit()
    hits = vectors.vector_search(TEXT, [0, 1, 0, 0], k=5)
    assert found(hits)[0] == "d3"
    assert {h["id"]: h["chunk"]["id"] for h in hits}["d1"] == "d1#0"
    assert found(vectors.vector_search(IMAGE, [0, 1, 0], k=5)) == ["d4"]
    assert directions(vectors.document_vectors("d1")) == {TEXT: [[1, 0, 0, 0]]}


def test_deleted_documents_leave_the_results(vectors):
    vectors.delete(["d1", "d4"])
    vectors.commit()
    assert found(vectors.vector_search(TEXT, [0, 1, 0, 0], k=5)) == ["d3", "d2"]
    assert vectors.vector_search(IMAGE, [1, 0, 0], k=5) == []
    assert vectors.vector_models() == {TEXT: 4}  # no document holds image vectors now


def test_a_vector_of_another_dimension_is_an_error(vectors):
    with pytest.raises(VectorDimensionError, match="3"):
        vectors.vector_search(TEXT, [1, 0, 0], k=5)


def test_an_unknown_model_finds_nothing(vectors):
    assert vectors.vector_search("no/such-model", [1, 0, 0, 0], k=5) == []


def directions(by_model: dict) -> dict:
    """Vectors as unit vectors (a backend may keep them normalised: cosine ignores length)."""
    return {model: [[round(x / math.hypot(*v), 5) for x in v] for v in vs]
            for model, vs in by_model.items()}


def test_document_vectors_by_model(vectors):
    assert directions(vectors.document_vectors("d1")) == directions(
        {TEXT: [[1, 0, 0, 0], [0, 1, 0, 0]], IMAGE: [[0, 1, 0]]})
    assert directions(vectors.document_vectors("d3")) == directions({TEXT: [[0, 0.2, 0, 1]]})
    assert vectors.document_vectors("nope") == {}


def test_facet_counts_over_ids(vectors):
    counts = vectors.facet_counts(["d1", "d2", "d3"], ["file_type", "organizations"])
    assert counts["file_type"] == [{"value": "pdf", "count": 2}, {"value": "docx", "count": 1}]
    assert counts["organizations"] == [{"value": "Celtics", "count": 2},
                                       {"value": "Lakers", "count": 1},
                                       {"value": "Nike", "count": 1}]
    everything = vectors.search("*", facets=["organizations"], top=0).facets
    assert vectors.facet_counts(["d1", "d2", "d3", "d4"], ["organizations"]) == everything
    assert vectors.facet_counts(["d4"], ["file_type"], facet_size=1) == {
        "file_type": [{"value": "html", "count": 1}]}


def test_chunks_never_appear_in_search_hits(vectors):
    result = vectors.search("*", top=10)
    assert result.count == 4
    text = json.dumps(result.to_dict())
    assert CHUNKS_KEY not in text and "vector" not in text and "d1#" not in text
    assert all(set(hit) == {"id", "uri", "title", "score", "highlights"}
               for hit in result.results)


def test_a_reopened_reader_sees_the_vectors(backend, vectors):  # noqa: F811
    with backend.open() as reader:
        assert reader.vector_models() == {TEXT: 4, IMAGE: 3}
        assert found(reader.vector_search(TEXT, [0, 1, 0, 0], k=1)) == ["d1"]


def test_lookup_gives_the_documents_that_are_here(vectors):
    got = vectors.lookup(["d2", "nope", "d3"])
    assert set(got) == {"d2", "d3"}
    assert got["d2"]["title"] == "Nike signs a deal" and got["d2"]["uri"] == "file:///d2.pdf"
    assert got["d2"]["score"] is None and CHUNKS_KEY not in got["d2"]
    assert vectors.lookup([]) == {}


def test_hybrid_search_fuses_alike_on_every_backend(vectors):
    from indexers.stores import hybrid

    queries = {TEXT: [0, 0, 1, 0], IMAGE: [1, 0, 0]}
    result = hybrid.search(vectors, "aardvark", mode="hybrid", facets=["file_type"],
                           encode=lambda model, text: queries[model])
    order = found(result.results)
    # d1: keyword 1; d2: text 1; d4: image 1; then the second places
    assert set(order[:3]) == {"d1", "d2", "d4"} and result.mode == "hybrid"
    by_id = {hit["id"]: hit for hit in result.results}
    assert by_id["d2"]["chunk"]["id"] == "d2#1" and by_id["d2"]["chunk"]["page"] == 3
    assert by_id["d4"]["chunk"]["image"] == "d4-img-0"
    assert result.count == 4  # d1 by its words; d2, d3 and d4 by vectors alone
    assert sum(b["count"] for b in result.facets["file_type"]) == 4

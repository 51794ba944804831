"""Keyword, vector and hybrid search (reciprocal-rank fusion) and "more like this" over
the embedded index, with invented 4-dimension vectors and an encoder that maps a query
to one of them (the real model runs in tests/enrich/test_semantic_search.py)."""

from __future__ import annotations

import pytest

from indexers.stores import CHUNKS_KEY, hybrid, open_index
from indexers.stores.hybrid import NoVectorsError, SearchModeError, fuse
from indexers.stores.vectors import VectorDimensionError

MODEL = "test-model"
AXES = {"river": [1, 0, 0, 0], "mountain": [0, 1, 0, 0], "market": [0, 0, 1, 0],
        "kitchen": [0, 0, 0, 1]}


def chunk(doc, n, axis, page=1, lean=0.0):
    vector = [x + lean for x in AXES[axis]]
    return {"id": f"{doc}#{n}", "model": MODEL, "page": page, "start": 0, "end": 10,
            "image": None, "vector": vector}


DOCS = [
    {"id": "a", "uri": "file:///a.txt", "title": "Ferry timetable", "content":
     "The ferry leaves the quay at dawn.", "language": "en", "file_type": "txt",
     CHUNKS_KEY: [chunk("a", 0, "market"), chunk("a", 1, "river", page=2)]},
    {"id": "b", "uri": "file:///b.txt", "title": "Summit log", "content":
     "Climbers reached the ridge. The ferry was late.", "language": "de",
     "file_type": "txt", CHUNKS_KEY: [chunk("b", 0, "mountain")]},
    {"id": "c", "uri": "file:///c.txt", "title": "Stall prices", "content":
     "Onions cost more at the stalls this week.", "language": "en", "file_type": "md",
     CHUNKS_KEY: [chunk("c", 0, "market", lean=0.1)]},
    {"id": "d", "uri": "file:///d.txt", "title": "No vectors", "content":
     "A ferry note without chunks.", "language": "en", "file_type": "txt"},
]


def encode(model, text):
    assert model == MODEL
    return next(vector for word, vector in AXES.items() if word in text)


def texts(ids):
    return {chunk_id: f"text of {chunk_id}" for chunk_id in ids}


@pytest.fixture
def index(tmp_path):
    writer = open_index(tmp_path, write=True)
    writer.upsert([dict(doc) for doc in DOCS])
    writer.commit()
    writer.close()
    reader = open_index(tmp_path)
    yield reader
    reader.close()


def run(index, query, **options):
    return hybrid.search(index, query, encode=encode, texts=texts, **options)


def test_fusion_adds_reciprocal_ranks():
    fused = dict(fuse({"one": ["x", "y"], "two": ["y", "z"]}, k=60))
    assert fused["y"] == pytest.approx(1 / 62 + 1 / 61)
    assert fused["x"] == pytest.approx(1 / 61)
    assert [doc for doc, _ in fuse({"one": ["x", "y"], "two": ["y", "z"]})] == ["y", "x", "z"]


def test_vector_mode_finds_a_document_that_shares_no_word(index):
    assert run(index, "river", mode="keyword").count == 0
    found = run(index, "river", mode="vector")
    assert found.mode == "vector"
    top = found.results[0]
    assert top["id"] == "a" and top["title"] == "Ferry timetable"
    assert top["chunk"]["id"] == "a#1" and top["chunk"]["page"] == 2
    assert top["chunk"]["text"] == "text of a#1"
    assert top["score"] == pytest.approx(1.0, abs=1e-5)  # one list: the cosine


def test_hybrid_puts_documents_both_lists_rank_first(index):
    found = run(index, "ferry market", mode="hybrid")
    order = [hit["id"] for hit in found.results]
    # a: keyword and vector; c: vector only (market); b, d: keyword only
    assert order[0] == "a"
    assert set(order) == {"a", "b", "c", "d"}
    assert set(found.results[0]["ranks"]) == {"keyword", MODEL}
    only_keyword = next(hit for hit in found.results if hit["id"] == "d")
    assert only_keyword["chunk"] is None and only_keyword["highlights"]
    assert found.count == 4  # three keyword matches and one only the vectors found


def test_filters_apply_to_both_lists_and_facets_cover_the_union(index):
    found = run(index, "ferry market", mode="hybrid", filters={"language": ["en"]},
                facets=["language", "file_type"])
    assert {hit["id"] for hit in found.results} == {"a", "c", "d"}
    assert found.facets["language"] == [{"value": "en", "count": 3}]
    assert {b["value"]: b["count"] for b in found.facets["file_type"]} == {"txt": 2, "md": 1}
    vector = run(index, "market", mode="vector", filters={"file_type": ["txt"]})
    assert [hit["id"] for hit in vector.results][0] == "a"
    assert "c" not in {hit["id"] for hit in vector.results}


def test_paging_reaches_every_fused_result(index):
    whole = [hit["id"] for hit in run(index, "ferry market", mode="hybrid", top=10).results]
    pages = [hit["id"] for skip in range(4)
             for hit in run(index, "ferry market", mode="hybrid", top=1, offset=skip).results]
    assert pages == whole


def test_auto_mode_is_hybrid_with_vectors_and_words_else_keyword(index, tmp_path):
    assert run(index, "river").mode == "hybrid"
    assert run(index, "*").mode == "keyword"
    assert run(index, "ferry", sort="uri").mode == "keyword"


@pytest.mark.parametrize(("mode", "query", "options", "error", "words"), [
    ("semantic", "river", {}, SearchModeError, "unknown search mode"),
    ("vector", "river", {"sort": "uri"}, SearchModeError, "keyword mode"),
    ("hybrid", "*", {}, SearchModeError, "needs words"),
])
def test_modes_that_cannot_apply_say_why(index, mode, query, options, error, words):
    with pytest.raises(error, match=words) as caught:
        run(index, query, mode=mode, **options)
    assert caught.value.code == "E405"


def test_a_vector_mode_on_an_index_without_vectors_says_how_to_get_them(tmp_path):
    writer = open_index(tmp_path, write=True)
    writer.upsert([{k: v for k, v in DOCS[3].items()}])
    writer.commit()
    assert hybrid.search(writer, "ferry").mode == "keyword"
    with pytest.raises(NoVectorsError, match="embeddings skills") as caught:
        hybrid.search(writer, "ferry", mode="vector", encode=encode)
    assert caught.value.code == "E406"
    writer.close()


def test_a_query_vector_of_another_dimension_is_refused(index):
    with pytest.raises(VectorDimensionError, match="dimension 3"):
        hybrid.search(index, "river", mode="vector", encode=lambda model, text: [1, 0, 0])


def test_more_like_this_leaves_the_document_out(index):
    found = hybrid.similar(index, "c", texts=texts)
    ids = [hit["id"] for hit in found.results]
    assert "c" not in ids and ids[0] == "a"  # a's market chunk; b is a mountain
    assert found.results[0]["chunk"]["id"] == "a#0"
    with pytest.raises(NoVectorsError, match="'d' has no vectors"):
        hybrid.similar(index, "d")
    with pytest.raises(NoVectorsError):
        hybrid.similar(index, "missing")


def test_replacing_and_deleting_documents_changes_what_vectors_find(tmp_path):
    writer = open_index(tmp_path, write=True)
    writer.upsert([dict(doc) for doc in DOCS])
    writer.commit()
    writer.upsert([{**DOCS[0], CHUNKS_KEY: [chunk("a", 0, "kitchen")]}])
    writer.delete(["c"])
    writer.commit()
    market = {hit["id"]: hit["score"] for hit in hybrid.search(
        writer, "market", mode="vector", encode=encode).results}
    assert set(market) == {"a", "b"}  # c is gone
    assert market["a"] == pytest.approx(0.0, abs=1e-5)  # a's market chunk went with it
    kitchen = hybrid.search(writer, "kitchen", mode="vector", encode=encode).results[0]
    assert kitchen["id"] == "a" and kitchen["score"] == pytest.approx(1.0, abs=1e-5)
    writer.close()


def test_vectors_behind_the_text_index_make_a_writer_rebuild(tmp_path):
    from indexers.stores.vector_spaces import SPACES_DIR
    import shutil

    writer = open_index(tmp_path, write=True)
    writer.upsert([dict(doc) for doc in DOCS])
    writer.commit()
    writer.close()
    shutil.rmtree(tmp_path / "index" / SPACES_DIR)  # a crash, a copy cut short
    again = open_index(tmp_path, write=True)
    assert again.stale and "vectors" in again.stale
    with again.rebuild() as fresh:
        fresh.upsert([dict(doc) for doc in DOCS])
    assert hybrid.search(again, "river", mode="vector", encode=encode).results[0]["id"] == "a"
    again.close()


def test_a_space_committed_but_not_listed_makes_a_writer_rebuild(tmp_path):
    """A crash after a new model's first commit, before the state file named it: its
    folder must not be left behind with chunks no delete reaches."""
    from indexers.stores.vector_spaces import SPACES_DIR, space_slug
    from indexers.stores.vectors import VectorIndex

    writer = open_index(tmp_path, write=True)
    writer.upsert([dict(doc) for doc in DOCS])
    writer.commit()
    writer.close()
    orphan = VectorIndex(tmp_path / "index" / SPACES_DIR / space_slug("other-model"), 2,
                         write=True)
    orphan.add(["a#9"], [[1.0, 0.0]])
    orphan.commit()
    again = open_index(tmp_path, write=True)
    assert again.stale and "does not list" in again.stale
    with again.rebuild() as fresh:
        fresh.upsert([dict(doc) for doc in DOCS if doc["id"] != "a"])
    assert again.vector_models() == {MODEL: 4}
    assert "a" not in [hit["id"] for hit in hybrid.search(again, "river", mode="vector",
                                                          encode=encode).results]
    again.close()


def many(n, axis_of):
    """``n`` documents that all say "ferry", in two languages, one chunk each."""
    return [{"id": f"m{i}", "uri": f"file:///m{i}.txt", "title": f"note {i}",
             "content": "The ferry left." if i % 2 else "A ferry came in late.",
             "language": "en" if i % 3 else "de",
             CHUNKS_KEY: [chunk(f"m{i}", 0, axis_of(i), lean=i / 1000)]} for i in range(n)]


def test_count_and_facets_never_count_a_document_twice(tmp_path):
    """Keyword matches beyond the fetched window may also be vector finds: they are
    counted once (the union), whatever the window."""
    writer = open_index(tmp_path, write=True)
    docs = many(120, lambda i: "river")
    docs.append({"id": "x", "uri": "file:///x.txt", "title": "x", "content": "mountains",
                 "language": "en", CHUNKS_KEY: [chunk("x", 0, "river")]})
    writer.upsert(docs)
    writer.commit()
    keyword = hybrid.search(writer, "ferry", mode="keyword", facets=["language"])
    assert keyword.count == 120
    found = hybrid.search(writer, "ferry river", mode="hybrid", encode=encode,
                          facets=["language"], texts=texts)
    assert found.count == 121  # the 120 keyword matches and the one the vectors add
    assert sum(b["count"] for b in found.facets["language"]) == 121
    assert {b["value"]: b["count"] for b in found.facets["language"]} == {"en": 81, "de": 40}
    writer.close()


def test_a_narrow_or_broad_filter_finds_the_nearest_it_keeps(tmp_path):
    writer = open_index(tmp_path, write=True)
    docs = many(300, lambda i: "river" if i % 2 else "market")
    writer.upsert(docs)
    writer.commit()
    narrow = writer.vector_search(MODEL, AXES["market"], k=3,
                                  filters={"language": ["de"]})  # i % 3 == 0
    assert [hit["id"] for hit in narrow] and all(int(hit["id"][1:]) % 3 == 0 for hit in narrow)
    assert all(int(hit["id"][1:]) % 2 == 0 for hit in narrow)  # the market ones first
    broad = writer.vector_search(MODEL, AXES["river"], k=10, filters={"language": ["en"]})
    assert len(broad) == 10
    assert all(int(hit["id"][1:]) % 3 and int(hit["id"][1:]) % 2 for hit in broad)
    writer.close()


def test_a_query_using_the_syntax_is_a_keyword_search_in_auto_mode(index):
    assert run(index, "language:de").mode == "keyword"
    assert run(index, '"the ferry"').mode == "keyword"
    assert run(index, "ferry NOT quay").mode == "keyword"
    assert run(index, "what is a river?").mode == "hybrid"  # a question, not a wildcard
    assert [h["id"] for h in run(index, "ferry NOT quay").results] == \
        [h["id"] for h in index.search("ferry NOT quay").results]
    # asked for hybrid, its keyword list keeps the operators too
    assert hybrid.content_words("ferry NOT quay") == "ferry NOT quay"
    assert hybrid.content_words("the ferry to the quay") == "ferry quay"


def test_auto_mode_leaves_out_a_space_whose_query_model_is_missing(index):
    from skills.base import SkillUnavailable

    def missing(model, text):
        raise SkillUnavailable(f"model {model!r} is not here")
    found = hybrid.search(index, "river ferry", encode=missing)
    assert found.mode == "keyword" and [h["id"] for h in found.results]
    with pytest.raises(SkillUnavailable):
        hybrid.search(index, "river ferry", mode="hybrid", encode=missing)

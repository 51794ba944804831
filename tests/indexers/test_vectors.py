"""The embedded vector index (indexers/stores/vectors.py): recall against exact search,
add/replace/delete by document, commit and reopen, crashes between writes, errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from enrich.testing.vectors import clustered
from indexers.stores.base import ForeignIndexError, IndexMissingError, StoreError
from indexers.stores.vectors import (
    MANIFEST,
    VectorDimensionError,
    VectorIndex,
    VectorIndexBrokenError,
    VectorLayoutError,
    document_of,
)

DIM = 32


def _ids(n: int, per_doc: int = 5) -> list[str]:
    return [f"doc{i // per_doc}#{i % per_doc}" for i in range(n)]


@pytest.fixture
def filled(tmp_path):
    data, centres = clustered(500, DIM, seed=1, per_cluster=50, noise=0.15)
    index = VectorIndex(tmp_path / "v", DIM, write=True)
    index.add(_ids(500), data)
    return index, data, centres


def test_recall_against_exact_search(tmp_path, monkeypatch):
    from indexers.stores import vectors
    monkeypatch.setattr(vectors, "EXACT_SEARCH_LIMIT", 0)  # the graph, not a scan
    data, centres = clustered(5000, 64, seed=3, per_cluster=100, noise=0.1)
    queries, _ = clustered(50, 64, seed=4, centres=centres, noise=0.1)
    ids = _ids(5000)
    index = VectorIndex(tmp_path / "v", 64, write=True)
    index.add(ids, data)
    hits = 0
    for query in queries:
        exact = {ids[i] for i in np.argsort(-(data @ query))[:10]}
        found = index.search(query, 10)
        assert [s for _, s in found] == sorted((s for _, s in found), reverse=True)
        hits += len(exact & {chunk for chunk, _ in found})
    assert hits / (10 * len(queries)) >= 0.95


def test_a_small_space_finds_every_duplicate(tmp_path):
    """An HNSW graph of many equal vectors (a boilerplate chunk in every document) answers
    about half of them; a space this small is searched exactly: all, on every build."""
    index = VectorIndex(tmp_path / "v", 4, write=True)
    index.add([f"d{i}#0" for i in range(400)], np.ones((400, 4), dtype=np.float32))
    found = index.search(np.ones(4, dtype=np.float32), 400)
    assert len(found) == 400 and len({chunk for chunk, _ in found}) == 400


def test_scores_are_cosine_similarity(filled):
    index, data, _ = filled
    chunk, score = index.search(data[7] * 3.0, 1)[0]  # not normalised: normalised here
    assert chunk == "doc1#2" and score == pytest.approx(1.0, abs=1e-5)
    other = index.search(data[7], 2)[1]
    assert other[1] == pytest.approx(float(data[7] @ data[_ids(500).index(other[0])]), abs=1e-4)


def test_add_replaces_an_existing_id(filled):
    index, data, _ = filled
    index.add(["doc1#2"], data[400:401])
    assert index.count == 500
    assert {chunk for chunk, _ in index.search(data[400], 2)} == {"doc80#0", "doc1#2"}
    assert all(chunk != "doc1#2" for chunk, _ in index.search(data[7], 5))


def test_deleted_documents_never_come_back(tmp_path, filled):
    index, data, _ = filled
    assert index.delete_documents(["doc3", "doc4", "nothing"]) == 10
    assert index.count == 490 and "doc3" not in index.documents()
    gone = {document_of(c) for q in data[15:25] for c, _ in index.search(q, 50)}
    assert not gone & {"doc3", "doc4"}
    index.commit()
    reopened = VectorIndex(tmp_path / "v")
    gone = {document_of(c) for q in data[15:25] for c, _ in reopened.search(q, 50)}
    assert not gone & {"doc3", "doc4"} and reopened.count == 490
    # re-adding a document after its delete gives its new chunks only
    index.add(["doc3#0"], data[15:16])
    assert {c for c, _ in index.search(data[16], 500) if document_of(c) == "doc3"} == {"doc3#0"}


def test_documents_filter(filled):
    index, data, _ = filled
    found = index.search(data[0], 7, documents={"doc10", "doc20", "missing"})
    assert len(found) == 7 and {document_of(c) for c, _ in found} <= {"doc10", "doc20"}
    scores = [s for _, s in found]
    assert scores == sorted(scores, reverse=True)
    keep = [i for i, c in enumerate(_ids(500)) if document_of(c) in {"doc10", "doc20"}]
    best = _ids(500)[keep[int(np.argmax(data[keep] @ data[0]))]]
    assert found[0][0] == best
    assert index.search(data[0], 5, documents=set()) == []


def test_documents_filter_over_many_chunks_uses_the_graph(filled, monkeypatch):
    from indexers.stores import vectors
    monkeypatch.setattr(vectors, "EXACT_FILTER_LIMIT", 10)
    monkeypatch.setattr(vectors, "EXACT_SEARCH_LIMIT", 10)
    index, data, _ = filled
    wanted = {f"doc{i}" for i in range(0, 100, 2)}  # half of the documents
    found = index.search(data[1], 20, documents=wanted)
    assert len(found) == 20 and {document_of(c) for c, _ in found} <= wanted
    exact = sorted(((float(data[i] @ data[1]), c) for i, c in enumerate(_ids(500))
                    if document_of(c) in wanted), reverse=True)[:20]
    assert len({c for _, c in exact} & {c for c, _ in found}) >= 18


def test_commit_and_reopen(tmp_path, filled):
    index, data, _ = filled
    assert index.commit() == 1 and index.commit() == 1  # unchanged: same generation
    index.delete_documents(["doc0"])
    assert index.commit() == 2
    manifest = json.loads((tmp_path / "v" / MANIFEST).read_text())
    assert manifest | {"files": None} == {
        "library": "usearch", "format": 2, "metric": "cos", "dim": DIM, "count": 495,
        "generation": 2, "index_id": index.index_id, "files": None,
        "journal": ["journal-2.npz"], "journal_entries": 5}  # five chunks removed
    assert VectorIndex(tmp_path / "v", expansion_search=200)._graph.expansion_search == 200
    reopened = VectorIndex(tmp_path / "v", DIM)
    assert (reopened.count, reopened.generation, reopened.index_id) == (495, 2, index.index_id)
    assert reopened.search(data[9], 1)[0][0] == "doc1#4"
    # keys stay unique after reopening: a new chunk does not take an old one's key
    writer = VectorIndex(tmp_path / "v", DIM, write=True)
    writer.add(["new#0"], data[9:10] * -1)
    assert reopened.search(data[9], 1)[0][0] == "doc1#4"
    assert writer.search(-data[9], 1)[0][0] == "new#0"
    writer.commit()
    assert reopened.refresh() and reopened.count == 496 and not reopened.refresh()


def test_small_commits_append_a_journal_and_a_large_one_saves_a_base(tmp_path, filled,
                                                                     monkeypatch):
    import indexers.stores.vectors as vectors_module

    index, data, _ = filled
    for n in range(4):
        index.add([f"x#{n}"], data[n:n + 1])
        index.commit()

    def names():
        return sorted(p.name for p in (tmp_path / "v").iterdir())
    assert names() == [MANIFEST, "journal-2.npz", "journal-3.npz", "journal-4.npz",
                       "keys-1.npz", "vectors-1.usearch"]
    monkeypatch.setattr(vectors_module, "JOURNAL_MIN", 0)  # 25 % of the index: a base
    index.delete_documents(["doc0", "doc1", "doc2"] + [f"doc{n}" for n in range(3, 40)])
    index.commit()
    # the previous manifest's files stay one more commit, for a reader loading now
    assert "keys-5.npz" in names() and "journal-4.npz" in names()
    index.add(["y#0"], data[:1])
    index.commit()
    assert names() == [MANIFEST, "journal-6.npz", "keys-5.npz", "vectors-5.usearch"]
    assert VectorIndex(tmp_path / "v").count == index.count


def test_a_reader_replays_the_journal_to_what_the_writer_has(tmp_path, filled):
    index, data, _ = filled
    index.commit()
    reader = VectorIndex(tmp_path / "v")
    index.delete_documents(["doc0", "doc7"])
    index.add(["doc7#0", "new#0"], data[70:72] * -1, [{"page": 3}, {"page": 4}])
    index.commit()
    index.add(["new#0"], data[5:6])  # replaced in the next commit
    index.delete_documents(["doc9"])
    index.commit()
    assert reader.refresh() and reader.count == index.count
    assert reader.documents() == index.documents()
    for row in (data[3], -data[70], data[5], data[99]):
        assert reader.search(row, 5) == index.search(row, 5)
    assert reader.meta_of("doc7#0") == {"page": 3} and reader.meta_of("new#0") == {}
    assert VectorIndex(tmp_path / "v").count == index.count  # a fresh load agrees


def test_searches_and_a_refresh_on_other_threads_never_see_half_a_load(tmp_path, filled):
    import threading

    index, data, _ = filled
    index.commit()
    reader = VectorIndex(tmp_path / "v")
    errors: list[BaseException] = []
    stop = threading.Event()

    def search():
        while not stop.is_set():
            try:
                reader.search(data[1], 5)
                reader.search(data[2], 5, documents={"doc3", "doc4"})
            except BaseException as error:  # noqa: BLE001 - the test reports it
                errors.append(error)
                return
    threads = [threading.Thread(target=search) for _ in range(3)]
    for thread in threads:
        thread.start()
    for n in range(50):
        index.delete_documents([f"doc{n}"])
        index.add([f"doc{n}#0"], data[n:n + 1])
        index.commit()
        reader.refresh()
    stop.set()
    for thread in threads:
        thread.join()
    assert errors == []


def test_crash_before_the_manifest_leaves_the_previous_generation(tmp_path, filled):
    index, data, _ = filled
    index.commit()
    index.delete_documents(["doc0"])
    # a crash after the new files, before the manifest: generation 2's files, manifest 1
    index._graph.save(str(tmp_path / "v" / "vectors-2.usearch"))
    reopened = VectorIndex(tmp_path / "v", DIM, write=True)
    assert (reopened.generation, reopened.count, reopened.stale) == (1, 500, None)
    assert reopened.commit() == 1  # nothing changed: the caller compares generations
    reopened.add(["a#0"], data[:1])
    assert reopened.commit() == 2 and VectorIndex(tmp_path / "v").count == 501


def test_manifest_naming_missing_files_is_detected(tmp_path, filled):
    index, _, _ = filled
    index.commit()
    (tmp_path / "v" / "vectors-1.usearch").unlink()
    with pytest.raises(VectorIndexBrokenError, match="rebuild the vectors from the store"):
        VectorIndex(tmp_path / "v")
    writer = VectorIndex(tmp_path / "v", DIM, write=True)
    assert writer.stale and writer.count == 0 and writer.index_id != index.index_id
    (tmp_path / "v" / "keys-1.npz").write_bytes(b"not numpy")
    with pytest.raises(VectorIndexBrokenError):
        VectorIndex(tmp_path / "v")


def test_wrong_dimension_is_a_clear_error(filled, tmp_path):
    index, _, _ = filled
    with pytest.raises(VectorDimensionError, match="dimension 16 .* holds dimension 32") as error:
        index.search(np.ones(16, np.float32), 3)
    assert error.value.code == "E421" and isinstance(error.value, StoreError)
    with pytest.raises(VectorDimensionError):
        index.add(["z#0"], np.ones((1, 8), np.float32))
    index.commit()
    with pytest.raises(VectorLayoutError, match="dimension 32, not 384"):
        VectorIndex(tmp_path / "v", 384)


def test_another_library_or_a_foreign_folder_is_refused(tmp_path, filled):
    index, _, _ = filled
    index.commit()
    manifest = json.loads((tmp_path / "v" / MANIFEST).read_text())
    (tmp_path / "v" / MANIFEST).write_text(json.dumps({**manifest, "library": "faiss"}))
    with pytest.raises(VectorLayoutError, match="faiss"):
        VectorIndex(tmp_path / "v", DIM, write=True)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(ForeignIndexError):
        VectorIndex(tmp_path / "other", DIM, write=True)
    with pytest.raises(IndexMissingError):
        VectorIndex(tmp_path / "empty", DIM)

"""Whole answers are remembered per data generation: the same search is answered once
until a commit changes what the index or the store holds, graph answers and documents
while the store is unchanged (enrich/server/corpus.py: ``generation``, ``remember``)."""

from __future__ import annotations

import time
from collections import Counter

from fastapi.testclient import TestClient

from enrich.indexer import IndexOptions, run_index
from enrich.server import create_app
from enrich.server.corpus import REFRESH_SECONDS, Corpus, LruCache
from graph import KnowledgeGraph
from indexers.stores import hybrid

from .conftest import index, write_dictionary

LIGHT = {"skills": ["language"], "entities": []}


def test_the_same_search_is_answered_once_per_index_generation(tmp_path, monkeypatch):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("The ferry left the harbour at dawn.")
    (docs / "b.txt").write_text("Bread rose overnight in the kitchen.")
    options = IndexOptions(data_dir=str(tmp_path / "data"), workers=0, skillset=LIGHT)
    run_index(str(docs), options)
    calls = []
    real = hybrid.search
    monkeypatch.setattr(hybrid, "search", lambda *a, **k: calls.append(a[1]) or real(*a, **k))
    client = TestClient(create_app(tmp_path / "data"))
    client.get("/api/search", params={"q": "warm-up"})
    time.sleep(REFRESH_SECONDS + 0.1)  # the first refresh reads the generation
    first = client.get("/api/search", params={"q": "ferry"}).json()
    again = client.get("/api/search", params={"q": "ferry"}).json()
    assert first == again and first["count"] == 1
    assert calls.count("ferry") == 1  # the second came from the cache
    client.get("/api/search", params={"q": "ferry", "top": 5})
    assert calls.count("ferry") == 2  # other parameters: another answer
    (docs / "c.txt").write_text("A second ferry was late.")
    run_index(str(docs), options)  # a commit: a new generation
    time.sleep(REFRESH_SECONDS + 0.1)
    assert client.get("/api/search", params={"q": "ferry"}).json()["count"] == 2
    assert calls.count("ferry") == 3


def test_graph_answers_and_documents_are_remembered_while_the_store_is_unchanged(
        tmp_path, monkeypatch):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("Zorvex met Quilmar in Tesmira.")
    dictionary = write_dictionary(tmp_path / "names.csv")
    index(docs, tmp_path / "data", dictionary)
    made = Counter()
    for cls, name in ((KnowledgeGraph, "neighbors"), (KnowledgeGraph, "entity"),
                      (Corpus, "document")):
        real = getattr(cls, name)
        monkeypatch.setattr(cls, name, lambda *a, _real=real, _name=name, **k: (
            made.update([_name]), _real(*a, **k))[1])
    client = TestClient(create_app(tmp_path / "data"))

    def neighbours() -> set[str]:
        answer = client.get("/api/graph/neighbors", params={"entity": "Zorvex"})
        assert answer.status_code == 200, answer.text
        return {row["name"] for row in answer.json()["neighbors"]}

    assert neighbours() == neighbours() == {"Quilmar", "Tesmira"}
    assert made["neighbors"] == 1  # the second answer was remembered
    doc_id = client.get("/api/search", params={"q": "Zorvex"}).json()["results"][0]["id"]
    first = client.get(f"/api/documents/{doc_id}")
    assert first.content == client.get(f"/api/documents/{doc_id}").content
    assert made["document"] == 1
    assert client.get(f"/api/documents/{doc_id}", params={"tree": True}).json()["tree"]
    assert made["document"] == 2  # other parameters: another answer
    asked = made["entity"]
    for _ in range(2):  # an error is never remembered
        assert client.get("/api/graph/entity", params={"name": "Olvenko"}).status_code == 404
    assert made["entity"] == asked + 2

    (docs / "b.txt").write_text("Zorvex sold lanterns to Olvenko.")
    index(docs, tmp_path / "data", dictionary)  # a commit: the store's version changes
    assert neighbours() == {"Quilmar", "Tesmira", "Olvenko"}
    assert made["neighbors"] == 2
    assert client.get("/api/graph/entity", params={"name": "Olvenko"}).status_code == 200


def test_the_store_generation_changes_with_every_commit_and_with_no_read(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("The ferry left the harbour at dawn.")
    options = IndexOptions(data_dir=str(tmp_path / "data"), workers=0, skillset=LIGHT)
    corpus = Corpus(tmp_path / "data")
    assert corpus.generation() is None  # nothing written yet: nothing is remembered
    run_index(str(docs), options)
    before = corpus.generation()
    assert before is not None
    corpus.store().document_count()
    assert corpus.generation() == before  # reading changes nothing
    (docs / "b.txt").write_text("Bread rose overnight in the kitchen.")
    run_index(str(docs), options)
    assert corpus.generation() != before
    corpus.close()


def test_closing_forgets_the_answers_with_the_connection_their_stamps_came_from(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("The ferry left the harbour at dawn.")
    run_index(str(docs), IndexOptions(data_dir=str(tmp_path / "data"), workers=0,
                                      skillset=LIGHT))
    corpus = Corpus(tmp_path / "data")
    made = []

    def make() -> bytes:
        made.append(1)
        return b"answer"

    assert corpus.remember(("k",), make) == corpus.remember(("k",), make) == b"answer"
    assert len(made) == 1
    corpus.close()  # a new connection counts versions afresh: old answers cannot be told
    assert corpus.remember(("k",), make) == b"answer"
    assert len(made) == 2 and corpus.answers.used == len(b"answer")
    corpus.close()


def test_an_answer_larger_than_the_cache_is_not_kept_and_pushes_nothing_out():
    cache = LruCache(max_bytes=10)
    assert cache.get("small", lambda: b"1234") == b"1234"
    assert cache.get("big", lambda: b"x" * 11) == b"x" * 11
    assert cache.used == 4
    assert cache.get("small", lambda: b"made again") == b"1234"  # still remembered
    assert cache.get("big", lambda: b"made again") == b"made again"  # never kept

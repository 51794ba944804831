"""Search answers are cached per index generation: the same search is answered once
until a commit changes what the index holds (enrich/server/corpus.py)."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient

from enrich.indexer import IndexOptions, run_index
from enrich.server import create_app
from enrich.server.corpus import REFRESH_SECONDS
from indexers.stores import hybrid

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


def test_a_cached_answer_is_a_copy(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("The ferry left the harbour at dawn.")
    run_index(str(docs), IndexOptions(data_dir=str(tmp_path / "data"), workers=0,
                                      skillset=LIGHT))
    app = create_app(tmp_path / "data")
    corpus = app.state.corpus
    corpus.index()
    time.sleep(REFRESH_SECONDS + 0.1)
    found = corpus.search("ferry")
    found.results[0]["title"] = "changed by a caller"
    assert corpus.search("ferry").results[0]["title"] != "changed by a caller"

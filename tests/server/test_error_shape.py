"""Every 4xx and 5xx answer of the API has one JSON shape (after datasette's test).

``{"error": {"status": <the HTTP status>, "code": str, "message": str, "details": {}}}``:
exactly these keys, ``status`` equal to the response's, ``application/json``, a
non-empty message, ``details`` always an object. Requests that fail in every way the
server knows of: unknown routes and methods, bad parameters and queries, unknown
documents, images, entities and runs, missing keys, large bodies, no index yet, and
an unexpected exception.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from enrich.server import create_app
from enrich.server.corpus import Corpus
from tests.server.conftest import API_KEY, error_of

HARBOUR, NOTES, GONE = "{harbour.pdf}", "{notes.md}", "{gone.txt}"

# (id, app, method, url, request keyword arguments, status, code)
CASES = [
    ("unknown-route", "plain", "GET", "/api/nowhere", {}, 404, "not_found"),
    ("unknown-route-outside-api", "plain", "GET", "/nowhere/at/all", {}, 404, "not_found"),
    ("unknown-static-file", "plain", "GET", "/static/nope.js", {}, 404, "not_found"),
    ("unknown-route-under-a-document", "plain", "GET", f"/api/documents/{HARBOUR}/nope", {},
     404, "not_found"),
    ("post-search", "plain", "POST", "/api/search", {}, 405, "method_not_allowed"),
    ("delete-document", "plain", "DELETE", f"/api/documents/{HARBOUR}", {}, 405,
     "method_not_allowed"),
    ("get-login", "plain", "GET", "/api/login", {}, 405, "method_not_allowed"),
    ("put-logout", "plain", "PUT", "/api/logout", {}, 405, "method_not_allowed"),
    ("bad-query", "plain", "GET", "/api/search", {"params": {"q": 'nike "unclosed', "syntax": "strict"}}, 400,
     "bad_query"),
    ("bad-query-in-graph-search", "plain", "GET", "/api/graph/search",
     {"params": {"q": "lighthouse AND (", "syntax": "strict"}}, 400, "bad_query"),
    ("empty-field-in-query", "plain", "GET", "/api/search", {"params": {"q": "people:", "syntax": "strict"}}, 400,
     "bad_query"),
    ("unknown-query-syntax", "plain", "GET", "/api/search", {"params": {"syntax": "loose"}},
     400, "invalid_parameter"),
    ("unknown-facet-field", "plain", "GET", "/api/search", {"params": {"facet": "title"}}, 400,
     "invalid_parameter"),
    ("filter-without-colon", "plain", "GET", "/api/search", {"params": {"filter": "Zorvex"}},
     400, "invalid_parameter"),
    ("filter-unknown-field", "plain", "GET", "/api/search",
     {"params": {"filter": "content:Zorvex"}}, 400, "invalid_parameter"),
    ("filter-without-value", "plain", "GET", "/api/search", {"params": {"filter": "people:"}},
     400, "invalid_parameter"),
    ("filter-too-long", "plain", "GET", "/api/search",
     {"params": {"filter": "people:" + "x" * 501}}, 400, "invalid_parameter"),
    ("unknown-sort", "plain", "GET", "/api/search", {"params": {"sort": "title"}}, 400,
     "invalid_parameter"),
    ("top-not-a-number", "plain", "GET", "/api/search", {"params": {"top": "ten"}}, 400,
     "invalid_parameter"),
    ("top-too-large", "plain", "GET", "/api/search", {"params": {"top": 101}}, 400,
     "invalid_parameter"),
    ("query-too-long", "plain", "GET", "/api/search", {"params": {"q": "q" * 1001}}, 400,
     "invalid_parameter"),
    ("tree-not-a-boolean", "plain", "GET", f"/api/documents/{HARBOUR}",
     {"params": {"tree": "maybe"}}, 400, "invalid_parameter"),
    ("unknown-document", "plain", "GET", "/api/documents/" + "0" * 32, {}, 404, "not_found"),
    ("unknown-document-file", "plain", "GET", "/api/documents/" + "0" * 32 + "/file", {}, 404,
     "not_found"),
    ("malformed-document-id", "plain", "GET", "/api/documents/%2e%2e", {}, 400,
     "invalid_parameter"),
    ("unknown-image", "plain", "GET", f"/api/documents/{HARBOUR}/images/p7-i7", {}, 404,
     "not_found"),
    ("unknown-image-thumbnail", "plain", "GET", f"/api/documents/{HARBOUR}/images/p7-i7/thumbnail",
     {}, 404, "not_found"),
    ("image-of-an-unknown-document", "plain", "GET", "/api/documents/abc/images/p1-i0", {}, 404,
     "not_found"),
    ("thumbnail-too-large", "plain", "GET", f"/api/documents/{HARBOUR}/images/p1-i0/thumbnail",
     {"params": {"size": 1000}}, 400, "invalid_parameter"),
    ("unknown-page", "plain", "GET", f"/api/documents/{HARBOUR}/pages/9/image", {}, 404,
     "not_found"),
    ("page-of-a-non-pdf", "plain", "GET", f"/api/documents/{NOTES}/pages/1/image", {}, 404,
     "not_found"),
    ("page-width-too-large", "plain", "GET", f"/api/documents/{HARBOUR}/pages/1/image",
     {"params": {"width": 5000}}, 400, "invalid_parameter"),
    ("file-gone", "plain", "GET", f"/api/documents/{GONE}/file", {}, 410, "file_gone"),
    ("unknown-entity", "plain", "GET", "/api/graph/entity", {"params": {"name": "Zorvx"}}, 404,
     "entity_not_found"),
    ("unknown-entity-neighbors", "plain", "GET", "/api/graph/neighbors",
     {"params": {"entity": "Nobody Atall"}}, 404, "entity_not_found"),
    ("unknown-entity-ego", "plain", "GET", "/api/graph/ego", {"params": {"entity": "Qilmar"}},
     404, "entity_not_found"),
    ("unknown-entity-evidence", "plain", "GET", "/api/graph/evidence",
     {"params": {"a": "Zorvex", "b": "Nobody"}}, 404, "entity_not_found"),
    ("ambiguous-entity", "plain", "GET", "/api/graph/entity", {"params": {"name": "Vantor"}},
     400, "ambiguous_entity"),
    ("ambiguous-entity-neighbors", "plain", "GET", "/api/graph/neighbors",
     {"params": {"entity": "vantor"}}, 400, "ambiguous_entity"),
    ("same-entity-twice", "plain", "GET", "/api/graph/evidence",
     {"params": {"a": "Zorvex", "b": "PERSON:zorvex"}}, 400, "invalid_parameter"),
    ("unknown-scope", "plain", "GET", "/api/graph/neighbors",
     {"params": {"entity": "Zorvex", "scope": "chapter"}}, 400, "invalid_parameter"),
    ("unknown-rank", "plain", "GET", "/api/graph/ego",
     {"params": {"entity": "Zorvex", "rank": "pagerank"}}, 400, "invalid_parameter"),
    ("radius-too-large", "plain", "GET", "/api/graph/ego",
     {"params": {"entity": "Zorvex", "radius": 3}}, 400, "invalid_parameter"),
    ("missing-entity-neighbors", "plain", "GET", "/api/graph/neighbors", {}, 400,
     "invalid_parameter"),
    ("missing-entity-ego", "plain", "GET", "/api/graph/ego", {}, 400, "invalid_parameter"),
    ("missing-name-entity", "plain", "GET", "/api/graph/entity", {}, 400, "invalid_parameter"),
    ("empty-entity", "plain", "GET", "/api/graph/neighbors", {"params": {"entity": ""}}, 400,
     "invalid_parameter"),
    ("missing-b-evidence", "plain", "GET", "/api/graph/evidence", {"params": {"a": "Zorvex"}},
     400, "invalid_parameter"),
    ("unknown-run", "plain", "GET", "/api/runs/20000101T000000-000000", {}, 404, "not_found"),
    ("malformed-run-id", "plain", "GET", "/api/runs/a%00b", {}, 400, "invalid_parameter"),
    ("runs-limit-too-large", "plain", "GET", "/api/runs", {"params": {"limit": 1000}}, 400,
     "invalid_parameter"),
    ("login-body-not-json", "plain", "POST", "/api/login",
     {"content": b"key=abc", "headers": {"Content-Type": "application/json"}}, 400,
     "invalid_parameter"),
    ("login-without-key", "plain", "POST", "/api/login", {"json": {}}, 400,
     "invalid_parameter"),
    ("no-key", "keyed", "GET", "/api/search", {}, 401, "unauthorized"),
    ("no-key-document", "keyed", "GET", f"/api/documents/{HARBOUR}", {}, 401, "unauthorized"),
    ("no-key-file", "keyed", "GET", f"/api/documents/{HARBOUR}/file", {}, 401, "unauthorized"),
    ("no-key-metrics", "keyed", "GET", "/metrics", {}, 401, "unauthorized"),
    ("wrong-key", "keyed", "GET", "/api/status", {"headers": {"X-API-Key": "nope"}}, 401,
     "unauthorized"),
    ("wrong-key-at-login", "keyed", "POST", "/api/login", {"json": {"key": "nope"}}, 401,
     "unauthorized"),
    ("no-key-on-an-unknown-document", "keyed", "GET", "/api/documents/" + "0" * 32, {}, 401,
     "unauthorized"),
    ("body-too-large", "keyed", "POST", "/api/login",
     {"content": b'{"key": "' + b"k" * 20_000 + b'"}',
      "headers": {"Content-Type": "application/json"}}, 413, "payload_too_large"),
    ("body-without-length", "keyed", "POST", "/api/login",
     {"content": iter([b'{"key": "k"}']), "headers": {"Content-Type": "application/json"}},
     411, "length_required"),
    ("no-index-search", "empty", "GET", "/api/search", {}, 503, "no_index"),
    ("no-index-health", "empty", "GET", "/api/health", {}, 503, "no_index"),
    ("no-index-document", "empty", "GET", "/api/documents/" + "0" * 32, {}, 503, "no_index"),
    ("no-index-suggest", "empty", "GET", "/api/suggest", {"params": {"q": "zor"}}, 503,
     "no_index"),
    ("no-index-graph", "empty", "GET", "/api/graph/ego", {"params": {"entity": "Zorvex"}}, 503,
     "no_index"),
    ("no-index-status", "empty", "GET", "/api/status", {}, 503, "no_index"),
    ("no-index-runs", "empty", "GET", "/api/runs", {}, 503, "no_index"),
]


@pytest.fixture(scope="module")
def apps(indexed, keyed_app, tmp_path_factory):
    """Clients by name: plain, keyed (API_KEY required), empty (nothing indexed)."""
    empty = tmp_path_factory.mktemp("empty-data")
    with TestClient(create_app(indexed.data)) as plain, TestClient(keyed_app) as keyed, \
            TestClient(create_app(empty)) as nothing:
        yield {"plain": plain, "keyed": keyed, "empty": nothing}


def resolve(url: str, indexed) -> str:
    for name, doc_id in indexed.ids.items():
        url = url.replace("{" + name + "}", doc_id)
    return url


@pytest.mark.parametrize("app, method, url, kwargs, status, code",
                         [pytest.param(*case[1:], id=case[0]) for case in CASES])
def test_error_shape(apps, indexed, app, method, url, kwargs, status, code):
    response = apps[app].request(method, resolve(url, indexed), **kwargs)
    assert response.status_code == status, response.text
    error = error_of(response)
    assert error == {"status": status, "code": code, "message": error["message"],
                     "details": error["details"]}


def test_bad_query_points_at_the_problem(apps):
    for q, position in [('nike "unclosed', 5), ("lighthouse AND (", 15), ("(", 0)]:
        error = error_of(apps["plain"].get("/api/search", params={"q": q, "syntax": "strict"}))
        assert error["code"] == "bad_query"
        assert error["details"]["parameter"] == "q"
        assert isinstance(error["details"]["position"], int)
        assert error["details"]["position"] == position, (q, error)
        assert q[position] in "\"(", (q, position)
        assert apps["plain"].get("/api/search", params={"q": q}).status_code == 200  # lenient


def test_invalid_parameter_details_name_the_parameter_and_reason(apps, indexed):
    plain = apps["plain"]
    for url, params, parameter in [("/api/search", {"top": "ten"}, "top"),
                                   ("/api/search", {"filter": "Zorvex"}, "filter"),
                                   ("/api/graph/neighbors", {}, "entity"),
                                   ("/api/graph/evidence", {"a": "Zorvex"}, "b"),
                                   ("/api/graph/ego", {"entity": "Zorvex", "radius": 9},
                                    "radius")]:
        details = error_of(plain.get(url, params=params))["details"]
        assert details["parameter"] == parameter, (url, details)
        assert isinstance(details["reason"], str) and details["reason"], (url, details)


def test_unknown_facet_field_names_the_facet_parameter(apps):
    details = error_of(apps["plain"].get("/api/search", params={"facet": "title"}))["details"]
    assert details["parameter"].split(".")[0] == "facet"


def test_unknown_entity_details_list_suggestions(apps):
    error = error_of(apps["plain"].get("/api/graph/entity", params={"name": "Zorvx"}))
    suggestions = error["details"]["suggestions"]
    assert isinstance(suggestions, list) and suggestions
    assert suggestions[0]["key"] == "PERSON:zorvex"
    assert "Zorvex" in error["message"]
    nothing = error_of(apps["plain"].get("/api/graph/entity", params={"name": "Xyzzyq Pflugh"}))
    assert nothing["details"]["suggestions"] == []


def test_ambiguous_entity_details_list_candidates(apps):
    error = error_of(apps["plain"].get("/api/graph/entity", params={"name": "Vantor"}))
    candidates = error["details"]["candidates"]
    assert sorted(c["key"] for c in candidates) == ["ORG:vantor", "PERSON:vantor"]
    assert all({"name", "type", "documents"} <= set(c) for c in candidates)


def test_a_401_says_how_to_send_the_key(apps):
    response = apps["keyed"].get("/api/search")
    error = error_of(response)
    assert "Bearer" in error["message"] and API_KEY not in response.text
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("method, url, broken", [
    ("GET", f"/api/documents/{NOTES}", "document"),
    ("GET", f"/api/documents/{HARBOUR}/file", "original"),
    ("GET", "/api/search", "index"),
    ("GET", "/api/graph/ego?entity=Zorvex", "graph"),
    ("GET", "/api/status", "store"),
])
def test_an_unexpected_exception_is_a_500_with_the_shape(indexed, monkeypatch, method, url,
                                                         broken):
    def explode(self, *args, **kwargs):
        raise RuntimeError("secret internals /etc/shadow")

    monkeypatch.setattr(Corpus, broken, explode)
    with TestClient(create_app(indexed.data), raise_server_exceptions=False) as client:
        response = client.request(method, resolve(url, indexed))
        error = error_of(response)
        assert (error["status"], error["code"]) == (500, "internal_error")
        assert "secret internals" not in response.text and "/etc/shadow" not in response.text
        metrics = client.get("/metrics").text if broken != "store" else ""
    if metrics:
        assert ',status="500"}' in metrics


def test_a_refused_cors_preflight_has_the_error_shape(indexed):
    """API.md: *every* 4xx answer is JSON of the one shape, CORS refusals included."""
    app = create_app(indexed.data, cors_origins=["https://a.example"])
    with TestClient(app) as client:
        response = client.options("/api/search", headers={
            "Origin": "https://b.example", "Access-Control-Request-Method": "GET"})
    assert response.status_code == 400
    error_of(response)

"""The review queue and corrections over HTTP: the queue, writes that every read shows
at once (graph, documents, search facets), undo, and the errors of a write."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from enrich.server import create_app
from enrich.testing.review_corpus import review_store
from indexers.stores import DataDir
from indexers.stores.sqlite_graph_read import FACET_FIELDS

from .conftest import error_of

JSON = {"Content-Type": "application/json"}


@pytest.fixture
def corpus(tmp_path):
    """A small invented corpus with its search index; what was planted in it."""
    data = tmp_path / "data"
    planted = review_store(data, documents=40, index=True)
    return data, planted


@pytest.fixture
def client(corpus):
    with TestClient(create_app(corpus[0], local_user="reviewer")) as test_client:
        yield test_client


def _key(client, name: str) -> str:
    found = client.get("/api/graph/entity", params={"name": name})
    assert found.status_code == 200, found.text
    return found.json()["key"]


def test_the_queue_lists_items_by_score_with_signals_suggestions_and_evidence(client):
    answer = client.get("/api/review", params={"limit": 30})
    assert answer.status_code == 200
    body = answer.json()
    assert body["user"] == {"name": "reviewer", "role": "write", "can_write": True}
    assert "PERSON" in body["types"] and "ORG" in body["types"]
    items = body["items"]
    assert body["count"] == len(items) == 30
    scores = [item["score"] for item in items]
    assert scores == sorted(scores, reverse=True) and scores[0] > 0
    for item in items:
        assert item["signals"] and all(0 < s["value"] <= 1 for s in item["signals"])
        assert item["suggestion"]["entity"] == item["key"]
        assert item["evidence"], item["key"]
        if item["kind"] == "entity":
            names = set(client.get("/api/graph/entity", params={"name": item["key"]})
                        .json()["names"])
        else:
            names = {item["name"]}
        for ev in item["evidence"]:  # the mention, in its sentence
            assert any(ev["text"] in name for name in names), (ev, names)  # or a short form
            assert ev["title"].startswith("Dispatch")
            assert ev["after"].endswith(".") and not ev["before"].startswith(" ")


def test_a_merge_shows_at_once_everywhere_and_undo_brings_it_back(client, corpus):
    _, planted = corpus
    items = client.get("/api/review", params={"limit": 200}).json()["items"]
    twin = next(i for i in items if i["suggestion"]["op"] == "merge")
    target = twin["suggestion"]["into"]
    before = client.get("/api/graph/entity", params={"name": target}).json()
    answer = client.post("/api/corrections", json=twin["suggestion"])
    assert answer.status_code == 201, answer.text
    row = answer.json()["corrections"][0]
    assert (row["op"], row["entity"], row["value"], row["who"]) == (
        "merge", twin["key"], target, "reviewer")
    # the graph, the queue and the list of corrections show it at once
    moved = client.get("/api/graph/entity", params={"name": twin["key"]}).json()
    assert moved["key"] == target  # the merged key finds where its mentions went
    after = client.get("/api/graph/entity", params={"name": target}).json()
    assert after["mentions"] == before["mentions"] + twin["mentions"]
    keys = {i["key"] for i in client.get("/api/review", params={"limit": 200}).json()["items"]}
    assert twin["key"] not in keys and target not in keys
    listed = client.get("/api/corrections").json()["corrections"]
    assert [c["id"] for c in listed] == [row["id"]]
    # undo: the entity is back, the correction stays, inactive
    undone = client.post(f"/api/corrections/{row['id']}/undo", json={})
    assert undone.status_code == 200, undone.text
    assert undone.json()["correction"]["undone_at"]
    assert client.get("/api/graph/entity", params={"name": twin["key"]}).json()["key"] == \
        twin["key"]
    assert client.get("/api/corrections", params={"active": True}).json()["corrections"] == []
    assert len(client.get("/api/corrections", params={"active": False}).json()["corrections"]) == 1


def test_a_retype_changes_the_search_facets_at_once(client, corpus):
    _, planted = corpus
    name = next(n for n, t in planted.names.items() if t == "GPE" and
                client.get("/api/graph/entity", params={"name": n}).status_code == 200)
    key = _key(client, name)
    assert key.startswith("GPE:")
    where = {"filter": f"{FACET_FIELDS['GPE']}:{name}", "top": 0}
    count = client.get("/api/search", params=where).json()["count"]
    assert count > 0
    answer = client.post("/api/corrections", json={"op": "retype", "entity": key,
                                                   "type": "PERSON", "reason": "a person"})
    assert answer.status_code == 201, answer.text
    assert _key(client, name) == "PERSON:" + key.split(":", 1)[1]
    assert client.get("/api/search", params=where).json()["count"] == 0
    people = client.get("/api/search", params={"filter": f"people:{name}", "top": 0}).json()
    assert people["count"] == count
    doc = client.get("/api/search", params={"filter": f"people:{name}", "top": 1}).json()
    entities = client.get(f"/api/documents/{doc['results'][0]['id']}").json()["entities"]
    assert {e["type"] for e in entities if e["name"] == name} == {"PERSON"}


def test_a_list_is_all_or_nothing(client):
    items = client.get("/api/review", params={"limit": 5}).json()["items"]
    before = client.get("/api/graph/entity", params={"name": items[0]["key"]}).json()
    answer = client.post("/api/corrections", json=[
        {"op": "retype", "entity": items[0]["key"], "type": "EVENT"},
        {"op": "merge", "entity": items[1]["key"], "into": items[1]["key"]}])
    error = error_of(answer)
    assert (error["status"], error["code"]) == (400, "invalid_correction")
    assert "correction 2" in error["message"] and "itself" in error["message"]
    assert client.get("/api/graph/entity", params={"name": items[0]["key"]}).json() == before
    assert client.get("/api/corrections").json()["corrections"] == []


@pytest.mark.parametrize("body, status, code", [
    ({"op": "explode", "entity": "ORG:x"}, 400, "invalid_correction"),
    ({"op": "retype", "entity": "ORG:nothing like it", "type": "GPE"}, 404, "entity_not_found"),
    ({"entity": "ORG:x"}, 400, "invalid_correction"),
    ([], 400, "invalid_parameter"),
    ("reject", 400, "invalid_parameter"),
])
def test_bad_corrections_change_nothing(client, body, status, code):
    error = error_of(client.post("/api/corrections", json=body))
    assert (error["status"], error["code"]) == (status, code)
    assert client.get("/api/corrections").json()["corrections"] == []


def test_undo_of_an_unknown_correction_is_404(client):
    error = error_of(client.post("/api/corrections/99/undo", json={}))
    assert (error["status"], error["code"]) == (404, "not_found")


def test_writes_need_a_json_body(client):
    items = client.get("/api/review", params={"limit": 1}).json()["items"]
    text = '{"op": "accept", "entity": "%s"}' % items[0]["key"]
    for kind in ("text/plain", "application/x-www-form-urlencoded", None):
        headers = {"Content-Type": kind} if kind else {}
        error = error_of(client.post("/api/corrections", content=text, headers=headers))
        assert (error["status"], error["code"]) == (415, "unsupported_media_type")
    assert error_of(client.post("/api/corrections/1/undo"))["status"] == 415
    assert client.post("/api/corrections", content=text, headers=JSON).status_code == 201


def test_a_write_during_an_index_run_is_409_and_changes_nothing(client, corpus):
    key = client.get("/api/review", params={"limit": 1}).json()["items"][0]["key"]
    with DataDir(corpus[0]).locked():
        error = error_of(client.post("/api/corrections", json={"op": "accept", "entity": key}))
    assert (error["status"], error["code"]) == (409, "busy")
    assert client.get("/api/corrections").json()["corrections"] == []


def test_an_accepted_entity_leaves_the_queue(client):
    first = client.get("/api/review", params={"limit": 3}).json()["items"][0]
    assert client.post("/api/corrections", json={"op": "accept",
                                                 "entity": first["key"]}).status_code == 201
    keys = [i["key"] for i in client.get("/api/review", params={"limit": 3}).json()["items"]]
    assert first["key"] not in keys

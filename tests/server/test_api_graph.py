"""The JSON API of `enrich serve`, in process, over the corpus of conftest.py: the graph routes.

Every expected value is worked out from how the corpus was built (which names are
in which file), not read back from the server.
"""

from __future__ import annotations

import pytest

from tests.server.api_helpers import ALL, get
from tests.server.conftest import error_of


# --- graph ---------------------------------------------------------------------

def test_entity_card(client):
    card = get(client, "/api/graph/entity", name="quilmar")
    assert {k: card[k] for k in ("key", "name", "type", "documents", "mentions")} == {
        "key": "PERSON:quilmar", "name": "Quilmar", "type": "PERSON", "documents": 3,
        "mentions": 3}
    assert card["names"] == {"Quilmar": 3}
    assert {"description", "aliases", "acronyms", "labels"} <= set(card)
    by_key = get(client, "/api/graph/entity", name="PERSON:zorvex")
    assert (by_key["documents"], by_key["mentions"]) == (2, 3)


def test_entity_kind_picks_one_of_an_ambiguous_name(client):
    assert get(client, "/api/graph/entity", name="Vantor", kind="ORG")["key"] == "ORG:vantor"
    assert get(client, "/api/graph/entity", name="Vantor", kind="PERSON")["name"] == "Vantor"
    error = error_of(client.get("/api/graph/entity", params={"name": "Vantor"}))
    assert (error["status"], error["code"]) == (400, "ambiguous_entity")
    assert {c["key"] for c in error["details"]["candidates"]} == {"ORG:vantor", "PERSON:vantor"}
    assert "'ORG:vantor'" in error["message"] and "key" in error["message"]
    for url, params in (("/api/graph/neighbors", {"entity": "Vantor"}),
                        ("/api/graph/ego", {"entity": "Vantor"})):
        assert error_of(client.get(url, params=params))["code"] == "ambiguous_entity"
        params["entity"] = "ORG:vantor"  # the key the error offers settles it
        assert client.get(url, params=params).status_code == 200


def test_unknown_entity_suggests_near_names(client):
    error = error_of(client.get("/api/graph/entity", params={"name": "Zorvx"}))
    assert (error["status"], error["code"]) == (404, "entity_not_found")
    assert [s["key"] for s in error["details"]["suggestions"]][:1] == ["PERSON:zorvex"]


def test_neighbors_by_count(client):
    found = get(client, "/api/graph/neighbors", entity="Zorvex")
    assert found["entity"]["key"] == "PERSON:zorvex"
    assert (found["scope"], found["rank"]) == ("document", "count")
    assert [(n["key"], n["count"], n["documents"]) for n in found["neighbors"]] == [
        ("PERSON:quilmar", 2, 2), ("GPE:tesmira", 1, 1), ("ORG:brantis", 1, 1)]  # ties: key
    assert all({"name", "type", "npmi", "llr"} <= set(n) for n in found["neighbors"])


@pytest.mark.parametrize("rank", ["count", "npmi", "llr"])
def test_neighbors_are_ordered_by_the_rank_asked(client, rank):
    found = get(client, "/api/graph/neighbors", entity="Quilmar", rank=rank)
    assert found["rank"] == rank
    values = [n[rank] for n in found["neighbors"]]
    assert values == sorted(values, reverse=True)
    assert {n["key"] for n in found["neighbors"]} == {"PERSON:zorvex", "GPE:tesmira",
                                                      "ORG:brantis", "ORG:olvenko"}


def test_npmi_ranks_a_rare_exclusive_partner_above_a_common_one(client):
    # Zorvex meets Tesmira (2 documents) and Brantis (1 document) once each:
    # tied by count (then key), but Brantis is the stronger association.
    by_count = [n["key"] for n in get(client, "/api/graph/neighbors", entity="Zorvex")[
        "neighbors"]]
    by_npmi = [n["key"] for n in get(client, "/api/graph/neighbors", entity="Zorvex",
                                     rank="npmi")["neighbors"]]
    assert by_count == ["PERSON:quilmar", "GPE:tesmira", "ORG:brantis"]
    assert by_npmi == ["PERSON:quilmar", "ORG:brantis", "GPE:tesmira"]


def test_neighbors_scope_kind_limit_and_min_count(client):
    sentence = get(client, "/api/graph/neighbors", entity="Zorvex", scope="sentence")
    assert sentence["scope"] == "sentence"
    assert {n["key"] for n in sentence["neighbors"]} == {"PERSON:quilmar", "GPE:tesmira"}
    kind = get(client, "/api/graph/neighbors", entity="Zorvex", kind="ORG,GPE")
    assert [n["key"] for n in kind["neighbors"]] == ["GPE:tesmira", "ORG:brantis"]
    assert len(get(client, "/api/graph/neighbors", entity="Zorvex", limit=1)["neighbors"]) == 1
    assert [n["key"] for n in get(client, "/api/graph/neighbors", entity="Zorvex",
                                  min_count=2)["neighbors"]] == ["PERSON:quilmar"]


def test_evidence_lists_the_documents_where_two_entities_meet(client, indexed):
    found = get(client, "/api/graph/evidence", a="Zorvex", b="Quilmar")
    assert (found["a"]["key"], found["b"]["key"]) == ("PERSON:zorvex", "PERSON:quilmar")
    assert found["scopes"]["document"]["count"] == 2
    assert found["scopes"]["document"]["documents"] == 2
    assert found["scopes"]["sentence"]["count"] == 2
    uris = sorted(e["uri"] for e in found["evidence"])
    assert uris == [indexed.uri("again.pdf"), indexed.uri("harbour.pdf")]
    for item in found["evidence"]:
        assert item["pages"] == [1]
        assert any("Zorvex met Quilmar" in s["text"] for s in item["snippets"])
        assert {"title", "images", "sentences"} <= set(item)


def test_evidence_items_are_identified_by_id(client, indexed):
    """API.md: evidence items are {"id", "uri", "title", "pages", "images", ...}."""
    found = get(client, "/api/graph/evidence", a="Zorvex", b="Quilmar")
    by_uri = {indexed.uri(name): doc_id for name, doc_id in indexed.ids.items()}
    for item in found["evidence"]:
        assert item.get("id") == by_uri[item["uri"]], sorted(item)


def test_evidence_of_one_entity_with_itself_is_refused(client):
    error = error_of(client.get("/api/graph/evidence", params={"a": "Zorvex", "b": "zorvex"}))
    assert (error["status"], error["code"]) == (400, "invalid_parameter")


def edges_are_among_nodes(graph: dict) -> set[str]:
    nodes = {n["id"] for n in graph["nodes"]}
    assert len(nodes) == len(graph["nodes"])  # no node twice
    for edge in graph["edges"]:
        assert edge["source"] in nodes and edge["target"] in nodes, edge
        assert edge["source"] != edge["target"]
    pairs = [frozenset((e["source"], e["target"])) for e in graph["edges"]]
    assert len(pairs) == len(set(pairs))
    return nodes


def test_ego_graph(client):
    ego = get(client, "/api/graph/ego", entity="Zorvex")
    assert ego["center"] == "PERSON:zorvex" and ego["scope"] == "document"
    nodes = edges_are_among_nodes(ego)
    assert nodes == {"PERSON:zorvex", "PERSON:quilmar", "GPE:tesmira", "ORG:brantis"}
    edges = {frozenset((e["source"], e["target"])): e for e in ego["edges"]}
    assert len(edges) == 6  # the four all met in harbour.pdf
    assert edges[frozenset(("PERSON:zorvex", "PERSON:quilmar"))]["count"] == 2
    zorvex = next(n for n in ego["nodes"] if n["id"] == "PERSON:zorvex")
    assert (zorvex["name"], zorvex["type"], zorvex["documents"], zorvex["mentions"]) == (
        "Zorvex", "PERSON", 2, 3)


def test_ego_graph_radius_two_reaches_neighbours_of_neighbours(client):
    ego = get(client, "/api/graph/ego", entity="Zorvex", radius=2, limit=14)
    nodes = edges_are_among_nodes(ego)
    assert nodes == {"PERSON:zorvex", "PERSON:quilmar", "GPE:tesmira", "ORG:brantis",
                     "ORG:olvenko"}
    assert edges_are_among_nodes(get(client, "/api/graph/ego", entity="Zorvex", limit=1)) == {
        "PERSON:zorvex", "PERSON:quilmar"}


def test_graph_of_a_search(client):
    found = get(client, "/api/graph/search", q="lighthouse")
    assert found["matches"] == 3 and found["count"] == 3
    nodes = edges_are_among_nodes(found)
    assert nodes == {"PERSON:zorvex", "PERSON:quilmar", "PERSON:vantor", "PERSON:ulvane"}
    assert all(1 <= n["hits"] <= found["matches"] for n in found["nodes"])
    assert all(1 <= e["hits"] <= found["matches"] for e in found["edges"])
    edge, = found["edges"]
    assert {edge["source"], edge["target"]} == {"PERSON:zorvex", "PERSON:quilmar"}
    assert edge["count"] == 2  # corpus-wide, not only in the matches (hits: 1)
    assert edge["hits"] == 1


def test_graph_of_a_search_narrowed_by_a_filter(client):
    everything = get(client, "/api/graph/search", limit=200)
    assert everything["matches"] == len(ALL)
    narrowed = get(client, "/api/graph/search", q="lighthouse", filter="people:Zorvex")
    assert narrowed["matches"] == 1
    assert {n["id"] for n in narrowed["nodes"]} == {"PERSON:zorvex", "PERSON:quilmar"}
    assert all(n["hits"] == 1 for n in narrowed["nodes"])
    kind = get(client, "/api/graph/search", kind="GPE")
    assert [n["id"] for n in kind["nodes"]] == ["GPE:tesmira"]
    assert len(get(client, "/api/graph/search", limit=2)["nodes"]) == 2

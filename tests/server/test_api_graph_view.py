"""The page's graph in one request (/api/graph/view) and paths (/api/graph/path).

Over the corpus of conftest.py (expected values worked out from which names are in
which file), and over ``enrich.testing.graph_stores.graph_store`` (2,000 entities,
about 20,000 edges) for the scale the page draws.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from enrich.server import create_app
from enrich.testing.graph_stores import graph_store
from graph import KnowledgeGraph
from tests.server.api_helpers import get
from tests.server.conftest import error_of

VIEW, PATH = "/api/graph/view", "/api/graph/path"
QUILMAR, ZORVEX, TESMIRA = "PERSON:quilmar", "PERSON:zorvex", "GPE:tesmira"
OLVENKO, KORBLAT, ULVANE = "ORG:olvenko", "PRODUCT:korblat", "PERSON:ulvane"
# in most documents: Quilmar (3), then the five in two documents (ties by key)
TOP6 = [QUILMAR, TESMIRA, OLVENKO, ULVANE, ZORVEX, KORBLAT]
# the edges among TOP6 at document scope, and their counts (harbour, again, visit, notes)
TOP6_EDGES = {frozenset((ZORVEX, QUILMAR)): 2, frozenset((QUILMAR, TESMIRA)): 2,
              frozenset((ZORVEX, TESMIRA)): 1, frozenset((QUILMAR, OLVENKO)): 1,
              frozenset((OLVENKO, TESMIRA)): 1, frozenset((OLVENKO, KORBLAT)): 1}


def pairs(view: dict) -> dict[frozenset, dict]:
    nodes = {n["id"] for n in view["nodes"]}
    assert len(nodes) == len(view["nodes"])
    found = {frozenset((e["source"], e["target"])): e for e in view["edges"]}
    assert len(found) == len(view["edges"])
    assert all(pair <= nodes and len(pair) == 2 for pair in found)
    return found


def strongest_first(edges: list[dict]) -> bool:
    order = [(-e["count"], -(e["npmi"] if e["npmi"] is not None else -2)) for e in edges]
    return order == sorted(order)


# --- the whole corpus ----------------------------------------------------------------

def test_whole_corpus_view_is_the_top_entities_and_their_edges(client):
    view = get(client, VIEW, limit=6)
    assert [n["id"] for n in view["nodes"]] == TOP6
    assert (view["query"], view["matches"], view["scope"]) == ("", None, "document")
    assert view["count"] == 9  # every indexed document (gone.txt still is)
    assert view["more"] is True and view["dropped_edges"] == 0
    assert view["limits"] == {"nodes": 2000, "edges": 25000}
    assert {p: e["count"] for p, e in pairs(view).items()} == TOP6_EDGES
    assert strongest_first(view["edges"])
    degree = {n["id"]: n["degree"] for n in view["nodes"]}
    assert degree == {QUILMAR: 3, TESMIRA: 3, OLVENKO: 3, ZORVEX: 2, KORBLAT: 1, ULVANE: 0}
    quilmar = view["nodes"][0]
    assert {k: quilmar[k] for k in ("name", "type", "documents", "mentions")} == {
        "name": "Quilmar", "type": "PERSON", "documents": 3, "mentions": 3}
    assert all("hits" not in n and "community" not in n for n in view["nodes"])
    assert all(set(e) == {"source", "target", "count", "documents", "npmi", "llr"}
               for e in view["edges"])
    assert get(client, VIEW, q="*", limit=6)["nodes"] == view["nodes"]  # * is everything


def test_more_is_false_once_every_entity_is_in(client):
    view = get(client, VIEW, limit=50)
    assert len(view["nodes"]) == 21 and view["more"] is False  # 9 names and the crew of 12
    assert get(client, VIEW, limit=21)["more"] is False
    assert get(client, VIEW, limit=20)["more"] is True


def test_thresholds_leave_out_weak_edges_and_keep_the_nodes(client):
    strong = get(client, VIEW, limit=6, min_count=2)
    assert set(pairs(strong)) == {p for p, c in TOP6_EDGES.items() if c >= 2}
    assert [n["id"] for n in strong["nodes"]] == TOP6
    assert {n["id"]: n["degree"] for n in strong["nodes"]}[OLVENKO] == 0
    every = get(client, VIEW, limit=6)["edges"]
    cut = sorted(e["npmi"] for e in every)[len(every) // 2]
    high = get(client, VIEW, limit=6, min_npmi=cut)["edges"]
    assert {(e["source"], e["target"]) for e in high} == {
        (e["source"], e["target"]) for e in every if e["npmi"] >= cut}
    assert 0 < len(high) < len(every)
    assert get(client, VIEW, limit=6, min_npmi=1)["edges"] == []


def test_max_edges_keeps_the_strongest_and_says_how_many_were_dropped(client):
    view = get(client, VIEW, limit=6, max_edges=2)
    assert set(pairs(view)) == {p for p, c in TOP6_EDGES.items() if c == 2}
    assert view["dropped_edges"] == len(TOP6_EDGES) - 2
    assert len(view["nodes"]) == 6
    assert {n["id"]: n["degree"] for n in view["nodes"]}[TESMIRA] == 1  # in this graph
    thin = get(client, VIEW, limit=6, min_count=2, max_edges=1)
    assert (len(thin["edges"]), thin["dropped_edges"]) == (1, 1)  # after the thresholds


def test_communities_number_every_node_largest_first(client):
    view = get(client, VIEW, limit=6, communities=True)
    community = {n["id"]: n["community"] for n in view["nodes"]}
    assert all(isinstance(c, int) for c in community.values())
    sizes = [list(community.values()).count(c) for c in range(max(community.values()) + 1)]
    assert all(sizes) and sizes == sorted(sizes, reverse=True)
    assert list(community.values()).count(community[ULVANE]) == 1  # isolated: its own
    assert community[ZORVEX] != community[ULVANE]


def test_scope_sentence_counts_sentences(client):
    view = get(client, VIEW, limit=6, scope="sentence")
    assert view["scope"] == "sentence"
    edges = {p: e["count"] for p, e in pairs(view).items()}
    assert edges[frozenset((ZORVEX, QUILMAR))] == 2
    assert frozenset((OLVENKO, KORBLAT)) in edges  # one sentence in notes.md


def test_kind_keeps_the_entities_of_those_types(client):
    view = get(client, VIEW, kind="ORG,GPE")
    assert {n["type"] for n in view["nodes"]} == {"ORG", "GPE"}
    assert TESMIRA in {n["id"] for n in view["nodes"]}


# --- a search ------------------------------------------------------------------------

def test_view_of_a_search(client):
    view = get(client, VIEW, q="lighthouse")
    assert (view["matches"], view["count"], view["more"]) == (3, 3, False)
    assert {n["id"] for n in view["nodes"]} == {ZORVEX, QUILMAR, "PERSON:vantor", ULVANE}
    assert all(n["hits"] == 1 and "degree" in n for n in view["nodes"])
    (pair, edge), = pairs(view).items()
    assert pair == {ZORVEX, QUILMAR}
    assert (edge["count"], edge["hits"]) == (2, 1)  # count corpus-wide, hits in the matches
    limited = get(client, VIEW, q="lighthouse", limit=2)
    assert [n["id"] for n in limited["nodes"]] == [QUILMAR, ULVANE]  # all 1 hit: by key
    assert limited["more"] is True


def test_view_of_a_filter_alone_is_a_search(client):
    view = get(client, VIEW, filter="people:Zorvex")
    assert view["matches"] == 2  # harbour.pdf, again.pdf
    hits = {n["id"]: n["hits"] for n in view["nodes"]}
    assert hits == {ZORVEX: 2, QUILMAR: 2, TESMIRA: 1, "ORG:brantis": 1}
    assert pairs(view)[frozenset((ZORVEX, QUILMAR))]["hits"] == 2


def test_view_of_a_search_at_sentence_scope_leaves_out_pairs_never_in_one(client):
    view = get(client, VIEW, filter="people:Zorvex", scope="sentence")
    found = pairs(view)
    assert all(e["count"] >= 1 for e in found.values())
    assert frozenset((ZORVEX, "ORG:brantis")) not in found  # one page, never one sentence


# --- limits --------------------------------------------------------------------------

@pytest.mark.parametrize("params, parameter", [
    ({"limit": 2001}, "limit"), ({"limit": 0}, "limit"), ({"max_edges": 25001}, "max_edges"),
    ({"max_edges": 0}, "max_edges"), ({"min_count": 0}, "min_count"),
    ({"min_npmi": 1.5}, "min_npmi"), ({"min_npmi": -2}, "min_npmi"),
    ({"communities": "perhaps"}, "communities"), ({"scope": "chapter"}, "scope")])
def test_beyond_the_limits_is_a_400_in_the_one_shape(client, params, parameter):
    error = error_of(client.get(VIEW, params=params))
    assert (error["status"], error["code"]) == (400, "invalid_parameter")
    assert error["details"]["parameter"] == parameter


def test_a_bad_query_in_the_view_is_a_bad_query(client):
    error = error_of(client.get(VIEW, params={"q": "lighthouse AND (", "syntax": "strict"}))
    assert (error["status"], error["code"]) == (400, "bad_query")


# --- paths ---------------------------------------------------------------------------

def test_path_between_two_entities(client, indexed):
    found = get(client, PATH, a="Zorvex", b="Korblat")
    assert (found["a"], found["b"]) == (ZORVEX, KORBLAT)
    chain = [n["id"] for n in found["nodes"]]
    assert chain[0] == ZORVEX and chain[2:] == [OLVENKO, KORBLAT]
    assert chain[1] in {QUILMAR, TESMIRA}
    assert [(h["a"], h["b"]) for h in found["hops"]] == list(zip(chain, chain[1:]))
    assert [(e["source"], e["target"]) for e in found["edges"]] == list(zip(chain, chain[1:]))
    assert [e["count"] for e in found["edges"]] == [TOP6_EDGES[frozenset(p)]
                                                    for p in zip(chain, chain[1:])]
    assert all(set(e) == {"source", "target", "count", "documents", "npmi", "llr"}
               for e in found["edges"])
    assert found["nodes"][-1] == {"id": KORBLAT, "name": "Korblat", "type": "PRODUCT",
                                  "documents": 2, "mentions": 3}
    last = found["hops"][-1]["evidence"]
    assert [e["id"] for e in last] == [indexed.ids["notes.md"]]


def test_path_of_an_entity_to_itself_is_empty(client):
    found = get(client, PATH, a="Zorvex", b="PERSON:zorvex")
    assert (found["hops"], found["edges"], [n["id"] for n in found["nodes"]]) == (
        [], [], [ZORVEX])


def test_no_path_is_a_404_saying_why(client):
    error = error_of(client.get(PATH, params={"a": "Zorvex", "b": "Ulvane"}))
    assert (error["status"], error["code"]) == (404, "no_path")
    assert "PERSON:ulvane" in error["message"]
    short = error_of(client.get(PATH, params={"a": "Zorvex", "b": "Korblat", "max_hops": 2}))
    assert short["code"] == "no_path" and "max_hops" in short["message"]
    strong = error_of(client.get(PATH, params={"a": "Zorvex", "b": "Korblat",
                                               "min_count": 2}))
    assert strong["code"] == "no_path"


@pytest.mark.parametrize("params, status, code", [
    ({"a": "Zorvx", "b": "Korblat"}, 404, "entity_not_found"),
    ({"a": "Zorvex", "b": "Vantor"}, 400, "ambiguous_entity"),
    ({"a": "Zorvex", "b": "Korblat", "max_hops": 7}, 400, "invalid_parameter"),
    ({"a": "Zorvex", "b": "Korblat", "max_hops": 0}, 400, "invalid_parameter"),
    ({"a": "Zorvex"}, 400, "invalid_parameter")])
def test_path_errors(client, params, status, code):
    error = error_of(client.get(PATH, params=params))
    assert (error["status"], error["code"]) == (status, code)


# --- at the page's scale -------------------------------------------------------------

@pytest.fixture(scope="module")
def large(tmp_path_factory):
    root = tmp_path_factory.mktemp("graph-store")
    data = graph_store(root / "data", docs=root / "docs")
    with TestClient(create_app(data)) as test_client:
        yield data, test_client


def test_graph_store_serves_2000_nodes_and_about_20000_edges(large):
    data, client = large
    view = get(client, VIEW, limit=2000)
    assert len(view["nodes"]) == 2000 and view["more"] is False
    assert len(view["edges"]) >= 19_000 and view["dropped_edges"] == 0
    with KnowledgeGraph.open(data) as kg:  # every edge of the store, none made up
        every = {frozenset((a, b)): c for a, b, c, _ in kg.reader.edges("document", 1, None)}
        assert len({n["type"] for n in view["nodes"]}) >= 5
    assert {p: e["count"] for p, e in pairs(view).items()} == every
    degrees = sorted((n["degree"] for n in view["nodes"]), reverse=True)
    assert degrees[0] > 5 * degrees[len(degrees) // 2]  # skewed
    cut = get(client, VIEW, limit=2000, max_edges=5000)
    assert (len(cut["edges"]), cut["dropped_edges"]) == (5000, len(every) - 5000)
    assert strongest_first(cut["edges"])


def test_graph_store_evidence_has_snippets_with_both_names(large):
    _, client = large
    edge = get(client, VIEW, limit=20)["edges"][0]
    found = get(client, "/api/graph/evidence", a=edge["source"], b=edge["target"])
    assert found["scopes"]["document"]["count"] == edge["count"]
    names = (found["a"]["name"], found["b"]["name"])
    assert found["evidence"] and all(
        any(name in s["text"] for s in e["snippets"]) for e in found["evidence"]
        for name in names)
    original = client.get(f"/api/documents/{found['evidence'][0]['id']}/file")
    assert original.status_code == 200 and all(name in original.text for name in names)


def test_graph_store_search_view_reads_many_keys_as_a_few(large):
    """Many keys and matches (a scan) give what a few (a lookup each) give."""
    _, client = large
    wide = get(client, VIEW, q="works", limit=2000)
    narrow = get(client, VIEW, q="works", limit=20)
    assert wide["matches"] == 2000 and len(wide["nodes"]) > 1000
    assert [n["id"] for n in narrow["nodes"]] == [n["id"] for n in wide["nodes"]][:20]
    assert [n["hits"] for n in narrow["nodes"]] == [n["hits"] for n in wide["nodes"]][:20]
    among = {p: e["hits"] for p, e in pairs(wide).items()
             if p <= {n["id"] for n in narrow["nodes"]}}
    assert {p: e["hits"] for p, e in pairs(narrow).items()} == among


def test_graph_store_communities(large):
    _, client = large
    view = get(client, VIEW, limit=2000, communities=True)
    numbers = {n["community"] for n in view["nodes"]}
    assert numbers == set(range(len(numbers))) and len(numbers) >= 3


def test_a_min_count_beyond_the_store_integers_is_a_400_in_the_one_shape(client):
    for path in ("/api/graph/view", "/api/graph/path?a=x&b=y", "/api/graph/neighbors?entity=x",
                 "/api/graph/ego?entity=x"):
        answer = client.get(path + ("&" if "?" in path else "?") + "min_count=" + "9" * 40)
        assert answer.status_code == 400, (path, answer.text)
        assert answer.json()["error"]["code"] == "invalid_parameter"

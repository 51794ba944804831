import doctest
import json

import networkx as nx
import pytest

import graph.export
from graph.export import read, write
from tests.graph.corpus import BULLS, FBI, LEBRON, NIKE


def test_doctests():
    assert doctest.testmod(graph.export).failed == 0


def same_graph(G: nx.Graph, H: nx.Graph) -> None:
    assert set(H) == set(G)
    assert {frozenset(e) for e in H.edges} == {frozenset(e) for e in G.edges}
    for a, b, data in G.edges(data=True):
        got = H.edges[a, b]
        assert float(got["weight"]) == data["weight"] and int(got["count"]) == data["count"]
        assert float(got["npmi"]) == pytest.approx(data["npmi"])
        assert got["scope"] == "document"
    for node, data in G.nodes(data=True):
        assert H.nodes[node]["name"] == data["name"] and H.nodes[node]["type"] == data["type"]
        assert int(H.nodes[node]["documents"]) == data["documents"]


@pytest.mark.parametrize("suffix", [".gexf", ".graphml", ".json"])
def test_export_reloads_with_the_same_nodes_edges_and_weights(kg, tmp_path, suffix):
    out = kg.export(tmp_path / "out" / f"graph{suffix}")
    assert out == tmp_path / "out" / f"graph{suffix}" and out.is_file()
    same_graph(kg.to_networkx(), read(out))


def test_gexf_labels_nodes_with_their_names(kg, tmp_path):
    H = nx.read_gexf(kg.export(tmp_path / "g.gexf"))
    assert H.nodes[LEBRON]["label"] == "LeBron James"


def test_json_is_d3_node_link(kg, tmp_path):
    data = json.loads(kg.export(tmp_path / "g.json", min_count=2).read_text("utf-8"))
    assert sorted(n["id"] for n in data["nodes"]) == sorted([BULLS, FBI, LEBRON, NIKE])
    assert {frozenset((e["source"], e["target"])) for e in data["links"]} == {
        frozenset((LEBRON, NIKE)), frozenset((BULLS, FBI))}
    assert data["links"][0]["weight"] == 2


def test_format_by_name_kind_filter_and_scope(kg, tmp_path):
    out = kg.export(tmp_path / "graph.xml", format="graphml", scope="image")
    assert {frozenset(e) for e in read(out, "graphml").edges} == {frozenset((LEBRON, NIKE))}
    assert set(read(kg.export(tmp_path / "o.gexf", kind="ORG"))) == {NIKE, BULLS, FBI,
                                                                       "ORG:lakers"}


def test_unknown_formats_are_refused_with_the_choices(kg, tmp_path):
    with pytest.raises(ValueError, match="use .gexf, .graphml or .json"):
        kg.export(tmp_path / "graph.csv")
    with pytest.raises(ValueError, match="choose one of gexf, graphml, json"):
        kg.export(tmp_path / "graph.gexf", format="dot")


def test_attributes_are_made_scalar(tmp_path):
    G = nx.Graph()
    G.add_node("a", description=None, tags=["x", "y"])
    G.add_edge("a", "b", evidence=("d1", "d2"))
    for suffix in (".gexf", ".graphml", ".json"):
        H = read(write(G, tmp_path / f"g{suffix}"))
        assert H.nodes["a"]["description"] == "" and H.nodes["a"]["tags"] == '["x", "y"]'
        assert H.edges["a", "b"]["evidence"] == '["d1", "d2"]'

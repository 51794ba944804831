"""`enrich graph ...` and `enrich entities`, on a small index whose graph is known."""

from __future__ import annotations

import json

import networkx as nx
import pytest
import yaml
from typer.testing import CliRunner

from enrich.cli.app import app
from graph import KnowledgeGraph
from enrich.testing.factories import text_pdf

runner = CliRunner()

NAMES = "name,type\nZorvex,PERSON\nQuilmar,PERSON\nTesmira,GPE\nBrantis,ORG\nOlvenko,ORG\n" \
        "Korblat,PRODUCT\n"
TEXTS = {"a.pdf": "Zorvex met Quilmar in Tesmira. Brantis paid for lunch.",
         "b.pdf": "Zorvex met Quilmar again.",
         "c.pdf": "Quilmar visited Olvenko.",
         "d.pdf": "Olvenko sold Korblat to everyone."}


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def index_with_dictionary(root, texts: dict[str, str], names: str):
    """Index one-page PDFs of ``texts`` under ``root/corpus`` into ``root/data`` with a
    skillset of one dictionary (``names``, CSV) skill, so the entities are exact."""
    (root / "corpus").mkdir()
    for name, text in texts.items():
        text_pdf(root / "corpus" / name, [text])
    (root / "names.csv").write_text(names)
    skillset = {"name": "lookup", "skills": [{"skill": "entity_lookup", "params": {
        "dictionary": str(root / "names.csv")}}],
        "entities": ["/document/pages/*/lookup_entities"]}
    (root / "skillset.yaml").write_text(yaml.safe_dump(skillset))
    result = invoke("index", root / "corpus", "--data", root / "data", "--workers", 0,
                    "--skillset", root / "skillset.yaml", "--json")
    assert result.exit_code == 0, result.output
    return root / "data"


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return index_with_dictionary(tmp_path_factory.mktemp("graph-cli"), TEXTS, NAMES)


def test_neighbors_json(data):
    result = invoke("graph", "neighbors", "zorvex", "--data", data, "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["entity"]["key"] == "PERSON:zorvex"
    assert [(n["name"], n["count"], n["documents"]) for n in out["neighbors"]] == [
        ("Quilmar", 2, 2), ("Tesmira", 1, 1), ("Brantis", 1, 1)]  # ties: by key


def test_neighbors_table_with_kind_scope_and_rank(data):
    result = invoke("graph", "neighbors", "Zorvex", "--kind", "gpe", "--scope", "sentence",
                    "--rank", "npmi", "--data", data)
    assert result.exit_code == 0, result.output
    assert "Tesmira" in result.stdout and "Quilmar" not in result.stdout
    assert "by npmi" in result.stdout


def test_evidence_names_the_documents_with_snippets(data):
    result = invoke("graph", "evidence", "Zorvex", "Quilmar", "--data", data, "--json")
    out = json.loads(result.stdout)
    assert out["scopes"]["document"]["count"] == 2 and out["scopes"]["sentence"]["count"] == 2
    assert sorted(e["uri"].rsplit("/", 1)[1] for e in out["evidence"]) == ["a.pdf", "b.pdf"]
    assert all("Zorvex met Quilmar" in e["snippets"][0]["text"] for e in out["evidence"])
    human = invoke("graph", "evidence", "Zorvex", "Quilmar", "--data", data)
    assert "Zorvex met Quilmar again." in human.stdout


def test_path_hops_with_evidence(data):
    result = invoke("graph", "path", "Zorvex", "Korblat", "--data", data, "--json")
    hops = json.loads(result.stdout)
    assert [(h["a_name"], h["b_name"]) for h in hops] == [
        ("Zorvex", "Quilmar"), ("Quilmar", "Olvenko"), ("Olvenko", "Korblat")]
    assert hops[1]["evidence"][0]["title"] == "c.pdf"
    too_short = invoke("graph", "path", "Zorvex", "Korblat", "--max-hops", 2, "--data", data)
    assert too_short.exit_code == 2 and "no path" in too_short.output


@pytest.mark.parametrize("suffix, fmt", [(".gexf", None), (".graphml", None),
                                         (".out", "json")])
def test_export_reloads_with_the_same_nodes_edges_and_weights(data, tmp_path, suffix, fmt):
    from graph.export import read
    path = tmp_path / f"graph{suffix}"
    result = invoke("graph", "export", path, "--data", data, "--json",
                    *(["--format", fmt] if fmt else []))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["edges"] == 8  # 6 pairs in a.pdf, one each in c, d
    with KnowledgeGraph.open(data) as kg:
        expected = kg.to_networkx()
    loaded = read(path, fmt)
    def weights(graph: nx.Graph) -> dict:
        return {frozenset((a, b)): w for a, b, w in graph.edges(data="weight")}

    assert set(loaded.nodes) == set(expected.nodes) and len(expected) == 6
    assert weights(loaded) == weights(expected)
    assert weights(loaded)[frozenset(("PERSON:zorvex", "PERSON:quilmar"))] == 2


def test_entities_lookup_and_top(data):
    top = json.loads(invoke("entities", "--data", data, "--json").stdout)
    assert top[0] == {"key": "PERSON:quilmar", "name": "Quilmar", "type": "PERSON",
                      "documents": 3, "mentions": 3}
    found = json.loads(invoke("entities", "quil", "--data", data, "--json").stdout)
    assert [(e["name"], e["match"]) for e in found] == [("Quilmar", "prefix")]
    people = invoke("entities", "--kind", "PRODUCT", "--data", data)
    assert "Korblat" in people.stdout and "Zorvex" not in people.stdout


@pytest.mark.parametrize("args, message", [
    (("graph", "neighbors", "Zorvx"), "did you mean Zorvex"),
    (("graph", "neighbors", "Zorvex", "--scope", "chapter"), "chapter"),
    (("graph", "export", "graph.txt"), "cannot tell the format"),
    (("graph", "evidence", "Zorvex", "zorvex"), "same entity"),
    (("graph", "export", "/dev/null/graph.json"), "cannot write"),
])
def test_bad_input_is_a_clear_error(data, args, message):
    result = invoke(*args, "--data", data)
    assert result.exit_code == 2
    assert message in result.output


def test_no_index_says_how_to_make_one(tmp_path):
    result = invoke("graph", "neighbors", "x", "--data", tmp_path / "none")
    assert result.exit_code == 2 and "enrich index" in result.output


def test_a_key_may_be_written_in_any_case(data):
    result = invoke("graph", "neighbors", "person:ZORVEX", "--data", data, "--json")
    assert result.exit_code == 0 and json.loads(result.stdout)["entity"]["key"] == "PERSON:zorvex"

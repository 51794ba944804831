"""Where two entities meet: counts per scope, documents and snippets (``graph.evidence``)."""

from __future__ import annotations

import pytest

from graph import KnowledgeGraph
from graph.scores import llr, npmi
from tests.graph.corpus import LEBRON, NIKE, build_store, m


# --- co-occurrence and evidence -------------------------------------------------------

def test_cooccurrence_counts_per_scope(kg):
    found = kg.cooccurrence("lebron james", "Nike")
    assert found["a"] == {"key": LEBRON, "name": "LeBron James", "type": "PERSON",
                          "documents": 2}
    assert found["b"]["key"] == NIKE
    assert {s: v["count"] for s, v in found["scopes"].items()} == {
        "document": 2, "page": 2, "image": 1, "sentence": 2}
    assert found["scopes"]["page"]["npmi"] == pytest.approx(npmi(2, 3, 3, 8))
    assert found["scopes"]["image"]["llr"] == pytest.approx(llr(1, 1, 1, 1))


def test_cooccurrence_evidence_and_snippets(kg):
    d1, d2 = kg.cooccurrence(LEBRON, NIKE)["evidence"]
    assert (d1["doc_id"], d1["title"], d1["uri"]) == ("d1", "Game notes",
                                                      "file:///corpus/d1.pdf")
    assert d1["pages"] == [1, 2] and d1["images"] == ["p1-i0"]
    assert d1["sentences"] == [(1, 0), (2, 0)]
    assert d1["snippets"] == [
        {"page": 1, "text": "LeBron James wore Nike shoes. The Lakers won in Los Angeles."},
        {"page": 2, "text": "King James thanked Nike after the game."}]
    assert (d2["pages"], d2["images"], d2["sentences"]) == ([], [], [])
    assert d2["snippets"] == [{"page": 1, "text": "Lebron James met Michael Jordan."},
                              {"page": 2, "text": "Nike signed Michael Jordan."}]


def test_cooccurrence_limit_and_long_pages(tmp_path):
    filler = "word " * 100
    docs = [{"id": f"d{i}", "pages": [f"{filler}Nike and LeBron James {filler}"],
             "mentions": [m(NIKE, "Nike"), m(LEBRON, "LeBron James")]} for i in range(4)]
    with KnowledgeGraph.open(build_store(tmp_path, docs)) as graph:
        evidence = graph.cooccurrence(NIKE, LEBRON, limit=2)["evidence"]
    assert [e["doc_id"] for e in evidence] == ["d0", "d1"]
    text = evidence[0]["snippets"][0]["text"]
    assert text.startswith("…word") and text.endswith("word…") and len(text) <= 242
    assert "Nike and LeBron James" in text


def test_cooccurrence_of_one_entity_with_itself_is_an_error(kg):
    with pytest.raises(ValueError, match="same entity"):
        kg.cooccurrence("LeBron James", LEBRON)

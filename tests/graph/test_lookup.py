"""Finding entities by loose names (``graph.lookup``) on the basketball corpus."""

from __future__ import annotations

import pytest

from graph import AmbiguousEntity, EntityNotFound, GraphError, KnowledgeGraph
from tests.graph.corpus import (BULLS, FBI, JORDAN_G, JORDAN_P, LA, LAKERS, LEBRON, MJ, NIKE,
                                ZORRO, build_store, m)


# --- finding entities ----------------------------------------------------------------

@pytest.mark.parametrize("name, kind, key", [
    (LEBRON, None, LEBRON), ("person:LeBron  James", None, LEBRON),
    ("lebron james", None, LEBRON), ("Mr. LeBron James", None, LEBRON),
    ("FBI", None, FBI), ("f.b.i.", None, FBI), ("Lakers", "org", LAKERS),
    ("Jordan", "PERSON", JORDAN_P),
    ("jordan", ["gpe", "LOC"], JORDAN_G), ("LOS ANGELES", None, LA)])
def test_resolve_loose_names(kg, name, kind, key):
    assert kg.resolve(name, kind) == key


def test_a_shared_name_is_ambiguous_and_names_the_candidates(kg):
    with pytest.raises(AmbiguousEntity) as err:
        kg.resolve("Jordan")
    assert [c["key"] for c in err.value.candidates] == [JORDAN_G, JORDAN_P]
    assert err.value.candidates[0] == {"key": JORDAN_G, "name": "Jordan", "type": "GPE",
                                       "documents": 1}
    message = str(err.value)
    assert "Jordan (GPE:jordan, 1 documents)" in message and "PERSON:jordan" in message
    assert "kind=" in message and "key" in message


def test_a_prefix_is_not_found_but_suggested(kg):
    with pytest.raises(EntityNotFound) as err:
        kg.resolve("Lebron")
    assert err.value.suggestions[0]["key"] == LEBRON
    assert "did you mean LeBron James (PERSON:lebron james, 2 documents)" in str(err.value)
    assert isinstance(err.value, KeyError) and isinstance(err.value, GraphError)


def test_a_typo_gets_fuzzy_suggestions(kg):
    with pytest.raises(EntityNotFound) as err:
        kg.resolve("Micheal Jordon")
    assert err.value.suggestions[0]["key"] == MJ


def test_a_kind_that_does_not_match_suggests_the_other_types(kg):
    with pytest.raises(EntityNotFound, match="of type ORG") as err:
        kg.resolve("Zorro", kind="ORG")
    assert [s["key"] for s in err.value.suggestions] == [ZORRO]


def test_nothing_alike_has_no_suggestions(kg):
    with pytest.raises(EntityNotFound, match="look names up"):
        kg.resolve("qqqqqq")


def test_a_key_whose_mentions_moved_finds_where_they_went(tmp_path):
    """A key kept from before resolution flipped a type vote, or a correction split a
    name, finds the entity its mentions count under now (or the candidates)."""
    docs = [{"id": "d1", "title": "One", "pages": ["Ada Vale met Kent Moor in Kent."],
             "mentions": [m("PERSON:ada vale", "Ada Vale", raw="ORG:ada vale"),
                          m("PERSON:kent moor", "Kent Moor", raw="ORG:kent"),
                          m("GPE:kent", "Kent", nth=1, raw="ORG:kent")]}]
    with KnowledgeGraph.open(build_store(tmp_path, docs)) as kg:
        assert kg.resolve("ORG:ada vale") == "PERSON:ada vale"
        assert kg.resolve("org: Ada  Vale") == "PERSON:ada vale"
        assert kg.entity("ORG:ada vale")["key"] == "PERSON:ada vale"
        assert kg.resolve("GPE:kent") == "GPE:kent"  # a key that names an entity is itself
        with pytest.raises(AmbiguousEntity) as err:
            kg.resolve("ORG:kent")
        assert [c["key"] for c in err.value.candidates] == ["GPE:kent", "PERSON:kent moor"]
        with pytest.raises(EntityNotFound):
            kg.resolve("ORG:nobody")


def test_entities_ranks_matches(kg):
    frame = kg.entities("jordan")
    assert list(frame.columns) == ["key", "name", "type", "documents", "mentions", "match"]
    assert frame.set_index("key")["match"].to_dict()[JORDAN_P] == "exact"
    assert frame.set_index("key")["match"].to_dict()[MJ] == "fuzzy"
    assert list(frame["key"][:2]) == [JORDAN_G, JORDAN_P]
    assert list(kg.entities("Lebron")["match"]) == ["prefix"]
    assert list(kg.entities("FBI")[["key", "match"]].iloc[0]) == [FBI, "alias"]


def test_entities_without_a_query_are_the_most_documented(kg):
    frame = kg.entities(limit=3)
    assert list(frame["key"]) == [BULLS, FBI, NIKE]  # ties by key
    assert list(frame.iloc[0]) == [BULLS, "Bulls", "ORG", 3, 3]
    assert list(kg.entities(kind="org")["key"]) == [BULLS, FBI, NIKE, LAKERS]


def test_entity_card(kg):
    card = kg.entity("lebron james")
    assert {k: card[k] for k in ("key", "name", "type", "description", "documents",
                                 "mentions", "pages", "images", "sentences")} == {
        "key": LEBRON, "name": "LeBron James", "type": "PERSON", "description": "",
        "documents": 2, "mentions": 4, "pages": 3, "images": 1, "sentences": 3}
    assert card["names"] == {"LeBron James": 3, "Lebron James": 1}
    assert card["aliases"] == {"King James": 1}
    assert card["labels"] == {"PERSON": 4}
    assert kg.entity("Nike")["labels"] == {"ORG": 3, "BRAND": 1}


def test_entity_acronym_aliases(kg):
    card = kg.entity("FBI")
    assert card["key"] == FBI and card["acronyms"] == {"fbi": 2}
    assert card["aliases"] == {"FBI": 1}


def test_a_form_split_by_a_line_break_is_the_name_not_an_alias(tmp_path):
    page = "Ada\nVale met Bo. Later ADA VALE and Ada Vale left."
    docs = [{"id": "d1", "title": "One", "pages": [page],
             "mentions": [m("PERSON:ada vale", "Ada\nVale", name="Ada Vale"),
                          m("PERSON:ada vale", "ADA VALE", name="Ada Vale"),
                          m("PERSON:ada vale", "Ada Vale", name="Ada\nVale")]}]
    with KnowledgeGraph.open(build_store(tmp_path, docs)) as kg:
        card = kg.entity("PERSON:ada vale")
    assert card["names"] == {"Ada Vale": 3}
    assert card["aliases"] == {}  # "Ada\nVale" and "ADA VALE" are the name, folded

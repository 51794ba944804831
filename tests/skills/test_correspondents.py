"""The correspondents skill: From/To/Cc as PERSON entities with their address as an alias.

Unit tests of the header parsing, then a real index run (``run_index``, in process)
over the conversation of :mod:`enrich.testing.mail_threads` with a dictionary of
invented names for the bodies: the store holds one person per address, found by the
address, co-occurring with what the mails mention.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from enrich.errors import ConfigError
from enrich.indexer import IndexOptions, run_index
from enrich.skillset import Skillset
from enrich.testing.mail_threads import ANN, BO, CY, conversation, document_ids
from graph import KnowledgeGraph
from skills.correspondents import CorrespondentSkill, correspondents

SKILLSET = {"name": "mail",
            "skills": [{"skill": "entity_lookup", "params": {"dictionary": None}},
                       {"skill": "correspondents"}],
            "entities": ["/document/pages/*/lookup_entities", "/document/correspondents"]}


# --- the skill ----------------------------------------------------------------------------

def test_display_name_is_the_name_and_the_address_the_alias():
    values = correspondents({"from": ['"Lee, Ann" <Ann.Lee@Example.org>'],
                             "to": ["Bo Chen <bo@example.net>", "ann.lee@example.org"]})
    assert [(v["name"], v["alias"], v["roles"]) for v in values] == [
        ("Lee, Ann", "ann.lee@example.org", ["from", "to"]),
        ("Bo Chen", "bo@example.net", ["to"])]
    first = values[0]
    assert (first["type"], first["text"], first["confidence"]) == ("PERSON", first["alias"], 1.0)
    assert first["key"] == "PERSON:ann.lee@example.org"
    assert (first["start"], first["end"]) == (None, None)


def test_without_a_display_name_the_address_names_the_person():
    values = correspondents({"to": ["cy@example.com", "'cy@example.com' <cy@example.com>"]})
    assert [(v["name"], v["alias"]) for v in values] == [("cy@example.com", "cy@example.com")]


def test_entries_that_identify_nobody_are_left_out():
    assert correspondents({"to": ["undisclosed-recipients:;"], "cc": ["Just A Name"],
                           "from": None}) == []
    assert correspondents({"from": "<@>"}) == []


def test_skill_runs_per_document_with_its_parameters():
    skill = CorrespondentSkill(type="CORRESPONDENT", headers=["from"])
    out = skill.run([{"from": ["Ann <a@x.org>"], "to": ["Bo <b@x.org>"]}, {}])
    assert [[v["name"] for v in r["correspondents"]] for r in out] == [["Ann"], []]
    assert out[0]["correspondents"][0]["type"] == "CORRESPONDENT"
    with pytest.raises(ConfigError, match="headers"):
        CorrespondentSkill(headers=["bcc"])


def test_default_skillset_runs_it_and_reads_its_entities():
    default = Skillset.load(None)
    assert "correspondents" in [s.skill for s in default.skills]
    assert "/document/correspondents" in [str(e) for e in default.entities]


# --- through an index run -------------------------------------------------------------------

@pytest.fixture(scope="module")
def indexed(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    root = tmp_path_factory.mktemp("mail")
    docs = root / "docs"
    docs.mkdir()
    conversation(docs)
    (docs / "notes.txt").write_text("Zorvex and Quilmar, no e-mail here.\n")
    dictionary = root / "names.csv"
    dictionary.write_text("name,type\nZorvex,PERSON\nQuilmar,PERSON\nBo Chen,PERSON\n")
    skillset = {**SKILLSET, "skills": [
        {"skill": "entity_lookup", "params": {"dictionary": str(dictionary)}},
        {"skill": "correspondents"}]}
    summary = run_index(str(docs), IndexOptions(data_dir=root / "data", skillset=skillset,
                                                workers=0))
    assert summary.documents["failed"] == 0, summary.errors
    return root / "data", document_ids(root / "data")


def test_a_person_is_found_by_address_and_named_by_most_documents(indexed):
    with KnowledgeGraph.open(indexed[0]) as kg:
        key = kg.resolve(ANN)
        assert key == kg.resolve(ANN.upper()) == kg.resolve("Ann Lee", kind="PERSON")
        card = kg.entity(ANN)
        assert (card["name"], card["type"]) == ("Ann Lee", "PERSON")
        # plan, reply ("A. Lee"), followup (the bare address), orphan, the mbox's first
        assert card["documents"] == 5
        assert {"Ann Lee", "A. Lee"} <= set(card["names"])
        assert ANN in card["acronyms"] and ANN in {**card["names"], **card["aliases"]}
        assert kg.entities("A. Lee", kind="PERSON")["key"].tolist() == [key]


def test_an_address_written_in_capitals_is_the_same_person(indexed):
    with KnowledgeGraph.open(indexed[0]) as kg:
        card = kg.entity(BO)
        # all six messages (reply.eml writes the address in capitals), and the mailbox,
        # whose listing ("subject - from") names "Bo Chen" for the dictionary
        assert (card["key"], card["documents"]) == ("PERSON:bo chen", 7)
        labels = {m["skill"] for m in kg.reader.mentions_of(list(indexed[1].values()))
                  if m["entity_key"] == card["key"]}
        assert labels == {"correspondents", "entity_lookup"}  # header and body joined


def test_correspondents_cooccur_with_what_the_mail_mentions(indexed):
    data, ids = indexed
    with KnowledgeGraph.open(data) as kg:
        neighbours = kg.neighbors("Zorvex", limit=None)
        assert {kg.resolve(ANN), kg.resolve(BO), kg.resolve(CY)} <= set(neighbours["key"])
        found = kg.cooccurrence(ANN, "Quilmar")
        assert [e["doc_id"] for e in found["evidence"]] == [ids["followup.eml"]]
        assert found["scopes"]["document"]["count"] >= 1
        assert "page" not in found["scopes"]  # a header mention has no page
        both = kg.cooccurrence(ANN, CY)  # two header mentions: evidence without snippets
        assert {e["doc_id"] for e in both["evidence"]} == {ids["plan.eml"]}
        assert all(e["pages"] == [] for e in both["evidence"])


def test_header_mentions_have_no_page_and_full_confidence(indexed):
    data, ids = indexed
    with KnowledgeGraph.open(data) as kg:
        mentions = [m for m in kg.reader.mentions_of([ids["plan.eml"]])
                    if m["skill"] == "correspondents"]
    assert sorted(m["text"] for m in mentions) == sorted([ANN, BO, CY])
    assert {(m["page"], m["start"], m["confidence"]) for m in mentions} == {(None, None, 1.0)}


def test_without_the_alias_rule_each_address_is_one_entity_named_by_its_display_name(
        tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    conversation(docs)
    skillset = {"name": "mail", "skills": [{"skill": "correspondents"}],
                "entities": ["/document/correspondents"], "resolution": {"acronyms": False}}
    run_index(str(docs), IndexOptions(data_dir=tmp_path / "data", skillset=skillset,
                                      workers=0))
    with KnowledgeGraph.open(tmp_path / "data") as kg:
        card = kg.entity(ANN)
        assert (card["key"], card["name"], card["documents"]) == (f"PERSON:{ANN}", "Ann Lee", 5)

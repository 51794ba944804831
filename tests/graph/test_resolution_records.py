"""The skillset's ``resolution:`` switches, as records and the run fingerprint see them."""

from __future__ import annotations

import pytest

from enrich.errors import SkillsetError
from enrich.indexer import skillset_fingerprint
from enrich.plan import build_plan
from enrich.records import to_record
from enrich.skillset import Skillset
from graph.resolution import DEFAULT_RULES

TEXT = "Tickets for and Ostrel Harrow vs the Quints went fast."
PATH = "/document/pages/*/lookup_entities"


def skillset(**resolution):
    data = {"skills": [{"skill": "entity_lookup", "params": {"dictionary": "names.csv"}}],
            "entities": [PATH]}
    return Skillset.from_dict({**data, "resolution": resolution} if resolution else data)


def tree(surface="and Ostrel Harrow vs"):
    start = TEXT.index(surface)
    entity = {"text": surface, "name": surface, "type": "PLAY", "key": f"PLAY:{surface}",
              "start": start, "end": start + len(surface), "confidence": 1.0}
    return {"uri": "mem://a", "content": TEXT, "metadata": {},
            "pages": [{"number": 1, "text": TEXT, "lookup_entities": [entity]}],
            "provenance": {PATH: {"skill": "entity_lookup", "version": "1", "model": None}}}


def test_dictionary_mentions_carry_authority_and_clean_spans():
    record = to_record(tree(), "mem://a", build_plan(skillset()))
    (mention,) = record.entities
    assert mention["authority"] is True
    assert (mention["text"], mention["key"]) == ("Ostrel Harrow", "PLAY:ostrel harrow")
    assert TEXT[mention["start"]:mention["end"]] == "Ostrel Harrow"
    assert record.tree["pages"][0]["lookup_entities"][0]["text"] == "and Ostrel Harrow vs"


def test_boundaries_switch_off_keeps_the_span():
    record = to_record(tree(), "mem://a", build_plan(skillset(boundaries=False)))
    assert record.entities[0]["text"] == "and Ostrel Harrow vs"


def test_resolution_is_read_checked_and_fingerprinted():
    assert skillset().resolution == DEFAULT_RULES
    assert skillset(common_words=False).resolution == {**DEFAULT_RULES, "common_words": False}
    assert skillset(common_words=False).to_dict()["resolution"]["common_words"] is False
    assert skillset_fingerprint(build_plan(skillset())) != \
        skillset_fingerprint(build_plan(skillset(common_words=False)))
    with pytest.raises(SkillsetError, match="unknown resolution rules"):
        skillset(shortforms=False)
    with pytest.raises(SkillsetError, match="must be a mapping"):
        Skillset.from_dict({"skills": [], "resolution": ["acronyms"]})
